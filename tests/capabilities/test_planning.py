"""Planning: the grid puzzle environment, and the learning run of both paradigms."""

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers RLAtlas/*)
from reference_impl.envs.planning import PlanningEnv, greedy_succeeds, shortest_path, step_cell


def test_check_env():
    check_env(gym.make("RLAtlas/Planning-v0").unwrapped)


def test_layout_pool_needs_lookahead():
    env = PlanningEnv(n_layouts=8, layout_seed=3)
    greedy = [greedy_succeeds(g, s, env.max_turns) for g, s in env.layouts]
    assert all(shortest_path(g, s) is not None for g, s in env.layouts)
    assert sum(x < 0.5 for x in greedy) >= 4  # half the pool defeats the myopic walker


def test_bad_actions_penalised_not_raised():
    env = PlanningEnv()
    obs, info = env.reset(seed=0, options={"layout": 0})
    for bad in ["X", "", "UU", "go left", "\n"]:
        obs, r, term, trunc, info = env.step(bad)
        assert r == env.invalid_penalty and info["outcome"] == "invalid"
        assert obs.startswith("invalid action") and not term
    assert info["pos"] == env.layouts[0][1]  # did not move


def test_transitions_by_hand():
    grid = np.array([list(".#G"), list("..."), list("T..")])
    assert step_cell(grid, 0, "R") == (0, "bump")  # wall
    assert step_cell(grid, 0, "U") == (0, "bump")  # border
    assert step_cell(grid, 0, "D") == (3, "move")
    assert step_cell(grid, 3, "D") == (6, "trap")
    assert step_cell(grid, 5, "U") == (2, "goal")
    assert shortest_path(grid, 0) == 4  # D R R U


def test_episode_ends_on_goal_with_reward():
    env = PlanningEnv()
    env.reset(seed=0, options={"layout": 0})
    grid, pos = env.grid, env.pos
    # walk a BFS-optimal route found by trying moves that shorten the remaining path
    total, done = 0.0, False
    for _ in range(env.max_turns):
        for a in "UDLR":
            q, out = step_cell(grid, pos, a)
            if out == "goal" or (out == "move" and (shortest_path(grid, q) or 99) < shortest_path(grid, pos)):
                break
        _, r, term, trunc, info = env.step(a)
        pos, total, done = info["pos"], total + r, term or trunc
        if done:
            break
    assert term and total == 1.0 and info["outcome"] == "goal"
