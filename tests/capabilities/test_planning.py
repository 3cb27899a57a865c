"""Planning: the grid puzzle environment, and the learning run of both paradigms."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers RLAtlas/*)
from tests.capabilities._learning import clip_acts, consecutive_runs, mean_lead
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


def test_myopic_advantages_by_hand():
    import torch

    from reference_impl.capabilities.planning import myopic_advantages

    shaped = torch.tensor([[0.2, 1.0, 0.0], [-0.2, 0.2, 0.0]])
    move_at = torch.tensor([[26, 28, -1], [26, 28, 30]])  # run 0 ended after two moves
    adv = myopic_advantages(shaped, move_at, group_size=2)
    vals = torch.tensor([0.2, 1.0, -0.2, 0.2, 0.0])  # the five real turns of the group
    z = (vals - vals.mean()) / (vals.std() + 1e-4)
    assert torch.allclose(adv, torch.tensor([[z[0], z[1], 0.0], [z[2], z[3], z[4]]]), atol=1e-5)


def test_value_net_learns_distance_to_goal():
    import torch

    from reference_impl.capabilities.planning import Config
    from reference_impl.capabilities.planning_search import features, train_value

    torch.manual_seed(0)
    grid = np.array([list("....G"), list(".###."), list("....."), list("....."), list(".....")])
    states = [(0, c) for c in range(25) if grid.flat[c] != "#" and grid.flat[c] != "G"]
    vnet = train_value(Config(value_steps=400), states, [(grid, 20)], "cpu")
    with torch.no_grad():
        v = {c: float(vnet(features(grid, c)[None])[0]) for _, c in states}
    assert v[3] > v[2] > v[1] > v[0]  # 1, 2, 3 and 4 moves from the goal (gamma < 1)
    assert v[14] > v[13] > v[20]  # 2, 3 and 8 moves (the wall row forces the long way round)


def test_training_and_held_out_layouts_are_disjoint():
    from reference_impl.capabilities.planning import layout_key, parse, split

    cfg = parse(["--quick", "--seed", "29"])
    train, held = split(cfg)
    layouts = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns).layouts
    train_keys = {layout_key(*layouts[i]) for i in train}
    held_keys = {layout_key(*layouts[i]) for i in held}
    assert len(held) >= 20 and len(train) >= 60 and not train_keys & held_keys
    assert sorted(train + held) == list(range(cfg.n_layouts))


def test_ppo_epochs_move_the_ratio():
    """Several epochs x minibatches: the ratio leaves 1 and the clip acts (large lr, tiny budget)."""
    from reference_impl.capabilities.planning import main

    out = clip_acts(main, ["--quick", "--paradigm", "internal", "--warmup-steps", "2", "--iterations", "2",
                           "--eval-per-layout", "1", "--curve-per-layout", "1"])
    assert set(out["baselines"]) == {"per-turn-rl", "rft"}


@pytest.mark.slow
def test_trajectory_rl_gains_on_held_out_layouts_that_need_a_detour():
    """Held-out layouts only, three fresh seeds (the first drawn at random, then the next two): trajectory-level
    GRPO (with its KL term to the warm-up) beats, in the same runs, its warm-up (over all held-out layouts and on the
    hard ones, those the myopic walker fails) and the per-turn ablation, on the mean of the three; the ablation may
    win on at most one of them.

    Why three. One seed's lead over the ablation has a mean of +0.089 and a spread of 0.041 over 43 seeds, so single
    seeds fall below zero now and then: a CI run drew 326083, where the ablation ended at .560 against .547. Seed
    benchmark (--quick: 80 updates at a linearly decaying learning rate, 32 evaluation episodes per layout from a
    generator of their own) on a 2-core Intel Xeon VM, 43 seeds: 101..110
    (benchmarks/results/capability_planning_seeds.json), 4001..4010, 503176, 576579 and 150659
    (intel_xeon/capability_planning_seeds_4001_4010_503176_576579_150659.json) and 326083 with 19 drawn at random
    (intel_xeon/capability_planning_seeds_326083_random.json). Per seed, the worst leads are +0.038 over the warm-up
    (108), -0.013 over the ablation (326083, the only one at or below zero) and +0.089 on hard layouts (576579). Over
    the 14 disjoint triples of those 43 seeds (in file order) the worst means are +0.070, +0.037 and +0.129, and no
    triple has more than one ablation win; each margin below is about half of those worst means. With the constant rate
    the worst single lead over the ablation was +0.010 and seed 150659 lost to it (docs/implementations/planning.md;
    benchmarks/results/planning_constant_lr/)."""
    from reference_impl.capabilities.planning import main

    outs, replay = consecutive_runs(main, ["--quick"])
    for out in outs:
        assert out["capability"] == "planning" and out["metric"] == "success_rate"
    msg = (replay, [(o["seed"], o["before"], o["after"], o["baseline"], o["before_hard"], o["after_hard"])
                    for o in outs])
    assert mean_lead(outs, "after", "before") >= M_BEFORE, msg
    assert mean_lead(outs, "after", "baseline") >= M_ABLATION, msg
    assert mean_lead(outs, "after_hard", "before_hard") >= M_HARD, msg
    assert sum(o["after"] <= o["baseline"] for o in outs) <= 1, msg


M_BEFORE, M_ABLATION, M_HARD = 0.035, 0.018, 0.06  # means over three seeds, from the seed benchmark (docstring above)


def test_unknown_lr_schedule_is_refused():
    from reference_impl.capabilities.planning import main

    with pytest.raises(SystemExit, match="lr-schedule"):
        main(["--quick", "--lr-schedule", "cosine"])
