"""Two agents, each holding part of a code, and one short message between them (a two-turn Dec-POMDP).

An episode draws a private digit ``a`` in ``0..n_values-1`` for the speaker and a private number ``b`` of
``b_digits`` digits for the listener. The team must enter the code ``a`` followed by ``b`` (``"307"`` for
a = 3, b = 07 with two-digit b):

    turn 0, the speaker   observes ``"A3>"`` (its own digit a = 3) and writes a message of ``msg_len``
                          characters from the code alphabet ``"abcdefghij"[:n_symbols]`` (letters, not
                          digits: which letter stands for what is a convention the two agents must share);
    turn 1, the listener  observes ``"B07|d>"`` (its own number b = 07 and the message) and writes the
                          whole code, e.g. ``"307"``.

Neither agent can solve the task alone: the speaker never sees b and does not answer; the listener sees a
only through the message. ``mode="single"`` is the single-agent ablation: the listener's observation shows
``_`` instead of the message, so it knows b and nothing about a.

Rewards (the team reward, shared by both agents): 1 on the last turn when the answer is the code, else 0.
Bad actions are penalised and never raise: a malformed message (wrong length or characters outside the
alphabet) costs ``bad_action_penalty`` on turn 0 and reaches the listener as ``_``; a malformed answer (not
1 + b_digits decimal digits) ends the episode with ``-bad_action_penalty``.
"""

from __future__ import annotations

import gymnasium as gym
from gymnasium import spaces

LETTERS = "abcdefghij"
DIGITS = "0123456789"
CHARSET = LETTERS + DIGITS + "AB|>_"


class CollaborationEnv(gym.Env):
    """Speaker-listener code game with a shared team reward; see the module docstring."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, n_values: int = 10, b_digits: int = 2, n_symbols: int = 10, msg_len: int = 1, mode: str = "team",
                 bad_action_penalty: float = 0.1, render_mode: str | None = None):
        if not 2 <= n_values <= 10 or not 1 <= b_digits <= 4 or not 2 <= n_symbols <= len(LETTERS) or msg_len < 1:
            raise ValueError("n_values must be in 2..10, b_digits in 1..4, n_symbols in 2..10 and msg_len >= 1")
        if mode not in ("team", "single"):
            raise ValueError(f"mode must be 'team' or 'single', not {mode!r}")
        self.n_values, self.b_digits, self.n_symbols, self.msg_len, self.mode = n_values, b_digits, n_symbols, msg_len, mode
        self.bad_action_penalty, self.render_mode = bad_action_penalty, render_mode
        self.alphabet = LETTERS[:n_symbols]
        self.observation_space = spaces.Text(min_length=1, max_length=4 + b_digits + msg_len, charset=CHARSET)
        self.action_space = spaces.Text(min_length=0, max_length=max(msg_len, 1 + b_digits), charset=self.alphabet + DIGITS)
        self.a, self.b, self.turn, self.message, self._obs = 0, 0, 0, "_", ""

    @property
    def target(self) -> str:
        return f"{self.a}{self.b:0{self.b_digits}d}"

    def speaker_obs(self) -> str:
        return f"A{self.a}>"

    def listener_obs(self) -> str:
        return f"B{self.b:0{self.b_digits}d}|{self.message if self.mode == 'team' else '_'}>"

    def valid_message(self, text: str) -> bool:
        return len(text) == self.msg_len and all(c in self.alphabet for c in text)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "pair" in options:  # pose a chosen problem (used for held-out evaluation sets)
            self.a, self.b = (int(x) for x in options["pair"])
        else:
            self.a = int(self.np_random.integers(0, self.n_values))
            self.b = int(self.np_random.integers(0, 10 ** self.b_digits))
        self.turn, self.message = 0, "_"
        self._obs = self.speaker_obs()
        return self._obs, {"role": "speaker"}

    def step(self, action):
        text = str(action)
        if self.turn == 0:  # the speaker's message
            ok = self.valid_message(text)
            self.message = text if ok else "_"
            self.turn = 1
            self._obs = self.listener_obs()
            return self._obs, 0.0 if ok else -self.bad_action_penalty, False, False, {
                "role": "listener", "verdict": "message sent" if ok else "malformed message"}
        # the listener's answer ends the episode
        if len(text) == 1 + self.b_digits and all(c in DIGITS for c in text):
            correct = text == self.target
            reward, verdict = float(correct), "correct" if correct else "wrong answer"
        else:
            correct, reward, verdict = False, -self.bad_action_penalty, "malformed answer"
        self._obs = self.listener_obs()
        return self._obs, reward, True, False, {"correct": correct, "verdict": verdict}

    def render(self):
        return self._obs
