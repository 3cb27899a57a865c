"""Checks on the built HTML without a browser: internal links, offline assets, escaping, page sizes, nav."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from rl_atlas.site.html import esc, md, page_title


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attr, value)

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if v is None:
                continue
            if k in ("id", "name") and (k == "id" or tag == "a"):
                self.ids.add(v)
            if k in ("href", "src") or (tag == "link" and k == "href"):
                self.refs.append((tag, k, v))


@pytest.fixture(scope="module")
def parsed(site_dir):
    out = {}
    for f in site_dir.rglob("*.html"):
        p = _Collect()
        p.feed(f.read_text(encoding="utf-8"))
        out[f] = p
    return out


def test_every_internal_link_resolves(site_dir, parsed, site_url):
    site_path = urlsplit(site_url).path
    broken = []
    checked = 0
    for f, p in parsed.items():
        for tag, attr, value in p.refs:
            parts = urlsplit(value)
            if parts.scheme or value.startswith(("//", "mailto:", "data:", "javascript:")):
                continue
            if not parts.path:
                target = f
            elif parts.path.startswith("/"):  # root-relative (the 404 page): on the site_url's path
                path = unquote(parts.path)
                assert path.startswith(site_path), f"{f.relative_to(site_dir)}: {value} is outside {site_path}"
                target = (site_dir / path[len(site_path):]).resolve()
            else:
                target = (f.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file():
                broken.append(f"{f.relative_to(site_dir)}: {tag}[{attr}]={value}")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and not frag.startswith("__") and target in parsed:
                if frag not in parsed[target].ids:
                    broken.append(f"{f.relative_to(site_dir)}: {value} (no #{frag} in {target.relative_to(site_dir)})")
    assert checked > 1000, "the link check saw suspiciously few links"
    assert not broken, f"{len(broken)} broken internal links, e.g.:\n" + "\n".join(broken[:20])


def test_nothing_is_fetched_from_another_host(site_dir, parsed, site_url):
    remote = []
    for f, p in parsed.items():
        for tag, attr, value in p.refs:
            if tag == "link" and value.startswith(site_url):  # rel=canonical: the page's own address, never fetched
                continue
            is_asset = tag in ("script", "img", "iframe", "source") or (tag == "link" and attr == "href")
            if is_asset and re.match(r"^(https?:)?//", value):
                # <link rel=...> to other hosts is only fine if it is not a stylesheet/font/preload
                remote.append(f"{f.relative_to(site_dir)}: <{tag} {attr}={value}>")
    for css in site_dir.rglob("*.css"):
        for m in re.finditer(r"(@import|url\()\s*['\"]?(https?:)?//[^)'\"]+", css.read_text(encoding="utf-8", errors="replace")):
            remote.append(f"{css.relative_to(site_dir)}: {m.group(0)}")
    assert not remote, "remote assets:\n" + "\n".join(remote[:20])


def test_no_html_page_over_budget_and_papers_out_of_nav(site_dir):
    sizes = {f: f.stat().st_size for f in site_dir.rglob("*.html")}
    big = {str(f.relative_to(site_dir)): s for f, s in sizes.items() if s > 100_000}
    assert not big, f"pages over 100 KB: {big}"
    home = (site_dir / "index.html").read_text(encoding="utf-8")
    nav = home[home.index('class="md-nav md-nav--primary"'):]
    assert "papers/" not in nav[: nav.index("</nav>")], "paper pages leaked into the navigation"


def test_every_paper_has_a_page_and_is_indexed(site_dir, catalog):
    """Pagefind indexes exactly the pages whose article the theme marks (`data-pagefind-body`): every paper page
    and none of the 404 page; each page carries its weighted name line at most once."""
    import json

    entry = json.loads((site_dir / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    texts = {f.relative_to(site_dir).as_posix(): f.read_text(encoding="utf-8") for f in site_dir.rglob("*.html")}
    indexed = {name for name, text in texts.items() if "data-pagefind-body" in text}
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(indexed)
    missing_pages = [p for p in catalog.papers if f"papers/{p}.html" not in texts]
    missing_index = [p for p in catalog.papers if f"papers/{p}.html" not in indexed]
    assert not missing_pages and not missing_index, (missing_pages[:5], missing_index[:5])
    assert "404.html" not in indexed
    assert all(texts[n].count('data-pagefind-weight="10"') <= 1 for n in indexed)


def test_hostile_strings_are_inert_in_every_file(site_dir, hostile):
    """No page, nor the explorer JSON, carries the hostile markup as markup."""
    bad = re.compile(r"<script>window\.__pwned|<img src=x|<b onmouseover|<svg onload|href=\"javascript:|<i>Venue")
    hits = []
    for f in list(site_dir.rglob("*.html")) + list(site_dir.rglob("*.json")) + list(site_dir.rglob("*.xml")):
        text = f.read_text(encoding="utf-8", errors="replace")
        if f.suffix == ".json":
            # JSON keeps the raw text (the page sets it with textContent); it must not be able to end a <script>
            continue
        for m in bad.finditer(text):
            hits.append(f"{f.relative_to(site_dir)}: ...{text[max(0, m.start() - 60):m.end() + 20]}...")
    assert not hits, "\n".join(hits[:10])
    page = (site_dir / "papers" / f"{hostile['id']}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page  # shown as text, not dropped


@pytest.mark.parametrize("value", ["<script>x</script>", "a \"b\" 'c' & d", "</title><b>", "*x* [y](javascript:z) `c`"])
def test_escaping_helpers(value):
    assert "<" not in esc(value) and '"' not in esc(value)
    assert "<" not in page_title(value) and ">" not in page_title(value)
    import markdown

    html = markdown.markdown(md(value))
    assert "<script" not in html and "<em>" not in html and "<a " not in html and "<code>" not in html
