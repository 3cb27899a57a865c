"""Who wrote each token, which tokens the loss trains on, and padding of uneven rows.

An agentic rollout interleaves three kinds of tokens:
  PROMPT  the task given to the agent (context only),
  POLICY  tokens the policy sampled (the only ones the loss trains on),
  ENV     tokens inserted by a tool or environment (e.g. a calculator result).
ENV tokens condition later policy tokens but were not chosen by the policy, so they must
count neither in the loss nor in its denominators (token counts). Building the loss mask
from roles (`policy_mask`) gives both for free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import torch


class Role(IntEnum):
    PROMPT = 0
    POLICY = 1
    ENV = 2


PROMPT, POLICY, ENV = Role.PROMPT, Role.POLICY, Role.ENV
PAD_ROLE = -1  # role value written at padded positions by `collate`


@dataclass
class TokenBuffer:
    """One sequence built from segments, each tagged with the role that produced it."""

    ids: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)

    def add(self, ids: Iterable[int], role: Role) -> "TokenBuffer":
        ids = [int(i) for i in ids]
        self.ids.extend(ids)
        self.roles.extend([int(role)] * len(ids))
        return self

    @property
    def policy_mask(self) -> list[int]:
        return [int(r == POLICY) for r in self.roles]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Batch:
    input_ids: torch.Tensor  # (B, T)
    attention_mask: torch.Tensor  # (B, T) 1 = real token (any role), 0 = padding
    roles: torch.Tensor  # (B, T) Role values, PAD_ROLE on padding
    policy_mask: torch.Tensor  # (B, T) 1 = POLICY token

    @property
    def loss_mask(self) -> torch.Tensor:
        """(B, T-1) policy mask aligned with `token_logprobs` output (which predicts x_1..x_{T-1})."""
        return self.policy_mask[:, 1:]


def pad_sequences(
    seqs: Sequence[Sequence[int]], pad_value: int, side: str = "left", device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad uneven lists to a (B, T) tensor and a (B, T) mask of real entries.
    Left padding suits prompts fed to `generate`; the model accepts either side."""
    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right'")
    rows = [s.tolist() if isinstance(s, torch.Tensor) else list(s) for s in seqs]
    T = max(map(len, rows), default=0)
    if not rows:
        return torch.zeros((0, T), dtype=torch.long, device=device), torch.zeros((0, T), dtype=torch.long, device=device)
    fill = [[pad_value] * (T - len(r)) for r in rows]  # built as lists, one tensor call: rows run in the thousands
    ones = [[1] * len(r) for r in rows]
    zeros = [[0] * (T - len(r)) for r in rows]
    if side == "left":
        ids = torch.tensor([f + r for f, r in zip(fill, rows)], dtype=torch.long)
        mask = torch.tensor([z + o for z, o in zip(zeros, ones)], dtype=torch.long)
    else:
        ids = torch.tensor([r + f for f, r in zip(fill, rows)], dtype=torch.long)
        mask = torch.tensor([o + z for z, o in zip(zeros, ones)], dtype=torch.long)
    return ids.to(device), mask.to(device)


def collate(buffers: Sequence[TokenBuffer], pad_id: int, side: str = "right", device=None) -> Batch:
    """Stack TokenBuffers of uneven length into one padded Batch."""
    ids, mask = pad_sequences([b.ids for b in buffers], pad_id, side, device)
    roles, _ = pad_sequences([b.roles for b in buffers], PAD_ROLE, side, device)
    return Batch(ids, mask, roles, (roles == POLICY).long())


def masked_sum(x: torch.Tensor, mask: torch.Tensor, dim=None) -> torch.Tensor:
    """Sum of x where mask is 1. Uses `where`, so NaN/inf at masked places do not leak."""
    x = torch.where(mask.bool(), x, torch.zeros_like(x))
    return x.sum() if dim is None else x.sum(dim)


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim=None) -> torch.Tensor:
    """Mean of x over entries where mask is 1 (count clamped at 1 so empty rows give 0)."""
    count = mask.sum() if dim is None else mask.sum(dim)
    return masked_sum(x, mask, dim) / count.clamp(min=1)
