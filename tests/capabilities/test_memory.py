"""Memory capability: the chunked-stream environment and the bounded-memory RL script."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401
from reference_impl.envs.memory import ChunkedMemoryEnv


@pytest.mark.parametrize("mode", ["memory", "truncate"])
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
        assert obs == f"{env.query}|{env.memory}|{env.chunks[t]}"
        chunk = env.chunks[t]
        new = env.memory if env.query not in chunk[0::2] else chunk[chunk.index(env.query) + 1] + "_"
        obs, reward, terminated, _, _ = env.step(new)
        assert reward == 0.0 and not terminated
    assert obs.endswith("|?")
    _, reward, terminated, _, info = env.step(env.memory[0])
    assert terminated and reward == 1.0 and info["correct"]


def test_truncated_view_is_the_stream_tail():
    env = ChunkedMemoryEnv(n_chunks=4, mode="truncate")
    obs, _ = env.reset(seed=3)
    tail = "".join(env.chunks)[-(env.memory_size + env.chunk_len):]
    assert obs == f"{env.query}|{tail}|?"
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


def test_script_smoke(capsys):
    """A tiny budget: the script runs both policies end to end and prints the required keys.
    (No learning assertion yet: at the --quick budget RL does not beat the warm-up reliably; see the report.)"""
    import json

    from reference_impl.capabilities import memory

    assert memory.main(["--quick", "--warmup-steps", "5", "--rl-steps", "2", "--eval-episodes", "8"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"capability", "metric", "baseline", "before", "after", "steps", "seconds"} <= out.keys()
    assert out["capability"] == "memory" and out["steps"] == 2


def test_keep_shorthand():
    env = ChunkedMemoryEnv(memory_size=1)
    env.reset(seed=0)
    env.step("7")
    env.step("=")
    assert env.memory == "7"
