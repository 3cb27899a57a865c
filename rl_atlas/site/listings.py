"""Static listings that make every record reachable by a plain link: the papers index by year (paged), the
"recent additions" page (by month) and the Atom feed of additions.

    papers_index(ctx)   -> {src_uri: Markdown}   works/index.md (years, counts) + works/<year>[-<n>].md pages
    recent_page(ctx)    -> Markdown              recent.md: additions grouped by month, newest first
    atom_feed(ctx)      -> str                   feed.xml (Atom 1.0), one entry per dated record, newest first
    atlas_inserts(ctx)  -> {marker: HTML}        the home page's "beyond the survey" line and calls to action
"""

from __future__ import annotations

import datetime as dt
import posixpath
import xml.etree.ElementTree as ET
from collections import defaultdict
from urllib.parse import urljoin

from .html import a, esc, front_matter, html_path, link

INDEX = "works/index.md"
RECENT = "recent.md"
FEED = "feed.xml"
PER_PAGE = 150  # papers on one year page: keeps every page well under 100 KB with the theme's chrome
RECENT_SHOWN = 250  # additions listed on the recent page (the feed and the year index hold the rest)
FEED_MAX = 1000  # entries in the feed
RECORD_KINDS = {"papers": "paper", "environments": "environment", "frameworks": "framework", "algorithms": "algorithm"}
ATOM = "http://www.w3.org/2005/Atom"


def _md(here: str, target: str) -> str:
    """A Markdown link target: the source path relative to `here` (mkdocs turns it into the page's URL)."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def year_src(year, page: int = 1) -> str:
    name = str(year) if year is not None else "undated"
    return f"works/{name}.md" if page == 1 else f"works/{name}-{page}.md"


def _paper_item(ctx, here: str, p) -> str:
    from .pages import paper_src

    authors = ", ".join(p.authors[:3]) + (" et al." if len(p.authors) > 3 else "")
    venue = f" · {esc(p.venue)}" if p.venue else ""
    return (f"<li>{a(here, paper_src(p.id), p.title)} <span class=\"atlas-muted\">{esc(authors)}{venue}</span></li>")


def _pager(here: str, year, page: int, pages: int) -> str:
    if pages <= 1:
        return ""
    items = []
    for n in range(1, pages + 1):
        if n == page:
            items.append(f'<span aria-current="page">{n}</span>')
        else:
            items.append(a(here, year_src(year, n), str(n)))
    return f'<nav class="atlas-pager" aria-label="Pages of {esc(year or "undated")}">Page {" ".join(items)}</nav>'


def papers_index(ctx) -> dict[str, str]:
    """works/index.md lists the years; each year has one page per PER_PAGE papers (A-Z by title)."""
    by_year: dict = defaultdict(list)
    for p in ctx.cat.papers.values():
        by_year[p.year].append(p)
    years = sorted(by_year, key=lambda y: (y is None, -(y or 0)))
    out: dict[str, str] = {}
    rows = []
    for y in years:
        papers = sorted(by_year[y], key=lambda p: (p.title.lower(), p.id))
        pages = (len(papers) + PER_PAGE - 1) // PER_PAGE
        name = str(y) if y is not None else "Undated"
        rows.append(f"<tr><td>{a(INDEX, year_src(y), name)}</td><td>{len(papers)}</td>"
                    f"<td>{' '.join(a(INDEX, year_src(y, n), str(n)) for n in range(1, pages + 1)) if pages > 1 else ''}</td></tr>")
        for n in range(1, pages + 1):
            here = year_src(y, n)
            chunk = papers[(n - 1) * PER_PAGE:n * PER_PAGE]
            first, last = (n - 1) * PER_PAGE + 1, (n - 1) * PER_PAGE + len(chunk)
            out[here] = "\n".join([
                front_matter(title=f"Papers of {name}" + (f" ({n}/{pages})" if pages > 1 else "")),
                f"# Papers of {name}\n",
                f"{len(papers)} works, A to Z by title" + (f"; this page holds {first}-{last}" if pages > 1 else "") +
                f". [All years]({_md(here, INDEX)}) · [Recent additions]({_md(here, RECENT)})\n",
                f'<div markdown="0">{_pager(here, y, n, pages)}<ul class="atlas-index">'
                + "".join(_paper_item(ctx, here, p) for p in chunk) + f"</ul>{_pager(here, y, n, pages)}</div>\n",
            ])
    out[INDEX] = "\n".join([
        front_matter(title="Papers by year"), "# Papers by year\n",
        f"Every one of the {len(ctx.cat.papers)} works in the catalog has a page; this index links each of them, "
        "year by year and A to Z within a year. The [explorer](../explorer.md) filters them, and "
        f"[recent additions]({_md(INDEX, RECENT)}) lists what joined the atlas lately.\n",
        '<table class="atlas-table" markdown="0"><thead><tr><th>Year</th><th>Works</th><th>Pages</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>\n",
    ])
    return out


def _record_target(ctx, kind: str, rid: str) -> tuple[str, str | None]:
    """(src_uri, anchor) of the page that shows a record: its own page for a paper, its table row otherwise."""
    from .pages import paper_src, table_page

    if kind == "papers":
        return paper_src(rid), None
    return table_page(ctx.cat, kind, rid), f"{kind[:-1]}-{rid}"


def additions(ctx) -> list[tuple[dt.date, str, str, object]]:
    """(date, kind, id, record) of every dated record, newest first (ties: papers first, then by name)."""
    out = []
    for (kind, rid), day in ctx.added.items():
        rec = ctx.cat.of_kind(kind).get(rid)
        if rec is not None:
            out.append((day, kind, rid, rec))
    order = list(RECORD_KINDS)
    out.sort(key=lambda t: (-t[0].toordinal(), order.index(t[1]), _name(t[3]).lower(), t[2]))
    return out


def _name(rec) -> str:
    return getattr(rec, "title", None) or getattr(rec, "name", None) or rec.id


def recent_page(ctx) -> str:
    here = RECENT
    items = additions(ctx)
    out = [front_matter(title="Recent additions"), "# Recent additions\n",
           "Records as they joined the atlas, newest first, grouped by month. The date is the record's `added` "
           "field, or else the day its file first entered the catalog's git history. The same list is an "
           f"[Atom feed]({FEED}) for a feed reader; [papers by year]({_md(here, INDEX)}) lists every work.\n"]
    if not items:
        out.append("*No record carries a date yet.*\n")
        return "\n".join(out)
    months: dict = defaultdict(list)
    for item in items:
        months[item[0].strftime("%Y-%m")].append(item)
    linked, total = set(), 0  # only months whose heading is drawn (the page shows the newest RECENT_SHOWN) get a link
    for m, v in months.items():
        if total < RECENT_SHOWN:
            linked.add(m)
        total += len(v)
    name = lambda m: dt.date.fromisoformat(m + "-01").strftime("%B %Y")  # noqa: E731
    counts = " · ".join((f"[{name(m)}](#m-{m})" if m in linked else name(m)) + f" ({len(v)})" for m, v in months.items())
    out.append(f"{len(items)} dated records. {counts}\n")
    shown = 0
    for m, group in months.items():
        if shown >= RECENT_SHOWN:
            break
        title = dt.date.fromisoformat(m + "-01").strftime("%B %Y")
        out.append(f"## {title} {{ #m-{m} }}\n")
        lis = []
        for day, kind, rid, rec in group[:RECENT_SHOWN - shown]:
            src, anchor = _record_target(ctx, kind, rid)
            beyond = ' <span class="atlas-chip">beyond the survey</span>' if getattr(rec, "placement", "") == "atlas" else ""
            lis.append(f'<li><span class="atlas-muted">{day.isoformat()}</span> {esc(RECORD_KINDS[kind])}: '
                       f"{a(here, src, _name(rec), anchor=anchor)}{beyond}</li>")
        shown += len(lis)
        out.append(f'<ul class="atlas-recent" markdown="0">{"".join(lis)}</ul>\n')
        if len(lis) < len(group):
            out.append(f"*{len(group) - len(lis)} more from this month are in the [feed]({FEED}).*\n")
    return "\n".join(out)


def atom_feed(ctx, site_name: str = "Agentic RL Atlas") -> str:
    """Atom 1.0: one entry per dated record (at most FEED_MAX), newest first. Links are absolute when the site
    has a `site_url`, else relative to the feed (which sits at the site's root)."""
    base = ctx.site_url or ""
    ET.register_namespace("", ATOM)

    def url(src: str, anchor: str | None = None) -> str:
        rel = html_path(src) + (f"#{anchor}" if anchor else "")
        return urljoin(base, rel) if base else rel

    items = additions(ctx)[:FEED_MAX]
    feed = ET.Element(f"{{{ATOM}}}feed")

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    newest = items[0][0] if items else dt.date(2025, 1, 1)
    sub(feed, "id", url("index.md") if base else "urn:rl-atlas:additions")
    sub(feed, "title", f"{site_name}: recent additions")
    sub(feed, "updated", f"{newest.isoformat()}T00:00:00Z")
    sub(feed, "link", href=url(FEED), rel="self", type="application/atom+xml")
    sub(feed, "link", href=url(RECENT), rel="alternate", type="text/html")
    author = sub(feed, "author")
    sub(author, "name", f"{site_name} contributors")
    for day, kind, rid, rec in items:
        src, anchor = _record_target(ctx, kind, rid)
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:rl-atlas:{RECORD_KINDS[kind]}:{rid}")
        sub(entry, "title", f"{RECORD_KINDS[kind].capitalize()}: {_name(rec)}")
        sub(entry, "updated", f"{day.isoformat()}T00:00:00Z")
        sub(entry, "published", f"{day.isoformat()}T00:00:00Z")
        sub(entry, "link", href=url(src, anchor), rel="alternate", type="text/html")
        summary = getattr(rec, "summary", None)
        if summary:
            sub(entry, "summary", summary)
        if getattr(rec, "placement", None) == "atlas":
            sub(entry, "category", term="beyond-the-survey", label="Added by the atlas, not cited by the survey")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def atlas_inserts(ctx) -> dict[str, str]:
    """Home page: how many works the atlas holds beyond the survey, and where to start."""
    from .pages import CAPABILITIES_INDEX

    beyond = sum(1 for p in ctx.cat.papers.values() if p.placement == "atlas")
    n = len(ctx.cat.papers)
    line = (f'<p class="atlas-beyond">Of the {n} works, <strong>{beyond}</strong> are beyond the survey: the atlas '
            f'added them after it (see {a("index.md", RECENT, "recent additions")}).</p>')
    buttons = [("explorer.md", "Filter every paper in the explorer", "md-button md-button--primary"),
               (CAPABILITIES_INDEX, "Browse by capability", "md-button"),
               (INDEX, "Papers by year", "md-button"),
               (RECENT, "Recent additions", "md-button")]
    cta = ('<div class="atlas-cta" markdown="0">'
           + "".join(f'<a class="{cls}" href="{esc(link("index.md", target))}">{esc(text)}</a>' for target, text, cls in buttons)
           + "</div>")
    return {"beyond": line, "cta": cta}
