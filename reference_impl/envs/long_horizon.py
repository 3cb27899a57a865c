"""A long chain of locked rooms with one reward at the very end: a test bed for credit assignment.

The agent starts in room 0 of `n_rooms`. Each room opens with one of `n_keys` keys (letters
`a`, `b`, ...); which one is fixed by the hidden key combination and never shown. The combination is
drawn from `task_seed`, or set per episode with `reset(options={"combination": c})`, where the integer
c in [0, n_keys ** n_rooms) spells the combination in base n_keys (room 0 is the lowest digit).
The right key moves the agent to the next room, a wrong key leaves it where it is. Leaving the last room pays +1 and ends the
episode; running out of `max_turns` pays nothing. Between those two outcomes there is no signal,
so a learner has to work out which of its many turns mattered. (`door_reward` > 0 adds that much for every
door opened, the last one included: turn-level rewards on top of the outcome; 0 by default.)

Text interface: the observation is two characters, a status and the current room:
`s0` at the start, `+3` after a key that opened a door, `-3` after a wrong key, `!3` after an
unreadable action (which costs `invalid_penalty` and a turn), and `+*` once the last door opens.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

STATUS = "s+-!"


def key_chars(n_keys: int) -> str:
    return "abcdefgh"[:n_keys]


def combination(c: int, n_rooms: int, n_keys: int) -> str:
    """The key string of combination number c (base-n_keys digits, room 0 first)."""
    if not 0 <= c < n_keys**n_rooms:
        raise ValueError(f"combination must be in [0, {n_keys ** n_rooms}), got {c}")
    keys = key_chars(n_keys)
    return "".join(keys[(c // n_keys**r) % n_keys] for r in range(n_rooms))


class LongHorizonEnv(gym.Env):
    """Chain of rooms opened by hidden keys, sparse final reward; see the module docstring."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, n_rooms: int = 8, n_keys: int = 4, max_turns: int = 20, task_seed: int = 0,
                 invalid_penalty: float = -0.1, door_reward: float = 0.0, render_mode: str | None = None):
        if not 1 <= n_rooms <= 10 or not 2 <= n_keys <= 8:
            raise ValueError("n_rooms must be in 1..10 and n_keys in 2..8")
        self.n_rooms, self.n_keys, self.max_turns = n_rooms, n_keys, max_turns
        self.invalid_penalty, self.door_reward, self.render_mode = invalid_penalty, door_reward, render_mode
        self.keys = key_chars(n_keys)
        # the hidden combination: one key per room, fixed for this task
        self.solution = "".join(np.random.default_rng(task_seed).choice(list(self.keys), size=n_rooms))
        self.observation_space = gym.spaces.Text(min_length=2, max_length=2, charset=frozenset(STATUS + "0123456789*"))
        self.action_space = gym.spaces.Text(max_length=4, charset=frozenset(self.keys))
        self.room, self.turn = 0, 0

    def _obs(self, status: str) -> str:
        return status + ("*" if self.room >= self.n_rooms else str(self.room))

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "combination" in options:
            self.solution = combination(int(options["combination"]), self.n_rooms, self.n_keys)
        self.room, self.turn = 0, 0
        return self._obs("s"), {"room": 0}

    def step(self, action):
        action = str(action).strip()
        self.turn += 1
        reward = 0.0
        if len(action) != 1 or action not in self.keys:
            status, reward = "!", self.invalid_penalty
        elif action == self.solution[self.room]:
            status, self.room, reward = "+", self.room + 1, self.door_reward
        else:
            status = "-"
        terminated = self.room >= self.n_rooms
        reward += 1.0 if terminated else 0.0
        truncated = not terminated and self.turn >= self.max_turns
        return self._obs(status), reward, terminated, truncated, {"room": self.room, "status": status}

    def render(self):
        return f"room {self.room}/{self.n_rooms}, turn {self.turn}/{self.max_turns}"
