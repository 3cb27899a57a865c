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


# -- reference implementations: one torch thread, deterministic kernels, a seed per learning test ----------------
# Only tests under tests/reference_impl and tests/capabilities import torch; the catalog and site tests must not,
# so torch is imported lazily here, for those tests alone.
TORCH_TEST_DIRS = ("reference_impl", "capabilities", "hf")


@pytest.fixture(autouse=True)
def _pin_torch(request):
    """One CPU thread and deterministic algorithms, so a run does not depend on the machine's core count."""
    if Path(str(request.node.fspath)).parent.name not in TORCH_TEST_DIRS:
        yield
        return
    import torch

    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


@pytest.fixture
def learning_seed(record_property) -> int:
    """A fresh random seed per learning-test run (never a hand-picked one), or $RL_ATLAS_TEST_SEED to replay a
    failure. The seed is recorded in the report; put it in the assertion message too."""
    from tests.capabilities._learning import learning_seed as draw

    seed = draw()
    record_property("seed", seed)
    print(f"learning seed {seed} (replay with RL_ATLAS_TEST_SEED={seed})")
    return seed


# -- parallel runs (pytest-xdist, `-n auto --maxprocesses 4 --dist loadgroup` in `make test`) ----------------------
# The site tests share one session-scoped build of the site (tens of seconds): they form one xdist group, so
# that build happens on one worker only. The learning runs (`slow`) are collected first, so the workers share them
# out at the start instead of one worker meeting several at the end.
def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent.name == "site":
            item.add_marker(pytest.mark.xdist_group("site"))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: file order kept otherwise
