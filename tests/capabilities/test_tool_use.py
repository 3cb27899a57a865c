"""Tool-use capability: the calculator environment and the tool-integrated RL script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401
from reference_impl.envs.tool_use import CalculatorToolEnv, calculate, tool_result
from tests.capabilities._learning import consecutive_runs, mean_lead, run_script


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
    cfg = tool_use.parse_config(["--quick", "--noise-len", "0"])
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
        script = iter(tok.encode("[3*4]") + tok.encode("=12") + [tok.eos_id])
        unmasked, _, _, _ = tool_use.rollout(model, tok, [[3, 4]], 1, cfg, "cpu", tools_enabled=True, env_role=POLICY)
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


    # the ablation's rollout is the same sequence with the result counted as the policy's own tokens
    assert unmasked[0].ids == buf.ids and int(collate(unmasked, tok.pad_id).loss_mask.sum()) == len("[3*4]{12}=12") + 1


def test_verbose_tool_output():
    env = CalculatorToolEnv(noise_len=10)
    env.reset(seed=5, options={"operands": [23, 17]})
    obs, reward, terminated, _, info = env.step("[23*17]")
    noise = info["tool_result"][1:11]
    assert info["tool_result"] == "{" + noise + "=391}" and noise.isdigit() and obs.endswith(info["tool_result"])
    again = CalculatorToolEnv(noise_len=10)
    again.reset(seed=5, options={"operands": [23, 17]})
    assert again.step("[23*17]")[4]["tool_result"] == info["tool_result"]  # seeded: reproducible
    assert env.step("=391")[1] == 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_split_is_disjoint(seed):
    from reference_impl.capabilities import tool_use

    cfg = tool_use.parse_config(["--quick", "--seed", str(seed)])
    train, held = tool_use.split_questions(cfg)
    train_set, held_set = {tuple(q) for q in train}, {tuple(q) for q in held}
    assert not train_set & held_set and len(held_set) >= cfg.eval_questions
    assert len(train_set | held_set) == (cfg.max_operand - cfg.min_operand + 1) ** 2
    warm, rl = tool_use.warmup_and_rl_pairs(cfg, train)  # RL asks only questions the warm-up never showed
    warm_set, rl_set = {tuple(q) for q in warm}, {tuple(q) for q in rl}
    assert warm_set and rl_set and not warm_set & rl_set and warm_set | rl_set == train_set
    assert abs(len(rl_set) - cfg.rl_fraction * len(train_set)) <= 1


def _run(argv):
    """The script's JSON line, through the shared `run_script` (one torch thread, deterministic kernels)."""
    from reference_impl.capabilities import tool_use

    return run_script(tool_use.main, argv + ["--device", "cpu"])


def test_script_smoke_reports_every_arm():
    out = _run(["--quick", "--warmup-steps", "5", "--rl-steps", "2", "--eval-questions", "8", "--eval-every", "1"])
    assert {"unmasked", "no-tool", "rft", "no-update"} <= out["baselines"].keys()
    assert out["baseline"] == out["baselines"]["unmasked"] and set(out["curves"]) == {"unmasked", "no-tool", "rft"}
    assert "clip_fraction" in out and out["split"]["evaluated"] == 8


def test_ppo_epochs_make_the_clip_act():
    out = _run(["--quick", "--warmup-steps", "30", "--rl-steps", "2", "--eval-questions", "4", "--no-baselines",
                "--ppo-epochs", "4", "--minibatches", "2", "--lr", "0.03"])
    assert out["clip_fraction"] > 0 and out["updates_per_batch"] == 8



@pytest.mark.slow
def test_masking_the_tool_output_matters():
    """Masked GRPO with the verbose calculator against the warm-up policy and against the same GRPO run with
    the tool's output left in the loss (same warm-up, batches and updates; both measured with the tool on
    held-out pairs; RL asks pairs the warm-up never showed), on the mean of three fresh seeds (the first drawn at
    random, then the next two). If masking were broken both arms would train on the same tokens and the second
    margin would vanish. Seed benchmark on a 2-core Intel Xeon VM (--quick): seeds 101..110
    (benchmarks/results/intel_xeon/all_4141352/capability_tool-use_seeds.json) worst after - before = 0.310 (seed
    106), worst after - unmasked = 0.100 (seed 101); twenty more (9001..9020,
    benchmarks/results/intel_xeon/capability_tool-use_seeds_9001_9020.json) worst 0.300 (9009) and 0.110 (9011).
    Why three: the lead over the unmasked run is +0.25 +- 0.12 per seed, the widest spread relative to its margin of
    the single-seed tests; over the 10 disjoint triples of those 30 seeds the worst means are +0.44 and +0.19. The
    margins below (about half the worst single seeds) are asserted on the mean, which keeps a large safety factor.
    (With RL on the warm-up's own pairs, on the AMD EPYC VM, the lead over the unmasked arm was as low as 0.020:
    tool_use_rl_on_warmup_pairs/.)"""
    from reference_impl.capabilities.tool_use import main

    outs, replay = consecutive_runs(main, ["--quick"])
    msg = (replay, [{k: o[k] for k in ("seed", "before", "after", "baselines")} for o in outs])
    assert mean_lead(outs, "after", "before") >= M_BEFORE, msg
    assert mean_lead(outs, "after", "baseline") >= M_UNMASKED, msg


M_BEFORE, M_UNMASKED = 0.15, 0.04  # means over three seeds, from the seed benchmark (docstring above)
