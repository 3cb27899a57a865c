"""A small causal transformer policy (pre-LN, learned positions, optional value head).

It accepts left-padded batches: a token's position is the number of real tokens before it
(`cumsum(attention_mask) - 1`), so padding never shifts positions and a padded row gives the
same logits as the same row alone. It also keeps a key/value cache for fast sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

# One (key, value) pair per layer, each of shape (B, n_head, T_past, head_dim).
KVCache = tuple[tuple[torch.Tensor, torch.Tensor], ...]


@dataclass
class PolicyConfig:
    vocab_size: int
    """Number of token ids (take it from the tokenizer)."""
    n_layer: int = 2
    """Transformer blocks."""
    n_head: int = 4
    """Attention heads per block; must divide n_embd."""
    n_embd: int = 64
    """Width of the residual stream."""
    block_size: int = 128
    """Longest sequence (counted in real, unpadded tokens) the position table covers."""
    value_head: bool = False
    """Add a scalar value head (for PPO-style critics)."""
    dropout: float = 0.0
    """Dropout on embeddings, attention and residual branches (0 for RL fine-tuning)."""


class PolicyOutput(NamedTuple):
    logits: torch.Tensor  # (B, T, V)
    values: torch.Tensor | None  # (B, T) when cfg.value_head, else None
    past_key_values: KVCache  # the cache after this call (past + current tokens)


class SelfAttention(nn.Module):
    def __init__(self, cfg: PolicyConfig) -> None:
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0, "n_head must divide n_embd"
        self.n_head, self.dropout = cfg.n_head, cfg.dropout
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)

    def forward(self, x, mask, past):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        p = self.dropout if self.training else 0.0
        if mask is None:  # no padding and no cache: plain causal attention (fastest kernel)
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        return self.proj(y.transpose(1, 2).reshape(B, T, C)), (k, v)


class Block(nn.Module):
    def __init__(self, cfg: PolicyConfig) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.n_embd), nn.LayerNorm(cfg.n_embd)
        self.attn = SelfAttention(cfg)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.GELU(), nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, mask, past):
        a, kv = self.attn(self.ln1(x), mask, past)
        x = x + self.drop(a)
        x = x + self.drop(self.mlp(self.ln2(x)))
        return x, kv


class TinyTransformer(nn.Module):
    def __init__(self, cfg: PolicyConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.pos_emb = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight  # tied input/output embeddings, as in GPT-2
        self.value = nn.Linear(cfg.n_embd, 1) if cfg.value_head else None
        self.apply(self._init)
        for name, p in self.named_parameters():  # scale residual projections by depth (GPT-2)
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(
        self,
        idx: torch.Tensor | None,
        attention_mask: torch.Tensor | None = None,
        past_key_values: KVCache | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> PolicyOutput:
        """idx (B, T) are the new tokens. attention_mask (B, T_past + T), 1 = real token, 0 = padding,
        covers the cached tokens too. Positions default to `cumsum(mask) - 1` (padding gets 0).
        `inputs_embeds` (B, T, C) replaces the token embeddings, e.g. image features used as a prefix
        followed by embedded text; positional embeddings are added to it as to tokens."""
        if inputs_embeds is None:
            inputs_embeds = self.tok_emb(idx)
        B, T = inputs_embeds.shape[:2]
        device = inputs_embeds.device
        past_len = past_key_values[0][0].shape[2] if past_key_values else 0
        S = past_len + T
        if attention_mask is not None and attention_mask.shape != (B, S):
            raise ValueError(f"attention_mask must be (B, past+T) = {(B, S)}, got {tuple(attention_mask.shape)}")
        if position_ids is None:
            if attention_mask is None:
                position_ids = torch.arange(past_len, S, device=device).expand(B, T)
            else:
                position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, past_len:]
        if S > self.cfg.block_size and int(position_ids.max()) >= self.cfg.block_size:  # sync only if needed
            raise ValueError(f"position {int(position_ids.max())} exceeds block_size {self.cfg.block_size}")

        mask = None
        if past_len > 0 or (attention_mask is not None and not bool(attention_mask.all())):
            q_pos = torch.arange(past_len, S, device=device)[:, None]
            k_pos = torch.arange(S, device=device)[None, :]
            keys = (
                attention_mask.bool()[:, None, None, :]
                if attention_mask is not None
                else torch.ones(B, 1, 1, S, dtype=torch.bool, device=device)
            )
            # Causal, and only real keys; a query always sees itself so that padded
            # queries (whose outputs are ignored) never get an all-masked row (NaN).
            mask = (k_pos <= q_pos) & (keys | (k_pos == q_pos))

        x = self.drop(inputs_embeds + self.pos_emb(position_ids))
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, mask, past_key_values[i] if past_key_values else None)
            new_cache.append(kv)
        x = self.ln_f(x)
        values = self.value(x).squeeze(-1) if self.value is not None else None
        return PolicyOutput(self.lm_head(x), values, tuple(new_cache))
