"""The built site in Debian's chromium: search, explorer (parity with `rl-atlas query`, URL state, downloads),
console errors and a hostile record."""

from __future__ import annotations

import bibtexparser
import pytest

from rl_atlas.query import Filters, run_query

pytestmark = pytest.mark.browser


def _alias_owner(catalog, alias):
    ids = [p.id for p in catalog.papers.values() if alias in p.aliases]
    assert ids, f"no paper with alias {alias} in the catalog"
    return ids[0]


def _search(page, base_url, text):
    page.goto(base_url + "index.html")
    page.fill("#atlas-search-input", text)
    page.wait_for_selector(".atlas-search-hit", timeout=15000)


@pytest.mark.parametrize("query,by", [("Search-R1", "alias"), ("DAPO", "alias"), ("Hamed Zamani", "author")])
def test_search_leads_to_the_paper_page(page, base_url, catalog, query, by):
    if by == "alias":
        pid = _alias_owner(catalog, query)
    else:
        pid = next(p.id for p in sorted(catalog.papers.values(), key=lambda p: p.id) if query in p.authors)
    _search(page, base_url, query)
    link = page.locator(f".atlas-search-hit a[href*='papers/{pid}.html']").first
    link.wait_for(timeout=15000)
    link.click()
    page.wait_for_url(f"**/papers/{pid}.html*")
    assert page.locator("h1").first.inner_text().strip() == catalog.papers[pid].title
    assert page.problems == []


def _explorer(page, base_url, query=""):
    page.goto(base_url + "explorer.html" + query)
    page.wait_for_selector("#atlas-explorer[data-ready='1']")


def _tick(page, facet, value):
    page.locator(f"input[data-facet='{facet}'][value='{value}']").check()


def test_explorer_matches_the_cli_query_and_keeps_state_in_the_url(page, base_url, catalog):
    expected = [r.id for r in run_query(catalog, Filters(capabilities=["tool-use"], tasks=["search"]))]
    assert expected, "the query should not be empty on the real catalog"
    _explorer(page, base_url)
    total = page.evaluate("window.atlasExplorer.ids().length")
    assert total == len(catalog.papers)
    _tick(page, "capability", "tool-use")
    _tick(page, "task", "search")
    assert page.evaluate("window.atlasExplorer.ids()") == expected
    assert page.locator("#x-count").inner_text().startswith(f"{len(expected)} paper")
    shown = page.locator("#x-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert shown == expected[:100]
    assert "capability=tool-use" in page.url and "task=search" in page.url
    # the state survives a reload, and a narrower filter narrows the same way the CLI does
    page.reload()
    page.wait_for_selector("#atlas-explorer[data-ready='1']")
    assert page.locator("input[data-facet='capability'][value='tool-use']").is_checked()
    assert page.locator("input[data-facet='task'][value='search']").is_checked()
    assert page.evaluate("window.atlasExplorer.ids()") == expected
    page.fill("#x-since", "2025")
    page.locator("#x-code").check()
    narrowed = [r.id for r in run_query(catalog, Filters(capabilities=["tool-use"], tasks=["search"], since=2025, has_code=True))]
    assert page.evaluate("window.atlasExplorer.ids()") == narrowed
    assert page.problems == []


def test_explorer_text_box_matches_cli_search(page, base_url, catalog):
    expected = [r.id for r in run_query(catalog, Filters(search=["zamani"]))]
    _explorer(page, base_url, "?text=zamani")
    assert page.locator("#x-text").input_value() == "zamani"
    assert page.evaluate("window.atlasExplorer.ids()") == expected


def test_bibtex_download_of_a_filtered_set_parses(page, base_url, catalog):
    expected = {r.id for r in run_query(catalog, Filters(capabilities=["memory"]))}
    _explorer(page, base_url, "?capability=memory")
    with page.expect_download() as dl:
        page.click("button[data-format='bibtex']")
    text = open(dl.value.path(), encoding="utf-8").read()
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks][:3]
    assert {e.key for e in lib.entries} == expected
    with page.expect_download() as dl:
        page.click("button[data-format='csv']")
    import csv

    rows = list(csv.DictReader(open(dl.value.path(), encoding="utf-8", newline="")))
    assert {r["id"] for r in rows} == expected


@pytest.mark.parametrize("path", ["index.html", "capabilities/tool-use.html", "explorer.html", "papers/search-r1.html",
                                  "graph.html", "tables/algorithms.html"])
def test_no_console_errors(page, base_url, path):
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    assert page.problems == []


def test_hostile_record_renders_as_text(page, base_url, catalog, hostile):
    HOSTILE_ID, HOSTILE_TITLE = hostile["id"], hostile["title"]
    assert HOSTILE_ID in catalog.papers
    for path in (f"papers/{HOSTILE_ID}.html", "capabilities/tool-use.html", "tasks/search.html"):
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("img[src='x'], svg[onload], b[onmouseover]").count() == 0, path
    page.goto(base_url + f"papers/{HOSTILE_ID}.html")
    assert page.locator("article h1").first.inner_text() == HOSTILE_TITLE
    assert page.locator("a[href^='javascript:']").count() == 0
    _explorer(page, base_url, "?text=hostile")
    assert HOSTILE_ID in page.evaluate("window.atlasExplorer.ids()")
    assert page.locator(f"#x-results tr[data-id='{HOSTILE_ID}'] a").first.inner_text() == HOSTILE_TITLE
    assert page.evaluate("window.__pwned") is None
    _search(page, base_url, "Hostile")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x'], svg[onload], b[onmouseover]").count() == 0
    assert page.problems == []
