"""A small grid puzzle in which walking straight at the goal often fails, so an agent has to look ahead.

Each episode draws one layout from a fixed pool generated from `layout_seed`. A layout is a
`size x size` grid with walls `#`, traps `T` (stepping on one ends the episode with nothing),
a start `S` and a goal `G`. The pool is built so that about half of the layouts defeat the
myopic "always reduce the Manhattan distance" walker (`greedy_action`): a wall pocket or a trap
sits on the direct route and the shortest safe path first has to move away from the goal.

Text interface: the observation is the grid rendered row by row (`A` marks the agent), preceded
by a one-line note when the last action was not understood. Actions are one of `U D L R`.
Rewards: +1 on reaching the goal; 0 for a trap or for running out of turns; an unknown action
costs `invalid_penalty`, leaves the agent in place and uses up a turn.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

import gymnasium as gym
import numpy as np

MOVES = {"U": (-1, 0), "D": (1, 0), "L": (0, -1), "R": (0, 1)}
ACTIONS = tuple(MOVES)
CELL_TYPES = ".#TG"  # empty, wall, trap, goal (the start is an empty cell)


def step_cell(grid: np.ndarray, pos: int, action: str) -> tuple[int, str]:
    """Deterministic transition. Returns (new position, outcome) with outcome in
    {'goal', 'trap', 'bump', 'move', 'invalid'}. Walls and the border leave the agent in place."""
    if action not in MOVES:
        return pos, "invalid"
    n = grid.shape[0]
    r, c = divmod(pos, n)
    dr, dc = MOVES[action]
    nr, nc = r + dr, c + dc
    if not (0 <= nr < n and 0 <= nc < n) or grid[nr, nc] == "#":
        return pos, "bump"
    new = nr * n + nc
    cell = grid[nr, nc]
    return new, {"G": "goal", "T": "trap"}.get(cell, "move")


def goal_cell(grid: np.ndarray) -> int:
    """Flat index of the goal (the first `G` in row-major order): argmax of a boolean array is its first True."""
    return int((grid == "G").argmax())


def manhattan(grid: np.ndarray, pos: int) -> int:
    """Manhattan distance from `pos` to the goal."""
    return manhattan_cells(grid.shape[0], pos, goal_cell(grid))


def greedy_action(grid: np.ndarray, pos: int, rng: np.random.Generator | None = None) -> str:
    """The myopic walker: a move that lowers the Manhattan distance and does not hit a wall.
    It does not know about traps or dead ends; if no move lowers the distance it moves at random."""
    rng = rng or np.random.default_rng(0)
    d0 = manhattan(grid, pos)
    good = [a for a in ACTIONS if (o := step_cell(grid, pos, a))[1] != "bump" and manhattan(grid, o[0]) < d0]
    if good:
        return good[int(rng.integers(len(good)))]
    free = [a for a in ACTIONS if step_cell(grid, pos, a)[1] != "bump"]
    return (free or list(ACTIONS))[int(rng.integers(len(free) or 4))]


def shortest_path(grid: np.ndarray, start: int) -> int | None:
    """Length of the shortest trap-free path from `start` to the goal (BFS), or None."""
    n = grid.shape[0]
    seen, queue = {start: 0}, deque([start])
    while queue:
        p = queue.popleft()
        for a in ACTIONS:
            q, out = step_cell(grid, p, a)
            if out == "goal":
                return seen[p] + 1
            if out == "move" and q not in seen:
                seen[q] = seen[p] + 1
                queue.append(q)
    return None


def greedy_succeeds(grid: np.ndarray, start: int, max_turns: int, tries: int = 8) -> float:
    """Fraction of `tries` runs of the (randomly tie-broken) greedy walker that reach the goal."""
    wins = 0
    for t in range(tries):
        rng, pos = np.random.default_rng(t), start
        for _ in range(max_turns):
            pos, out = step_cell(grid, pos, greedy_action(grid, pos, rng))
            if out in ("goal", "trap"):
                wins += out == "goal"
                break
    return wins / tries


@lru_cache(maxsize=16)
def make_layouts(n_layouts: int, size: int, max_turns: int, seed: int) -> list[tuple[np.ndarray, int]]:
    """Random layouts (grid, start) with a safe path of at most `max_turns - 2` moves; half of them
    chosen among those where the greedy walker mostly fails (< 50% success), half among the rest.
    Cached: every env built with the same arguments shares the pool (the grids are never modified)."""
    rng = np.random.default_rng(seed)
    hard, easy = [], []
    while len(hard) < (n_layouts + 1) // 2 or len(easy) < n_layouts // 2:
        grid = np.where(rng.random((size, size)) < 0.25, "#", ".").astype("<U1")
        cells = rng.permutation(size * size)
        start, goal, trap = (int(x) for x in cells[:3])
        if manhattan_cells(size, start, goal) < size - 1:
            continue
        grid.flat[start], grid.flat[goal], grid.flat[trap] = ".", "G", "T"
        length = shortest_path(grid, start)
        if length is None or length > max_turns - 2:
            continue
        bucket = hard if greedy_succeeds(grid, start, max_turns) < 0.5 else easy
        if len(bucket) < (n_layouts + 1) // 2:
            bucket.append((grid, start))
    pool = hard[: (n_layouts + 1) // 2] + easy[: n_layouts // 2]
    return pool


def manhattan_cells(size: int, a: int, b: int) -> int:
    return abs(a // size - b // size) + abs(a % size - b % size)


def render(grid: np.ndarray, pos: int) -> str:
    n = grid.shape[0]
    cells = grid.reshape(-1).tolist()  # a list of one-character strings: cheaper to join than numpy rows
    cells[pos] = "A"
    return "\n".join("".join(cells[i:i + n]) for i in range(0, n * n, n))


class PlanningEnv(gym.Env):
    """Grid puzzle with walls, traps and a goal; see the module docstring."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, size: int = 5, max_turns: int = 12, n_layouts: int = 16, layout_seed: int = 0,
                 invalid_penalty: float = -0.1, render_mode: str | None = None):
        self.size, self.max_turns, self.invalid_penalty = size, max_turns, invalid_penalty
        self.layouts = make_layouts(n_layouts, size, max_turns, layout_seed)
        self.render_mode = render_mode
        note = "invalid action; use one of U D L R"
        charset = frozenset(CELL_TYPES + "AS\n" + note)
        self.observation_space = gym.spaces.Text(max_length=len(note) + 1 + size * (size + 1), charset=charset)
        self.action_space = gym.spaces.Text(max_length=8, charset=frozenset("UDLR"))
        self._note = note
        self.grid, self.pos, self.turn, self.layout_id = self.layouts[0][0], self.layouts[0][1], 0, 0
        self.goal = goal_cell(self.grid)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        self.layout_id = int(options.get("layout", self.np_random.integers(len(self.layouts))))
        self.grid, self.pos = self.layouts[self.layout_id][0], self.layouts[self.layout_id][1]
        self.goal = goal_cell(self.grid)
        self.turn = 0
        return render(self.grid, self.pos), {"layout": self.layout_id, "pos": self.pos}

    def step(self, action):
        action = str(action).strip()
        self.turn += 1
        self.pos, outcome = step_cell(self.grid, self.pos, action)
        reward = {"goal": 1.0, "invalid": self.invalid_penalty}.get(outcome, 0.0)
        terminated = outcome in ("goal", "trap")
        truncated = not terminated and self.turn >= self.max_turns
        obs = render(self.grid, self.pos)
        if outcome == "invalid":
            obs = self._note + "\n" + obs
        return obs, reward, terminated, truncated, {"outcome": outcome, "pos": self.pos, "layout": self.layout_id}

    def render(self):
        return render(self.grid, self.pos)
