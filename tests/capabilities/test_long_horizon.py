"""Long-horizon: the locked-rooms environment, and turn-level vs trajectory-level credit."""

import gymnasium as gym
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers RLAtlas/*)
from reference_impl.envs.long_horizon import LongHorizonEnv


def test_check_env():
    check_env(gym.make("RLAtlas/LongHorizon-v0").unwrapped)


def test_bad_actions_penalised_not_raised():
    env = LongHorizonEnv()
    env.reset(seed=0)
    for bad in ["z", "", "ab", "open the door"]:
        obs, r, term, trunc, info = env.step(bad)
        assert obs == "!0" and r == env.invalid_penalty and not term


def test_solution_opens_every_door_once():
    env = LongHorizonEnv(n_rooms=5, max_turns=9, task_seed=4)
    obs, _ = env.reset(seed=1)
    assert obs == "s0"
    wrong = next(k for k in env.keys if k != env.solution[0])
    obs, r, term, trunc, _ = env.step(wrong)
    assert (obs, r, term) == ("-0", 0.0, False)
    total = 0.0
    for i, key in enumerate(env.solution):
        obs, r, term, trunc, _ = env.step(key)
        total += r
    assert obs == "+*" and term and total == 1.0  # sparse: one reward at the end


def test_out_of_turns_pays_nothing():
    env = LongHorizonEnv(n_rooms=3, max_turns=4, task_seed=0)
    env.reset(seed=0)
    wrong = next(k for k in env.keys if k != env.solution[0])
    rewards = [env.step(wrong)[1] for _ in range(4)]
    assert rewards == [0.0] * 4 and env.turn == 4
