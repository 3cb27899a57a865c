"""Long-horizon: the locked-rooms environment, and turn-level vs trajectory-level credit."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers RLAtlas/*)
from reference_impl.envs.long_horizon import LongHorizonEnv
from tests.capabilities._learning import clip_acts, consecutive_runs, mean_lead


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


def test_door_reward_pays_every_door():
    env = LongHorizonEnv(n_rooms=3, max_turns=9, task_seed=4, door_reward=0.25)
    env.reset(seed=0)
    wrong = next(k for k in env.keys if k != env.solution[0])
    assert env.step(wrong)[1] == 0.0
    rewards = [env.step(key)[1] for key in env.solution]
    assert rewards == [0.25, 0.25, 1.25]


def test_anchor_states_room_or_room_and_turn():
    import torch

    from reference_impl.capabilities.long_horizon import anchor_states

    rooms = torch.tensor([[0, 0, 1], [0, 1, -1]])
    assert torch.equal(anchor_states(rooms, "room"), rooms)
    # room-turn: room * T + turn, so room 0 at turns 0 and 1 are two anchors; -1 (ended) stays -1
    assert torch.equal(anchor_states(rooms, "room-turn"), torch.tensor([[0, 1, 5], [0, 4, -1]]))
    with pytest.raises(ValueError):
        anchor_states(rooms, "turn")


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


def test_combination_numbers_spell_the_keys():
    from reference_impl.envs.long_horizon import combination

    env = LongHorizonEnv(n_rooms=3, n_keys=4)
    env.reset(options={"combination": 1 + 2 * 4 + 3 * 16})
    assert env.solution == "bcd" == combination(57, 3, 4)
    with pytest.raises(ValueError):
        combination(64, 3, 4)


def test_training_and_held_out_combinations_are_disjoint():
    import numpy as np

    from reference_impl.capabilities.long_horizon import parse, sample_combinations

    cfg = parse(["--quick", "--seed", "17"])
    rng = np.random.default_rng(0)
    train = set(sample_combinations(cfg, 3000, False, rng))
    held = set(sample_combinations(cfg, 1000, True, rng))
    assert train and held and not train & held
    assert len(held) > 100  # many distinct held-out combinations, not one


def test_advantage_scale_is_matched():
    import torch

    from reference_impl.capabilities.pg_step import unit_variance

    adv = torch.tensor([[3.0, -1.0, 0.0], [1.0, 2.0, 9.0]])
    valid = torch.tensor([[True, True, False], [True, True, False]])
    out = unit_variance(adv, valid)
    assert torch.isclose(out[valid].std(), torch.tensor(1.0), atol=1e-5)


def test_ppo_epochs_move_the_ratio():
    """With several epochs and minibatches the ratio leaves 1 and the clip acts (a large lr, a tiny budget)."""
    from reference_impl.capabilities.long_horizon import main

    out = clip_acts(main, ["--quick", "--iterations", "2", "--warmup-steps", "2", "--eval-episodes", "8",
                           "--curve-episodes", "8"])
    assert set(out["baselines"]) == {"trajectory-grpo", "rft"}


@pytest.mark.slow
def test_turn_level_credit_learns_on_held_out_combinations():
    """Same warm-up, rollouts, rewards (0.1 per door, +1 at the exit), updates, learning-rate schedule (linear
    decay), advantage scale and KL term: the GiGPO-style learner must beat its warm-up and the trajectory-level
    ablation on held-out key combinations, on three fresh seeds (the first drawn at random, then the next two).

    Why three. On about one seed in forty the step-level learner collapses: the final hidden state of the first
    turn shrinks towards zero over a few updates, LayerNorm then flips its direction, and the policy emits
    non-key tokens for ten or more iterations; the decaying rate leaves too little to recover. 78 seeds on a
    2-core Intel Xeon VM (101..110, benchmarks/results/capability_long-horizon_seeds.json; 301..320, 201..210, 105,
    intel_xeon/long_horizon_seeds_301_320_201_210_105.json; 587558, 203, 320 and 37 drawn at random,
    intel_xeon/long_horizon_collapse/) hold per seed except two: 587558 (drawn by a CI run; +0.031 over its
    warm-up, -0.010 against the ablation) and 911511 (+0.011 / +0.021). Over the 26 disjoint triples of those 78
    seeds, the worst means are +0.214 over the warm-up and +0.111 over the ablation, so the test asserts +0.08 and
    +0.04 on the mean of three, and that the ablation wins on at most one of them. A lower rate (5e-4) or twice the
    iterations did not remove the collapse's cost: the ablation then won on 8 and 5 of 40 seeds (docs page)."""
    from reference_impl.capabilities.long_horizon import main

    outs, replay = consecutive_runs(main, ["--quick"])
    for out in outs:
        assert out["capability"] == "long-horizon" and out["metric"] == "success_rate"
        assert out["config"]["door_reward"] == 0.1 and out["config"]["lr_schedule"] == "linear"
        assert out["baselines"]["trajectory-grpo"] == out["baseline"]
    msg = (replay, [(o["seed"], o["before"], o["baseline"], o["after"]) for o in outs])
    assert mean_lead(outs, "after", "before") >= 0.08, msg
    assert mean_lead(outs, "after", "baseline") >= 0.04, msg
    assert sum(o["after"] <= o["baseline"] for o in outs) <= 1, msg
