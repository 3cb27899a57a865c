"""A frozen reference policy and per-token estimators of KL(pi || ref).

With tokens sampled from pi and r = ref(x) / pi(x) = exp(ref_logp - logp), Schulman's
estimators ("Approximating KL divergence", 2020) are, per token:

    k1 = -log r                   unbiased, high variance, can be negative
    k2 = (log r)^2 / 2            biased, low variance, always >= 0
    k3 = (r - 1) - log r          unbiased, low variance, always >= 0

Their expectations under pi: E[k1] = E[k3] = KL(pi || ref); E[k2] matches KL to second
order. GRPO's KL penalty uses k3.
"""

from __future__ import annotations

import copy

import torch


def frozen_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A deep copy in eval mode with gradients switched off (the reference policy)."""
    ref = copy.deepcopy(model).eval()
    ref.requires_grad_(False)
    return ref


def kl_estimate(logp: torch.Tensor, ref_logp: torch.Tensor, kind: str = "k3") -> torch.Tensor:
    """Per-token estimate of KL(pi || ref) from log-probs of tokens sampled from pi."""
    log_r = ref_logp - logp
    if kind == "k1":
        return -log_r
    if kind == "k2":
        return 0.5 * log_r**2
    if kind == "k3":
        return torch.expm1(log_r) - log_r
    raise ValueError(f"kind must be 'k1', 'k2' or 'k3', got {kind!r}")
