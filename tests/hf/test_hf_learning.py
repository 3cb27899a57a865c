"""The handwritten loops learn with the Hugging Face policy too (the tiny local Qwen2, `--quick --policy hf`).

Each test draws a fresh seed (replay a failure with RL_ATLAS_TEST_SEED) and compares arms measured in the same run.
It asserts only the comparisons that held on every seed measured, on two CPUs where both were available (a 2-core
AMD EPYC VM and a 2-core Intel Xeon VM; docs/implementations/llm.md), with a margin of about half the worst of them:

- reasoning, with every arm's learning rate decaying linearly to 0 (the script's default since December 2026),
  30 seeds on the Xeon: 1-10, the ten fresh seeds of the constant-rate runs, 29706 and nine drawn at random
  (intel_xeon/reasoning_linear_lr/capability_reasoning_hf_seeds.json): after - before worst +0.208 (seed 476426),
  after - SFT worst +0.271 (seed 6). At the former constant rate (capability_reasoning_hf_seeds_1_5.json,
  _6_10.json, intel_xeon/capability_reasoning_hf_seeds_1_10.json and _fresh.json) the worst of 30 seeds was
  +0.146 / +0.10, and a CI run drew seed 29706, whose last updates dropped it from .60 to .44, below SFT's .47;
  with the decay it ends at .70 against SFT's .32. RFT is ahead of GRPO on 28 of the 30 seeds (reported, not
  asserted);
- tool use (800-update `--policy hf` warm-up; RL on factor pairs the warm-up never showed), 32 seeds on the Xeon:
  1-10, twenty drawn at random, 790006 and 427245 (intel_xeon/capability_tool-use_hf_seeds_1_10.json,
  _fresh_790006.json and _fresh2_427245.json): after - before worst +0.12 (seed 91023; +0.17 on 427245, which a
  CI run of this test drew when it asserted +0.17; the other 30 gain +0.34 or more), after - no-tool worst +0.26
  (91023). On those two seeds every arm calls the tool but reads its noisy output badly (all end at or below
  .37). The lead over the unmasked arm is reported, not asserted: ties on seeds 10 and 91023. Until December 2026 RL drew from the
  warm-up's own pairs and this test ran seed 1 only, because a fresh seed, 790006, had failed there (every arm
  dropped the tool; tool_use_rl_on_warmup_pairs/); with the split it gains +0.36. These 32 runs come from one
  CPU: the AMD EPYC VM was not available to repeat them;
- self-improvement, seeds 1-14 on AMD, 1-10 and ten fresh seeds on the Xeon (capability_self-improvement_hf_seeds_warmup_lr_1e-3.json,
  intel_xeon/capability_self-improvement_hf_seeds_1_10.json and _fresh.json): after - random label worst +0.072
  (seed 797925, Xeon; +0.12 or more on the other 33).
  The gain over the warm-up is not asserted: seed 10 ended level with its warm-up on AMD and 0.015 below it on
  the Xeon, because test-time RL on majority votes reinforces wrong answers when the warm-up's vote is weak. The
  test checks only that the run does not fall more than 0.05 below its warm-up.

Until this version all three ran seed 1 with margins measured on that one seed; see git history."""

import json

import pytest

pytest.importorskip("transformers", reason="the `llm` extra is not installed")

from rl_atlas.cli import main as cli


def _run(capsys, capability, seed):
    assert cli(["run", capability, "--quick", "--policy", "hf", "--seed", str(seed), "--device", "cpu"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["policy"] == "hf" and out["model"] == "tiny-qwen2"
    return out, f"seed {seed}"


@pytest.mark.slow
def test_reasoning_hf_learns(capsys, learning_seed):
    out, msg = _run(capsys, "reasoning", learning_seed)
    assert out["after"] >= out["before"] + 0.10, (msg, out)
    assert out["after"] >= out["baselines"]["sft"] + 0.13, (msg, out)


@pytest.mark.slow
def test_tool_use_hf_learns(capsys, learning_seed):
    out, msg = _run(capsys, "tool-use", learning_seed)
    assert out["warmup_steps"] == 800, out  # the `--policy hf` warm-up these margins were measured with
    assert not out["split"]["rl_pairs_seen_in_warmup"], out  # ... and RL on pairs the warm-up never showed
    assert out["after"] >= out["before"] + 0.06, (msg, out)
    assert out["after"] >= out["baselines"]["no-tool"] + 0.13, (msg, out)


@pytest.mark.slow
def test_self_improvement_hf_learns(capsys, learning_seed):
    out, msg = _run(capsys, "self-improvement", learning_seed)
    assert out["after"] >= out["baselines"]["random-label"] + 0.035, (msg, out)
    assert out["after"] >= out["before"] - 0.05, (msg, out)
