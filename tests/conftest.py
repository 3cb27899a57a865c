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
