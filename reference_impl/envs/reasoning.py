"""A verifiable arithmetic task for RLVR (reinforcement learning with verifiable rewards).

One episode is one problem. The observation is the question, e.g. ``"7+5="``; the action is the whole
response text. A response is well formed when it reads ``[scratch]=ANSWER``: optional scratch work made of
digits and ``+``, then ``=`` and the final number (``"=12"`` and ``"7+5=12"`` are both well formed).

Reward (rule-based, as in DeepSeek-R1 style RLVR): ``answer_reward`` when the final number equals the sum,
plus ``format_reward`` when the response is well formed. A malformed or over-long response earns 0 (the
format reward is the only shaping) and the observation says why; `step` never raises.

Free text is accepted too, as a chat model writes it: any characters, with the final number inside
``<answer>...</answer>`` (the last such tag counts), e.g. ``"7 plus 5 is 12. <answer>12</answer>"``.
"""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from reference_impl.envs.text import tagged_number

CHARSET = "0123456789+="
_WELL_FORMED = re.compile(r"^[0-9+]*=([0-9]{1,4})$")


def parse_response(text: str) -> int | None:
    """Final answer of a response ("[scratch]=ANSWER", or free text with <answer>ANSWER</answer>), or None
    when the response is not well formed."""
    match = _WELL_FORMED.match(text)
    return int(match.group(1)) if match else tagged_number(text)


def score_response(text: str, target: int, answer_reward: float = 1.0, format_reward: float = 0.1) -> tuple[float, bool, bool]:
    """(reward, well_formed, correct) of one response to a problem whose answer is `target`."""
    answer = parse_response(text)
    well_formed = answer is not None
    correct = well_formed and answer == target
    return answer_reward * correct + format_reward * well_formed, well_formed, correct


class ArithmeticEnv(gym.Env):
    """Single-step environment: sum `n_operands` integers in [0, max_operand], answer in one response."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, n_operands: int = 2, max_operand: int = 9, max_response_len: int = 12,
                 answer_reward: float = 1.0, format_reward: float = 0.1, render_mode: str | None = None):
        self.n_operands, self.max_operand = n_operands, max_operand
        self.max_response_len = max_response_len
        self.answer_reward, self.format_reward = answer_reward, format_reward
        self.render_mode = render_mode
        question_len = n_operands * (len(str(max_operand)) + 1)
        self.observation_space = spaces.Text(max_length=max(question_len, 64), min_length=1, charset=CHARSET)
        self.action_space = spaces.Text(max_length=max_response_len, min_length=0, charset=CHARSET)
        self.operands: list[int] = [0] * n_operands
        self._last = ""

    @property
    def question(self) -> str:
        return "+".join(str(x) for x in self.operands) + "="

    @property
    def target(self) -> int:
        return sum(self.operands)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "operands" in options:  # pose a chosen problem (used for evaluation sets)
            self.operands = [int(x) for x in options["operands"]]
        else:
            self.operands = [int(x) for x in self.np_random.integers(0, self.max_operand + 1, self.n_operands)]
        self._last = self.question
        return self.question, {"target_len": len(str(self.target))}

    def step(self, action: str):
        text = str(action)
        if len(text) > self.max_response_len:  # over-long: no reward, clear message
            reward, well_formed, correct, note = 0.0, False, False, "too long"
        else:
            reward, well_formed, correct = score_response(text, self.target, self.answer_reward, self.format_reward)
            note = "correct" if correct else ("wrong answer" if well_formed else "malformed")
        # The observation after the episode is the full transcript; `info` carries the verdict in words.
        obs = (self.question + "".join(c for c in text if c in CHARSET))[: self.observation_space.max_length]
        self._last = obs
        info = {"well_formed": well_formed, "correct": correct, "verdict": note}
        return obs, float(reward), True, False, info

    def render(self):
        return self._last
