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


def test_rollout_masks_tool_result_tokens():
    """The tool's result enters the sequence with role ENV: it is in the input, not in the loss mask."""
    import torch

    from reference_impl.capabilities import tool_use
    from reference_impl.core import ENV, POLICY, CharTokenizer, PolicyConfig, TinyTransformer, collate
    from reference_impl.envs.tool_use import CHARSET

    tok = CharTokenizer(CHARSET)
    torch.manual_seed(0)
    cfg = tool_use.parse_config(["--quick"])
    model = TinyTransformer(PolicyConfig(tok.vocab_size, n_layer=1, n_embd=32, block_size=64))
    # A policy forced to emit "[3*4]" then "=12": bias the output layer through a hand-written sampler.
    script = iter(tok.encode("[3*4]") + tok.encode("=12") + [tok.eos_id])

    def fake_generate(model, ids, mask, n, **kw):
        from reference_impl.core import Rollout
        seg = []
        for t in script:
            seg.append(t)
            if t in kw["stop_ids"]:
                break
        resp = torch.tensor([seg])
        return Rollout(torch.cat([ids, resp], 1), torch.ones(1, ids.shape[1] + len(seg)), torch.ones(1, len(seg)), torch.zeros(1, len(seg)))

    real = tool_use.generate
    tool_use.generate = fake_generate
    try:
        bufs, reward, correct, calls = tool_use.rollout(model, tok, [[3, 4]], 1, cfg, "cpu", tools_enabled=True)
    finally:
        tool_use.generate = real
    buf = bufs[0]
    assert tok.decode(buf.ids, skip_special=True) == "3*4?[3*4]{12}=12"
    env_text = tok.decode([i for i, r in zip(buf.ids, buf.roles) if r == ENV])
    policy_text = tok.decode([i for i, r in zip(buf.ids, buf.roles) if r == POLICY], skip_special=True)
    assert env_text == "{12}" and policy_text == "[3*4]=12"
    assert reward.tolist() == [1.0] and correct.tolist() == [1.0] and calls.tolist() == [1.0]
    batch = collate(bufs, tok.pad_id)
    assert int(batch.loss_mask.sum()) == len("[3*4]=12") + 1  # policy tokens and <eos>; the 4 result tokens excluded


def test_tool_rl_beats_no_tool_rl(capsys):
    """Margin: with the calculator, GRPO must reach at least 0.3 more accuracy than the warm-up policy and
    than the same GRPO budget without a working calculator, and call the tool in most episodes."""
    import json

    from reference_impl.capabilities import tool_use

    assert tool_use.main(["--quick", "--seed", "1"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["after"] >= out["before"] + 0.3, out
    assert out["after"] >= out["baseline"] + 0.3, out
    assert out["tool_call_rate"]["after"] >= 0.8, out
