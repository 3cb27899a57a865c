"""Reasoning capability: the arithmetic environment and the GRPO (RLVR) script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers the environments)
from reference_impl.envs.reasoning import ArithmeticEnv, parse_response, score_response


def test_check_env():
    check_env(gym.make("RLAtlas/Reasoning-v0").unwrapped)


def test_rewards_by_hand():
    assert parse_response("=12") == 12 and parse_response("7+5=12") == 12
    assert parse_response("12") is None and parse_response("=") is None and parse_response("=1=2") is None
    assert score_response("=12", 12) == (1.1, True, True)
    assert score_response("=13", 12) == (0.1, True, False)
    assert score_response("1+=", 12) == (0.0, False, False)


@pytest.mark.parametrize("action", ["", "++++", "=", "9" * 40, "=12=", "abc"])
def test_bad_actions_are_penalised_not_raised(action):
    env = ArithmeticEnv()
    env.reset(seed=0, options={"operands": [7, 5]})
    obs, reward, terminated, truncated, info = env.step(action)
    assert terminated and reward == 0.0 and not info["correct"]
    assert info["verdict"] in {"malformed", "too long"}
    assert env.observation_space.contains(obs)


def test_correct_answer():
    env = ArithmeticEnv()
    obs, _ = env.reset(seed=0, options={"operands": [7, 5]})
    assert obs == "7+5="
    _, reward, terminated, _, info = env.step("7+5=12")
    assert terminated and info["correct"] and reward == pytest.approx(1.1)
