"""Reasoning capability: the arithmetic environment and the GRPO (RLVR) script."""

import json

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers the environments)
from reference_impl.envs.reasoning import ArithmeticEnv, parse_response, score_response
from tests.capabilities._learning import learning_seed


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


def _run(capsys, argv):
    import torch

    from reference_impl.capabilities import reasoning

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    assert reasoning.main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])



TINY = ["--quick", "--warmup-steps", "5", "--rl-steps", "2", "--eval-samples", "1", "--device", "cpu"]


@pytest.mark.parametrize("seed", [1, 2])
def test_split_is_disjoint_and_covers_the_question_space(seed):
    from reference_impl.capabilities import reasoning

    cfg = reasoning.parse_config(["--quick", "--seed", str(seed)])
    train, held = reasoning.split_questions(cfg)
    train_set, held_set = {tuple(q) for q in train}, {tuple(q) for q in held}
    assert not train_set & held_set and len(train_set) == len(train) and len(held_set) == len(held)
    assert len(train_set | held_set) == (cfg.max_operand + 1) ** cfg.n_operands and len(held) >= cfg.eval_questions // 4


@pytest.mark.parametrize("flags", [["--loss", "dr_grpo"], ["--loss", "dapo"], ["--loss", "gspo"], ["--advantage", "rloo"]])
def test_loss_flag_smoke(capsys, flags):
    out = _run(capsys, TINY + ["--no-baselines"] + flags)
    assert out["loss"] == (flags[1] if flags[0] == "--loss" else "grpo") and out["steps"] == 2
    assert {"capability", "metric", "baseline", "before", "after", "steps", "seconds", "clip_fraction"} <= out.keys()


def test_every_baseline_is_reported(capsys):
    out = _run(capsys, TINY)
    assert {"sft", "rft", "no-update"} <= out["baselines"].keys() and out["baseline"] == out["baselines"]["sft"]
    assert set(out["curves"]) == {"sft", "rft"} and all(len(c) == 2 for c in out["curves"].values())


def test_ppo_epochs_make_the_clip_act(capsys):
    """With one optimiser step per batch the ratio is 1 and nothing is clipped; with 4 epochs x 2 minibatches
    at a large learning rate the policy moves between steps and some tokens hit the clip."""
    one = _run(capsys, TINY + ["--no-baselines", "--ppo-epochs", "1", "--minibatches", "1"])
    many = _run(capsys, TINY + ["--no-baselines", "--ppo-epochs", "4", "--minibatches", "2", "--lr", "0.03"])
    assert one["clip_fraction"] == 0.0 and one["updates_per_batch"] == 1
    assert many["clip_fraction"] > 0.0 and many["updates_per_batch"] == 8


def test_dapo_refills_the_batch(monkeypatch):
    """Dynamic sampling: groups whose rewards are all equal are dropped and sampling goes on until the batch
    holds prompts_per_step informative groups. Here every other group is uninformative, so two rounds fill it."""
    import torch

    from reference_impl.capabilities import reasoning

    cfg = reasoning.parse_config(["--quick", "--loss", "dapo", "--prompts-per-step", "4", "--group-size", "4"])
    G = cfg.group_size

    def fake_score(env, questions, texts, n_per):  # groups 0, 2: rewards 0 and 1.1; groups 1, 3: all 0
        r = torch.tensor([[0.0, 1.1, 0.0, 1.1] if g % 2 == 0 else [0.0] * G for g in range(len(texts) // G)]).flatten()
        return r, (r > 1).float(), torch.ones_like(r)

    monkeypatch.setattr(reasoning, "score", fake_score)
    tok = reasoning.CharTokenizer(reasoning.CHARSET)
    model = reasoning.TinyTransformer(reasoning.PolicyConfig(tok.vocab_size, n_layer=1, n_embd=32, block_size=64))
    env = reasoning.ArithmeticEnv(max_operand=cfg.max_operand, max_response_len=cfg.max_new_tokens)
    train, _ = reasoning.split_questions(cfg)
    bufs, rewards, lengths, stats = reasoning.rl_batch(model, tok, env, cfg, train, torch.Generator().manual_seed(0), "cpu")
    assert len(bufs) == len(rewards) == cfg.prompts_per_step * G and stats["sampling_rounds"] == 2
    assert (rewards.view(-1, G).max(1).values > rewards.view(-1, G).min(1).values).all()  # only informative groups


@pytest.mark.slow
def test_grpo_learns_beyond_the_teacher(capsys):
    """GRPO against the warm-up policy and against more supervised training on the teacher (the same warm-up
    checkpoint, updates and sequences), all measured in the same run on held-out questions.
    Every arm's learning rate decays linearly to 0 (the script's default since December 2026). 32 seeds on a 2-core
    Intel Xeon VM (101..110, 9101..9120, 486995, 70132; benchmarks/results/intel_xeon/reasoning_linear_lr/
    capability_reasoning_seeds.json): worst after - before = +0.142 (seed 9119), worst after - sft = +0.242 (seed
    70132). The margins below are about half of those. At the former constant rate the worst seeds were far weaker
    (486995 gained only +0.033 over its warm-up on the AMD EPYC VM, 70132 +0.092 over sft; reasoning_constant_lr/ and
    capability_reasoning_seeds_486995_70132_9101_9120.json), and the test asserted 0.015 / 0.04. RFT is reported but
    not asserted: it is ahead of GRPO on 28 of those 32 seeds (docs/implementations/reasoning.md)."""
    seed = learning_seed()
    out = _run(capsys, ["--quick", "--seed", str(seed), "--device", "cpu"])
    msg = f"seed {seed} (replay with RL_ATLAS_TEST_SEED={seed}): {out['before']=} {out['baselines']=} {out['after']=}"
    assert out["after"] - out["before"] >= M_BEFORE, msg
    assert out["after"] - out["baseline"] >= M_SFT, msg


M_BEFORE, M_SFT = 0.07, 0.12  # about half the worst of 32 seeds (9119: +0.142; 70132: +0.242), see the docstring
