"""Perception: the box-grounding environment, and GRPO with an IoU reward."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers RLAtlas/*)
from tests.capabilities._learning import clip_acts, learning_seed, run_script
from reference_impl.envs.perception import PerceptionEnv, box_iou, draw_shape, parse_box

M_BEFORE, M_ABLATION = 0.07, 0.04  # about half the worst of 31 runs (test_iou_reward_beats_the_warm_up)


def test_check_env():
    check_env(gym.make("RLAtlas/Perception-v0").unwrapped)


def test_iou_by_hand():
    assert box_iou((0, 0, 1, 1), (0, 0, 1, 1)) == 1.0
    assert box_iou((0, 0, 1, 1), (1, 1, 2, 2)) == 1 / 7  # 1 shared pixel out of 4 + 4 - 1
    assert box_iou((0, 0, 3, 3), (5, 5, 6, 6)) == 0.0
    assert box_iou((3, 3, 1, 1), (0, 0, 3, 3)) == 0.0  # inverted box has no area


def test_parse_and_bad_actions():
    assert parse_box("3a7e") == (3, 10, 7, 14)
    env = PerceptionEnv()
    env.reset(seed=0)
    for bad in ["", "12", "xyzw", "1 2 3 4", "12345"]:
        obs, r, term, trunc, info = env.step(bad)
        assert r == env.invalid_penalty and term and not info["valid"]


def test_true_box_scores_one_and_shapes_fit_their_box():
    env = PerceptionEnv(n_shapes=3)
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        x0, y0, x1, y1 = info["box"]
        img = obs["image"]
        assert img[y0:y1 + 1, x0:x1 + 1].sum() > 0
        _, r, *_ = env.step("".join("0123456789abcdef"[v] for v in info["box"]))
        assert r == 1.0
    canvas = np.zeros((8, 8), np.float32)
    assert draw_shape(canvas, "square", 2, 3, 3) == (2, 3, 4, 5) and canvas.sum() == 9


def test_sloppy_annotator_is_loose_but_contains_the_box():
    from reference_impl.capabilities.perception import sloppy_box

    rng = np.random.default_rng(0)
    for _ in range(50):
        box = (4, 5, 8, 9)
        x0, y0, x1, y1 = parse_box(sloppy_box(box, 3, rng))
        assert 1 <= x0 <= 4 and 2 <= y0 <= 5 and 8 <= x1 <= 11 and 9 <= y1 <= 12


def test_training_and_held_out_pictures_are_disjoint():
    from reference_impl.capabilities.perception import PerceptionEnv, eval_seeds, parse, picture_key, train_seeds

    cfg = parse(["--quick", "--seed", "23", "--eval-images", "64"])
    env = PerceptionEnv(n_shapes=cfg.n_shapes)

    def keys(seeds):
        return {env.reset(seed=s) and picture_key(env) for s in seeds}

    train = keys(train_seeds(env, cfg, np.random.default_rng(0), 2000))
    held = keys(eval_seeds(env, cfg))
    assert len(held) > 20 and len(train) > 200 and not train & held


def test_ppo_epochs_move_the_ratio():
    """Several epochs x minibatches: the ratio leaves 1 and the clip acts (large lr, tiny budget)."""
    from reference_impl.capabilities.perception import main

    out = clip_acts(main, ["--quick", "--warmup-steps", "2", "--iterations", "2", "--eval-images", "8"])
    assert set(out["baselines"]) >= {"sft-annotator", "rft"}


@pytest.mark.slow
def test_iou_reward_beats_the_warm_up():
    """Same warm-up, pictures and number of updates, seed drawn at random: GRPO on the IoU reward must
    beat the warm-up policy and continued supervised training on the annotator (the ablation) on held-out
    pictures. Seed benchmark at learning rate 1e-3 (--quick, 90 updates) on a 2-core Intel Xeon VM: seeds
    101..110 (benchmarks/results/capability_perception_seeds.json) worst after - before +0.149 and after -
    ablation +0.141 (both seed 104); 21 seeds no test uses, 9301..9320 and 682113
    (benchmarks/results/intel_xeon/capability_perception_seeds_9301_9320_682113.json): worst +0.157 and +0.082
    (both 682113). The margins are about half the worst of these 31 runs.
    At the former rate 2e-3 seed 682113 failed a CI run (GRPO level with its warm-up), and the worst of forty
    runs was +0.035; benchmarks/results/perception_lr_2e-3/ and docs/implementations/perception.md.
    NOT asserted: after > RFT (RFT wins on 2 of the 31 runs, by up to 0.041 on 9315)."""
    from reference_impl.capabilities.perception import main

    seed = learning_seed()
    out = run_script(main, ["--quick", "--seed", str(seed), "--device", "cpu"])
    assert out["capability"] == "perception" and out["metric"] == "mean_iou"
    msg = (seed, out["before"], out["baselines"], out["after"])
    assert out["after"] - out["before"] >= M_BEFORE, msg
    assert out["after"] - out["baseline"] >= M_ABLATION, msg
