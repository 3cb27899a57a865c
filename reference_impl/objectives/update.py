"""The PPO-style update loop every policy-gradient script shares: several epochs over minibatches.

Catalog: catalog/algorithms/ppo.yaml (the epochs-and-minibatches schedule; the loss is the caller's)

One batch of rollouts is collected under pi_old. Its log-probs are recorded once, then the batch is reused
for `epochs` passes, each split into `minibatches` random slices, with one optimiser step per slice
(Schulman et al. 2017, Algorithm 1; verl's `ppo_epochs` / `ppo_mini_batch_size`, TRL's
`num_iterations` / `steps_per_generation`). With epochs = minibatches = 1 the ratio pi / pi_old is exactly
1 at the only step, so the clip never fires and the update is the plain policy gradient; from the second
step on the policy has moved, the ratio leaves 1 and the clipped surrogate (and DAPO's clip-higher) starts
to matter. The caller's `loss_fn` is any of the token-level objectives in this package:

    loss_fn(logp, old_logp, advantages, mask, ref_logp=None) -> (loss, stats)

e.g. `functools.partial(grpo.grpo_loss, eps_low=0.2, eps_high=0.28, mode="dapo")`. Each minibatch's loss is
normalised within that minibatch (every optimiser step sees a mean, as in verl).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import torch

from reference_impl.core.device import autocast
from reference_impl.core.masks import Batch
from reference_impl.core.sampling import token_logprobs

ALGORITHM = "ppo"


def minibatch_indices(n: int, minibatches: int, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """A random permutation of range(n) cut into `minibatches` nearly equal slices (none empty)."""
    if minibatches < 1:
        raise ValueError("minibatches must be >= 1")
    perm = torch.randperm(n, generator=generator)
    return [chunk for chunk in perm.chunk(min(minibatches, n)) if chunk.numel()]


def policy_update(
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    batch: Batch,
    advantages: torch.Tensor,
    loss_fn: Callable,
    *,
    epochs: int = 1,
    minibatches: int = 1,
    ref: torch.nn.Module | None = None,
    temperature: float = 1.0,
    max_grad_norm: float | None = 1.0,
    generator: torch.Generator | None = None,
    old_logp: torch.Tensor | None = None,
) -> dict[str, float]:
    """Run epochs x minibatches optimiser steps on one batch; return the stats averaged over the steps.

    `batch` comes from `core.collate` (its `loss_mask` marks the policy's own tokens: prompt and ENV tokens
    never enter the loss or its denominators). `advantages` is (B,) per sequence or (B, T-1) per token.
    `old_logp` defaults to the model's log-probs on the batch before the first step, at `temperature`
    (pass the sampler's recorded ones to save a forward pass; not computed for a `loss_fn` whose attribute
    `reads_old_logp` is False). With `ref`, the frozen reference's
    log-probs are passed to `loss_fn` as `ref_logp` (for a KL term).
    Stats: the loss_fn's (clip_fraction, ratio, kl, ...) averaged, plus `loss` and `updates`.
    """
    device = batch.input_ids.device
    mask = batch.loss_mask.float()
    advantages = advantages.to(device)
    with torch.no_grad(), autocast(device):
        if old_logp is None and getattr(loss_fn, "reads_old_logp", True):
            old_logp = token_logprobs(model, batch.input_ids, batch.attention_mask, temperature=temperature)
        ref_logp = token_logprobs(ref, batch.input_ids, batch.attention_mask, temperature=temperature) if ref is not None else None
    # a loss marked `reads_old_logp = False` (RFT's cross-entropy) never reads pi_old: its forward pass is skipped
    old_logp = torch.zeros_like(mask) if old_logp is None else old_logp.float()
    totals: dict[str, float] = defaultdict(float)
    steps = 0
    for _ in range(epochs):
        for idx in minibatch_indices(batch.input_ids.shape[0], minibatches, generator):
            idx = idx.to(device)
            with autocast(device):
                logp = token_logprobs(model, batch.input_ids[idx], batch.attention_mask[idx], temperature=temperature)
            loss, stats = loss_fn(logp.float(), old_logp[idx], advantages[idx], mask[idx],
                                  ref_logp=None if ref_logp is None else ref_logp[idx].float())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            opt.step()
            totals["loss"] += loss.item()
            for k, v in stats.items():
                totals[k] += float(v)
            steps += 1
    out = {k: v / max(steps, 1) for k, v in totals.items()}
    out["updates"] = steps
    return out
