"""`rl-atlas run CAPABILITY --engine trl`: the capability's environment and reward handed to TRL's GRPOTrainer."""

import json

import pytest

pytest.importorskip("trl", reason="the `llm` extra is not installed")

from rl_atlas.cli import main as cli
from tests.hf.test_hf_capabilities import FEW as ALL

FEW = {c: ALL[c] for c in ("reasoning", "tool-use", "self-improvement")}  # what --engine trl covers


def _run(capsys, argv):
    assert cli(["run", *argv]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("capability", list(FEW))
def test_trains_through_grpo_trainer(capsys, capability):
    out = _run(capsys, [capability, "--quick", "--engine", "trl", "--seed", "1", *FEW[capability].split()])
    assert out["engine"] == "trl" and out["policy"] == "hf" and out["capability"] == capability
    assert out["steps"] == 2 and [p["step"] for p in out["curve"]] == [0, 1, 2]
    assert out["seconds_per_update"] > 0 and out["tokens_per_second"] > 0


@pytest.mark.parametrize("capability, task", [("reasoning", "countdown"), ("reasoning", "gsm8k"), ("tool-use", "search")])
def test_pretrained_tasks_run_offline(capsys, capability, task):
    """The text tasks (shipped samples, generated corpus) through GRPOTrainer, a step on the tiny model."""
    out = _run(capsys, [capability, "--quick", "--engine", "trl", "--task", task, "--data", "sample",
                        "--rl-steps", "1", "--prompts-per-step", "2", "--group-size", "2", "--completion-tokens", "4"])
    assert out["task"] == task and out["engine"] == "trl" and 0.0 <= out["after"] <= 1.0


def test_trl_engine_refuses_the_tiny_policy_and_unknown_tasks():
    with pytest.raises(SystemExit, match="--policy hf"):
        cli(["run", "reasoning", "--engine", "trl", "--policy", "tiny"])
    with pytest.raises(SystemExit, match="--task countdown"):
        cli(["run", "tool-use", "--engine", "trl", "--task", "countdown"])


@pytest.mark.parametrize("flags, schedule", [([], "linear"), (["--lr-schedule", "constant"], "constant")])
def test_grpo_config_takes_the_scripts_lr_schedule(tmp_path, flags, schedule):
    """GRPOConfig gets reasoning's --lr-schedule (linear decay by default, as the handwritten loop), and a script
    without the flag keeps the constant rate."""
    import torch

    from reference_impl.capabilities import reasoning
    from reference_impl.capabilities.tool_use import parse_config as tool_use_config
    from reference_impl.engines.trl_engine import grpo_args

    def scheduler(cfg):
        return str(getattr(grpo_args(cfg, torch.device("cpu"), str(tmp_path), 4, 2, 2, 4).lr_scheduler_type, "value", ""))

    assert scheduler(reasoning.parse_config(["--quick", "--policy", "hf", *flags])) == schedule
    assert scheduler(tool_use_config(["--quick", "--policy", "hf"])) == "constant"


@pytest.mark.slow
def test_trl_reasoning_learns(capsys, learning_seed):
    """GRPOTrainer lifts the warm-up policy's sampled accuracy, measured by the script's own evaluate in the same
    run, on a seed drawn at random. The learning rate decays linearly to 0 (reasoning's --lr-schedule, which the
    engine hands to GRPOConfig as lr_scheduler_type). 31 seeds on a 2-core Intel Xeon VM (1-10, 445841 and twenty
    drawn at random; benchmarks/results/intel_xeon/reasoning_linear_lr/capability_reasoning_trl_seeds.json): gains
    +0.117 (seed 427618) to +0.50, the next worst +0.15 (445841), so the margin is 0.05, under half the worst.
    At the former constant rate seed 1 gained +0.117 and seed 445841, drawn by a CI run, only +0.033 (.45 to .48,
    after .58 at step 30): the test failed (capability_reasoning_trl_seeds_1_10.json has seeds 1-10 at that rate)."""
    out = _run(capsys, ["reasoning", "--quick", "--engine", "trl", "--seed", str(learning_seed), "--device", "cpu"])
    msg = f"seed {learning_seed} (replay with RL_ATLAS_TEST_SEED={learning_seed})"
    assert out["after"] >= out["before"] + 0.05, (msg, out)


def test_search_rollout_stops_on_the_string_and_masks_the_passages():
    """A scripted policy searches, then answers: the search segment ends on "</search>" (split over BPE tokens),
    the retrieved passages enter as ENV tokens, and the right answer earns 1."""
    from dataclasses import dataclass

    from reference_impl.core import ENV, POLICY
    from reference_impl.engines.trl_engine import search_rollout
    from reference_impl.envs.search import SearchEnv
    from reference_impl.hf import PolicyFlags, build_tokenizer
    from tests.hf.test_hf_policy import Scripted

    @dataclass
    class Cfg(PolicyFlags):
        quick: bool = True

    tok, env = build_tokenizer(Cfg(policy="hf"), None), SearchEnv()
    q = next(k for k, item in enumerate(env.questions) if "founded" in item["question"])
    town = env.questions[q]["question"].split("town of ")[1].split(" founded")[0]
    search = tok.encode(f"Let me look. <search>{town} founded</search> and more")
    answer = tok.encode(f"<answer>{env.questions[q]['answer']}</answer>") + [tok.eos_id]
    bufs, rewards = search_rollout(Scripted([search, answer], tok.vocab_size), tok, env, [q], 60, "cpu")
    roles = bufs[0].roles
    assert rewards == [1.0] and roles[-1] == POLICY and ENV in roles
    first_env = roles.index(ENV)
    assert tok.decode(bufs[0].ids[:first_env]).endswith("</search>")  # stopped on the string, " and more" unsent
    passages = tok.decode([t for t, r in zip(bufs[0].ids, roles) if r == ENV])
    assert passages.startswith("<information>") and env.questions[q]["answer"] in passages
