"""Every capability script runs end to end with `--policy hf` (the tiny local Qwen2 through from_pretrained),
on a budget of a few updates, and reports which policy and model it used."""

import json

import pytest

pytest.importorskip("transformers", reason="the `llm` extra is not installed")

from rl_atlas.cli import main as cli

FEW = {
    "reasoning": "--warmup-steps 3 --rl-steps 2 --prompts-per-step 2 --group-size 4 --eval-samples 1 --eval-every 1",
    "tool-use": "--warmup-steps 3 --rl-steps 2 --prompts-per-step 2 --group-size 4 --eval-questions 8 --eval-every 1",
    "self-improvement": "--warmup-steps 3 --rl-steps 2 --prompts-per-step 2 --group-size 4 "
                        "--eval-samples 2 --eval-every 1",
    "memory": "--warmup-steps 3 --clean-steps 1 --rl-steps 2 --prompts-per-step 2 --group-size 4 --eval-episodes 8 "
              "--eval-every 1",
    "planning": "--warmup-steps 2 --iterations 2 --groups 2 --group-size 4 --eval-per-layout 1 --curve-per-layout 1 --value-steps 2",
    "perception": "--warmup-steps 2 --iterations 2 --batch 2 --group-size 4 --eval-images 8",
    "long-horizon": "--warmup-steps 2 --iterations 2 --groups 2 --group-size 4 --eval-episodes 8",
}


@pytest.mark.parametrize("capability", list(FEW))
def test_runs_with_the_hf_policy(capsys, capability):
    argv = ["run", capability, "--quick", "--policy", "hf", "--seed", "1", "--device", "cpu", *FEW[capability].split()]
    assert cli(argv) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["capability"] == capability and out["policy"] == "hf" and out["model"] == "tiny-qwen2"
    assert all(isinstance(out[k], float) for k in ("before", "after")), out


def test_default_policy_is_unchanged(capsys):
    assert cli(["run", "reasoning", "--quick", *FEW["reasoning"].split()]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["policy"] == "tiny" and out["model"] == "char-transformer"


def test_bad_policy_and_engine_are_refused(capsys):
    with pytest.raises(SystemExit, match="--policy must be tiny or hf"):
        cli(["run", "reasoning", "--quick", "--policy", "gpt"])
    assert cli(["run", "reasoning", "--engine", "verl"]) == 2
    assert "--engine must be handwritten or trl" in capsys.readouterr().err
    assert cli(["run", "planning", "--engine", "trl"]) == 2
    assert "does not express" in capsys.readouterr().err
