"""GRPO: group-relative advantages, a clipped token-level surrogate, and four ways to average it.

Catalog: catalog/algorithms/grpo.yaml (also dr-grpo and dapo, via the aggregation modes)

GRPO (Shao et al. 2024, DeepSeekMath) drops PPO's critic. For each prompt it samples a group
of G responses with rewards R_1..R_G and gives every token of response i the same advantage

    A_i = (R_i - mean(R)) / (std(R) + eps)                                                  (1)

Std convention here: the SAMPLE std (Bessel, divide by G-1), eps = 1e-4, which is what TRL's
GRPOTrainer uses; `scale="population"` divides by G instead, `scale=None` skips the division
(Dr. GRPO, Liu et al. 2025, who show the std term up-weights prompts that are nearly always
solved or nearly always failed). With r_t = pi(y_t) / pi_old(y_t), the per-token loss is PPO's
pessimistic clipped surrogate, with DAPO's separate lower and upper clip ranges (Yu et al. 2025):

    l_t = -min(r_t A, clip(r_t, 1 - eps_low, 1 + eps_high) A) + beta * k3_t                 (2)

where k3 is the per-token KL(pi || ref) estimate (see core/reference.py). How the l_t of a
batch become one scalar is where the variants differ (`aggregate_loss`):

    grpo     1/B sum_i 1/|y_i| sum_t l_it          each sequence weighs the same (GRPO paper)
    bnpo     sum_it l_it / sum_i |y_i|             each token of this batch weighs the same
    dr_grpo  sum_it l_it / (B * L_max)             a constant denominator (Dr. GRPO)
    dapo     sum_it l_it / N_tokens                token-level over the whole group batch (DAPO)

`bnpo` and `dapo` coincide when the batch passed in is the whole group batch; `dapo` takes
`num_tokens` so that a micro-batch can be normalised by the token count of the full batch.
"""

from __future__ import annotations

import torch

from reference_impl.core.masks import masked_mean, masked_sum
from reference_impl.core.reference import kl_estimate

ALGORITHM = "grpo"
ALGORITHMS = ("grpo", "dr-grpo", "dapo")
MODES = ("grpo", "bnpo", "dr_grpo", "dapo")


def group_advantages(
    rewards: torch.Tensor, group_size: int, scale: str | None = "sample", eps: float = 1e-4
) -> torch.Tensor:
    """Eq. (1). `rewards` is (n_prompts * G,) with each prompt's G responses contiguous.
    scale: "sample" (std with G-1, default), "population" (std with G), or None (Dr. GRPO)."""
    r = rewards.view(-1, group_size)
    adv = r - r.mean(dim=1, keepdim=True)
    if scale is not None:
        if scale not in ("sample", "population"):
            raise ValueError("scale must be 'sample', 'population' or None")
        std = r.std(dim=1, keepdim=True, correction=1 if scale == "sample" else 0)
        adv = adv / (std + eps)
    return adv.reshape(-1)


def clipped_surrogate(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    eps_low: float = 0.2,
    eps_high: float | None = None,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-token -min(r A, clip(r, 1-eps_low, 1+eps_high) A), the first term of eq. (2).

    `advantages` is (B,) (one per sequence) or (B, T). eps_high defaults to eps_low (symmetric
    PPO clip); DAPO's clip-higher sets eps_high > eps_low so low-probability tokens can grow.
    Once r leaves the clip range on the side that would increase the objective, the min picks
    the constant clipped term and that token's gradient is zero. With `mask`, the log-ratio is
    set to 0 outside it before the exp, so junk log-probs at padded slots cannot overflow to
    inf (whose backward would give 0 * inf = NaN even though the slot is masked later).
    """
    eps_high = eps_low if eps_high is None else eps_high
    if advantages.dim() == 1:
        advantages = advantages[:, None]
    log_ratio = logp - old_logp
    if mask is not None:
        log_ratio = torch.where(mask.bool(), log_ratio, torch.zeros_like(log_ratio))
    ratio = torch.exp(log_ratio)
    unclipped = ratio * advantages
    clipped = ratio.clamp(1.0 - eps_low, 1.0 + eps_high) * advantages
    return -torch.min(unclipped, clipped)


def aggregate_loss(
    per_token: torch.Tensor,
    mask: torch.Tensor,
    mode: str = "grpo",
    max_len: int | None = None,
    num_tokens: int | float | torch.Tensor | None = None,
) -> torch.Tensor:
    """Reduce a (B, T) per-token loss to a scalar; only tokens with mask 1 count anywhere.

    grpo: mean over each sequence's tokens, then mean over sequences.
    bnpo: sum over all tokens / number of unmasked tokens in this batch.
    dr_grpo: sum / (B * max_len); `max_len` is the generation budget, a constant that does
        not depend on the sampled lengths (defaults to T, the padded width).
    dapo: sum / num_tokens, the unmasked token count of the whole group batch (defaults to
        this batch's count, i.e. the same as bnpo).
    """
    if mode == "grpo":
        return masked_mean(per_token, mask, dim=1).mean()
    if mode == "bnpo":
        return masked_sum(per_token, mask) / mask.sum().clamp(min=1)
    if mode == "dr_grpo":
        return masked_sum(per_token, mask) / (per_token.shape[0] * (max_len or per_token.shape[1]))
    if mode == "dapo":
        n = mask.sum().clamp(min=1) if num_tokens is None else num_tokens
        return masked_sum(per_token, mask) / n
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def grpo_loss(
    logp: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    eps_low: float = 0.2,
    eps_high: float | None = None,
    ref_logp: torch.Tensor | None = None,
    beta: float = 0.0,
    mode: str = "grpo",
    max_len: int | None = None,
    num_tokens: int | float | torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (2) aggregated by `mode`. Returns (loss, stats) with stats: clip_fraction (share of
    masked tokens where the clipped term is active), kl (mean k3, if a reference is given) and
    ratio (mean r). All of logp, old_logp, ref_logp, mask are (B, T) over response tokens."""
    per_token = clipped_surrogate(logp, old_logp, advantages, eps_low, eps_high, mask)
    stats = {}
    if ref_logp is not None and beta != 0.0:
        kl = kl_estimate(logp, torch.where(mask.bool(), ref_logp, logp.detach()), "k3")  # 0 off the mask
        per_token = per_token + beta * kl
        stats["kl"] = masked_mean(kl.detach(), mask).item()
    loss = aggregate_loss(per_token, mask, mode, max_len, num_tokens)
    with torch.no_grad():
        ratio = torch.exp(torch.where(mask.bool(), logp - old_logp, torch.zeros_like(logp)))
        eh = eps_low if eps_high is None else eps_high
        adv = advantages[:, None] if advantages.dim() == 1 else advantages
        clipped = ((ratio > 1 + eh) & (adv > 0)) | ((ratio < 1 - eps_low) & (adv < 0))
        stats["clip_fraction"] = masked_mean(clipped.float(), mask).item()
        stats["ratio"] = masked_mean(ratio, mask).item()
    return loss, stats
