"""Property-based robustness of every registered RLAtlas environment: noise in, a defined penalty out.

Hypothesis feeds each environment's `step` (after `reset`) random text, random unicode, bytes decoded with
errors="replace", NUL characters and very long strings, for whole episodes. `step` must never raise, its
observation must stay inside `observation_space`, and an action that cannot be valid must earn exactly the
penalty that environment's docstring defines. An action is made surely invalid by a leading NUL: no
environment's action alphabet contains it and `str.strip` keeps it.

Adding an environment to `reference_impl.envs.ENVIRONMENTS` without a row in `PENALTY` fails
`test_every_registered_env_has_a_penalty_rule`, so none escapes the fuzzing.
"""

from __future__ import annotations

import math

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_impl.envs  # noqa: F401  (registers the environments)
from reference_impl.envs import ENVIRONMENTS

POISON = "\x00"
MAX_STEPS = 40  # longer than any environment's episode limit


def _neg(attr):
    return lambda env, action: -getattr(env, attr)


def _memory(env, action):
    """Memory: an answer that is not one digit costs the penalty; a memory write only when it is too long."""
    answering = env.mode == "truncate" or env.turn >= env.n_chunks
    return -env.bad_action_penalty if answering or len(action) > env.memory_size else 0.0


# env id -> expected reward of a surely invalid action, read from the environment's own attributes
PENALTY = {
    "RLAtlas/Reasoning-v0": lambda env, action: 0.0,  # malformed or too long: no reward (format reward is the only shaping)
    "RLAtlas/ToolUse-v0": _neg("bad_action_penalty"),  # malformed call, malformed answer, too many calls
    "RLAtlas/Memory-v0": _memory,
    "RLAtlas/SelfImprovement-v0": _neg("bad_action_penalty"),  # every vote malformed: each abstains at -penalty
    "RLAtlas/Planning-v0": lambda env, action: env.invalid_penalty,
    "RLAtlas/Perception-v0": lambda env, action: env.invalid_penalty,
    "RLAtlas/LongHorizon-v0": lambda env, action: env.invalid_penalty,
    "RLAtlas/Collaboration-v0": _neg("bad_action_penalty"),  # malformed message or malformed answer
    "RLAtlas/Search-v0": lambda env, action: 0.0,  # no answer, or a search past the limit: the episode pays nothing
}

noise = st.one_of(
    st.text(max_size=64),                                                  # random unicode
    st.binary(max_size=64).map(lambda b: b.decode("utf-8", errors="replace")),  # byte noise
    st.text(alphabet=st.sampled_from("0123456789+-*=?[]{}|,_abcdefghUDLR \n\t\x00"), max_size=32),  # near-valid
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1_000, 100_000)),  # huge strings
    st.just(POISON * 8),
)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ENVS: dict[str, gym.Env] = {}


def _env(env_id: str) -> gym.Env:
    if env_id not in _ENVS:
        _ENVS[env_id] = gym.make(env_id).unwrapped
    return _ENVS[env_id]


def _episode(env_id: str, actions: list[str], seed: int, poison: bool) -> None:
    env = _env(env_id)
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs), (env_id, obs)
    for i in range(MAX_STEPS):
        action = actions[i % len(actions)]
        if poison and env_id == "RLAtlas/SelfImprovement-v0":
            action = action.replace(",", "," + POISON)  # every vote carries the poison
        action = POISON + action if poison else action
        expected = PENALTY[env_id](env, action) if poison else None  # before the step changes the state
        obs, reward, terminated, truncated, info = env.step(action)
        assert env.observation_space.contains(obs), (env_id, repr(action)[:80], obs)
        assert isinstance(reward, float) and math.isfinite(reward), (env_id, reward)
        assert isinstance(terminated, bool) and isinstance(truncated, bool) and isinstance(info, dict)
        if poison:
            assert reward == pytest.approx(expected, abs=1e-9), (env_id, repr(action)[:80], reward, expected, info)
        if terminated or truncated:
            return
    pytest.fail(f"{env_id}: no episode end after {MAX_STEPS} invalid actions")


def test_every_registered_env_has_a_penalty_rule():
    assert set(PENALTY) == set(ENVIRONMENTS), set(ENVIRONMENTS) ^ set(PENALTY)


@pytest.mark.parametrize("env_id", sorted(ENVIRONMENTS))
@FUZZ
@given(actions=st.lists(noise, min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_noise_never_raises(env_id, actions, seed):
    """Any text at all: no exception, observations in the space, finite float rewards."""
    _episode(env_id, actions, seed, poison=False)


@pytest.mark.parametrize("env_id", sorted(ENVIRONMENTS))
@FUZZ
@given(actions=st.lists(noise, min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_invalid_actions_get_the_defined_penalty(env_id, actions, seed):
    """A surely invalid action (leading NUL) earns exactly the environment's penalty, every turn, until the
    episode ends (by termination or the turn limit)."""
    _episode(env_id, actions, seed, poison=True)
