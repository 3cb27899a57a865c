"""Device choice, mixed precision and seeding, shared by every reference script."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def pick_device(name: str | None = None) -> torch.device:
    """Return `torch.device(name)` when a name is given, else (None, "" or "auto") cuda when available, else cpu."""
    if name and name != "auto":
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextlib.contextmanager
def autocast(device: torch.device | str) -> Iterator[None]:
    """bf16 autocast on cuda; does nothing on cpu (CPU runs stay in float32 so tests are exact)."""
    device = torch.device(device)
    if device.type == "cuda":
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            yield
    else:
        yield


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
