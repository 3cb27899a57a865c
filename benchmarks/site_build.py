"""How long the site takes to build, how big it is, and how fast the explorer filters.

For the real catalog and for a synthetic catalog of N paper records (the real catalog's taxonomy, environments,
frameworks and algorithms, plus generated papers up to N), this script:
  - builds the site with `mkdocs build --strict` into a temporary folder and times it;
  - reports the total size, the number of HTML pages, and the median and largest HTML page;
  - opens the explorer in Debian's chromium and times a filter: `performance.now()` around the in-page update
    that a facet click triggers (filtering every record, counting every facet value, redrawing the first
    100 rows and the URL), median over repeated clicks, plus the text box.

    python benchmarks/site_build.py                 # real catalog and 10,000 synthetic records
    python benchmarks/site_build.py --synthetic 0   # real catalog only

Targets (issue 4): real catalog under 60 s with no HTML page over 100 KB; 10,000 records under 10 minutes
with explorer filtering under 100 ms. Writes benchmarks/results/site_build.json.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def synthetic_catalog(dst: Path, n: int, seed: int = 0) -> Path:
    """The real catalog plus generated papers, `n` papers in all. Tags, algorithms and environments are drawn
    from the real vocabularies so that every page type gets realistic load."""
    from rl_atlas import load_catalog

    shutil.copytree(ROOT / "catalog", dst)
    cat = load_catalog(dst, check=False)
    rng = random.Random(seed)
    words = ("agent policy reward search tool memory plan reason vision code math web game dialogue multi step "
             "verifier critic rollout curriculum self play preference long horizon credit").split()
    venues = ["arXiv"] * 6 + ["NeurIPS", "ICLR", "ICML", "ACL", "EMNLP", "COLM", "TMLR"]
    caps, tasks = list(cat.capabilities.values()), list(cat.tasks.values())
    algos, envs = list(cat.algorithms), list(cat.environments)
    for i in range(max(0, n - len(cat.papers))):
        terms = rng.sample(caps, rng.randint(1, 2)) + rng.sample(tasks, 1)
        subs = [rng.choice(t.subcategories).id for t in terms if t.subcategories and rng.random() < 0.8]
        name = "".join(w.capitalize() for w in rng.sample(words, 2)) + f"-{i}"
        rec = {
            "id": f"synthetic-{i:05d}",
            "title": f"{name}: " + " ".join(rng.choice(words) for _ in range(rng.randint(5, 12))).capitalize(),
            "authors": [f"Author{rng.randint(0, 3000)} Family{rng.randint(0, 3000)}" for _ in range(rng.randint(1, 8))],
            "year": rng.randint(2016, 2025),
            "venue": rng.choice(venues),
            "identifiers": {"arxiv": f"25{rng.randint(1, 12):02d}.{rng.randint(10000, 99999)}"},
            "links": {"paper": f"https://arxiv.org/abs/25{rng.randint(1, 12):02d}.{rng.randint(10000, 99999)}"}
            | ({"code": f"https://github.com/synthetic/{name.lower()}"} if rng.random() < 0.5 else {}),
            "aliases": [name],
            "capabilities": [t.id for t in terms if t.kind == "capability"],
            "tasks": [t.id for t in terms if t.kind == "task"],
            "subcategories": subs,
            "algorithms": rng.sample(algos, min(len(algos), rng.randint(0, 2))),
            "environments": rng.sample(envs, min(len(envs), rng.randint(0, 3))),
            "summary": "A synthetic record: " + " ".join(rng.choice(words) for _ in range(rng.randint(15, 35))) + ".",
        }
        (dst / "papers" / f"{rec['id']}.yaml").write_text(yaml.safe_dump(rec, sort_keys=False), encoding="utf-8")
    return dst


def build(catalog: Path, out: Path) -> float:
    env = dict(os.environ, RL_ATLAS_CATALOG=str(catalog), NO_MKDOCS_2_WARNING="1")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return elapsed


def sizes(site: Path) -> dict:
    files = [f for f in site.rglob("*") if f.is_file()]
    html = sorted((f.stat().st_size, str(f.relative_to(site))) for f in files if f.suffix == ".html")
    return {
        "total_mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        "files": len(files),
        "html_pages": len(html),
        "html_median_kb": round(statistics.median(s for s, _ in html) / 1e3, 1),
        "html_largest_kb": round(html[-1][0] / 1e3, 1),
        "html_largest": html[-1][1],
        "explorer_json_mb": round((site / "assets/data/explorer.json").stat().st_size / 1e6, 2),
        "search_index_mb": round((site / "search/search_index.json").stat().st_size / 1e6, 1),
    }


def explorer_latency(site: Path, repeats: int = 10) -> dict:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/explorer.html"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#atlas-explorer[data-ready='1']", timeout=120_000)
            load_s = time.perf_counter() - t0
            facet, text = [], []
            box = page.locator("input[data-facet='capability']").first
            for _ in range(repeats):
                for _state in (True, False):
                    n = page.evaluate("window.atlasExplorer.updates")
                    box.set_checked(_state)
                    page.wait_for_function(f"window.atlasExplorer.updates > {n}")
                    facet.append(page.evaluate("window.atlasExplorer.lastMs"))
            for word in ("agent", "policy", "zzz", ""):
                n = page.evaluate("window.atlasExplorer.updates")
                page.fill("#x-text", word)
                page.wait_for_function(f"window.atlasExplorer.updates > {n}")
                text.append(page.evaluate("window.atlasExplorer.lastMs"))
            records = page.evaluate("window.atlasExplorer.ids().length")
            browser.close()
    finally:
        server.shutdown()
    return {"records": records, "page_load_s": round(load_s, 2), "facet_ms_median": round(statistics.median(facet), 1),
            "facet_ms_max": round(max(facet), 1), "text_ms_median": round(statistics.median(text), 1)}


def measure(label: str, catalog: Path, work: Path) -> dict:
    from rl_atlas import load_catalog

    n = len(load_catalog(catalog, check=False).papers)
    print(f"[{label}] {n} papers: building...", flush=True)
    out = work / f"site-{label}"
    secs = build(catalog, out)
    row = {"catalog": label, "papers": n, "build_s": round(secs, 1), **sizes(out), "explorer": explorer_latency(out)}
    print(json.dumps(row, indent=1), flush=True)
    shutil.rmtree(out, ignore_errors=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=10_000, help="papers in the synthetic catalog (0 to skip)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/site_build.json"), help="where to write the JSON")
    args = ap.parse_args()
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
               "note": "2-core machine shared with other jobs while measured: timings are noisy upper bounds"}
    print(machine, flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="rl-atlas-site-bench-") as tmp:
        work = Path(tmp)
        results.append(measure("real", ROOT / "catalog", work))
        if args.synthetic:
            cat = synthetic_catalog(work / "synthetic-catalog", args.synthetic)
            results.append(measure(f"synthetic-{args.synthetic}", cat, work))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
