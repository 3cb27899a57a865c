"""Site search: a Pagefind index built after mkdocs has written the site, and what each page tells it.

    search_meta(ctx, present)   {src_uri: {...}} what the theme writes into each page for Pagefind (kind, name,
                                aliases, year, venue, summary); hooks.py puts it in `page.meta["search"]`
    hubs_json(meta)             the hub pages' names, kinds and summaries for the search box
    build_index(site_dir)       run Pagefind (the `pagefind[extended]` pip package ships the binary) over the
                                built site; writes site/pagefind/ (a chunked index: a query fetches only the
                                chunks of its words, and only the result fragments it shows)

The theme (rl_atlas/site/theme/main.html) wraps each page's article in `data-pagefind-body`, so navigation,
headers and the 404 page are never indexed, and writes a page's aliases (and a hub page's name) as a heavily
weighted, hidden element, so a query that names a method or a capability finds its page before pages that
mention it. The hub pages (capability, task, algorithm) are also listed in assets/data/search-hubs.json
(`hubs_json`), a few kilobytes, so that the box can show a hub named by one word of a longer query.
assets/js/search.js is the search box: it loads Pagefind on first use and re-ranks its first results (exact
name or alias first, then names that contain the query, then hub pages named in the query, then the rest).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.rl_atlas")

# Parts of a page that only mention other works in passing, and the labels and fixed sentences every paper page
# repeats ("Authors", "What the work does", "Not cited by the survey."): they are shown, but not searched. A word
# on every one of 10,000 pages would make the index chunk of a query that has it hold all 10,000.
EXCLUDE = [".atlas-papers", ".atlas-related", ".highlight", ".headerlink", ".atlas-envs", "svg", ".md-source-file",
           ".atlas-meta th", ".atlas-paper > h2", ".atlas-boilerplate", ".atlas-paper .atlas-tags"]
SUMMARY_CHARS = 240


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"


def search_meta(ctx, present: set[str]) -> dict[str, dict]:
    """What each generated page (and each algorithm explainer) tells the search index about itself."""
    from .explorer import FAMILY_NAMES
    from .pages import paper_src, term_src

    cat, out = ctx.cat, {}
    for pid, p in cat.papers.items():
        out[paper_src(pid)] = {"kind": "paper", "name": p.title, "aliases": list(p.aliases),
                               "year": str(p.year or ""), "venue": p.venue or "", "summary": _short(p.summary)}
    for tid, t in cat.taxonomy.items():
        out[term_src(t.kind, tid)] = {"kind": t.kind, "name": t.name, "aliases": [],
                                      "summary": _short(t.definition)}
    for fam, name in FAMILY_NAMES.items():
        src = f"algorithms/{fam}.md"
        if src in present:
            out[src] = {"kind": "algorithm", "name": name, "aliases": [],
                        "summary": _short(f"How {name} works, with the atlas's reference implementation.")}
    return out


HUBS = "assets/data/search-hubs.json"


def hubs_json(meta: dict[str, dict]) -> str:
    """The hub pages (capabilities, task domains, algorithms) as one small list that the search box loads with
    Pagefind: a query that names a hub ("memory agent" names Memory) shows it without a second index search."""
    hubs = [{"url": src[:-3] + ".html", "kind": m["kind"], "name": m["name"], "summary": m["summary"]}
            for src, m in sorted(meta.items()) if m["kind"] != "paper"]
    return json.dumps(hubs, ensure_ascii=False, separators=(",", ":"))


def build_index(site_dir: str | Path) -> float:
    """Index the built site with Pagefind; returns the seconds it took. Fails with a clear message if the
    `pagefind` package is missing (it is in the `site` extra: `pip install -e '.[site]'`)."""
    from mkdocs.exceptions import PluginError

    try:
        import pagefind  # noqa: F401  (the binary comes with pagefind_bin / pagefind_bin_extended)
    except ImportError as err:
        raise PluginError("rl-atlas: the search index needs the `pagefind` package: pip install -e '.[site]'") from err
    t0 = time.perf_counter()
    site = Path(site_dir)
    shutil.rmtree(site / "pagefind", ignore_errors=True)
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-subdir", "pagefind", "--keep-index-url",
           "--silent", "--force-language", "en"]
    for sel in EXCLUDE:
        cmd += ["--exclude-selectors", sel]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not (site / "pagefind" / "pagefind.js").is_file():
        raise PluginError(f"rl-atlas: pagefind failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0
