"""Batched, KV-cached sampling and per-token log-probabilities.

`generate` returns log-probs of the sampled tokens under the RAW policy (temperature 1, no
top-k), i.e. exactly what `token_logprobs` recomputes later on the same sequence. Those are
the "old policy" log-probs that ratio-based objectives (PPO, GRPO, GSPO) need, whatever
temperature or top-k was used to draw the tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Rollout:
    sequences: torch.Tensor  # (B, P+N) prompt then response; after a row stops its slots hold pad_id
    attention_mask: torch.Tensor  # (B, P+N) 1 for real tokens (prompt tokens and response tokens kept)
    response_mask: torch.Tensor  # (B, N) 1 for generated tokens up to and including the first stop token
    logprobs: torch.Tensor  # (B, N) log pi(token) at temperature 1; 0 where response_mask is 0

    @property
    def prompt_len(self) -> int:
        return self.sequences.shape[1] - self.response_mask.shape[1]

    @property
    def responses(self) -> torch.Tensor:
        """(B, N) the generated part of `sequences`."""
        return self.sequences[:, self.prompt_len :]


def _upcast(x: torch.Tensor) -> torch.Tensor:
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def selective_log_softmax(logits: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """log_softmax(logits)[..., index] without materialising the full (B, T, V) log-softmax.

    log p_i = z_i - logsumexp(z). One row of the batch at a time keeps the peak memory at one
    (T, V) block; half-precision logits are upcast to float32 row by row.
    """
    out = []
    for row_logits, row_index in zip(logits, index):
        row_logits = _upcast(row_logits)
        picked = row_logits.gather(-1, row_index.unsqueeze(-1)).squeeze(-1)
        out.append(picked - torch.logsumexp(row_logits, dim=-1))
    return torch.stack(out)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Entropy H = -sum_v p_v log p_v of each categorical in (..., V) logits, row by row."""
    out = []
    for row in logits:
        logp = F.log_softmax(_upcast(row), dim=-1)
        out.append(-(logp.exp() * logp).sum(-1))
    return torch.stack(out)


def token_logprobs(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    return_entropy: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Per-token log p(x_t | x_<t) for t = 1..T-1: shape (B, T-1), aligned with `input_ids[:, 1:]`.

    With `return_entropy`, also the entropy of each of those next-token distributions (B, T-1).
    Values at padded positions are meaningless: multiply by a mask. Runs with gradients;
    wrap it in `torch.no_grad()` for reference/old-policy log-probs, and in `core.autocast`
    for bf16 on GPU.
    """
    logits = model(input_ids, attention_mask=attention_mask).logits[:, :-1]
    logp = selective_log_softmax(logits, input_ids[:, 1:])
    if return_entropy:
        return logp, entropy_from_logits(logits)
    return logp


def _sample(logits: torch.Tensor, temperature: float, top_k: int | None, generator) -> torch.Tensor:
    if temperature <= 0:  # greedy
        return logits.argmax(-1)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@torch.no_grad()
def generate(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    stop_ids: Iterable[int] | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
    pad_id: int = 0,
) -> Rollout:
    """Sample up to `max_new_tokens` for every row of a LEFT-padded prompt batch.

    temperature <= 0 means greedy decoding. A row stops after its first token in `stop_ids`;
    later slots hold `pad_id` with attention/response mask 0. The loop ends early once every
    row has stopped, so N = response length may be below `max_new_tokens`. The model is put in
    eval mode for the call and restored afterwards. Wrap in `core.autocast` for bf16 on GPU.
    """
    was_training = model.training
    model.eval()
    device = prompt_ids.device
    B = prompt_ids.shape[0]
    stops = torch.tensor(sorted(set(stop_ids or ())), dtype=torch.long, device=device)
    seq, mask = prompt_ids, prompt_mask.long()
    done = torch.zeros(B, dtype=torch.bool, device=device)
    tokens, logps, alive = [], [], []
    past, step_input = None, prompt_ids
    for _ in range(max_new_tokens):
        if use_cache:
            out = model(step_input, attention_mask=mask, past_key_values=past)
            past = out.past_key_values
        else:  # recompute the whole prefix every step (the slow baseline)
            out = model(seq, attention_mask=mask)
        logits = out.logits[:, -1].float()
        tok = _sample(logits, temperature, top_k, generator)
        tok_logp = selective_log_softmax(logits[:, None], tok[:, None])[:, 0]
        active = ~done
        tok = torch.where(active, tok, torch.full_like(tok, pad_id))
        tokens.append(tok)
        logps.append(torch.where(active, tok_logp, torch.zeros_like(tok_logp)))
        alive.append(active)
        if stops.numel():
            done = done | (active & torch.isin(tok, stops))
        seq = torch.cat([seq, tok[:, None]], dim=1)
        mask = torch.cat([mask, active[:, None].long()], dim=1)
        step_input = tok[:, None]
        if stops.numel() and bool(done.all()):
            break
    model.train(was_training)
    if not tokens:
        empty = prompt_ids.new_zeros(B, 0)
        return Rollout(prompt_ids, mask, empty, empty.float())
    return Rollout(
        sequences=seq,
        attention_mask=mask,
        response_mask=torch.stack(alive, dim=1).long(),
        logprobs=torch.stack(logps, dim=1),
    )
