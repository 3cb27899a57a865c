"""Tool-use capability: the calculator environment and the tool-integrated RL script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401
from reference_impl.envs.tool_use import CalculatorToolEnv, calculate, tool_result


def test_check_env():
    check_env(gym.make("RLAtlas/ToolUse-v0").unwrapped)


def test_calculator_by_hand():
    assert calculate("23*17") == 391 and calculate("2+3*4") == 14 and calculate("10-2*3") == 4
    assert calculate("") is None and calculate("2**3") is None and calculate("+5") is None and calculate("3-") is None
    assert tool_result("[6*7]") == "{42}" and tool_result("[6*7]", tools_enabled=False) == "{?}"


def test_episode_with_a_call():
    env = CalculatorToolEnv()
    obs, _ = env.reset(seed=0, options={"operands": [23, 17]})
    assert obs == "23*17?"
    obs, reward, terminated, _, info = env.step("[23*17]")
    assert obs == "23*17?[23*17]{391}" and reward == 0.0 and not terminated and info["tool_call"]
    obs, reward, terminated, _, info = env.step("=391")
    assert obs == "23*17?[23*17]{391}=391" and reward == 1.0 and terminated and info["correct"]


def test_disabled_tool_returns_no_information():
    env = CalculatorToolEnv(tools_enabled=False)
    env.reset(seed=0, options={"operands": [23, 17]})
    obs, reward, terminated, _, _ = env.step("[23*17]")
    assert obs.endswith("{?}") and reward == 0.0 and not terminated


@pytest.mark.parametrize("action", ["[2**]", "[]", "]", "[[1]"])
def test_malformed_call_is_penalised(action):
    env = CalculatorToolEnv()
    env.reset(seed=1)
    obs, reward, terminated, _, info = env.step(action)
    assert reward == -env.bad_action_penalty and obs.endswith("{?}") and info["verdict"] == "malformed call"


@pytest.mark.parametrize("action", ["", "391", "=", "==3", "{4}", "x=3"])
def test_malformed_answer_ends_with_penalty(action):
    env = CalculatorToolEnv()
    env.reset(seed=1)
    obs, reward, terminated, _, info = env.step(action)
    assert terminated and reward == -env.bad_action_penalty and info["verdict"] == "malformed answer"
    assert env.observation_space.contains(obs)


def test_too_many_calls_end_the_episode():
    env = CalculatorToolEnv(max_calls=2)
    env.reset(seed=1)
    for _ in range(2):
        assert not env.step("[1+1]")[2]
    _, reward, terminated, _, info = env.step("[1+1]")
    assert terminated and reward == -env.bad_action_penalty and info["verdict"] == "too many tool calls"
