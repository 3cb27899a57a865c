#!/usr/bin/env python3
"""Catalog speed: load + validate the real catalog, a generated 10,000-record catalog, and a query after load.

Targets (issue #2): real catalog < 1 s; 10,000 synthetic records < 10 s on one core; a query < 50 ms.
Prints the figures with the machine they ran on; `--json FILE` also saves them.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rl_atlas import load_catalog  # noqa: E402
from rl_atlas.query import Filters, run_query  # noqa: E402


def machine() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {platform.python_implementation()} {platform.python_version()}"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def synthetic_catalog(dst: Path, n: int, seed: int = 0) -> None:
    """Copy the real taxonomy and write `n` plausible paper records with random tags and links."""
    rng = random.Random(seed)
    shutil.copytree(ROOT / "catalog" / "taxonomy", dst / "taxonomy")
    terms = [yaml.safe_load(p.read_text()) for p in (dst / "taxonomy").glob("*.yaml")]
    caps = [t for t in terms if t["kind"] == "capability"]
    tasks = [t for t in terms if t["kind"] == "task"]
    (dst / "papers").mkdir()
    words = "agent policy reward search memory planning tool vision code math reasoning learning scaling".split()
    for i in range(n):
        cap, task = rng.choice(caps), rng.choice(tasks)
        subs = [s["id"] for s in (cap.get("subcategories") or [])[:1]]
        rec = {
            "id": f"synthetic-{i:05d}", "type": "paper",
            "title": f"{' '.join(rng.choice(words).title() for _ in range(6))} {i}",
            "authors": [f"Author {rng.randrange(5000)}", f"Author {rng.randrange(5000)}"],
            "year": rng.randrange(2017, 2026), "venue": rng.choice(["arXiv", "NeurIPS", "ICLR", "ACL"]),
            "identifiers": {"arxiv": f"25{rng.randrange(1, 13):02d}.{i:05d}"},
            "links": {"paper": f"https://arxiv.org/abs/25xx.{i:05d}", "code": f"https://github.com/example/repo-{i}"},
            "capabilities": [cap["id"]], "tasks": [task["id"]], "subcategories": subs,
            "summary": "A synthetic record for the speed benchmark.",
        }
        rec["links"]["paper"] = f"https://arxiv.org/abs/{rec['identifiers']['arxiv']}"
        (dst / "papers" / f"{rec['id']}.yaml").write_text(yaml.safe_dump(rec, sort_keys=False))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    res = {"machine": machine()}
    t_real, cat = timed(lambda: load_catalog(ROOT / "catalog"), args.repeat)
    res["real_records"] = sum(len(cat.of_kind(k)) for k in ("papers", "environments", "frameworks", "algorithms", "taxonomy"))
    res["real_load_validate_s"] = round(t_real, 3)
    q = Filters(capabilities=["tool-use"], tasks=["search"], since=2024, has_code=True)
    t_query, hits = timed(lambda: run_query(cat, q), 20)
    res["query_ms"] = round(t_query * 1000, 2)
    res["query_hits"] = len(hits)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_catalog(Path(tmp) / "catalog", args.records)
        t_syn, syn = timed(lambda: load_catalog(Path(tmp) / "catalog"), 1)
        res["synthetic_records"] = len(syn.papers)
        res["synthetic_load_validate_s"] = round(t_syn, 3)
        res["synthetic_errors"] = len(syn.errors)
        t_sq, _ = timed(lambda: run_query(syn, Filters(capabilities=["memory"], search=["agent"])), 5)
        res["synthetic_query_ms"] = round(t_sq * 1000, 2)
    print(f"machine: {res['machine']}")
    print(f"real catalog ({res['real_records']} records): load + validate {res['real_load_validate_s']:.3f} s   (target < 1 s: {res['real_load_validate_s'] / 1.0:.2f}x of budget)")
    print(f"query after load ({res['query_hits']} hits): {res['query_ms']:.2f} ms   (target < 50 ms: {res['query_ms'] / 50:.2f}x of budget)")
    print(f"synthetic catalog ({res['synthetic_records']} records, {res['synthetic_errors']} errors): load + validate {res['synthetic_load_validate_s']:.2f} s   (target < 10 s: {res['synthetic_load_validate_s'] / 10:.2f}x of budget)")
    print(f"query on the synthetic catalog: {res['synthetic_query_ms']:.2f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
