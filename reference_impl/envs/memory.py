"""Find one fact in a stream that arrives in chunks, with a memory of fixed size (MEM1 / MemAgent style).

An episode asks for the value of one key, e.g. ``c``. The stream is ``n_chunks`` chunks of
``pairs_per_chunk`` key-value pairs (``"a3c1f7"`` means a=3, c=1, f=7); the asked key appears exactly once
in the whole stream, the other pairs are distractors.

``mode="memory"`` (the mechanism). Turn t shows ``"<memory>|<chunk t>|c"``; the action is the new memory,
exactly ``memory_size`` characters (shorter is padded with ``_``, longer is cut and penalised), or ``=``
as shorthand for "keep the memory unchanged". After the
last chunk the observation is ``"<memory>|?|c"`` and the action is the answer, one digit. The agent never
sees more than its memory and the current chunk. The question comes last in every observation, right
before the action (as a question placed after the document it is about), so that a small model can compare
the asked key with the keys it has just read.

``mode="truncate"`` (the baseline with the same budget). One step: the observation is the question plus
the last ``memory_size + chunk_len`` characters of the stream, ``"<tail>|?|c"``, and the action is the answer.

``mode="full"`` (a reader that needs no memory, for streams that fit in its context). One step: the
observation is the whole stream and the question, ``"<stream>|?|c"``, and the action is the answer.

Reward: 1 for the right digit at the end, 0 for a wrong one, ``-bad_action_penalty`` for a malformed answer
(not exactly one digit). An over-long memory costs ``bad_action_penalty`` on that turn. `step` never raises.
"""

from __future__ import annotations

import gymnasium as gym
from gymnasium import spaces

KEYS = "abcdefgh"
VALUES = "0123456789"
CHARSET = KEYS + VALUES + "|?_="
MODES = ("memory", "truncate", "full")


class ChunkedMemoryEnv(gym.Env):
    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, n_chunks: int = 4, pairs_per_chunk: int = 3, memory_size: int = 2, mode: str = "memory",
                 bad_action_penalty: float = 0.1, render_mode: str | None = None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if pairs_per_chunk > len(KEYS):
            raise ValueError("pairs_per_chunk cannot exceed the number of keys")
        self.n_chunks, self.pairs_per_chunk, self.memory_size = n_chunks, pairs_per_chunk, memory_size
        self.mode, self.bad_action_penalty, self.render_mode = mode, bad_action_penalty, render_mode
        self.chunk_len = 2 * pairs_per_chunk
        self.observation_space = spaces.Text(max_length=4 + max(memory_size + self.chunk_len, self.chunk_len * n_chunks) + 8,
                                             min_length=1, charset=CHARSET)
        self.action_space = spaces.Text(max_length=memory_size + 4, min_length=0, charset=CHARSET)
        self.query, self.answer, self.chunks = "a", "0", [""] * n_chunks
        self.turn, self.memory, self._obs = 0, "_" * memory_size, ""

    def _observe(self) -> str:
        if self.mode == "truncate":
            tail = "".join(self.chunks)[-(self.memory_size + self.chunk_len):]
            return f"{tail}|?|{self.query}"
        if self.mode == "full":
            return f"{''.join(self.chunks)}|?|{self.query}"
        if self.turn < self.n_chunks:
            return f"{self.memory}|{self.chunks[self.turn]}|{self.query}"
        return f"{self.memory}|?|{self.query}"

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        rng = self.np_random
        n, k = self.n_chunks, self.pairs_per_chunk
        q, a, where, slot = (int(x) for x in rng.integers(0, [len(KEYS), len(VALUES), n, k]))  # where: the fact's chunk
        self.query, self.answer = KEYS[q], VALUES[a]
        others = [c for c in KEYS if c != self.query]
        # distinct distractor keys per chunk (one random ordering of the other keys per chunk), values at random;
        # drawn in two calls because a reset runs hundreds of thousands of times in a training run
        keys = rng.random((n, len(others))).argsort(1)[:, :k].tolist()
        values = rng.integers(0, len(VALUES), (n, k)).tolist()
        keys[where][slot], values[where][slot] = None, a  # the asked key, with its value, in chunk `where`
        self.chunks = ["".join((others[i] if i is not None else self.query) + VALUES[v] for i, v in zip(ks, vs))
                       for ks, vs in zip(keys, values)]
        self.turn, self.memory = 0, "_" * self.memory_size
        self._obs = self._observe()
        return self._obs, {"fact_chunk": where}

    def step(self, action: str):
        text = "".join(c if c in CHARSET else "_" for c in str(action))
        answering = self.mode != "memory" or self.turn >= self.n_chunks
        if answering:
            if len(text) == 1 and text in VALUES:
                correct = text == self.answer
                reward, verdict = float(correct), "correct" if correct else "wrong answer"
            else:
                correct, reward, verdict = False, -self.bad_action_penalty, "malformed answer"
            self._obs = f"{self.memory if self.mode == 'memory' else ''}|{text[:4] or '_'}|{self.query}"
            return self._obs, reward, True, False, {"correct": correct, "verdict": verdict}
        # A memory-writing turn: "=" keeps the memory as it is; anything else is the new memory, cut or
        # padded to exactly memory_size characters.
        penalty = self.bad_action_penalty if len(text) > self.memory_size else 0.0
        if text != "=":
            self.memory = "".join(c if c in KEYS + VALUES else "_" for c in text[: self.memory_size]).ljust(self.memory_size, "_")
        self.turn += 1
        self._obs = self._observe()
        return self._obs, -penalty, False, False, {"verdict": "memory too long, cut" if penalty else "memory written"}

    def render(self):
        return self._obs
