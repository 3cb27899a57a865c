"""The explorer and the search box in Debian's chromium, at a desktop (1400 px) and a phone (390 px) width:
facets for every typed field agree with `rl-atlas query`, the empty state names the filter to drop, sorting
lives in the URL, the phone layout puts results first without sideways scrolling, search ranks a page about a
thing above pages that mention it, and the bytes a first explorer load and a first search fetch stay in budget."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from rl_atlas.facts import venue_family
from rl_atlas.query import Filters, run_query

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1400, "phone": 390}
EXPLORER_BUDGET = 2_000_000  # bytes a first explorer load may fetch (issue 11, item 6)
SEARCH_BUDGET = 300_000  # bytes a first search query may fetch

# explorer facet (URL key) -> the Filters field of `rl-atlas query` it mirrors
FACET_FILTERS = {"capability": "capabilities", "task": "tasks", "subcategory": "subcategories",
                 "algorithm": "algorithms", "venue": "venues", "role": "roles", "training": "training",
                 "reward": "rewards", "base-model": "base_models", "environment": "environments",
                 "framework": "frameworks", "interaction": "interaction", "placement": "placement"}


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def view(request, browser, base_url):
    """A fresh page at one width that records console errors and failed requests."""
    width = WIDTHS[request.param]
    ctx = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.width = width
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"uncaught: {e}"))
    pg.on("response", lambda r: pg.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield pg
    ctx.close()


def _explorer(pg, base_url, query=""):
    pg.goto(base_url + "explorer.html" + query)
    pg.wait_for_selector("#atlas-explorer[data-ready='1']")


def _ids(pg):
    return pg.evaluate("window.atlasExplorer.ids()")


def _cli(catalog, **kw):
    return [r.id for r in run_query(catalog, Filters(**kw))]


@pytest.fixture(scope="module")
def explorer_data(site_dir):
    return json.loads((site_dir / "assets/data/explorer.json").read_text(encoding="utf-8"))


# -- explorer ---------------------------------------------------------------------------------------

def test_every_typed_facet_matches_the_cli(view, base_url, catalog, explorer_data, typed_id):
    """For each facet, its most common value (and the typed fixture's) selects what `rl-atlas query` selects."""
    fixture = catalog.papers[typed_id]
    fixture_values = {"venue": venue_family(fixture.venue), "role": fixture.role, "training": "sft",
                      "reward": fixture.reward_type, "base-model": "fixturelm", "environment": fixture.environments[0],
                      "framework": fixture.frameworks[0], "interaction": fixture.interaction, "placement": "atlas",
                      "algorithm": "grpo", "capability": "memory", "task": "search"}
    checked = 0
    for key, field in FACET_FILTERS.items():
        vocab = explorer_data["facets"][key]
        values = {vocab[0][0]} if vocab else set()
        if key in fixture_values:
            values.add(fixture_values[key])
        for value in sorted(values):
            _explorer(view, base_url, f"?{key}={quote(value)}")
            expected = _cli(catalog, **{field: [value]})
            assert expected, (key, value)
            assert _ids(view) == expected, (key, value)
            if key in fixture_values and value == fixture_values[key]:
                assert typed_id in expected, (key, value)
            checked += 1
    assert checked >= len(FACET_FILTERS)
    # the algorithm facet includes variants: the fixture uses only dapo, which derives from grpo
    assert "dapo" in catalog.algorithms and "grpo" in catalog.algorithms["dapo"].derives_from
    assert view.problems == []


def test_facet_groups_list_typed_fields_and_venue_families(view, base_url, explorer_data):
    _explorer(view, base_url)
    shown = view.locator("#x-facets details").evaluate_all("ds => ds.map(d => d.dataset.facet)")
    assert set(FACET_FILTERS) | {"family"} <= set(shown)
    venues = [v[0] for v in explorer_data["facets"]["venue"]]
    assert len(venues) == len(set(venues)) and "Findings of EMNLP" not in venues and "EMNLP" in venues
    assert explorer_data["facets"]["placement"][0] == ["atlas", "Added since the survey"]


def _impossible(catalog):
    """Two facet values that each select papers but never together: (key1, value1, key2, value2)."""
    venues = sorted({venue_family(p.venue) for p in catalog.papers.values() if p.venue})
    for cap in catalog.capabilities:
        for v in venues:
            if _cli(catalog, capabilities=[cap]) and _cli(catalog, venues=[v]) and not _cli(catalog, capabilities=[cap], venues=[v]):
                return "capability", cap, "venue", v
    raise AssertionError("no empty combination of a capability and a venue in the catalog")


def test_empty_result_explains_and_suggests_a_filter_to_drop(view, base_url, catalog):
    k1, v1, k2, v2 = _impossible(catalog)
    _explorer(view, base_url, f"?{k1}={v1}&{k2}={quote(v2)}")
    assert _ids(view) == []
    assert view.locator("#x-count").inner_text().startswith("0 papers")
    empty = view.locator("#x-empty")
    assert empty.is_visible() and "No paper matches" in empty.inner_text()
    assert view.locator("#x-results").is_hidden()
    assert view.locator("#x-more").is_hidden()  # never "Show all 0"
    for fmt in ("bibtex", "csv", "json"):
        assert view.locator(f"button[data-format='{fmt}']").is_disabled()
    # each suggestion says how many papers dropping that filter gives, and the most useful comes first
    drops = view.locator("#x-empty button.atlas-x-drop")
    labels = drops.evaluate_all("bs => bs.map(b => b.textContent)")
    counts = {"capability": len(_cli(catalog, venues=[v2])), "venue": len(_cli(catalog, capabilities=[v1]))}
    expected_first = max(counts, key=counts.get)
    assert labels and labels[0].lower().startswith(f"drop {expected_first}")
    assert f"({counts[expected_first]} paper" in labels[0]
    drops.first.click()
    assert len(_ids(view)) == counts[expected_first]
    # the rows are drawn once their chunk has loaded, after the result ids: wait for the drawing, not the ids
    expect(view.locator("#x-empty")).to_be_hidden()
    expect(view.locator("button[data-format='bibtex']")).to_be_enabled()
    assert view.problems == []


def test_show_all_appears_only_when_rows_are_hidden(view, base_url, catalog):
    _explorer(view, base_url)
    n = len(catalog.papers)
    assert n > 100
    more = view.locator("#x-more")
    assert more.is_visible() and more.inner_text() == f"Show all {n}"
    assert view.locator("#x-results tbody tr").count() == 100
    more.click()
    assert view.locator("#x-results tbody tr").count() == n
    assert more.is_hidden()
    small = _cli(catalog, capabilities=["memory"])
    assert 0 < len(small) <= 100
    _explorer(view, base_url, "?capability=memory")
    assert view.locator("#x-more").is_hidden()
    assert view.locator("#x-results tbody tr").count() == len(small)


def test_columns_sort_and_the_sort_is_kept_in_the_url(view, base_url, catalog):
    _explorer(view, base_url, "?capability=memory")
    expected = _cli(catalog, capabilities=["memory"])
    papers = catalog.papers
    view.locator("th[data-sort='title'] button").click()
    assert "sort=title" in view.url
    assert _ids(view) == sorted(expected, key=lambda i: (papers[i].title.lower(), expected.index(i)))
    assert view.locator("th[data-sort='title']").get_attribute("aria-sort") == "ascending"
    view.locator("th[data-sort='title'] button").click()
    assert "sort=-title" in view.url
    view.locator("th[data-sort='year'] button").click()  # years start newest first
    assert "sort=-year" in view.url
    by_year = sorted(expected, key=lambda i: (papers[i].year is None, -(papers[i].year or 0), expected.index(i)))
    assert _ids(view) == by_year
    view.locator("th[data-sort='year'] button").click()
    assert "sort=year" in view.url and "sort=-year" not in view.url
    view.reload()
    view.wait_for_selector("#atlas-explorer[data-ready='1']")
    oldest = sorted(expected, key=lambda i: (papers[i].year is None, papers[i].year or 0, expected.index(i)))
    assert _ids(view) == oldest
    assert view.locator("th[data-sort='year']").get_attribute("aria-sort") == "ascending"
    # the order on screen is the order of the rows
    shown = view.locator("#x-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert shown == oldest[:100]
    assert view.problems == []


def test_year_and_venue_are_separate_cells(view, base_url, catalog):
    _explorer(view, base_url, "?capability=memory")
    for row in view.locator("#x-results tbody tr").all()[:10]:
        p = catalog.papers[row.get_attribute("data-id")]
        assert row.locator("td.x-year").inner_text().strip() == (str(p.year) if p.year else "")
        assert row.locator("td.x-venue").inner_text().strip() == (p.venue or "")
        year_box, venue_box = row.locator("td.x-year").bounding_box(), row.locator("td.x-venue").bounding_box()
        if view.width > 800:  # side by side with a gap on a desktop
            assert venue_box["x"] >= year_box["x"] + year_box["width"]


def test_text_box_loads_summaries_on_demand_and_matches_the_cli(view, base_url, catalog):
    word = "verifier"
    expected = _cli(catalog, search=[word])
    fetched = []
    view.on("request", lambda r: fetched.append(r.url))
    _explorer(view, base_url)
    assert not any("explorer-text" in u or "explorer-export" in u for u in fetched), "loaded before it was needed"
    if view.locator("#x-filters").get_attribute("open") is None:  # folded on a phone
        view.locator("#x-filters > summary").click()
    n = view.evaluate("window.atlasExplorer.updates")
    view.fill("#x-text", word)
    view.wait_for_function(f"window.atlasExplorer.updates > {n}")
    assert _ids(view) == expected
    assert any("explorer-text" in u for u in fetched)


def test_phone_puts_results_first_and_never_scrolls_sideways(view, base_url):
    _explorer(view, base_url, "?capability=memory")
    width = view.evaluate("document.documentElement.scrollWidth")
    assert width <= view.width, f"page is {width} px wide at {view.width} px"
    filters = view.locator("#x-filters")
    results_top = view.locator("#x-count").bounding_box()["y"]
    filters_top = filters.bounding_box()["y"]
    if view.width < 600:
        assert results_top < filters_top, "on a phone the results come before the filters"
        assert filters.get_attribute("open") is None, "on a phone the filters start folded"
        assert results_top < 900, "the results start below the first screen"
        view.locator("#x-filters > summary").click()
        view.locator("input[data-facet='capability'][value='memory']").wait_for(state="visible")
        assert view.evaluate("document.documentElement.scrollWidth") <= view.width
    else:
        assert filters.get_attribute("open") is not None
    assert view.problems == []


def _fetched_bytes(pg, action) -> int:
    sizes = []

    def on_response(r):
        try:
            sizes.append(len(r.body()) if r.status == 200 else 0)
        except Exception:  # responses without a body
            pass

    pg.on("response", on_response)
    action()
    pg.wait_for_load_state("networkidle")
    pg.remove_listener("response", on_response)
    return sum(sizes)


def test_explorer_first_load_fits_its_budget(view, base_url):
    total = _fetched_bytes(view, lambda: _explorer(view, base_url))
    assert 0 < total < EXPLORER_BUDGET, f"{total} bytes"


# -- search -----------------------------------------------------------------------------------------

def _search(pg, base_url, text, path="index.html"):
    pg.goto(base_url + path)
    pg.wait_for_load_state("networkidle")
    n = pg.evaluate("window.atlasSearch.searches")
    pg.fill("#atlas-search-input", text)
    pg.wait_for_function(f"window.atlasSearch.searches > {n}")
    return pg.locator(".atlas-search-hit a").evaluate_all("as => as.map(a => new URL(a.href).pathname)")


def _by_title(catalog, needle):
    hits = sorted(p.id for p in catalog.papers.values() if needle.lower() in p.title.lower())
    return hits[0] if hits else None


def test_search_ranks_the_page_about_a_thing_first(view, base_url, catalog):
    mem = _by_title(catalog, "MemAgent") or pytest.skip("no MemAgent record")
    hits = _search(view, base_url, "memory agent")
    top = hits[:5]
    assert f"/papers/{mem}.html" in top, hits[:10]
    assert "/capabilities/memory.html" in top, hits[:10]
    hits = _search(view, base_url, "grpo")
    assert hits[0] == "/algorithms/grpo.html", hits[:5]
    edge = _by_title(catalog, "EDGE-GRPO")
    if edge:
        assert hits.index("/algorithms/grpo.html") < hits.index(f"/papers/{edge}.html")
    assert view.problems == []


def test_an_exact_alias_comes_first_with_a_full_preview(view, base_url, catalog):
    owners = [p for p in catalog.papers.values() if "Search-R1" in p.aliases]
    assert owners, "no paper has the alias Search-R1"
    p = owners[0]
    hits = _search(view, base_url, "Search-R1")
    assert hits[0] == f"/papers/{p.id}.html"
    first = view.locator(".atlas-search-hit").first
    assert first.locator(".atlas-search-title").inner_text() == p.title
    facts = first.locator(".atlas-search-facts").inner_text()
    assert str(p.year) in facts and (p.venue or "") in facts and "paper" in facts
    summary = first.locator(".atlas-search-summary").inner_text()
    assert summary and summary.rstrip("…")[:60] == " ".join((p.summary or "").split())[:60]
    box = view.locator("#atlas-search-results").bounding_box()
    assert box["x"] >= -1 and box["x"] + box["width"] <= view.width + 1, "the results leave the screen"
    assert view.evaluate("document.documentElement.scrollWidth") <= view.width
    first.locator("a").click()
    view.wait_for_url(f"**/papers/{p.id}.html")
    assert view.problems == []


def test_first_search_fits_its_budget(view, base_url):
    view.goto(base_url + "index.html")
    view.wait_for_load_state("networkidle")

    def ask():
        view.fill("#atlas-search-input", "memory agent")
        view.wait_for_function("window.atlasSearch.searches > 0")

    total = _fetched_bytes(view, ask)
    assert 0 < total < SEARCH_BUDGET, f"{total} bytes"
