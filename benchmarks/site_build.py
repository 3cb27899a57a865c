"""How long the site takes to build, how big it is, and how fast the explorer filters.

For the real catalog and for a synthetic catalog of N paper records (the real catalog's taxonomy, environments,
frameworks and algorithms, plus generated papers up to N), this script:
  - builds the site with `mkdocs build --strict` into a temporary folder and times it;
  - reports the total size, the number of HTML pages, and the median and largest HTML page;
  - opens the explorer in Debian's chromium: the bytes its first load fetches (explorer_initial_kb: the page, its
    styles and scripts, explorer.json) and the time of a filter: `performance.now()` around the in-page update
    that a facet click triggers (filtering every record, counting every facet value, redrawing the first
    100 rows and the URL), median over repeated clicks, plus the text box;
  - searches from the home page: the bytes the first query fetches (search_first_query_kb: everything from
    focusing the box to the results drawn: Pagefind's script, WebAssembly and page list, the index chunks, the hub
    list and the fragments of the results) and the time to results, first (cold) and median of later queries. The
    time runs from the search being issued (the box waits for a 120 ms pause in typing, and meanwhile preloads the
    chunks of the words typed, as Pagefind's own UI does) to the results being drawn. Playwright types the whole
    query at once, right after focusing the box, so the engine has only that pause to load: a worst case for a user.

    python benchmarks/site_build.py                 # real catalog and 10,000 synthetic records
    python benchmarks/site_build.py --synthetic 0   # real catalog only
    python benchmarks/site_build.py --text tiny     # synthetic text from 25 words: every query word on most pages

Targets (issues 4 and 11): real catalog under 60 s; 10,000 records under 5 minutes; no HTML page over 100 KB;
explorer initial load under 2 MB and a facet filter under 100 ms; first search query under 300 KB with results
in under 300 ms. Writes benchmarks/results/site_build.json.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import platform
import random
import resource
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


TINY_WORDS = ("agent policy reward search tool memory plan reason vision code math web game dialogue multi step "
              "verifier critic rollout curriculum self play preference long horizon credit").split()


def _word_sampler(rng: random.Random, texts: list[str]):
    """A function drawing k words with the frequencies they have in `texts` (a Zipf-like law, as real text)."""
    import re
    from collections import Counter

    counts = Counter(w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", t.lower()))
    words, weights = list(counts), list(counts.values())
    return lambda k: rng.choices(words, weights, k=k)


def synthetic_catalog(dst: Path, n: int, seed: int = 0, text: str = "real") -> Path:
    """The real catalog plus generated papers, `n` papers in all. Tags, algorithms and environments are drawn
    from the real vocabularies so that every page type gets realistic load. Titles and summaries draw their words
    from the real catalog's titles and summaries with their real frequencies (`text="real"`), so a query word is on
    as many pages, in proportion, as in the real catalog; `text="tiny"` draws them from 25 common words instead,
    a worst case where every query word is on most pages and every index chunk holds most of the catalog."""
    from rl_atlas import load_catalog

    shutil.copytree(ROOT / "catalog", dst)
    cat = load_catalog(dst, check=False)
    rng = random.Random(seed)
    if text == "tiny":
        title_words = summary_words = lambda k: [rng.choice(TINY_WORDS) for _ in range(k)]
    else:
        title_words = _word_sampler(rng, [p.title for p in cat.papers.values()])
        summary_words = _word_sampler(rng, [p.summary or "" for p in cat.papers.values()])
    words = TINY_WORDS
    venues = ["arXiv"] * 6 + ["NeurIPS", "ICLR", "ICML", "ACL", "EMNLP", "COLM", "TMLR", "Findings of ACL",
                              "ICLR 2025 Workshop on Reasoning and Planning"]
    caps, tasks = list(cat.capabilities.values()), list(cat.tasks.values())
    algos, envs = list(cat.algorithms), list(cat.environments)
    fws = list(cat.frameworks)
    roles = ["method"] * 6 + ["environment", "analysis", "framework", "survey"]
    families = ["Qwen2.5", "Qwen3", "Llama-3.1", "DeepSeek-R1-Distill-Qwen", "Qwen2.5-VL", "Mistral", "Gemma-2"]
    for i in range(max(0, n - len(cat.papers))):
        training = rng.choice([["rl"], ["rl"], ["rl", "sft"], ["sft"], ["prompting-only"], ["preference"]])
        terms = rng.sample(caps, rng.randint(1, 2)) + rng.sample(tasks, 1)
        subs = [rng.choice(t.subcategories).id for t in terms if t.subcategories and rng.random() < 0.8]
        name = "".join(w.capitalize() for w in rng.sample(words, 2)) + f"-{i}"
        rec = {
            "id": f"synthetic-{i:05d}",
            "title": f"{name}: " + " ".join(title_words(rng.randint(5, 12))).capitalize(),
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
            "summary": "A synthetic record: " + " ".join(summary_words(rng.randint(15, 35))) + ".",
            # the typed fields the explorer has facets for
            "role": rng.choice(roles),
            "training": training,
            "interaction": rng.choice(["single-turn", "multi-turn"]),
            "base_models": [{"family": rng.choice(families), "size": rng.choice(["1.5B", "7B", "32B"])}
                            for _ in range(rng.randint(0, 2))],
            "frameworks": rng.sample(fws, min(len(fws), rng.randint(0, 1))),
            "placement": "atlas",
        } | ({"reward_type": rng.choice(["outcome", "process", "hybrid"])} if "rl" in training else {})
        (dst / "papers" / f"{rec['id']}.yaml").write_text(yaml.safe_dump(rec, sort_keys=False), encoding="utf-8")
    return dst


def build(catalog: Path, out: Path) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of `mkdocs build`, Pagefind included. On a machine shared with other jobs
    the CPU seconds are the steadier figure: the wall clock also counts the time other jobs held the cores."""
    env = dict(os.environ, RL_ATLAS_CATALOG=str(catalog), NO_MKDOCS_2_WARNING="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"build failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def sizes(site: Path) -> dict:
    files = [f for f in site.rglob("*") if f.is_file()]
    html = sorted((f.stat().st_size, str(f.relative_to(site))) for f in files if f.suffix == ".html")
    data = site / "assets/data"
    return {
        "total_mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        "files": len(files),
        "html_pages": len(html),
        "html_median_kb": round(statistics.median(s for s, _ in html) / 1e3, 1),
        "html_largest_kb": round(html[-1][0] / 1e3, 1),
        "html_largest": html[-1][1],
        "html_over_100kb": sum(1 for s, _ in html if s > 100_000),
        "explorer_json_mb": round((data / "explorer.json").stat().st_size / 1e6, 2),
        "explorer_text_json_mb": round((data / "explorer-text.json").stat().st_size / 1e6, 2),
        "explorer_export_json_mb": round((data / "explorer-export.json").stat().st_size / 1e6, 2),
        "pagefind_mb": round(sum(f.stat().st_size for f in (site / "pagefind").rglob("*") if f.is_file()) / 1e6, 1),
    }


SEARCHES = ("memory agent", "grpo", "tool use web search", "policy")


def _fetched(page, action) -> tuple[int, int]:
    """Bytes of every response the page receives while `action()` runs: (as served, gzip-compressed).
    Pagefind's own files are already gzipped, so compressing them again changes little."""
    bodies: list[bytes] = []

    def on_response(r):
        try:
            bodies.append(r.body() if r.status == 200 else b"")
        except Exception:  # a response without a body (redirect, aborted)
            pass

    page.on("response", on_response)
    action()
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    return sum(map(len, bodies)), sum(len(gzip.compress(b)) for b in bodies)


def browser_figures(site: Path, repeats: int = 10) -> dict:
    """In chromium: bytes a first explorer load and a first search fetch, and how long a facet click, the text
    box and a search take (performance.now() inside the page; medians over repeats)."""
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    out: dict = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            # explorer: a fresh context (empty cache), everything the page fetches until it is ready
            ctx = browser.new_context()
            page = ctx.new_page()
            t0 = time.perf_counter()
            raw, gz = _fetched(page, lambda: (page.goto(base + "explorer.html"),
                                              page.wait_for_selector("#atlas-explorer[data-ready='1']", timeout=120_000)))
            out["explorer_load_s"] = round(time.perf_counter() - t0, 2)
            out["explorer_initial_kb"], out["explorer_initial_gzip_kb"] = round(raw / 1e3, 1), round(gz / 1e3, 1)
            facet, text = [], []
            box = page.locator("input[data-facet='capability']").first
            for _ in range(repeats):
                for on in (True, False):
                    n = page.evaluate("window.atlasExplorer.updates")
                    box.set_checked(on)
                    page.wait_for_function(f"window.atlasExplorer.updates > {n}")
                    facet.append(page.evaluate("window.atlasExplorer.lastMs"))
            for word in ("agent", "policy", "zzz", ""):
                n = page.evaluate("window.atlasExplorer.updates")
                page.fill("#x-text", word)
                page.wait_for_function(f"window.atlasExplorer.updates > {n}", timeout=120_000)
                text.append(page.evaluate("window.atlasExplorer.lastMs"))
            out["explorer_records"] = page.evaluate("window.atlasExplorer.ids().length")
            out["facet_ms_median"], out["facet_ms_max"] = round(statistics.median(facet), 1), round(max(facet), 1)
            out["text_ms_median"] = round(statistics.median(text), 1)
            ctx.close()
            # search: a fresh context, the home page loaded, then the first query and what it fetches
            ctx = browser.new_context()
            page = ctx.new_page()
            page.goto(base + "index.html")
            page.wait_for_load_state("networkidle")
            timings = []

            def ask(q):
                n = page.evaluate("window.atlasSearch.searches")
                page.fill("#atlas-search-input", q)
                page.wait_for_function(f"window.atlasSearch.searches > {n}", timeout=60_000)
                timings.append(page.evaluate("window.atlasSearch.lastMs"))

            raw, gz = _fetched(page, lambda: ask(SEARCHES[0]))
            out["search_first_query_kb"], out["search_first_query_gzip_kb"] = round(raw / 1e3, 1), round(gz / 1e3, 1)
            for q in SEARCHES[1:] * 3:
                ask(q)
            out["search_first_ms"] = round(timings[0], 1)
            out["search_ms_median"] = round(statistics.median(timings[1:]), 1)
            ctx.close()
            browser.close()
    finally:
        server.shutdown()
    return out


def measure(label: str, catalog: Path, work: Path) -> dict:
    from rl_atlas import load_catalog

    n = len(load_catalog(catalog, check=False).papers)
    print(f"[{label}] {n} papers: building...", flush=True)
    out = work / f"site-{label}"
    secs, cpu = build(catalog, out)
    row = {"catalog": label, "papers": n, "build_s": round(secs, 1), "build_cpu_s": round(cpu, 1), **sizes(out),
           **browser_figures(out)}
    print(json.dumps(row, indent=1), flush=True)
    shutil.rmtree(out, ignore_errors=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synthetic", type=int, default=10_000, help="papers in the synthetic catalog (0 to skip)")
    ap.add_argument("--text", choices=("real", "tiny"), default="real",
                    help="synthetic titles and summaries: words at the real catalog's frequencies, or 25 words (worst case)")
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
            cat = synthetic_catalog(work / "synthetic-catalog", args.synthetic, text=args.text)
            label = f"synthetic-{args.synthetic}" + ("-tiny-vocabulary" if args.text == "tiny" else "")
            results.append(measure(label, cat, work))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
