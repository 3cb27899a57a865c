"""Shared fixtures: the small fixture catalog and the real one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def mini(tmp_path) -> Path:
    """A writable copy of the small, valid fixture catalog."""
    dst = tmp_path / "catalog"
    shutil.copytree(FIXTURES / "mini", dst)
    return dst


@pytest.fixture(scope="session")
def real_catalog():
    from rl_atlas import load_catalog

    return load_catalog(ROOT / "catalog")


@pytest.fixture(scope="session")
def within_budget():
    """`within_budget(fn, *args)`: fn's result, after checking that the call took under 2 s (generous: the loader
    takes milliseconds) and allocated under 50 MB of Python objects at its peak (tracemalloc)."""
    import time
    import tracemalloc

    def run(fn, *args, seconds: float = 2.0, python_bytes: int = 50 * 2**20):
        tracemalloc.start()
        t = time.perf_counter()
        try:
            result = fn(*args)
        finally:
            took = time.perf_counter() - t
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert took < seconds, f"{took:.2f} s"
        assert peak < python_bytes, f"{peak / 2**20:.0f} MB of Python objects"
        return result

    return run
