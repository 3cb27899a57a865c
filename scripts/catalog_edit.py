"""Small helpers for scripted catalog maintenance: read and write records in schema field order."""

from __future__ import annotations

from pathlib import Path

import yaml

from rl_atlas.schemas import KINDS

ROOT = Path(__file__).resolve().parent.parent / "catalog"


def read(kind: str, rid: str) -> dict:
    return yaml.safe_load((ROOT / kind / f"{rid}.yaml").read_text(encoding="utf-8"))


def write(kind: str, rec: dict) -> Path:
    """Write a record with its fields in the model's order, omitting empty values."""
    order = list(KINDS[kind].model_fields)
    out = {k: rec[k] for k in order if k in rec and rec[k] not in (None, [], {}, "")}
    extra = set(rec) - set(order)
    if extra:
        raise ValueError(f"unknown fields {extra}")
    path = ROOT / kind / f"{rec['id']}.yaml"
    path.write_text(yaml.safe_dump(out, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    return path
