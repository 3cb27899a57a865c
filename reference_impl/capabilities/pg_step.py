"""The policy-gradient and rejection-sampling steps shared by the memory, planning, perception and long-horizon scripts.

Catalog: catalog/algorithms/grpo.yaml (the loss), catalog/algorithms/ppo.yaml (the epochs x minibatches loop)

Every learner in those scripts hands its rollouts to `objectives.update.policy_update` through `grpo_step`:
the token-level clipped surrogate of `objectives.grpo.grpo_loss` (eq. 2 there), reused for `ppo_epochs`
passes over `minibatches` random slices, so from the second optimiser step on the ratio pi / pi_old leaves 1
and the clip (with DAPO's separate upper range `eps_high`) acts. `rft_step` is the rejection-sampling
fine-tuning baseline (RFT, Yuan et al. 2023; STaR, Zelikman et al. 2022): plain cross-entropy on the
policy's own samples that earned the reward, through the same loop, so it gets the same number of
optimiser steps on the same rollouts.

Sequences may be built by hand (multi-turn transcripts with ENV tokens): pass `input_ids` (B, T) and a
(B, T-1) `loss_mask` aligned with `core.token_logprobs` (1 on the policy's own tokens only).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import torch

from reference_impl.core.masks import POLICY, PROMPT, Batch, masked_sum
from reference_impl.core.reference import frozen_copy
from reference_impl.objectives import grpo
from reference_impl.objectives.update import policy_update


@dataclass
class PGFlags:
    """PPO-style update flags; a script's Config inherits them (one --flag each)."""

    ppo_epochs: int = field(default=1, metadata={"help": "passes over each batch of rollouts (PPO epochs)"})
    minibatches: int = field(default=2, metadata={"help": "optimiser steps per pass, each on a random slice of the batch"})
    eps_low: float = field(default=0.2, metadata={"help": "lower clip range of the ratio"})
    eps_high: float = field(default=0.28, metadata={"help": "upper clip range of the ratio (DAPO clip-higher when > eps_low)"})
    kl_coef: float = field(default=0.0, metadata={"help": "weight of GRPO's k3 KL term to the frozen warm-up policy (0: none)"})
    lr_schedule: str = field(default="constant", metadata={"help": "learning rate over the RL updates: constant | linear "
                                                           "(decays to 0, TRL's default); the same for every learner"})

    def __post_init__(self):
        """Refuse an unknown --lr-schedule while the flags are parsed, before any work."""
        if self.lr_schedule not in LR_SCHEDULES:
            raise SystemExit(f"--lr-schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}")


LR_SCHEDULES = ("constant", "linear")


def lr_scheduler(opt: torch.optim.Optimizer, cfg: PGFlags, updates: int) -> torch.optim.lr_scheduler.LambdaLR:
    """cfg.lr_schedule over `updates` iterations; step it once per iteration (not per minibatch)."""
    linear = cfg.lr_schedule == "linear"
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda it: max(0.0, 1.0 - it / max(updates, 1)) if linear else 1.0)


def as_batch(input_ids: torch.Tensor, loss_mask: torch.Tensor, attention_mask: torch.Tensor | None = None) -> Batch:
    """A `core.Batch` for sequences assembled by hand: `loss_mask` (B, T-1) marks the policy's tokens."""
    policy = torch.zeros_like(input_ids, dtype=torch.bool)
    policy[:, 1:] = loss_mask.bool().to(input_ids.device)
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    roles = torch.where(policy, torch.full_like(input_ids, int(POLICY)), torch.full_like(input_ids, int(PROMPT)))
    return Batch(input_ids=input_ids, attention_mask=attention_mask, roles=roles, policy_mask=policy.long())


def kl_reference(model: torch.nn.Module, cfg: PGFlags) -> torch.nn.Module | None:
    """A frozen copy of `model` (the warm-up policy) for GRPO's KL term, or None when cfg.kl_coef is 0."""
    return frozen_copy(model) if cfg.kl_coef > 0 else None


def grpo_step(model, opt, batch: Batch, advantages: torch.Tensor, cfg: PGFlags, gen: torch.Generator,
              mode: str = "bnpo", ref: torch.nn.Module | None = None) -> dict[str, float]:
    """GRPO's clipped surrogate over cfg.ppo_epochs x cfg.minibatches steps. `advantages` is (B,) or (B, T-1).
    With cfg.kl_coef > 0 and a frozen `ref` (the warm-up policy), GRPO's k3 KL term to it is added."""
    use_kl = ref is not None and cfg.kl_coef > 0
    loss_fn = functools.partial(grpo.grpo_loss, eps_low=cfg.eps_low, eps_high=cfg.eps_high, mode=mode,
                                beta=cfg.kl_coef if use_kl else 0.0)
    return policy_update(model, opt, batch, advantages, loss_fn, epochs=cfg.ppo_epochs, minibatches=cfg.minibatches,
                         ref=ref if use_kl else None, generator=gen)


def rft_loss(logp, old_logp, keep, mask, ref_logp=None) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy on the kept samples only: keep (B,) is 1 for a rewarded sample, 0 otherwise.
    Normalised by the kept tokens of the minibatch; 0 (no gradient) when nothing is kept."""
    weight = mask * keep.to(mask.dtype)[:, None]
    loss = -masked_sum(logp, weight) / weight.sum().clamp(min=1)
    return loss, {"kept": float(keep.float().mean())}


rft_loss.reads_old_logp = False  # policy_update skips the pi_old forward pass for it


def rft_step(model, opt, batch: Batch, keep: torch.Tensor, cfg: PGFlags, gen: torch.Generator) -> dict[str, float]:
    """Rejection-sampling fine-tuning on the same rollouts and with the same number of optimiser steps."""
    return policy_update(model, opt, batch, keep.float(), rft_loss, epochs=cfg.ppo_epochs, minibatches=cfg.minibatches,
                         generator=gen)


def unit_variance(adv: torch.Tensor, valid: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Scale per-token advantages so that those at `valid` positions have standard deviation 1 over the batch
    (no re-centring). Used to give two advantage estimators the same step size."""
    vals = adv[valid.bool()]
    if vals.numel() < 2:
        return adv
    return adv / (vals.std() + eps)
