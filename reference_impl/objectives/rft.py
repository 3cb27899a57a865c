"""Rejection-sampling fine-tuning (RFT, STaR): supervised learning on the policy's own rewarded samples.

No catalog record of its own; it is the strong non-RL baseline the RL scripts are compared with.
STaR (Zelikman et al. 2022) and RFT (Yuan et al. 2023) sample responses from the current policy,
keep those a verifier accepts, and maximise their likelihood:

    L = - sum_i w_i sum_t m_it log pi(y_it | x, y_i<t) / sum_i w_i sum_t m_it ,   w_i = 1[R_i accepted]   (1)

i.e. token-averaged negative log-likelihood over the kept responses only (m is the policy-token mask,
so prompt and environment tokens never count). With every w_i = 1 this is plain SFT on the batch.
It has the signature of the other token-level losses, so `update.policy_update` can run it with the
same epochs and minibatches as GRPO: the `advantages` argument carries the weights w_i.
"""

from __future__ import annotations

import torch

ALGORITHM = None  # a baseline, not a catalogued algorithm


def rft_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor,
             ref_logp: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (1). logp, mask: (B, T); advantages: (B,) weights, > 0 means keep (old_logp, ref_logp unused)."""
    w = mask * (advantages > 0).to(mask.dtype)[:, None]
    n = w.sum()
    loss = -(logp * w).sum() / n.clamp(min=1)
    return loss, {"kept_fraction": float((advantages > 0).float().mean())}


rft_loss.reads_old_logp = False  # policy_update skips the pi_old forward pass for it
