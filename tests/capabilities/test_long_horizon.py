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


def test_step_advantages_by_hand():
    import torch

    from reference_impl.capabilities.long_horizon import step_advantages, trajectory_advantages

    # one group of two runs. Run 0: wrong key in room 0, then right keys -> reward 1 at turn 3.
    # Run 1: right key at once, then fails. gamma = 0.5.
    rooms = torch.tensor([[0, 0, 1], [0, 1, 1]])
    rewards = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    adv = step_advantages(rooms, rewards, group_size=2, gamma=0.5)
    # returns: run 0 = [0.25, 0.5, 1.0], run 1 = [0, 0, 0]
    # room 0 group: [0.25, 0.5, 0] -> mean 0.25, std (unbiased) 0.25 -> [0, 1, -1]
    # room 1 group: [1.0, 0, 0]   -> mean 1/3, std 0.57735 -> [1.1547, -0.57735, -0.57735]
    expected = torch.tensor([[0.0, 1.0, 1.1547], [-1.0, -0.57735, -0.57735]])
    assert torch.allclose(adv, expected, atol=1e-4)
    assert torch.allclose(trajectory_advantages(torch.tensor([1.0, 0.0]), 2), torch.tensor([0.7071, -0.7071]), atol=1e-4)


def test_turn_level_credit_learns_faster_than_outcome_only():
    """Same warm-up, rollouts and updates; after 40 updates the step-level learner (GiGPO style)
    must succeed clearly more often than the initial policy (+0.3) and than the trajectory-level
    learner (+0.1)."""
    import contextlib
    import io
    import json

    from reference_impl.capabilities.long_horizon import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--quick", "--seed", "3", "--device", "cpu"]) == 0
    out = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert out["capability"] == "long-horizon" and out["metric"] == "success_rate"
    assert out["after"] >= out["before"] + 0.3, out
    assert out["after"] >= out["baseline"] + 0.1, out
