"""DAPO's two data-side changes: dynamic sampling and the soft overlong penalty.

Catalog: catalog/algorithms/dapo.yaml

DAPO (Yu et al. 2025) is GRPO with four changes. Two live in grpo.py: clip-higher
(`eps_high` > `eps_low`, the paper uses 0.2 / 0.28) and token-level aggregation
(`aggregate_loss(mode="dapo")`); it also drops the KL term (beta = 0). The other two are here:

Dynamic sampling: a group whose rewards are all equal has zero advantage for every member,
so it adds no gradient but still dilutes the batch. DAPO keeps sampling until the batch is
full of groups with 0 < accuracy < 1; `dynamic_sampling_filter` gives the keep mask, and
refilling the batch is left to the caller.

Soft overlong punishment, with L_max the length budget and L_cache the soft band:

    R_len(y) = 0                                   if |y| <= L_max - L_cache
             = ((L_max - L_cache) - |y|) / L_cache  if L_max - L_cache < |y| <= L_max
             = -1                                  if |y| > L_max

which is added to the task reward.
"""

from __future__ import annotations

import torch

from reference_impl.objectives.grpo import grpo_loss

ALGORITHM = "dapo"


def dynamic_sampling_filter(rewards: torch.Tensor, group_size: int, tol: float = 0.0) -> torch.Tensor:
    """(B,) bool mask keeping every member of each group whose rewards are NOT all equal
    (max - min > tol). `rewards` is (n_prompts * G,) with groups contiguous."""
    r = rewards.view(-1, group_size)
    informative = (r.max(dim=1).values - r.min(dim=1).values) > tol
    return informative.repeat_interleave(group_size)


def overlong_penalty(lengths: torch.Tensor, max_len: int, cache: int) -> torch.Tensor:
    """R_len above, per response length. Returns float (B,)."""
    lengths = lengths.to(torch.float32)
    soft_start = max_len - cache
    ramp = (soft_start - lengths) / cache
    pen = torch.where(lengths <= soft_start, torch.zeros_like(lengths), ramp)
    return torch.where(lengths > max_len, torch.full_like(lengths, -1.0), pen)


def dapo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 0.2,
    eps_high: float = 0.28,
    num_tokens: int | float | torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """GRPO's surrogate with clip-higher, token-level averaging and no KL term."""
    return grpo_loss(logp, old_logp, advantages, mask, eps_low, eps_high, mode="dapo", num_tokens=num_tokens)
