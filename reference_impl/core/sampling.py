"""Batched, KV-cached sampling and per-token log-probabilities.

`generate` returns log-probs of the sampled tokens under the policy it sampled from, softened by the
sampling temperature: log softmax(z / T)[token], as TRL and verl record them. `token_logprobs(...,
temperature=T)` recomputes exactly those on the same sequence, so the ratio of a ratio-based objective
(PPO, GRPO, GSPO) compares the same distribution before and after an update. Top-k is not folded in (as
in TRL and verl): it only truncates where tokens are drawn from. Greedy decoding (T <= 0) records the
raw (T = 1) log-probs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Rollout:
    sequences: torch.Tensor  # (B, P+N) prompt then response; after a row stops its slots hold pad_id
    attention_mask: torch.Tensor  # (B, P+N) 1 for real tokens (prompt tokens and response tokens kept)
    response_mask: torch.Tensor  # (B, N) 1 for generated tokens up to and including the first stop token
    logprobs: torch.Tensor  # (B, N) log softmax(logits / T)[token] at the sampling temperature T; 0 where masked

    @property
    def prompt_len(self) -> int:
        return self.sequences.shape[1] - self.response_mask.shape[1]

    @property
    def responses(self) -> torch.Tensor:
        """(B, N) the generated part of `sequences`."""
        return self.sequences[:, self.prompt_len :]


def _upcast(x: torch.Tensor) -> torch.Tensor:
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _row_chunks(logits: torch.Tensor, max_elems: int):
    """Split along the batch so that each chunk holds at most ~max_elems logits (at least one row)."""
    row = max(1, logits[0].numel()) if logits.shape[0] else 1
    return max(1, max_elems // row)


def selective_log_softmax(logits: torch.Tensor, index: torch.Tensor, max_elems: int = 1 << 24) -> torch.Tensor:
    """log_softmax(logits)[..., index] without materialising the full log-softmax tensor.

    log p_i = z_i - logsumexp(z). The batch is processed a few rows at a time (at most
    `max_elems` logits per chunk, 64 MiB in float32) to bound peak memory for large
    vocabularies; half-precision logits are upcast to float32 chunk by chunk.
    """
    out, rows = [], _row_chunks(logits, max_elems)
    for z, i in zip(logits.split(rows), index.split(rows)):
        z = _upcast(z)
        out.append(z.gather(-1, i.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(z, dim=-1))
    return torch.cat(out)


def entropy_from_logits(logits: torch.Tensor, max_elems: int = 1 << 24) -> torch.Tensor:
    """Entropy H = -sum_v p_v log p_v of each categorical in (..., V) logits, a few rows at a time."""
    out = []
    for z in logits.split(_row_chunks(logits, max_elems)):
        logp = F.log_softmax(_upcast(z), dim=-1)
        out.append(-(logp.exp() * logp).sum(-1))
    return torch.cat(out)


def token_logprobs(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    return_entropy: bool = False,
    temperature: float = 1.0,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Per-token log p(x_t | x_<t) for t = 1..T-1: shape (B, T-1), aligned with `input_ids[:, 1:]`.

    `temperature` divides the logits first (T <= 0 is treated as 1), matching what `generate` recorded
    when it sampled at that temperature.

    With `return_entropy`, also the entropy of each of those next-token distributions (B, T-1).
    Values at padded positions are meaningless: multiply by a mask. Runs with gradients;
    wrap it in `torch.no_grad()` for reference/old-policy log-probs, and in `core.autocast`
    for bf16 on GPU.
    """
    logits = model(input_ids, attention_mask=attention_mask).logits[:, :-1]
    if temperature > 0 and temperature != 1.0:
        logits = logits / temperature
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
    stopping: Callable[[torch.Tensor], torch.Tensor] | None = None,
    check_every: int | None = None,
) -> Rollout:
    """Sample up to `max_new_tokens` for every row of a LEFT-padded prompt batch.

    temperature <= 0 means greedy decoding. A row stops after its first token in `stop_ids`;
    later slots hold `pad_id` with attention/response mask 0. The loop ends early once every
    row has stopped, so N = response length may be below `max_new_tokens`. The model is put in
    eval mode for the call and restored afterwards. Wrap in `core.autocast` for bf16 on GPU.

    `stopping` (optional) maps the sequences so far (B, P+t) to a (B,) bool of rows that have just completed a
    stop string (e.g. `HFTokenizer.stop_on([...])`); such rows stop like rows that drew a stop id.
    Positions are passed explicitly, p = cumsum(mask) - 1, so left padding is harmless for any model that
    takes `position_ids` (the tiny one derives the same). Whether every row has stopped is read on the host
    only every `check_every` steps (default: every step on cpu, where reading is free; every 8 on cuda, where
    each read stalls the queue); steps run past the last stop are trimmed at the end.
    """
    was_training = model.training
    model.eval()
    device = prompt_ids.device
    B = prompt_ids.shape[0]
    stops = torch.tensor(sorted(set(stop_ids or ())), dtype=torch.long, device=device)
    can_stop = bool(stops.numel()) or stopping is not None
    check_every = check_every or (1 if device.type == "cpu" else 8)
    seq, mask = prompt_ids, prompt_mask.long()
    done = torch.zeros(B, dtype=torch.bool, device=device)
    tokens, logps, alive = [], [], []
    past, step_input = None, prompt_ids
    for step in range(max_new_tokens):
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        if use_cache:
            out = model(step_input, attention_mask=mask, past_key_values=past,
                        position_ids=positions[:, -step_input.shape[1]:])
            past = out.past_key_values
        else:  # recompute the whole prefix every step (the slow baseline)
            out = model(seq, attention_mask=mask, position_ids=positions)
        logits = out.logits[:, -1].float()
        tok = _sample(logits, temperature, top_k, generator)
        scaled = logits / temperature if temperature > 0 and temperature != 1.0 else logits
        tok_logp = selective_log_softmax(scaled[:, None], tok[:, None])[:, 0]
        active = ~done
        tok = torch.where(active, tok, torch.full_like(tok, pad_id))
        tokens.append(tok)
        logps.append(torch.where(active, tok_logp, torch.zeros_like(tok_logp)))
        alive.append(active)
        if stops.numel():
            done = done | (active & torch.isin(tok, stops))
        seq = torch.cat([seq, tok[:, None]], dim=1)
        mask = torch.cat([mask, active[:, None].long()], dim=1)
        if stopping is not None:
            done = done | (active & stopping(seq))
        step_input = tok[:, None]
        if can_stop and (step + 1) % check_every == 0 and bool(done.all()):
            break
    model.train(was_training)
    if not tokens:
        empty = prompt_ids.new_zeros(B, 0)
        return Rollout(prompt_ids, mask, empty, empty.float())
    alive = torch.stack(alive, dim=1)
    n = int(alive.any(0).nonzero().max()) + 1 if bool(alive.any()) else 0  # drop steps after every row stopped
    P = prompt_ids.shape[1]
    return Rollout(
        sequences=seq[:, : P + n],
        attention_mask=mask[:, : P + n],
        response_mask=alive[:, :n].long(),
        logprobs=torch.stack(logps, dim=1)[:, :n],
    )
