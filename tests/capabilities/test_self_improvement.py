"""Self-improvement capability: the label-free environment and the TTRL script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401
from reference_impl.envs.self_improvement import UnlabeledArithmeticEnv, majority_vote, vote_rewards
from tests.capabilities._learning import learning_seed


def test_check_env():
    check_env(gym.make("RLAtlas/SelfImprovement-v0").unwrapped)


def test_majority_vote_by_hand():
    assert majority_vote([3, 4, 4, None]) == 4
    assert majority_vote([5, 3, 3, 5]) == 5  # tie: first seen
    assert majority_vote([None, None]) is None
    assert vote_rewards([3, 4, 4, None], 0.1) == ([0.0, 1.0, 1.0, -0.1], 4)


def test_reward_ignores_the_truth():
    env = UnlabeledArithmeticEnv()
    obs, info = env.reset(seed=0, options={"operands": [7, 5]})
    assert obs == "7+5=" and info == {}
    obs, reward, terminated, _, info = env.step("=13,=13,=12")  # the majority is wrong
    assert terminated and info["pseudo_label"] == 13 and info["vote_rewards"] == [1.0, 1.0, 0.0]
    assert reward == pytest.approx(2 / 3) and "12" not in obs.replace("7+5=", "")
    assert env.grade("=12") and not env.grade("=13")


@pytest.mark.parametrize("action", ["", ",,,", "abc", "=1=2,x"])
def test_malformed_votes(action):
    env = UnlabeledArithmeticEnv()
    env.reset(seed=0)
    obs, reward, terminated, _, info = env.step(action)
    assert terminated and info["pseudo_label"] is None and reward == -env.bad_action_penalty
    assert env.observation_space.contains(obs)


def _run(capsys, argv):
    import json

    import torch

    from reference_impl.capabilities import self_improvement

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    assert self_improvement.main(argv + ["--device", "cpu"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])



@pytest.mark.parametrize("seed", [1, 2])
def test_warmup_and_test_questions_are_disjoint(seed):
    from reference_impl.capabilities import self_improvement

    cfg = self_improvement.parse_config(["--quick", "--seed", str(seed)])
    train, test = self_improvement.split_questions(cfg)
    assert not {tuple(q) for q in train} & {tuple(q) for q in test}
    assert len(train) + len(test) == (cfg.max_operand + 1) ** 2 and len(test) == round(cfg.test_fraction * len(train + test))


def test_arm_rewards():
    """majority: agreement with the vote; true-labels: the truth; random-label: agreement with a random label."""
    import torch

    from reference_impl.capabilities import self_improvement

    cfg = self_improvement.parse_config(["--quick"])
    env = UnlabeledArithmeticEnv(max_operand=cfg.max_operand, max_votes=3)
    texts, qs, gen = ["=13", "=13", "=12"], [[7, 5]], torch.Generator().manual_seed(0)
    assert self_improvement.arm_rewards("majority", env, qs, texts, 3, cfg, gen).tolist() == [1.0, 1.0, 0.0]
    assert self_improvement.arm_rewards("true-labels", env, qs, texts, 3, cfg, gen).tolist() == [0.0, 0.0, 1.0]
    for _ in range(20):
        r = self_improvement.arm_rewards("random-label", env, qs, texts, 3, cfg, gen).tolist()
        assert r in ([0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0])


def test_script_smoke(capsys):
    """A tiny budget: the script runs every test-time arm end to end and prints the required keys."""
    out = _run(capsys, ["--quick", "--warmup-steps", "5", "--rl-steps", "2", "--eval-every", "1"])
    assert {"capability", "metric", "baseline", "before", "after", "steps", "seconds", "clip_fraction"} <= out.keys()
    assert out["capability"] == "self-improvement" and "maj_at_k_before" in out
    assert {"random-label", "rft-majority", "true-labels", "no-update"} <= out["baselines"].keys()
    assert out["baseline"] == out["baselines"]["random-label"] and all(len(c) == 3 for c in out["curves"].values())


@pytest.mark.slow
def test_majority_vote_reward_raises_true_accuracy(capsys):
    """Test-time RL on the policy's own majority vote against the warm-up policy and against the same run
    with a random label (same warm-up, batches, updates and KL term), measured against the held-out truth
    in the same run. GRPO on the true labels (an upper bound) and RFT on the vote are reported, not
    asserted. 38 seeds with --quick's split of 75 warm-up and 25 test questions (benchmark 101..110, and 28 more
    in benchmarks/results/self_improvement_extra_seeds.json): worst after - before +0.045 and worst
    after - random-label +0.125, both on seed 673675, the next worst +0.115 and +0.153; the margins are about
    half of the worst. With the former split (60 / 40) a fresh-clone run drew that seed, whose warm-up then
    generalised poorly to the 40 unseen sums (accuracy 0.12, maj@8 0.18), and GRPO ended below it."""
    seed = learning_seed()
    out = _run(capsys, ["--quick", "--seed", str(seed)])
    msg = f"seed {seed} (replay with RL_ATLAS_TEST_SEED={seed}): {out['before']=} {out['baselines']=} {out['after']=}"
    assert out["after"] - out["before"] >= M_BEFORE, msg
    assert out["after"] - out["baseline"] >= M_RANDOM, msg


M_BEFORE, M_RANDOM = 0.02, 0.06  # about half the worst of the 38 seeds measured, see the docstring above
