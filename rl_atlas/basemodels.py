"""Normalising base-model names: "Qwen2.5-7B-Instruct" -> {family: Qwen2.5, size: 7B, variant: Instruct}.

Curators and `rl-atlas add` write base models as plain names; `parse_base_model` splits them at the parameter
count. A name without a count (e.g. "GPT-4o") keeps the whole name as its family.
"""

from __future__ import annotations

import re

# A parameter count as a whole dash-separated part: 7B, 0.5B, 350M, 30B-A3B, 8x7B.
_SIZE = re.compile(r"(?:^|-)((?:[0-9]+x)?[0-9]+(?:\.[0-9]+)?[BMbm](?:-A[0-9]+(?:\.[0-9]+)?[Bb])?)(?=-|$)")


def parse_base_model(name: str) -> dict:
    """Split a model name into family, size and variant (the keys of `BaseModelRef`); None parts are omitted."""
    text = re.sub(r"\s+", "", name.strip())
    m = _SIZE.search(text)
    if not m or "x" in m.group(1):
        return {"family": text}
    size = m.group(1)
    size = size[:-1] + size[-1].upper()
    size = re.sub(r"-a", "-A", size).replace("b", "B")
    family = text[: m.start()].strip("-")
    variant = text[m.end():].strip("-") or None
    out = {"family": family or text, "size": size}
    if variant:
        out["variant"] = variant
    return out
