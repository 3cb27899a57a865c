"""Self-improvement capability: the label-free environment and the TTRL script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401
from reference_impl.envs.self_improvement import UnlabeledArithmeticEnv, majority_vote, vote_rewards


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

    from reference_impl.capabilities import self_improvement

    assert self_improvement.main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_script_smoke(capsys):
    """A tiny budget: the script runs both test-time runs end to end and prints the required keys."""
    out = _run(capsys, ["--quick", "--warmup-steps", "5", "--rl-steps", "2", "--test-questions", "8"])
    assert {"capability", "metric", "baseline", "before", "after", "steps", "seconds"} <= out.keys()
    assert out["capability"] == "self-improvement" and "maj_at_k_before" in out


@pytest.mark.slow
def test_majority_vote_reward_raises_true_accuracy(capsys):
    """Margin: after test-time RL on its own majority vote, sampled accuracy against the held-out truth
    must be at least 0.15 above the warm-up policy and above the random-reward control (same budget,
    same run). The truth is only read by `grade`, for this measurement."""
    out = _run(capsys, ["--quick", "--seed", "1"])
    assert out["after"] >= out["before"] + 0.15, out
    assert out["after"] >= out["baseline"] + 0.15, out
