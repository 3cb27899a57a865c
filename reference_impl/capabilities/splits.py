"""Held-out splits shared by the capability scripts.

Enumerable question spaces (reasoning, tool-use, self-improvement) are permuted once by a seeded generator and cut
(`permuted_split`); training batches are drawn from the training side with `draw`. Items named by their content
(layouts, key combinations, pictures) fall on a side by a keyed hash:

An item (a layout, a key combination, a picture) is named by a string of its content; it is held out
when sha256("<seed>:<key>") read as a number in [0, 1) falls below `share`. Identical items therefore
always land on the same side, the split is the same on every machine, and a different `seed` gives a
different split.
"""

from __future__ import annotations

import hashlib

import torch


def hash_unit(key: str, seed: int) -> float:
    """A number in [0, 1) fixed by (seed, key)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "little") / 2**64


def is_held_out(key: str, seed: int, share: float) -> bool:
    """True for the held-out side (about `share` of all keys)."""
    return hash_unit(key, seed) < share


def pick_seeds(env, key_fn, candidates, n: int, held: bool, seed: int, share: float) -> list[int]:
    """The first n of the `candidates` reset seeds whose episode (named by `key_fn(env)` after
    `env.reset(seed=...)`) lies on the held-out side (held=True) or on the training side."""
    out = []
    for s in candidates:
        env.reset(seed=int(s))
        if is_held_out(key_fn(env), seed, share) == held:
            out.append(int(s))
            if len(out) == n:
                return out
    raise ValueError(f"found only {len(out)} of {n} seeds on the {'held-out' if held else 'training'} side")


def permuted_split(items: list, share: float, seed: int) -> tuple[list, list]:
    """(training, held-out): `items` permuted by a generator seeded with `seed`, the first max(1, share * n) held out.
    Disjoint, and the same on every machine for the same seed."""
    perm = torch.randperm(len(items), generator=torch.Generator().manual_seed(seed)).tolist()
    n_held = max(1, int(round(share * len(items))))
    return [items[i] for i in perm[n_held:]], [items[i] for i in perm[:n_held]]


def draw(items: list, n: int, gen: torch.Generator) -> list:
    """n items drawn uniformly with replacement from `items` by `gen`."""
    return [items[i] for i in torch.randint(len(items), (n,), generator=gen).tolist()]
