"""The handwritten loops learn with the Hugging Face policy too (the tiny local Qwen2, `--quick --policy hf`).

Arms measured in the same run, on seed 1 for every capability (the first seed of each benchmark file, fixed
before any was run), so these tests show the Qwen2 path learning on one seed, not on any seed. With the current
scripts (docs/implementations/llm.md): reasoning held on seeds 1-10 (worst after - before +0.19, after - SFT +0.10,
both seed 4, under this test's 0.2, so a fresh seed could fail it;
benchmarks/results/capability_reasoning_hf_seeds_1_5.json and _6_10.json); tool use held on 8 of 10 (on seeds 3 and 10 the warm-up never calls the calculator;
capability_tool-use_hf_seeds_1_5.json and _6_10.json); self-improvement, warmed up at 1e-3, beat its warm-up on
13 of 14 seeds and tied it on seed 10 (capability_self-improvement_hf_seeds_warmup_lr_1e-3.json). Those runs were
on a 2-core AMD EPYC VM. On a 2-core Intel Xeon VM (benchmarks/results/intel_xeon/capability_*_hf_seeds_1_10.json)
seed 1 gave reasoning +0.24 / +0.34, tool use +0.65 / +0.68 and self-improvement +0.32 / +0.41, all above the
margins below; over seeds 1-10 there, tool use lost to its unmasked arm on seed 7 and self-improvement ended a
little below its warm-up on seed 10."""

import json

import pytest

pytest.importorskip("transformers", reason="the `llm` extra is not installed")

from rl_atlas.cli import main as cli


def _run(capsys, capability):
    assert cli(["run", capability, "--quick", "--policy", "hf", "--seed", "1", "--device", "cpu"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["policy"] == "hf" and out["model"] == "tiny-qwen2"
    return out


@pytest.mark.slow
def test_reasoning_hf_learns(capsys):
    out = _run(capsys, "reasoning")
    assert out["after"] >= out["before"] + 0.2, out
    assert out["after"] >= out["baseline"] + 0.2, out


@pytest.mark.slow
def test_tool_use_hf_learns(capsys):
    out = _run(capsys, "tool-use")
    assert out["after"] >= out["before"] + 0.3, out
    assert out["after"] >= out["baseline"] + 0.3, out


@pytest.mark.slow
def test_self_improvement_hf_learns(capsys):
    out = _run(capsys, "self-improvement")
    assert out["after"] >= out["before"] + 0.15, out
    assert out["after"] >= out["baseline"] + 0.15, out
