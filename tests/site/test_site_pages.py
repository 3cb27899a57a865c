"""Checks on the built site without a browser, for the paper pages, the index, the feed and the graph data:
every paper page has a static inbound link, the Atom feed parses (feedparser) and each of its links resolves to a
built page, the typed fields and their provenance are on the page, the lineage draws no empty group."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest

from rl_atlas.site.added import added_dates, git_added_dates
from rl_atlas.site.graphview import CHANGES, change_group
from rl_atlas.site.labels import source_link, survey_section_url


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _resolve(page: Path, href: str) -> Path | None:
    parts = urlsplit(href)
    if parts.scheme or href.startswith("//") or not parts.path:
        return None
    return (page.parent / unquote(parts.path)).resolve()


def test_every_paper_page_has_a_static_inbound_link(site_dir, catalog):
    """Computed from the built HTML: a plain <a href> (not the explorer's JSON, not search) on another page."""
    inbound: set[Path] = set()
    for f in site_dir.rglob("*.html"):
        p = _Links()
        p.feed(f.read_text(encoding="utf-8"))
        for h in p.hrefs:
            target = _resolve(f, h)
            if target is not None and target != f.resolve():
                inbound.add(target)
    orphans = [pid for pid in catalog.papers if (site_dir / "papers" / f"{pid}.html").resolve() not in inbound]
    assert not orphans, f"{len(orphans)} paper pages have no static inbound link, e.g. {orphans[:5]}"
    # and the index that guarantees it is linked from the home page
    assert 'href="works/index.html"' in (site_dir / "index.html").read_text(encoding="utf-8")


def test_feed_parses_newest_first_and_every_link_resolves(site_dir, site_url, typed):
    feedparser = pytest.importorskip("feedparser")
    feed = feedparser.parse((site_dir / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.entries, "the feed has no entry (the test catalog has dated records)"
    dates = [e.updated_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True), "entries are not newest first"
    assert feed.entries[0].link.endswith(f"papers/{typed['id']}.html")  # the fixture's 2031 date is the newest
    missing = []
    for e in feed.entries:
        assert e.link.startswith(site_url), e.link
        rel = urlsplit(e.link)
        page = site_dir / unquote(rel.path[len(urlsplit(site_url).path):])
        if not page.is_file():
            missing.append(e.link)
        elif rel.fragment and f'id="{rel.fragment}"' not in page.read_text(encoding="utf-8"):
            missing.append(e.link)
    assert not missing, f"{len(missing)} feed links do not resolve, e.g. {missing[:5]}"
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    # every page announces the feed
    assert 'type="application/atom+xml"' in (site_dir / "index.html").read_text(encoding="utf-8")


def test_recent_page_groups_by_month(site_dir, typed):
    html = (site_dir / "recent.html").read_text(encoding="utf-8")
    assert 'id="m-2031-01"' in html and f"papers/{typed['id']}.html" in html
    months = re.findall(r'id="m-(\d{4}-\d{2})"', html)
    assert months == sorted(months, reverse=True) and len(months) == len(set(months))


def test_typed_paper_page_shows_facts_provenance_and_links(site_dir, typed):
    html = (site_dir / "papers" / f"{typed['id']}.html").read_text(encoding="utf-8")
    assert "and 30 more</summary>" in html  # 40 authors: 10 shown, 30 folded
    assert 'href="../algorithms/grpo.html"' in html  # GRPO has an explainer page
    assert re.search(r'href="\.\./algorithms/grpo\.html"[^>]*>DAPO<', html), "DAPO's code is explained on the GRPO page"
    assert 'href="../tables/environments.html#environment-agentbench"' in html
    assert 'href="../tables/frameworks.html#framework-agent-lightning"' in html
    assert "<strong>Qwen2.5</strong> · 7B · Instruct" in html
    assert 'href="https://arxiv.org/html/2501.00001v2"' in html  # provenance of the algorithms
    assert re.search(r'href="https://github\.com/example/fixture"[^>]*>README<', html)
    assert 'href="https://openreview.net/forum?id=abcDEF123"' in html
    assert f'href="{survey_section_url("4.1.1")}"' in html and "#S4.SS1.SSS1" in html
    assert "Mis-cited as" in html and 'href="https://arxiv.org/html/2509.02547#bib.bib2"' in html
    assert "NeurIPS 2025" in html and "Multi-turn" in html and "Outcome reward" in html
    assert 'class="highlight atlas-bibtex"' in html


def test_frameworks_table_shows_labels_not_ids(site_dir):
    html = (site_dir / "tables" / "frameworks.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td>(agentic-rl|rlhf|general-rl)</td>", html)
    assert not cells, f"raw category ids in the frameworks table: {cells[:3]}"
    assert "<td>Agentic RL</td>" in html


def test_graph_data_and_lineage(site_dir, catalog):
    data = json.loads((site_dir / "assets" / "data" / "graph.json").read_text(encoding="utf-8"))
    kinds = {data["kinds"][n[1]] for n in data["nodes"]}
    assert kinds == {"paper", "algorithm", "environment", "framework"}
    assert all(0 <= e[0] < len(data["nodes"]) and 0 <= e[1] < len(data["nodes"]) for e in data["edges"])
    for n in data["nodes"]:  # every node links a built page (a paper's link is built from paper_url)
        url = n[3] or data["paper_url"].replace("ID", n[0].split(":", 1)[1])
        assert (site_dir / unquote(urlsplit(url).path)).is_file(), n
    html = (site_dir / "graph.html").read_text(encoding="utf-8")
    groups = re.findall(r'<div class="atlas-lineage-group" data-group="[a-z]+"><h4>[^<]+<span class="atlas-muted">\((\d+)\)', html)
    assert groups and all(int(g) > 0 for g in groups), "an empty lineage group was drawn"
    assert 'src="assets/vendor/cytoscape/cytoscape.min.js"' in html
    # the taxonomy drawing leaves out sub-categories without papers
    assert not re.search(r'<title>[^<]*: 0 papers</title><rect [^>]*fill="#f6f6f6"', html.split('id="taxonomy"', 1)[1])
    assert re.search(r'<title>[^<]*: [1-9][0-9]* papers</title><rect [^>]*fill="#f6f6f6"', html)


@pytest.mark.parametrize("mechanism,group", [
    ("Decoupled clipping and dynamic sampling", "clip"), ("Dynamic KL coefficient (beta)", "kl"),
    ("Leave-one-out baseline over k samples", "advantage"), ("Pre-rollout prompt filtering", "sampling"),
    ("Geometric mean of token-level terms", "aggregation"), ("Pass@k as training reward", "reward"),
    ("Prospect-theory value of single responses", "other")])
def test_change_groups(mechanism, group):
    assert change_group(SimpleNamespace(mechanism=mechanism)) == group
    assert group == "other" or group in {g for g, _, _ in CHANGES}


@pytest.mark.parametrize("source,text,url", [
    ("survey:§4.1", "survey §4.1", "https://arxiv.org/html/2509.02547#S4.SS1"),
    ("survey:ref-481", "survey ref. [481]", "https://arxiv.org/html/2509.02547#bib.bib481"),
    ("arxiv-html:2503.09516v3", "arXiv full text v3", "https://arxiv.org/html/2503.09516v3"),
    ("atlas", "the atlas's curators", None)])
def test_source_links(source, text, url):
    assert source_link(source) == (text, url)


def _fake_cat(root: Path, **papers):
    recs = {pid: SimpleNamespace(id=pid, added=day) for pid, day in papers.items()}
    return SimpleNamespace(root=root, of_kind=lambda kind: recs if kind == "papers" else {})


def test_added_dates_from_git_and_without_git(tmp_path):
    cat_dir = tmp_path / "catalog"
    (cat_dir / "papers").mkdir(parents=True)
    for pid in ("a", "b"):
        (cat_dir / "papers" / f"{pid}.yaml").write_text(f"id: {pid}\n", encoding="utf-8")
    # no git repository: no dates, no error
    assert git_added_dates(cat_dir) == {}
    assert added_dates(_fake_cat(cat_dir, a=dt.date(2030, 5, 1), b=None)) == {("papers", "a"): dt.date(2030, 5, 1)}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    try:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
        subprocess.run(git + ["-C", str(tmp_path), "add", "."], check=True, capture_output=True)
        subprocess.run(git + ["-C", str(tmp_path), "commit", "-q", "-m", "x", "--date", "2029-03-04T10:00:00"],
                       check=True, capture_output=True, env={"GIT_COMMITTER_DATE": "2029-03-04T10:00:00", "PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"git is not usable here: {exc}")
    dates = added_dates(_fake_cat(cat_dir, a=dt.date(2030, 5, 1), b=None))
    assert dates == {("papers", "a"): dt.date(2030, 5, 1), ("papers", "b"): dt.date(2029, 3, 4)}  # the field wins
