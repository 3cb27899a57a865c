"""Box grounding on generated pictures, scored by a verifiable reward (intersection over union).

Each episode draws a `size x size` grey-scale canvas with one shape of each of `n_shapes` kinds
(a filled square, a disc, a plus-shaped cross), placed without overlap, plus optional pixel noise.
The query names one kind; the agent answers with the box around that shape as four hexadecimal
digits `x0 y0 x1 y1` (inclusive pixel coordinates, no spaces), e.g. `3a7e` for x 3..7, y 10..14.
The reward is the IoU between the answered box and the true one, so it can be checked exactly
without a learned judge. An answer that is not four hex digits costs `invalid_penalty`.
The episode is one step long.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

KINDS = ("square", "disc", "cross")
HEX = "0123456789abcdef"


def draw_shape(canvas: np.ndarray, kind: str, x0: int, y0: int, s: int) -> tuple[int, int, int, int]:
    """Draw a shape of side `s` with its top-left corner at (x0, y0); return its tight box."""
    yy, xx = np.mgrid[0:s, 0:s]
    if kind == "square":
        mask = np.ones((s, s), bool)
    elif kind == "disc":
        c = (s - 1) / 2
        mask = (yy - c) ** 2 + (xx - c) ** 2 <= (s / 2) ** 2
    else:  # cross: a horizontal and a vertical bar through the middle
        mid, half = s // 2, max(0, (s - 1) // 6)
        mask = (np.abs(yy - mid) <= half) | (np.abs(xx - mid) <= half)
    canvas[y0:y0 + s, x0:x0 + s][mask] = 1.0
    ys, xs = np.nonzero(mask)
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()), y0 + int(ys.max())


def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """IoU of two inclusive integer boxes (x0, y0, x1, y1); an inverted box has zero area."""
    def area(x0, y0, x1, y1):
        return max(0, x1 - x0 + 1) * max(0, y1 - y0 + 1)
    inter = area(max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    union = area(*a) + area(*b) - inter
    return inter / union if union > 0 else 0.0


def parse_box(text: str) -> tuple[int, int, int, int] | None:
    text = str(text).strip().lower()
    if len(text) != 4 or any(ch not in HEX for ch in text):
        return None
    return tuple(HEX.index(ch) for ch in text)  # type: ignore[return-value]


def sample_scene(rng: np.random.Generator, size: int, n_shapes: int, min_side: int, max_side: int, noise: float):
    """Place one shape of each of the first `n_shapes` kinds without overlap; return
    (image, boxes by kind)."""
    while True:
        canvas, boxes, taken = np.zeros((size, size), np.float32), {}, np.zeros((size, size), bool)
        ok = True
        for kind in KINDS[:n_shapes]:
            s = int(rng.integers(min_side, max_side + 1))
            x0, y0 = (int(v) for v in rng.integers(0, size - s + 1, size=2))
            if taken[max(0, y0 - 1):y0 + s + 1, max(0, x0 - 1):x0 + s + 1].any():
                ok = False
                break
            taken[y0:y0 + s, x0:x0 + s] = True
            boxes[kind] = draw_shape(canvas, kind, x0, y0, s)
        if ok:
            break
    if noise > 0:
        canvas = np.clip(canvas + noise * rng.standard_normal(canvas.shape).astype(np.float32), 0.0, 1.0)
    return canvas.astype(np.float32), boxes


class PerceptionEnv(gym.Env):
    """One-step box grounding with an IoU reward; see the module docstring."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, size: int = 16, n_shapes: int = 2, min_side: int = 3, max_side: int = 7,
                 noise: float = 0.0, invalid_penalty: float = -0.1, render_mode: str | None = None):
        if size > 16 or not 1 <= n_shapes <= len(KINDS):
            raise ValueError("size must be at most 16 (hex coordinates) and n_shapes in 1..3")
        self.size, self.n_shapes, self.min_side, self.max_side = size, n_shapes, min_side, max_side
        self.noise, self.invalid_penalty, self.render_mode = noise, invalid_penalty, render_mode
        self.observation_space = gym.spaces.Dict({
            "image": gym.spaces.Box(0.0, 1.0, (size, size), np.float32),
            "query": gym.spaces.Text(max_length=8, charset=frozenset("".join(KINDS))),
        })
        self.action_space = gym.spaces.Text(min_length=4, max_length=4, charset=frozenset(HEX))
        self.image, self.boxes, self.query = np.zeros((size, size), np.float32), {}, KINDS[0]

    def _obs(self):
        return {"image": self.image.copy(), "query": self.query}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.image, self.boxes = sample_scene(self.np_random, self.size, self.n_shapes,
                                              self.min_side, self.max_side, self.noise)
        self.query = str(self.np_random.choice(KINDS[:self.n_shapes]))
        return self._obs(), {"box": self.boxes[self.query]}

    def step(self, action):
        box = parse_box(action)
        target = self.boxes[self.query]
        if box is None:
            reward, iou = self.invalid_penalty, 0.0
        else:
            iou = box_iou(box, target)
            reward = iou
        info = {"iou": iou, "box": target, "valid": box is not None}
        return self._obs(), float(reward), True, False, info

    def render(self):
        rows = ["".join("#" if v > 0.5 else "." for v in row) for row in self.image]
        return f"query: {self.query}\n" + "\n".join(rows)
