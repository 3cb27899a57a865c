"""Environments read free text as a chat model writes it: <answer> tags, Qwen-style tool calls, any character."""

import pytest

from reference_impl.envs import text
from reference_impl.envs.reasoning import ArithmeticEnv, parse_response
from reference_impl.envs.self_improvement import UnlabeledArithmeticEnv
from reference_impl.envs.tool_use import CalculatorToolEnv

CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "23 * 17"}}\n</tool_call>'


def test_text_helpers_by_hand():
    assert text.tagged("draft <answer>1</answer> final <answer> 12 </answer>") == "12"
    assert text.tagged("no tag") is None and text.tagged("<answer>open") is None
    assert [text.number(s) for s in ("12", "-3", "1,234", "$5", "12.0", "12.", "twelve", "1 2", None)] == \
        [12, -3, 1234, 5, 12, 12, None, None, None]
    assert text.tool_call(CALL) == ("calculator", {"expression": "23 * 17"})
    assert text.tool_call("<tool_call>{not json}</tool_call>") is None
    assert text.tool_call('<tool_call>{"name": 3}</tool_call>') is None


def test_reasoning_reads_tagged_answers_in_prose():
    assert parse_response("Seven plus five… that is 12 ✓ <answer>12</answer>") == 12
    assert parse_response("=12") == 12 and parse_response("12") is None  # the toy format is unchanged
    env = ArithmeticEnv(max_response_len=200)
    env.reset(options={"operands": [7, 5]})
    _, reward, done, _, info = env.step("Let me think: 7 + 5 = 12.\n<answer>12</answer>")
    assert done and info["correct"] and reward == pytest.approx(1.1)
    _, reward, _, _, info = env.step("¿qué? <answer>13</answer>")
    assert info["well_formed"] and not info["correct"] and reward == pytest.approx(0.1)


def test_self_improvement_votes_on_tagged_answers():
    env = UnlabeledArithmeticEnv()
    env.reset(options={"operands": [2, 2]})
    _, _, _, _, info = env.step("<answer>4</answer>,=4,so <answer>5</answer>,garbage")
    assert info["pseudo_label"] == 4 and info["vote_rewards"] == [1.0, 1.0, 0.0, -0.1]


@pytest.mark.parametrize("enabled, shown", [(True, "391"), (False, "?")])
def test_tool_env_understands_the_chat_tool_format(enabled, shown):
    env = CalculatorToolEnv(max_operand=30, tools_enabled=enabled)
    env.reset(options={"operands": [23, 17]})
    obs, reward, done, _, info = env.step("I will use the tool. " + CALL)
    assert not done and info["tool_call"] and info["tool_result"] == f"<tool_response>{shown}</tool_response>"
    assert reward == 0.0 and obs.endswith(info["tool_result"]) and env.observation_space.contains(obs)
    _, reward, done, _, info = env.step("The product is 391. <answer>391</answer>")
    assert done and info["correct"] and reward == 1.0


def test_tool_env_never_raises_on_odd_text():
    env = CalculatorToolEnv(max_operand=30)
    env.reset(options={"operands": [3, 4]})
    obs, reward, done, _, info = env.step("<tool_call>{\"name\": \"calculator\", \"arguments\": {}}</tool_call> ✗")
    assert not done and info["verdict"] == "malformed call" and reward < 0 and env.observation_space.contains(obs)
    _, reward, done, _, info = env.step("<answer>twelve</answer>")
    assert done and info["verdict"] == "malformed answer" and reward < 0
