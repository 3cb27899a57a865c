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


def test_sloppy_annotator_is_loose_but_contains_the_box():
    from reference_impl.capabilities.perception import sloppy_box

    rng = np.random.default_rng(0)
    for _ in range(50):
        box = (4, 5, 8, 9)
        x0, y0, x1, y1 = parse_box(sloppy_box(box, 3, rng))
        assert 1 <= x0 <= 4 and 2 <= y0 <= 5 and 8 <= x1 <= 11 and 9 <= y1 <= 12


def test_iou_reward_beats_more_imitation():
    """Same warm-up, pictures and number of updates: GRPO on the IoU reward must beat the warm-up
    policy and continued supervised training on the sloppy annotator by 0.1 mean IoU each."""
    import contextlib
    import io
    import json

    from reference_impl.capabilities.perception import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["--quick", "--seed", "1", "--device", "cpu"]) == 0
    out = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert out["capability"] == "perception" and out["metric"] == "mean_iou"
    assert out["after"] >= out["before"] + 0.1, out
    assert out["after"] >= out["baseline"] + 0.1, out
