"""Multiplication with a calculator the policy may call in the middle of its answer.

Transcript grammar (every character is one token for the policy):

    question   "23*17?"          (observation at reset)
    tool call  "[23*17]"         (an action: a segment that ends with "]")
    result     "{391}"           (appended by the environment; "{?}" when the call cannot be evaluated)
    answer     "=391"            (an action that does not end with "]": ends the episode)

So a full episode reads ``23*17?[23*17]{391}=391``. With ``noise_len=N`` the tool is verbose: its output starts
with N random digits (think of a request id or a log line) before ``=`` and the value, e.g.
``{5081736629=391}``; the digits carry no information and differ from call to call. The environment evaluates the expression inside the
brackets (digits and + - * only, parsed by hand, never `eval`). With ``tools_enabled=False`` every call
returns ``{?}``: the same interface with no working tool, which is the no-tool baseline.

Rewards: 1 for a correct final answer, 0 for a wrong one. Bad actions are penalised and never raise:
a malformed call (bad expression or bad brackets) costs ``bad_action_penalty`` and returns ``{?}``; a
malformed final answer ends the episode with ``-bad_action_penalty``; going over ``max_calls`` calls ends
it with the same penalty.

A chat model's own format is understood as well (any characters around it): a segment holding
``<tool_call>{"name": "calculator", "arguments": {"expression": "23*17"}}</tool_call>`` is a call, answered
with ``<tool_response>391</tool_response>``; a segment holding ``<answer>391</answer>`` is the final answer.
"""

from __future__ import annotations

import re
import string

import gymnasium as gym
from gymnasium import spaces

from reference_impl.envs.text import tagged, tagged_number, tool_call

CHARSET = "0123456789+-*?[]{}="
TRANSCRIPT_CHARSET = string.printable  # chat-format transcripts; other characters are shown as "?"
_CALL = re.compile(r"^\[([0-9+\-*]{1,16})\]$")
_ANSWER = re.compile(r"^=(-?[0-9]{1,8})$")
_TERM = re.compile(r"^[0-9]{1,6}$")


def calculate(expr: str) -> int | None:
    """Evaluate digits joined by + - * with the usual precedence; None when malformed."""
    total, sign = 0, 1
    for chunk in re.split(r"([+\-])", expr):
        if chunk in "+-" and chunk:
            sign = 1 if chunk == "+" else -1
            continue
        factors = chunk.split("*")
        if not all(_TERM.match(f) for f in factors):
            return None
        product = 1
        for f in factors:
            product *= int(f)
        total += sign * product
    return total


def tool_result(segment: str, tools_enabled: bool = True, noise: str = "") -> str:
    """The text the environment appends after a call segment, e.g. "{391}" (or "{?}" when it fails);
    with `noise` (a verbose tool), "{" + noise + "=391}"."""
    match = _CALL.match(segment)
    value = calculate(match.group(1)) if (match and tools_enabled) else None
    if value is None:
        return "{?}"
    return "{" + (noise + "=" if noise else "") + str(value) + "}"


def parse_answer(segment: str) -> int | None:
    match = _ANSWER.match(segment)
    return int(match.group(1)) if match else None


class CalculatorToolEnv(gym.Env):
    """Multi-step: each step takes one segment (a tool call or the final answer)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, min_operand: int = 2, max_operand: int = 30, max_calls: int = 2, tools_enabled: bool = True,
                 max_segment_len: int = 20, bad_action_penalty: float = 0.1, noise_len: int = 0,
                 render_mode: str | None = None):
        self.min_operand, self.max_operand = min_operand, max_operand
        self.max_calls, self.tools_enabled = max_calls, tools_enabled
        self.max_segment_len, self.bad_action_penalty = max_segment_len, bad_action_penalty
        self.render_mode, self.noise_len = render_mode, int(noise_len)
        self.observation_space = spaces.Text(max_length=256, min_length=1, charset=TRANSCRIPT_CHARSET)
        self.action_space = spaces.Text(max_length=max_segment_len, min_length=0, charset=CHARSET)
        self.a, self.b = min_operand, min_operand
        self.transcript, self.n_calls = "", 0

    @property
    def question(self) -> str:
        return f"{self.a}*{self.b}?"

    @property
    def target(self) -> int:
        return self.a * self.b

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "operands" in options:
            self.a, self.b = (int(x) for x in options["operands"])
        else:
            self.a, self.b = (int(x) for x in self.np_random.integers(self.min_operand, self.max_operand + 1, 2))
        self.transcript, self.n_calls = self.question, 0
        return self.transcript, {}

    def step(self, action: str):
        text = str(action)
        if "<tool_call>" in text or tagged(text) is not None:
            return self._chat_step(text)
        raw = text[: self.max_segment_len]
        segment = "".join(c if c in CHARSET else "?" for c in raw)  # unknown characters make it malformed
        if segment.endswith("]"):  # a tool call
            self.n_calls += 1
            noise = "".join(str(d) for d in self.np_random.integers(0, 10, self.noise_len))
            result = tool_result(segment, self.tools_enabled, noise)
            bad = _CALL.match(segment) is None or calculate(_CALL.match(segment).group(1)) is None
            self.transcript = (self.transcript + segment + result)[-self.observation_space.max_length:]
            info = {"tool_call": True, "tool_result": result, "verdict": "malformed call" if bad else "tool called"}
            if self.n_calls > self.max_calls:  # too many calls: the episode ends with a penalty
                info["verdict"] = "too many tool calls"
                return self.transcript, -self.bad_action_penalty, True, False, info
            return self.transcript, -self.bad_action_penalty * bad, False, False, info
        answer = parse_answer(segment)
        self.transcript = (self.transcript + segment)[-self.observation_space.max_length:] or "?"
        if answer is None:
            return self.transcript, -self.bad_action_penalty, True, False, {"tool_call": False, "verdict": "malformed answer", "correct": False}
        correct = answer == self.target
        return self.transcript, float(correct), True, False, {"tool_call": False, "verdict": "correct" if correct else "wrong answer", "correct": correct}

    def _chat_step(self, text: str):
        """The chat format: a <tool_call> JSON block (a call) or an <answer> tag (the end)."""
        text = "".join(c if c in TRANSCRIPT_CHARSET else "?" for c in text)  # same length, printable only
        if "<tool_call>" in text:
            self.n_calls += 1
            call = tool_call(text)
            expr = call[1].get("expression") if call and call[0] == "calculator" else None
            value = calculate(str(expr).replace(" ", "")) if (expr is not None and self.tools_enabled) else None
            result = f"<tool_response>{'?' if value is None else value}</tool_response>"
            bad = call is None or expr is None or calculate(str(expr).replace(" ", "")) is None
            self.transcript = (self.transcript + text + result)[-self.observation_space.max_length:]
            info = {"tool_call": True, "tool_result": result, "verdict": "malformed call" if bad else "tool called"}
            if self.n_calls > self.max_calls:
                info["verdict"] = "too many tool calls"
                return self.transcript, -self.bad_action_penalty, True, False, info
            return self.transcript, -self.bad_action_penalty * bad, False, False, info
        answer = tagged_number(text)
        self.transcript = (self.transcript + text)[-self.observation_space.max_length:]
        if answer is None:
            return self.transcript, -self.bad_action_penalty, True, False, {"tool_call": False, "verdict": "malformed answer", "correct": False}
        correct = answer == self.target
        return self.transcript, float(correct), True, False, {"tool_call": False, "verdict": "correct" if correct else "wrong answer", "correct": correct}

    def render(self):
        return self.transcript
