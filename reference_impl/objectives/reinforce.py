"""REINFORCE with a baseline, and RLOO's leave-one-out baseline.

Catalog: catalog/algorithms/reinforce.yaml, catalog/algorithms/rloo.yaml

The score-function gradient of expected reward J = E_{y~pi}[R(y)] is

    grad J = E[ (R(y) - b) * grad log pi(y) ],   log pi(y) = sum_t log pi(y_t | x, y_<t)      (1)

for any baseline b that does not depend on y. The loss below is the negative of the
quantity inside (1), averaged over the batch, so `loss.backward()` gives -grad J.
RLOO (Kool et al. 2019; Ahmadian et al. 2024) samples k responses per prompt and uses the
mean reward of the OTHER k-1 responses as each one's baseline:

    A_i = R_i - 1/(k-1) * sum_{j != i} R_j  =  k/(k-1) * (R_i - mean_j R_j)                     (2)
"""

from __future__ import annotations

import torch

from reference_impl.core.masks import masked_sum

ALGORITHM = "reinforce"
ALGORITHMS = ("reinforce", "rloo")


def reinforce_advantages(rewards: torch.Tensor, baseline: float | torch.Tensor | None = None) -> torch.Tensor:
    """A = R - b (eq. 1). With `baseline=None` b is the batch mean reward (a common, slightly
    biased choice since b then depends on every sample, including this one). Catalog: reinforce."""
    b = rewards.mean() if baseline is None else baseline
    return rewards - b


def rloo_advantages(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """Leave-one-out advantages (eq. 2). `rewards` is (n_prompts * k,) with each prompt's k
    responses contiguous. Catalog: rloo."""
    k = group_size
    if k < 2:
        raise ValueError("RLOO needs at least 2 samples per prompt")
    r = rewards.view(-1, k)
    others = (r.sum(dim=1, keepdim=True) - r) / (k - 1)
    return (r - others).reshape(-1)


def reinforce_loss(logprobs: torch.Tensor, mask: torch.Tensor, advantages: torch.Tensor) -> torch.Tensor:
    """-mean_i [ A_i * sum_t mask_it * log pi(y_it) ] (eq. 1, sequence-level log-prob).

    logprobs, mask: (B, T) per-token log-probs of the response and its policy mask;
    advantages: (B,), treated as constants. Catalog: reinforce (and rloo with RLOO advantages).
    """
    seq_logp = masked_sum(logprobs, mask, dim=1)
    return -(advantages.detach() * seq_logp).mean()
