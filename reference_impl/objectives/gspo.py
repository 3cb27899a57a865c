"""GSPO: one importance ratio per sequence, clipped per sequence.

Catalog: catalog/algorithms/gspo.yaml

GRPO weights every token by its own ratio pi(y_t)/pi_old(y_t); with long responses these
noisy per-token weights add up. GSPO (Zheng et al. 2025) uses the length-normalised
sequence likelihood ratio instead, i.e. the geometric mean of the token ratios:

    s_i = (pi(y_i | x) / pi_old(y_i | x)) ^ (1/|y_i|) = exp( 1/|y_i| sum_t log r_it )       (1)

    L = -1/G sum_i min(s_i A_i, clip(s_i, 1 - eps_low, 1 + eps_high) A_i)                    (2)

with the group advantages A_i of GRPO. Because s_i is an average of log-ratios, its useful
clip range is far narrower than PPO's; the paper uses eps_low = 3e-4, eps_high = 4e-4.
"""

from __future__ import annotations

import torch

from reference_impl.core.masks import masked_mean

ALGORITHM = "gspo"


def sequence_ratio(logp: torch.Tensor, old_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. (1): (B,) exp of the masked mean log-ratio of each sequence."""
    return torch.exp(masked_mean(logp - old_logp, mask, dim=1))


def gspo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 3e-4,
    eps_high: float = 4e-4,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (2), mean over sequences. logp/old_logp/mask: (B, T); advantages: (B,)."""
    s = sequence_ratio(logp, old_logp, mask)
    per_seq = -torch.min(s * advantages, s.clamp(1.0 - eps_low, 1.0 + eps_high) * advantages)
    with torch.no_grad():
        clipped = ((s > 1 + eps_high) & (advantages > 0)) | ((s < 1 - eps_low) & (advantages < 0))
    return per_seq.mean(), {"clip_fraction": clipped.float().mean().item(), "ratio": s.mean().item()}
