"""Held-out splits shared by the capability scripts: a keyed hash decides which side an item falls on.

An item (a layout, a key combination, a picture) is named by a string of its content; it is held out
when sha256("<seed>:<key>") read as a number in [0, 1) falls below `share`. Identical items therefore
always land on the same side, the split is the same on every machine, and a different `seed` gives a
different split.
"""

from __future__ import annotations

import hashlib


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
