"""What keeps the site small at any catalog size, checked on generated text (no mkdocs, no browser): term pages
cap their paper rows and link the rest to the explorer; the explorer's first file holds no text beyond ids, and
its row chunks, text and export files line up with it record by record. The built-site budgets (no HTML page over
100 KB, first explorer load under 2 MB, first search under 300 KB) are in test_site_static.py and
test_explorer_search.py; benchmarks/site_build.py measures them at 10,000 works."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from rl_atlas import load_catalog
from rl_atlas.query import Filters, run_query
from rl_atlas.site import pages
from rl_atlas.site.explorer import EXPLORER_DATA, EXPLORER_EXPORT, EXPLORER_TEXT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


@pytest.fixture
def grown(tmp_path):
    """The mini fixture catalog plus 60 generated memory papers spread over the years."""
    dst = tmp_path / "catalog"
    shutil.copytree(FIXTURES, dst)
    for i in range(60):
        rec = {"id": f"grown-{i:02d}", "type": "paper", "title": f"Grown memory paper {i}", "authors": ["A Person"],
               "year": 2015 + i % 10, "venue": "arXiv", "capabilities": ["memory"], "summary": "Generated."}
        (dst / "papers" / f"grown-{i:02d}.yaml").write_text(yaml.safe_dump(rec), encoding="utf-8")
    return load_catalog(dst, check=False)


def _rows(text: str) -> int:
    return len(re.findall(r"<tr><td>", text))


def test_term_pages_cap_their_rows_and_link_the_rest(grown, monkeypatch):
    tagged = run_query(grown, Filters(capabilities=["memory"]))
    monkeypatch.setattr(pages, "PAGE_ROWS", 20)
    site = pages.generate(grown, set())
    text = site.pages["capabilities/memory.md"]
    assert _rows(text) <= 20 < len(tagged)
    links = re.findall(r'href="([^"]*explorer\.html\?[^"]*)"', text)
    assert any("capability=memory" in u for u in links), links
    counts = [int(x) for x in re.findall(r"The \d+ newest of (\d+) papers", text)]
    assert counts and max(counts) >= 60, "the page says how many there are in all"
    # the rows shown are the newest
    shown = re.findall(r'href="\.\./papers/([^".]+)\.html"', text)
    years = [grown.papers[p].year or 0 for p in shown if p.startswith("grown-")]
    assert years == sorted(years, reverse=True)
    # under the cap nothing changes: every paper is listed and no link is added
    monkeypatch.setattr(pages, "PAGE_ROWS", 1000)
    text = pages.generate(grown, set()).pages["capabilities/memory.md"]
    assert _rows(text) >= len(tagged) and "in the explorer</a>" not in text


def test_explorer_files_split_and_line_up(grown):
    site = pages.generate(grown, set())
    main = json.loads(site.assets[EXPLORER_DATA])
    n = len(grown.papers)
    assert main["cols"]["id"] == [r.id for r in run_query(grown, Filters())]  # the CLI's order
    assert all(len(col) == n for col in main["cols"].values())
    raw = site.assets[EXPLORER_DATA]
    assert "Generated." not in raw and "@" not in raw and "Grown memory paper" not in raw  # no summaries, BibTeX, titles
    chunks = [json.loads(site.assets["assets/data/" + name]) for name in main["rows"]]
    titles = [t for c in chunks for t in c["title"]]
    assert titles == [grown.papers[i].title for i in main["cols"]["id"]]
    text = json.loads(site.assets[EXPLORER_TEXT])
    export = json.loads(site.assets[EXPLORER_EXPORT])
    assert len(text["summary"]) == len(export["bibtex"]) == len(export["csv"]) == len(export["json"]) == n
    assert [r["id"] for r in export["json"]] == main["cols"]["id"]
