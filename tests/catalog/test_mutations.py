"""1,000 random corruptions of real records: each ends in coded problems with file and line, never a traceback.

Each case copies one real paper record into the small fixture catalog (as `papers/mutant.yaml`), corrupts it one
way (a wrong type, truncated YAML, an unknown id, a bad link, binary bytes, a misspelt field) and loads the catalog.
Mutations that must break the record (all but truncation, which can land on a line boundary and leave a valid
prefix) must give at least one error located in that file.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from rl_atlas import CODES, load_catalog

ROOT = Path(__file__).resolve().parents[2]
N_CASES = 1000
TYPED = ["year", "authors", "title", "capabilities", "algorithms", "base_models", "links", "training", "role",
         "reward_type", "survey_refs", "identifiers", "environments", "interaction"]


def _records() -> list[str]:
    texts = []
    for path in sorted((ROOT / "catalog" / "papers").glob("*.yaml"))[::7]:
        text = path.read_text(encoding="utf-8")
        texts.append(re.sub(r"^id: .*$", "id: mutant", text, count=1, flags=re.M))
    return texts


def mutate(text: str, rng: random.Random) -> tuple[str | bytes, str]:
    kind = rng.choice(["type", "truncate", "ref", "link", "binary", "field", "enum"])
    lines = text.splitlines()
    if kind == "type":
        name = rng.choice(TYPED)
        bad = rng.choice(["{a: 1}", "[[1, 2]]", "12.5", "[{x: y}]", "'x' * 3"])
        # drop the block that belonged to the field, then append the wrong-typed value
        text = re.sub(rf"^{name}:.*(?:\n(?:[ -].*))*", "", text + "\n", flags=re.M)
        if name in ("title", "role", "reward_type", "interaction"):
            bad = rng.choice(["{a: 1}", "[[1, 2]]", "[]", "{}"])
        elif name in ("links", "identifiers"):
            bad = rng.choice(["[[1, 2]]", "12.5", "[a, b]", "'x' * 3"])
        return text + f"{name}: {bad}\n", kind
    if kind == "truncate":
        cut = rng.randrange(1, max(2, len(text) - 1))
        return text[:cut], kind
    if kind == "ref":
        field = rng.choice(["algorithms", "environments", "frameworks", "capabilities", "related"])
        text = re.sub(rf"^{field}:.*(?:\n(?:- .*))*\n?", "", text, flags=re.M)
        return text + f"{field}:\n- no-such-{field}-{rng.randrange(1000)}\n", kind
    if kind == "link":
        text = re.sub(r"^links:.*(?:\n(?:  .*))*\n?", "", text, flags=re.M)
        bad = rng.choice(["http://github.com/x/y", "ftp://x", "github.com/x/y", "https://example.com/not-code"])
        key = "code" if bad.endswith("not-code") else rng.choice(["paper", "code", "website"])
        return text + f"links:\n  {key}: {bad}\n", kind
    if kind == "binary":
        raw = bytearray(text.encode())
        pos = rng.randrange(len(raw))
        raw[pos:pos] = rng.choice([b"\x00", b"\xff\xfe", b"\x80\x81", bytes(rng.randrange(256) for _ in range(8)) + b"\xc3"])
        return bytes(raw), kind
    if kind == "enum":
        field, bad = rng.choice([("role", "wizard"), ("training", "[magic]"), ("reward_type", "vibes"),
                                 ("interaction", "telepathic"), ("placement", "nowhere")])
        text = re.sub(rf"^{field}:.*(?:\n(?:- .*))*\n?", "", text, flags=re.M)
        return text + f"{field}: {bad}\n", kind
    starts = [i for i, ln in enumerate(lines) if re.match(r"^[a-z_]+:", ln)][1:] + [len(lines)]
    lines.insert(rng.choice(starts), f"{rng.choice(['titel', 'yeer', 'algorithm', 'Capabilities'])}: x")
    return "\n".join(lines) + "\n", "field"


@pytest.fixture(scope="module")
def records():
    return _records()


def test_a_thousand_corruptions_give_located_coded_errors(tmp_path, records):
    base = tmp_path / "catalog"
    shutil.copytree(ROOT / "tests" / "fixtures" / "mini", base)
    target = base / "papers" / "mutant.yaml"
    kinds: dict[str, int] = {}
    for i in range(N_CASES):
        rng = random.Random(i)
        data, kind = mutate(rng.choice(records), rng)
        kinds[kind] = kinds.get(kind, 0) + 1
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
        cat = load_catalog(base)  # must not raise, whatever the bytes
        mine = [p for p in cat.problems if p.path.endswith("mutant.yaml")]
        for p in mine:
            assert p.code in CODES and p.line >= 1, (i, kind, str(p))
        if kind != "truncate":
            assert any(p.severity == "error" for p in mine), (i, kind, data[:400], [str(p) for p in cat.problems])
    assert len(kinds) == 7 and min(kinds.values()) > 50, kinds
