#!/usr/bin/env python3
"""Hostile input: time and peak memory of `rl-atlas validate` on the cases of issue 13, against their budgets.

Each case is made in a fresh copy of the real catalog and validated by `python -m rl_atlas.cli validate` in a
child process: a recursive alias, an alias bomb ("billion laughs"), a duplicate key in Search-R1, a 30 MB summary
and a symbolic link to a file outside the catalog. Budgets (issue 13): exit code 1, one coded line, under 2 s
and 200 MB each. The untouched catalog is measured too, as the reference. `tests/catalog/test_hostile_input.py`
runs the same cases and checks the exit code, the coded line and the memory.

    python benchmarks/hostile_input.py
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS, MEGABYTES = 2.0, 200

BILLION_LAUGHS = 'a0: &a0 "lol"\n' + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10))
# case -> the code its coded line must carry ("clean" is the untouched catalog)
CASES = {"clean": None, "recursive-alias": "CAT021", "alias-bomb": "CAT021", "duplicate-key": "CAT022",
         "huge-summary": "CAT023", "symlink-outside": "CAT028"}


def make_case(name: str, cat: Path) -> str | None:
    """Make one case in a copy of the catalog; returns the start of the coded line it must give."""
    papers = cat / "papers"
    if name == "clean":
        return None
    if name in ("recursive-alias", "alias-bomb"):
        rid, top, key = ("loop", "a: &a [*a, *a]\n", "a") if name == "recursive-alias" else ("laughs", BILLION_LAUGHS, "a0")
        (papers / f"{rid}.yaml").write_text(f"{top}id: {rid}\ntitle: A Hostile Record Named {rid}\n", encoding="utf-8")
        return f"papers/{rid}.yaml:1: {key}: anchor &{key}"
    if name == "duplicate-key":  # the example: append `year: 2019` to Search-R1
        text = (papers / "search-r1.yaml").read_text(encoding="utf-8")
        (papers / "search-r1.yaml").write_text(text + "year: 2019\n", encoding="utf-8")
        first = text.splitlines().index("year: 2025") + 1
        return f"papers/search-r1.yaml:{text.count(chr(10)) + 1}: year: duplicate key 'year': also at line {first};"
    if name == "huge-summary":
        with open(papers / "huge.yaml", "w", encoding="utf-8") as fh:
            fh.write("id: huge\ntitle: A Record with a Thirty-Megabyte Summary\nsummary: ")
            fh.write("x" * (30 * 2**20) + "\n")
        return "papers/huge.yaml:1: file is 31,457,"
    assert name == "symlink-outside", name
    secret = cat.parent / "outside.yaml"
    secret.write_text("id: escape\ntitle: A Record That Lives Outside the Catalog\n", encoding="utf-8")
    (papers / "escape.yaml").symlink_to(secret)
    return "papers/escape.yaml:1: a symbolic link to"


# A fresh interpreter runs the CLI and reports the child's peak memory. Its address-space limit stops a regression
# long before it can take the machine (the alias bomb took 3.9 GB before issue 13).
_WRAPPER = """
import resource, subprocess, sys
try:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
except (ValueError, OSError):
    pass
r = subprocess.run([sys.executable, "-m", "rl_atlas.cli", "validate", "--catalog", sys.argv[1]], timeout=60)
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
print(f"peak-rss-kb {kb}", file=sys.stderr)
sys.exit(r.returncode)
"""


def run_validate(cat: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Validate `cat` in a child process: (result, wall seconds, peak resident memory in MB)."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", _WRAPPER, str(cat)], cwd=cat.parent, capture_output=True, text=True,
                       timeout=120)
    wall = time.perf_counter() - t
    m = re.search(r"peak-rss-kb (\d+)", r.stderr)
    return r, wall, (int(m.group(1)) / 1024 if m else float("nan"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    args = ap.parse_args()
    print(f"{'case':<16} {'exit':>4} {'seconds':>8} {'x 2 s':>6} {'peak MB':>8} {'x 200 MB':>8}  coded line")
    for name in args.cases:
        with tempfile.TemporaryDirectory() as tmp:
            cat = Path(tmp) / "catalog"
            shutil.copytree(ROOT / "catalog", cat)
            expect = make_case(name, cat)
            r, wall, mb = run_validate(cat)
        line = next((ln for ln in r.stdout.splitlines() if expect and ln.startswith(f"catalog/{expect}")), "")
        shown = (line[:70] + "...") if len(line) > 70 else line
        print(f"{name:<16} {r.returncode:>4} {wall:>8.2f} {wall / SECONDS:>6.2f} {mb:>8.0f} {mb / MEGABYTES:>8.2f}  {shown}"
              + ("  TRACEBACK" if "Traceback" in r.stdout + r.stderr else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
