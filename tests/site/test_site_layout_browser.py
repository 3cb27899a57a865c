"""Paper pages, layout, dark mode, the graph view, the feed and the recent page in Debian's chromium, at a
desktop (1400 px) and a phone (390 px) width."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1400, 900), "phone": (390, 844)}


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser, base_url):
    """A page at one of the two widths, recording console errors and failed requests like `page`."""
    w, h = WIDTHS[request.param]
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=request.param == "phone",
                              has_touch=request.param == "phone")
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.problems = []
    pg.width_name = request.param
    pg.on("console", lambda m: pg.problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"uncaught: {e}"))
    pg.on("response", lambda r: pg.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield pg
    ctx.close()


def _no_sideways_scroll(page):
    over = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert over <= 1, f"{page.url} scrolls sideways by {over}px at {page.width_name} width"


def test_paper_page_folds_authors_wraps_bibtex_and_links(sized, base_url, typed):
    page = sized
    page.goto(base_url + f"papers/{typed['id']}.html")
    more = page.locator("details.atlas-more")
    assert more.locator("summary").inner_text().strip() == "and 30 more"
    assert "Author Number40" not in more.inner_text()  # folded: not rendered
    more.locator("summary").click()
    assert more.evaluate("d => d.open") and "Author Number40" in more.inner_text()
    # the BibTeX block wraps: its code is no wider than the block
    widths = page.locator(".atlas-bibtex pre").evaluate("p => [p.scrollWidth, p.clientWidth]")
    assert widths[0] <= widths[1] + 1, f"BibTeX overflows: {widths}"
    # provenance is shown next to the facts, and the survey section links the survey's arXiv HTML
    assert page.locator(".atlas-source", has_text="README").first.is_visible()
    assert page.locator("a", has_text="§4.1.1").get_attribute("href") == "https://arxiv.org/html/2509.02547#S4.SS1.SSS1"
    _no_sideways_scroll(page)
    # an algorithm chip opens the algorithm's explainer page
    page.locator("a.atlas-explainer", has_text="DAPO").first.click()
    page.wait_for_url("**/algorithms/grpo.html")
    assert "GRPO" in page.locator("h1").first.inner_text()
    assert page.problems == []


def test_every_year_page_is_reached_from_home(sized, base_url, typed):
    page = sized
    page.goto(base_url + "index.html")
    page.locator(".atlas-cta a", has_text="Papers by year").click()
    page.wait_for_url("**/works/index.html")
    page.locator("table a", has_text="2025").first.click()
    page.wait_for_url("**/works/2025*.html")
    assert page.locator("ul.atlas-index li").count() > 0
    # the fixture record is listed on one of the pages of 2025
    pages = [base_url + "works/2025.html"] + [base_url + "works/" + h.split("/")[-1]
                                              for h in page.locator(".atlas-pager a").evaluate_all("as => as.map(a => a.href)")]
    found = False
    for url in dict.fromkeys(pages):
        page.goto(url)
        link = page.locator(f"a[href$='papers/{typed['id']}.html']")
        if link.count():
            link.first.click()
            page.wait_for_url(f"**/papers/{typed['id']}.html")
            found = True
            break
    assert found, "the fixture's paper page is not linked from its year's index pages"
    _no_sideways_scroll(page)
    assert page.problems == []


@pytest.mark.parametrize("path", ["tables/algorithms.html", "tables/environments.html", "tables/frameworks.html"])
def test_tables_use_the_width_and_never_break_words(sized, base_url, path):
    page = sized
    page.goto(base_url + path)
    table = page.locator("table.atlas-sortable")
    content = page.locator("article.md-content__inner").evaluate("a => a.clientWidth")
    width = table.evaluate("t => t.getBoundingClientRect().width")
    assert width >= content - 40, f"table {width}px in a {content}px column"
    if page.width_name == "desktop":
        assert content > 850, f"the content column is only {content}px wide at 1400px"
    style = table.locator("td").first.evaluate("td => [getComputedStyle(td).wordBreak, getComputedStyle(td).hyphens]")
    assert style[0] == "normal" and style[1] != "auto"
    # a chip (capability, task) never wraps inside itself
    split = page.locator("table.atlas-sortable .atlas-tag").evaluate_all(
        "ts => ts.filter(t => t.getClientRects().length > 1).map(t => t.textContent)")
    assert not split, f"chips broken across lines: {split[:5]}"
    _no_sideways_scroll(page)
    assert page.problems == []


@pytest.mark.parametrize("path", ["algorithms/grpo.html", "algorithms/dpo.html", "algorithms/reinforce.html",
                                  "implementations/memory.html", "implementations/perception.html"])
def test_display_equations_are_never_clipped(sized, base_url, path):
    page = sized
    page.goto(base_url + path)
    boxes = page.locator(".math-display").evaluate_all("""ds => ds.map(d => {
        const m = d.querySelector('math'); const cs = getComputedStyle(d);
        return {box: d.clientWidth, content: d.scrollWidth, math: m ? Math.ceil(m.scrollWidth) : 0,
                mathBox: m ? Math.ceil(m.getBoundingClientRect().width) : 0, overflow: cs.overflowX};
    })""")
    if not boxes:
        pytest.skip(f"{path} has no display equation")
    for b in boxes:
        # the <math> element shows all of itself, and a box narrower than it scrolls
        assert b["mathBox"] + 1 >= b["math"], b
        assert b["content"] <= b["box"] + 1 or b["overflow"] in ("auto", "scroll"), b
        assert b["content"] + 1 >= min(b["math"], b["content"]), b
    _no_sideways_scroll(page)


def test_dark_mode_toggle_switches_and_is_kept(page, base_url):
    page.goto(base_url + "index.html")
    before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    after = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert {before, after} == {"default", "slate"}
    page.goto(base_url + "tables/algorithms.html")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == after
    assert page.problems == []


def test_home_counts_beyond_the_survey_and_calls_to_action(sized, base_url, catalog):
    page = sized
    page.goto(base_url + "index.html")
    beyond = sum(1 for p in catalog.papers.values() if p.placement == "atlas")
    text = page.locator(".atlas-beyond").inner_text()
    assert re.search(rf"\b{beyond}\b are beyond the survey", text), text
    hrefs = page.locator(".atlas-cta a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert {"explorer.html", "capabilities/index.html", "works/index.html", "recent.html"} <= set(hrefs)
    _no_sideways_scroll(page)
    assert page.problems == []


def test_graph_view_renders_and_a_click_moves_to_a_neighbourhood(sized, base_url):
    page = sized
    page.goto(base_url + "graph.html")
    page.wait_for_selector("#atlas-graph[data-ready='1']")
    first = page.evaluate("document.getElementById('atlas-graph').dataset.center")
    assert first.startswith("algorithm:")
    n = page.evaluate("window.atlasGraph.cy.nodes().length")
    assert n > 2
    assert page.locator("#g-neighbours li").count() == n - 1
    # click a neighbour on the canvas: the view moves to its neighbourhood
    page.locator("#g-canvas").evaluate("c => c.scrollIntoView({block: 'center'})")
    # cytoscape re-reads the canvas position after a scroll (debounced): let it settle before clicking
    page.wait_for_timeout(500)
    target = page.evaluate("""() => { const cy = window.atlasGraph.cy; const r = cy.container().getBoundingClientRect();
        const at = n => { const b = n.renderedBoundingBox({includeLabels: false});
                          return {x: r.left + (b.x1 + b.x2) / 2, y: r.top + (b.y1 + b.y2) / 2, label: n.data('label')}; };
        const inView = cy.nodes('[center = 0]').map(at).filter(p => p.y > 60 && p.y < window.innerHeight - 5);
        return inView[0] || null; }""")
    assert target, "no neighbour is inside the viewport"
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function(f"document.getElementById('atlas-graph').dataset.center !== {first!r}")
    assert page.locator("#g-panel h3").inner_text() == target["label"]
    assert "node=" in page.url
    # the lineage draws groups, never an empty one
    counts = page.locator(".atlas-lineage-group h4 .atlas-muted").all_inner_texts()
    assert counts and all(int(c.strip("()")) > 0 for c in counts)
    _no_sideways_scroll(page)
    assert page.problems == []


def test_feed_in_the_browser_links_pages_that_load(page, base_url, site_url, typed):
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(base_url + "index.html")
    page.wait_for_load_state("networkidle")
    # the page announces the feed (rel tokens "alternate feed"), and the browser fetches and parses it as XML
    link = page.locator("link[type='application/atom+xml']")
    assert link.get_attribute("href") == "feed.xml"
    assert "alternate" in link.get_attribute("rel").split()
    # ... without the theme taking the feed link for a language version and fetching the whole sitemap
    assert not [u for u in fetched if u.endswith("sitemap.xml")], fetched
    links = page.evaluate("""async () => {
        const r = await fetch('feed.xml');
        if (!r.ok || !/xml/.test(r.headers.get('content-type') || '')) return null;
        const doc = new DOMParser().parseFromString(await r.text(), 'application/xml');
        if (doc.querySelector('parsererror')) return null;
        return Array.from(doc.getElementsByTagNameNS('http://www.w3.org/2005/Atom', 'entry'))
            .map(e => e.getElementsByTagNameNS('http://www.w3.org/2005/Atom', 'link')[0].getAttribute('href'));
    }""")
    assert links, "the browser could not parse the feed, or it has no entry"
    assert links[0].endswith(f"papers/{typed['id']}.html")
    local = [base_url + urlsplit(u).path[len(urlsplit(site_url).path):] for u in links]
    statuses = page.evaluate("async urls => Promise.all(urls.map(u => fetch(u).then(async r => (await r.text(), r.status))))",
                             list(dict.fromkeys(local))[:200])
    assert set(statuses) == {200}, statuses
    # the recent page lists the fixture first, under its month
    page.goto(base_url + "recent.html")
    assert page.locator("h2").first.inner_text().startswith("January 2031")
    page.locator(f"ul.atlas-recent a[href$='papers/{typed['id']}.html']").first.click()
    page.wait_for_url(f"**/papers/{typed['id']}.html")
    assert page.problems == [], page.problems[:8]
