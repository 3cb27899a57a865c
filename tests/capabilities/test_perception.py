"""Perception: the box-grounding environment, and GRPO with an IoU reward."""

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers RLAtlas/*)
from reference_impl.envs.perception import PerceptionEnv, box_iou, draw_shape, parse_box


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
