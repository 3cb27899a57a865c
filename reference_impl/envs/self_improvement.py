"""Arithmetic without labels: the reward comes from the agent's own majority vote (TTRL style).

The observation is a question such as ``"7+5="``. The action is a group of votes, several responses to the
same question joined by ``,`` (each response in the format of `reference_impl.envs.reasoning`: ``"=12"`` or
``"7+5=12"``). The environment takes the most common well-formed answer as a pseudo-label and pays each vote
1 when it agrees with it; the step reward is the mean over votes, and ``info["vote_rewards"]`` lists them.

The ground truth never enters the observation, the reward or `info`. It is only reachable through
`grade`, meant for held-out evaluation. Malformed votes abstain and earn ``-bad_action_penalty``;
a group with no well-formed vote has no pseudo-label. `step` never raises.
"""

from __future__ import annotations

from collections import Counter

import gymnasium as gym
from gymnasium import spaces

from reference_impl.envs.reasoning import CHARSET as ANSWER_CHARSET, parse_response

CHARSET = ANSWER_CHARSET + ",?"


def majority_vote(answers: list[int | None]) -> int | None:
    """Most common non-None answer; ties go to the answer seen first. None when nothing is well formed."""
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(a for a in answers if a is not None and counts[a] == best)


def vote_rewards(answers: list[int | None], bad_action_penalty: float = 0.0) -> tuple[list[float], int | None]:
    """Per-vote pseudo-rewards (1 agrees with the majority, 0 disagrees, -penalty malformed) and the label."""
    label = majority_vote(answers)
    return [(-bad_action_penalty if a is None else float(a == label)) for a in answers], label


class UnlabeledArithmeticEnv(gym.Env):
    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, n_operands: int = 2, max_operand: int = 9, max_votes: int = 16, bad_action_penalty: float = 0.1,
                 render_mode: str | None = None):
        self.n_operands, self.max_operand, self.max_votes = n_operands, max_operand, max_votes
        self.bad_action_penalty, self.render_mode = bad_action_penalty, render_mode
        self.observation_space = spaces.Text(max_length=64, min_length=1, charset=CHARSET)
        self.action_space = spaces.Text(max_length=max_votes * 10, min_length=0, charset=CHARSET)
        self.operands = [0] * n_operands
        self._obs = ""

    @property
    def question(self) -> str:
        return "+".join(str(x) for x in self.operands) + "="

    def grade(self, response: str) -> bool:
        """Held-out check against the true sum. For evaluation only; never feed it to training."""
        return parse_response(response) == sum(self.operands)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options and "operands" in options:
            self.operands = [int(x) for x in options["operands"]]
        else:
            self.operands = [int(x) for x in self.np_random.integers(0, self.max_operand + 1, self.n_operands)]
        self._obs = self.question
        return self._obs, {}

    def step(self, action: str):
        votes = str(action).split(",")[: self.max_votes]
        answers = [parse_response(v) for v in votes]
        rewards, label = vote_rewards(answers, self.bad_action_penalty)
        reward = sum(rewards) / len(rewards)
        shown = "?" if label is None else str(label)
        self._obs = self.question + shown  # the pseudo-label, not the truth
        info = {"vote_rewards": rewards, "pseudo_label": label, "n_votes": len(votes),
                "verdict": "no well-formed vote" if label is None else "voted"}
        return self._obs, float(reward), True, False, info

    def render(self):
        return self._obs
