"""Memory capability: the chunked-stream environment and the bounded-memory RL script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401
from reference_impl.envs.memory import ChunkedMemoryEnv
from tests.capabilities._learning import clip_acts, learning_seed, run_script


@pytest.mark.parametrize("mode", ["memory", "truncate", "full"])
def test_check_env(mode):
    check_env(gym.make("RLAtlas/Memory-v0", mode=mode).unwrapped)


def _fact(env):
    stream = "".join(env.chunks)
    return [stream[i + 1] for i in range(0, len(stream), 2) if stream[i] == env.query]


def test_query_appears_once_and_perfect_memory_wins():
    env = ChunkedMemoryEnv(n_chunks=4)
    obs, info = env.reset(seed=3)
    assert _fact(env) == [env.answer]
    for t in range(env.n_chunks):
        assert obs == f"{env.memory}|{env.chunks[t]}|{env.query}"
        chunk = env.chunks[t]
        new = env.memory if env.query not in chunk[0::2] else chunk[chunk.index(env.query) + 1] + "_"
        obs, reward, terminated, _, _ = env.step(new)
        assert reward == 0.0 and not terminated
    assert obs == f"{env.memory}|?|{env.query}"
    _, reward, terminated, _, info = env.step(env.memory[0])
    assert terminated and reward == 1.0 and info["correct"]


def test_truncated_view_is_the_stream_tail():
    env = ChunkedMemoryEnv(n_chunks=4, mode="truncate")
    obs, _ = env.reset(seed=3)
    tail = "".join(env.chunks)[-(env.memory_size + env.chunk_len):]
    assert obs == f"{tail}|?|{env.query}"
    _, reward, terminated, _, _ = env.step(env.answer)
    assert terminated and reward == 1.0


def test_bad_actions():
    env = ChunkedMemoryEnv(memory_size=2)
    env.reset(seed=0)
    obs, reward, terminated, _, info = env.step("1234567")  # over-long memory: cut and penalised
    assert reward == -env.bad_action_penalty and not terminated and env.memory == "12"
    env.step("")  # empty memory is padded
    assert env.memory == "__"
    while env.turn < env.n_chunks:
        env.step("__")
    _, reward, terminated, _, info = env.step("12")  # answer must be one digit
    assert terminated and reward == -env.bad_action_penalty and info["verdict"] == "malformed answer"


def _run(capsys, argv):
    import json

    from reference_impl.capabilities import memory

    assert memory.main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_script_smoke(capsys):
    """A tiny budget: the script runs both policies end to end and prints the required keys."""
    out = _run(capsys, ["--quick", "--warmup-steps", "5", "--clean-steps", "2", "--rl-steps", "2", "--eval-episodes", "8"])
    assert {"capability", "metric", "baseline", "before", "after", "steps", "seconds"} <= out.keys()
    assert out["capability"] == "memory" and out["steps"] == 2 and 0.0 < out["baseline_ceiling"] < 1.0


def test_teacher_stores_sometimes_and_never_overwrites():
    import torch

    from reference_impl.capabilities import memory
    from reference_impl.core import CharTokenizer

    cfg = memory.parse_config(["--quick"])
    tok, env, gen = CharTokenizer(memory.CHARSET), memory.make_env(cfg, "memory"), torch.Generator().manual_seed(0)
    stored = 0
    for seed in range(200):
        convs = memory.teacher_episode(tok, env, seed, cfg, gen)
        stored += env.memory == env.answer
        assert len(convs) == cfg.n_chunks + 1
    assert 0.35 < stored / 200 < 0.65  # demo_store = 0.5 and no overwrites
    memory.teacher_episode(tok, env, 7, cfg, gen, clean=True)
    assert env.memory == env.answer


def test_training_and_held_out_streams_are_disjoint():
    import torch

    from reference_impl.capabilities import memory

    cfg = memory.parse_config(["--quick", "--seed", "31"])
    env = memory.make_env(cfg, "memory")

    def keys(seeds):
        return {env.reset(seed=s) and memory.stream_key(env) for s in seeds}

    train = keys(memory.train_seeds(env, cfg, torch.Generator().manual_seed(0), 2000))
    held = keys(memory.eval_seeds(cfg, 300))
    assert len(held) == 300 and len(train) == 2000 and not train & held


def test_full_context_view_is_the_whole_stream():
    env = ChunkedMemoryEnv(n_chunks=4, mode="full")
    obs, _ = env.reset(seed=5)
    assert obs == f"{''.join(env.chunks)}|?|{env.query}"
    _, reward, terminated, _, _ = env.step(env.answer)
    assert terminated and reward == 1.0


def test_ppo_epochs_move_the_ratio():
    """Several epochs x minibatches: the ratio leaves 1 and the clip acts (large lr, tiny budget)."""
    from reference_impl.capabilities import memory

    out = clip_acts(memory.main, ["--quick", "--warmup-steps", "3", "--clean-steps", "2", "--rl-steps", "2",
                                  "--eval-episodes", "8"])
    assert set(out["baselines"]) == {"truncated", "full-context", "rft"}


@pytest.mark.slow
def test_memory_agent_learns_to_keep_the_fact():
    """After GRPO on the final answer only, the memory agent must beat its warm-up and the truncated-context
    ablation (same warm-up length and RL budget, same run) on held-out streams, seed drawn at random.
    Seed benchmark (seeds 101..110, --quick, warm-up lr 1e-3, RL lr 5e-4): worst after - before 0.37 (seed 104),
    worst after - truncated 0.77 (seed 106); two more seeds that failed CI runs with the former learning rates gave
    +0.32 / +0.75 (742759) and +0.49 / +0.84 (150546), so the margins are 0.15 and 0.35 (about half the worst of
    the twelve); twenty seeds no test uses (9401..9420, capability_memory_seeds_9401_9420.json) gave worst
    +0.31 (9401) and +0.76 (9402). They hold when the warm-up has learned the key lookup, which it did on every
    seed measured at the warm-up lr 1e-3, but that is not proved for every seed, so on a seed whose warm-up ends
    near chance (before < 0.25) only the signs are asserted, which is the acceptance (after above both). RFT and the
    full-context reader are reported, not asserted (RFT ties GRPO; docs/implementations/memory.md)."""
    from reference_impl.capabilities import memory

    seed = learning_seed()
    out = run_script(memory.main, ["--quick", "--seed", str(seed), "--device", "cpu"])
    msg = f"seed {seed} (replay with RL_ATLAS_TEST_SEED={seed}): {out['before']=} {out['baselines']=} {out['after']=}"
    lookup_learned = out["before"] >= 0.25
    assert out["after"] - out["before"] >= (M_BEFORE if lookup_learned else 1e-9), msg
    assert out["after"] - out["baseline"] >= (M_TRUNCATED if lookup_learned else 1e-9), msg


M_BEFORE, M_TRUNCATED = 0.15, 0.35  # about half the worst of the twelve seeds in the docstring above


def test_keep_shorthand():
    env = ChunkedMemoryEnv(memory_size=1)
    env.reset(seed=0)
    env.step("7")
    env.step("=")
    assert env.memory == "7"
