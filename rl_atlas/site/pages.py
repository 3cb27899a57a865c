"""Page generators: catalog -> Markdown/HTML source of every generated page, the explorer's JSON and the nav.

Pages hold raw HTML for everything that comes from the catalog (escaped with `html.esc`), and Markdown only
for headings and the project's own sentences, so no catalog text is ever read as Markdown or HTML.
Links between generated pages are computed here (`html.link`); the site is built with
`use_directory_urls: false`, so `papers/x.md` is served as `papers/x.html` and works from a plain folder too.
"""

from __future__ import annotations

import json
import re
import typing
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..export import bibtex_entry
from ..graph import build_graph, related_papers
from ..query import _algorithms_of
from .added import added_dates
from .charts import papers_per_year_svg
from .graphview import GRAPH_DATA, graph_data, graph_page
from .html import a, esc, ext, front_matter, link, md, page_title
from .labels import (FRAMEWORK_CATEGORY, INTERACTION, PLACEMENT, REWARD, ROLE, SURVEY_HTML, TRAINING, label, source_link,
                     survey_ref_url, survey_section_url)
from .listings import FEED, INDEX, RECENT, atlas_inserts, atom_feed, papers_index, recent_page
from .explorer import FAMILY_NAMES, explorer_assets
from .search import HUBS, hubs_json, search_meta

ALGORITHM_PAGES = ["reinforce", "ppo", "grpo", "dpo"]  # docs/algorithms/<id>.md, written by hand
TABLE_ALGORITHMS = "tables/algorithms.md"
TABLE_ENVIRONMENTS = "tables/environments.md"
ENV_ROWS_PER_PAGE = 60  # the environments table is paged so no page passes 100 KB as benchmarks are added


def environment_pages(cat) -> dict[str, str]:
    """environment id -> the table page that holds its row: tables/environments.md, then -2.md, -3.md, ...
    Computed once per catalog object (every link to an environment asks)."""
    cached = getattr(cat, "_environment_pages", None)
    if cached is None:
        ids = [eid for eid, _ in sorted(cat.environments.items(), key=lambda kv: kv[1].name.lower())]
        cached = {eid: TABLE_ENVIRONMENTS if i < ENV_ROWS_PER_PAGE else
                  TABLE_ENVIRONMENTS.replace(".md", f"-{i // ENV_ROWS_PER_PAGE + 1}.md") for i, eid in enumerate(ids)}
        cat._environment_pages = cached
    return cached


def table_page(cat, kind: str, rid: str) -> str:
    """The table page that shows a non-paper record's row (kind: environments, frameworks or algorithms)."""
    if kind == "environments":
        return environment_pages(cat).get(rid, TABLE_ENVIRONMENTS)
    return {"frameworks": TABLE_FRAMEWORKS, "algorithms": TABLE_ALGORITHMS}[kind]
TABLE_FRAMEWORKS = "tables/frameworks.md"
CAPABILITIES_INDEX = "capabilities/index.md"
CHART = "assets/generated/papers-per-year.svg"
FOLDER = {"capability": "capabilities", "task": "tasks"}


@dataclass
class Site:
    pages: dict[str, str] = field(default_factory=dict)  # src_uri -> Markdown, in the nav
    hidden: dict[str, str] = field(default_factory=dict)  # src_uri -> Markdown, out of the nav (paper pages)
    assets: dict[str, str | bytes] = field(default_factory=dict)  # src_uri -> file content
    nav: list = field(default_factory=list)
    inserts: dict[str, dict[str, str]] = field(default_factory=dict)  # hand-written page -> marker -> Markdown
    search: dict[str, dict] = field(default_factory=dict)  # src_uri -> what the page tells the search index


def paper_src(pid: str) -> str:
    return f"papers/{pid}.md"


def term_src(kind: str, tid: str) -> str:
    return f"{FOLDER[kind]}/{tid}.md"


def implementation_src(cid: str) -> str:
    return f"implementations/{cid}.md"


class Ctx:
    """The catalog plus what every generator needs: the graph, reverse indexes, the set of existing pages."""

    def __init__(self, cat, present: set[str], docs_dir=None, site_url: str | None = None):
        self.cat = cat
        self.present = present
        self.site_url = site_url
        self.added = added_dates(cat)
        self.explainer = explainer_pages(cat, present, docs_dir)
        self.graph = build_graph(cat)
        self.term_of_sub = {sid: parent for sid, (parent, _) in cat.subcategories.items()}
        self.introduced: dict[str, list[tuple[str, object]]] = {}
        for kind in ("environments", "frameworks", "algorithms"):
            for r in cat.of_kind(kind).values():
                self.introduced.setdefault(r.paper, []).append((kind, r))

    def term(self, tid):
        return self.cat.taxonomy.get(tid)

    def paper_link(self, here: str, pid: str, text=None) -> str:
        p = self.cat.papers.get(pid)
        if p is None:
            return esc(text or pid)
        return a(here, paper_src(pid), text or p.title)

    def tag_link(self, here: str, tid: str) -> str:
        t = self.term(tid)
        if t is None:
            return f'<span class="atlas-tag">{esc(tid)}</span>'
        return a(here, term_src(t.kind, tid), t.name, cls="atlas-tag")

    def sub_link(self, here: str, sid: str) -> str:
        parent = self.term_of_sub.get(sid)
        t = self.term(parent) if parent else None
        if t is None:
            return f'<span class="atlas-tag">{esc(sid)}</span>'
        name = self.cat.subcategories[sid][1].name
        return a(here, term_src(t.kind, t.id), name, anchor=sid, cls="atlas-tag")

    def record_link(self, here: str, kind: str, rid: str) -> str:
        rec = self.cat.of_kind(kind).get(rid)
        if rec is None:
            return esc(rid)
        return a(here, table_page(self.cat, kind, rid), rec.name, anchor=f"{kind[:-1]}-{rid}")

    def algo_link(self, here: str, aid: str) -> str:
        """An algorithm's name linked to its explainer page (docs/algorithms/*.md) when it has one, else its table row."""
        page = self.explainer.get(aid)
        rec = self.cat.algorithms.get(aid)
        if page is None or rec is None:
            return self.record_link(here, "algorithms", aid)
        return a(here, page, rec.name, cls="atlas-explainer")

    def algo_links(self, here: str, ids) -> str:
        return ", ".join(self.algo_link(here, x) for x in ids)


def explainer_pages(cat, present: set[str], docs_dir=None) -> dict[str, str]:
    """{algorithm id: docs page that explains it}: `algorithms/<id>.md` if it exists, else the hand-written
    algorithm page that names the file of the algorithm's reference implementation (`implementation: path::fn`)."""
    pages = sorted(x for x in present if x.startswith("algorithms/") and x.endswith(".md") and x != "algorithms/index.md")
    texts = {}
    if docs_dir is not None:
        for page in pages:
            try:
                texts[page] = (Path(docs_dir) / page).read_text(encoding="utf-8")
            except OSError:
                pass
    out = {}
    for aid, rec in cat.algorithms.items():
        if f"algorithms/{aid}.md" in present:
            out[aid] = f"algorithms/{aid}.md"
        elif rec.implementation:
            path = rec.implementation.split("::", 1)[0]
            hits = sorted((-text.count(path), pg) for pg, text in texts.items() if path in text)
            if hits:  # the page that names the file most often is the one that explains it
                out[aid] = hits[0][1]
    return out


# -- paper pages -----------------------------------------------------------------------------------

def _dl(rows: list[tuple[str, str]]) -> str:
    # the trailing spaces keep the search index from gluing a label to its value ("AuthorsBowen")
    body = "".join(f"<tr><th>{esc(k)} </th><td>{v} </td></tr>" for k, v in rows if v)
    return f'<table class="atlas-meta">{body}</table>'


AUTHORS_SHOWN = 10  # a longer author list folds after this many names


def _authors(authors: list[str]) -> str:
    if len(authors) <= AUTHORS_SHOWN + 2:  # folding two names away would save nothing
        return esc(", ".join(authors))
    head, rest = authors[:AUTHORS_SHOWN], authors[AUTHORS_SHOWN:]
    return (f'{esc(", ".join(head))}, <details class="atlas-more"><summary>and {len(rest)} more</summary>'
            f"{esc(', '.join(rest))}</details>")


def _sources(p, *fields: str) -> str:
    """A small note naming where the facts of `fields` were read, each source linked where it has an address."""
    seen: dict[str, None] = {}
    for f in fields:
        for src in p.provenance.get(f, []):
            seen.setdefault(src)
    if not seen:
        return ""
    parts = []
    for src in seen:
        text, url = source_link(src)
        parts.append(ext(url, text) if url else esc(text))
    return f'<span class="atlas-source">source: {", ".join(parts)}</span>'


def _with_source(p, value: str, *fields: str) -> str:
    return f"{value} {_sources(p, *fields)}" if value else ""


def _chips(items: list[str]) -> str:
    return " ".join(f'<span class="atlas-chip">{x}</span>' for x in items)


def paper_page(ctx: Ctx, pid: str) -> str:
    cat, p = ctx.cat, ctx.cat.papers[pid]
    here = paper_src(pid)
    ids, links = p.identifiers, p.links
    venue = esc(p.venue or "")
    if p.venue and p.venue_year and (p.venue_year != p.year or p.venue != "arXiv"):
        venue += f" {esc(p.venue_year)}"
    added = ctx.added.get(("papers", pid))
    meta = [
        ("Type", esc(p.type)),
        ("Authors", _with_source(p, _authors(p.authors), "authors")),
        ("Year", _with_source(p, esc(p.year or ""), "year")),
        ("Venue", _with_source(p, venue, "venue")),
        ("Also known as", esc(", ".join(p.aliases))),
        ("arXiv", ext(f"https://arxiv.org/abs/{ids.arxiv}", ids.arxiv) if ids.arxiv else ""),
        ("DOI", ext(f"https://doi.org/{ids.doi}", ids.doi) if ids.doi else ""),
        ("OpenReview", ext(f"https://openreview.net/forum?id={ids.openreview}", ids.openreview) if ids.openreview else ""),
        ("ACL Anthology", ext(f"https://aclanthology.org/{ids.acl}/", ids.acl) if ids.acl else ""),
        ("Links", _with_source(p, " · ".join(ext(getattr(links, k), k) for k in ("paper", "code", "model", "website", "dataset")
                                             if getattr(links, k)), "links")),
        ("Placement", f'<span class="atlas-boilerplate">{esc(label(PLACEMENT, p.placement))}</span>'),
        ("Added", esc(added.isoformat()) if added else ""),
    ]
    out = [front_matter(title=page_title(p.title), description=page_title(p.summary or p.title)[:300])]
    out.append('<div class="atlas-paper" markdown="0">')
    out.append(f"<h1>{esc(p.title)}</h1>")
    if p.summary:
        out.append(f'<p class="atlas-lead">{esc(p.summary)}</p>')
    out.append(_dl(meta))
    tags = [ctx.tag_link(here, t) for t in p.capabilities + p.tasks] + [ctx.sub_link(here, s) for s in p.subcategories]
    out.append('<h2 id="tags">Taxonomy</h2>')
    out.append(f'<p class="atlas-tags">{" ".join(tags)}</p>' if tags else "<p>Not tagged yet.</p>")
    note = _sources(p, "capabilities", "tasks", "subcategories")
    if note:
        out.append(f"<p>{note}</p>")
    facts = [
        ("Role", _with_source(p, esc(label(ROLE, p.role)) if p.role else "", "role")),
        ("Training", _with_source(p, _chips([esc(label(TRAINING, t)) for t in p.training]), "training")),
        ("Interaction", _with_source(p, esc(label(INTERACTION, p.interaction)) if p.interaction else "", "interaction")),
        ("Reward", _with_source(p, esc(label(REWARD, p.reward_type)) if p.reward_type else "", "reward_type")),
        ("Algorithms", _with_source(p, _chips([ctx.algo_link(here, x) for x in p.algorithms]), "algorithms")),
        ("Base models", _with_source(p, _chips([_base_model(b) for b in p.base_models]), "base_models")),
        ("Benchmarks and environments", _with_source(p, _chips([ctx.record_link(here, "environments", e) for e in p.environments]),
                                                      "environments")),
        ("Frameworks", _with_source(p, _chips([ctx.record_link(here, "frameworks", f) for f in p.frameworks]), "frameworks")),
        ("Introduces", _chips([ctx.algo_link(here, r.id) if k == "algorithms" else ctx.record_link(here, k, r.id)
                               for k, r in ctx.introduced.get(pid, [])])),
    ]
    if any(v for _, v in facts):
        out.append('<h2 id="records">What the work does</h2>')
        out.append(_dl(facts))
    out.append('<h2 id="survey">In the survey</h2>')
    out.append(_survey_rows(ctx, here, p))
    related = related_papers(cat, ctx.graph, pid, k=8)
    if related:
        out.append('<h2 id="related">Related papers</h2><ul class="atlas-related">')
        for rid, _score in related:
            rp = cat.papers[rid]
            year = f' <span class="atlas-muted">({esc(rp.year)})</span>' if rp.year else ""
            out.append(f"<li>{ctx.paper_link(here, rid)}{year}</li>")
        out.append("</ul>")
    out.append('<h2 id="bibtex">BibTeX</h2>')
    out.append(f'<div class="highlight atlas-bibtex"><pre><code class="language-bibtex">{esc(bibtex_entry(p))}</code></pre></div>')
    out.append("</div>")
    return "\n".join(out) + "\n"


def _base_model(b) -> str:
    """`Qwen2.5 · 7B · Instruct`: the normalised family first, so a reader can compare across papers."""
    parts = [f"<strong>{esc(b.family)}</strong>"] + [esc(x) for x in (b.size, b.variant) if x]
    return " · ".join(parts)


def _survey_rows(ctx: Ctx, here: str, p) -> str:
    """Where the survey cites the work, each section and bibliography entry linked to the survey's arXiv HTML."""
    survey = []
    if p.survey_sections:
        survey.append(("Sections", ", ".join(ext(survey_section_url(s), f"§{s}") for s in p.survey_sections)))
    if p.survey_tables:
        survey.append(("Tables", ", ".join(ext(SURVEY_HTML, f"Table {t}") for t in p.survey_tables)))
    if p.survey_figures:
        survey.append(("Figures", ", ".join(ext(SURVEY_HTML, f"Figure {f}") for f in p.survey_figures)))
    if p.survey_refs:
        survey.append(("Bibliography", ", ".join(ext(survey_ref_url(r), f"[{r}]") for r in p.survey_refs)))
    for r in p.survey_cites_as:
        owners = [q.id for q in ctx.cat.papers.values() if r in q.survey_refs and q.id != p.id]
        other = (" That entry describes " + ", ".join(ctx.paper_link(here, o) for o in owners) + ".") if owners else ""
        survey.append(("Mis-cited as", f"{ext(survey_ref_url(r), f'[{r}]')}: the survey's text attaches reference "
                                       f"[{r}] to this work, but the bibliography entry is another work.{other}"))
    if p.in_companion_list:
        survey.append(("Companion list", "listed"))
    if not survey:
        return ('<p class="atlas-boilerplate">Not cited by the survey.'
                + (" The atlas added it after the survey." if p.placement == "atlas" else "") + "</p>")
    return _dl(survey)


# -- capability and task pages ---------------------------------------------------------------------

def _paper_table(ctx: Ctx, here: str, pids: list[str]) -> str:
    cat = ctx.cat
    rows = []
    for pid in pids:
        p = cat.papers[pid]
        code = ext(p.links.code, "code") if p.links.code else ""
        summary = f'<div class="atlas-summary">{esc(p.summary)}</div>' if p.summary else ""
        rows.append(f"<tr><td>{ctx.paper_link(here, pid)}{summary}</td><td>{esc(p.year or '')}</td>"
                    f"<td>{esc(p.venue or '')}</td><td>{ctx.algo_links(here, p.algorithms)}</td><td>{code}</td></tr>")
    return ('<table class="atlas-table atlas-papers"><thead><tr><th>Paper</th><th>Year</th><th>Venue</th>'
            f'<th>Algorithm</th><th>Code</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


PAGE_ROWS = 60  # the most paper rows one capability or task page lists (keeps it under 100 KB at any scale)


def _row_limit(n_rows: int, n_tables: int) -> int | None:
    """Rows per table on a term page: all of them while the page holds at most PAGE_ROWS, else an even share."""
    return None if n_rows <= PAGE_ROWS else max(5, PAGE_ROWS // max(1, n_tables))


def _capped_table(ctx: Ctx, here: str, pids: list[str], limit: int | None, explorer_query: str) -> str:
    """`_paper_table` of the first `limit` papers (newest first) and a link to all of them in the explorer."""
    if limit is None or len(pids) <= limit:
        return _paper_table(ctx, here, pids)
    url = esc(link(here, "explorer.md") + "?" + explorer_query)
    return (_paper_table(ctx, here, pids[:limit]) + f'\n<p class="atlas-more">The {limit} newest of {len(pids)} papers. '
            f'<a href="{url}">All {len(pids)} in the explorer</a>.</p>')


def _by_year(cat, pids):
    return sorted(pids, key=lambda i: (-(cat.papers[i].year or 0), cat.papers[i].title.lower()))


def term_page(ctx: Ctx, tid: str) -> str:
    cat, t = ctx.cat, ctx.cat.taxonomy[tid]
    here = term_src(t.kind, tid)
    field_name = "capabilities" if t.kind == "capability" else "tasks"
    tagged = [pid for pid, p in cat.papers.items() if tid in getattr(p, field_name)]
    sub_ids = {s.id for s in t.subcategories}
    out = [front_matter(title=page_title(t.name)), f"# {md(t.name)}\n", md(t.definition) + "\n"]
    facts = [f"**{len(tagged)}** papers in the catalog"]
    if t.survey_sections:
        facts.append("survey section " + md(", ".join(t.survey_sections)))
    if t.survey_tables:
        facts.append("survey table " + md(", ".join(map(str, t.survey_tables))))
    out.append(" · ".join(facts) + f" · [open in the explorer](../explorer.md?{field_name[:-1] if t.kind == 'task' else 'capability'}={tid})\n")
    impl = implementation_src(tid)
    if impl in ctx.present:
        out.append(f'!!! example "Reference implementation"\n    The RL mechanism behind this {t.kind} is implemented, '
                   f"run and explained on its [reference implementation page](../{impl}).\n")
    placed: set[str] = set()
    limit = _row_limit(sum(len(set(p.subcategories) & sub_ids) or 1 for p in (cat.papers[i] for i in tagged)),
                       len(t.subcategories) + 1)
    if t.subcategories:
        out.append("## Sub-categories\n")
    for s in t.subcategories:
        pids = _by_year(cat, [pid for pid, p in cat.papers.items() if s.id in p.subcategories])
        placed.update(pids)
        out.append(f"### {md(s.name)} {{ #{s.id} }}\n")
        out.append(md(s.definition) + "\n")
        out.append(_capped_table(ctx, here, pids, limit, f"subcategory={s.id}") + "\n" if pids
                   else "*No papers in this sub-category yet.*\n")
    rest = _by_year(cat, [pid for pid in tagged if pid not in placed
                          and not (set(cat.papers[pid].subcategories) & sub_ids)])
    if rest:
        out.append(f"## Other {md(t.name)} papers {{ #other }}\n")
        out.append("Tagged with the term but with none of its sub-categories.\n")
        out.append(_capped_table(ctx, here, rest, limit, f"{'capability' if t.kind == 'capability' else 'task'}={tid}") + "\n")
    envs = [e for e in cat.environments.values() if tid in getattr(e, field_name)]
    out.append("## Environments {: #environments }\n")
    if envs:
        # names only (each summary is one click away, in the environments table): with every benchmark the field uses
        # a record, one line each kept a capability page near 100 KB
        items = " ".join(f'<span class="atlas-chip">{ctx.record_link(here, "environments", e.id)}</span>'
                         for e in sorted(envs, key=lambda e: e.name.lower()))
        out.append(f'<p class="atlas-envs">{items}</p>\n')
    else:
        out.append(f"*No environment record exercises this {t.kind} yet.*\n")
    return "\n".join(out)


def terms_index(ctx: Ctx, kind: str) -> str:
    cat = ctx.cat
    terms = cat.capabilities if kind == "capability" else cat.tasks
    field_name = "capabilities" if kind == "capability" else "tasks"
    here = f"{FOLDER[kind]}/index.md"
    title = "Capabilities" if kind == "capability" else "Task domains"
    intro = ("What an agent can do: each capability is a skill that reinforcement learning turns from a fixed, "
             "hand-designed module into a learned policy." if kind == "capability" else
             "Where agentic RL is applied: each task domain groups the environments and methods of one field.")
    out = [front_matter(title=title), f"# {title}\n", intro + "\n", "<dl class=\"atlas-terms\">"]
    for tid, t in terms.items():
        n = sum(1 for p in cat.papers.values() if tid in getattr(p, field_name))
        out.append(f"<dt>{a(here, term_src(kind, tid), t.name)} <span class=\"atlas-muted\">{n} papers, "
                   f"{len(t.subcategories)} sub-categories</span></dt><dd>{esc(t.definition)}</dd>")
    out.append("</dl>\n")
    return "\n".join(out)


# -- tables ----------------------------------------------------------------------------------------

def _table(headers: list[str], rows: list[tuple[str, list[str]]], caption: str) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(f'<tr id="{esc(rid)}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" for rid, cells in rows)
    # on a phone each row becomes a card and each cell shows its column's name (atlas.css); one rule per column
    # here rather than an attribute on every cell keeps long tables small
    # (headers and captions are the generators' own words: a quote or angle bracket in one would be a bug)
    assert not re.search(r"[\"<>\\]", caption + "".join(headers)), "table headers must be plain words"
    labels = "".join(f'table[data-caption="{caption}"] td:nth-child({i})::before{{content:"{h}: "}}'
                     for i, h in enumerate(headers, 1) if i > 1)
    style = f"<style>@media (max-width: 44.9375em) {{ {labels} }}</style>"
    return (f'{style}<table class="atlas-table atlas-sortable" data-caption="{esc(caption)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


WIDE = ["toc"]  # the wide tables take the width the table of contents would use
HOW_TO_READ = ("Click a column header to sort by it (click again to reverse); type in the box above the table "
               "to keep only the rows that contain the text.")


def algorithms_table(ctx: Ctx) -> str:
    cat, here = ctx.cat, TABLE_ALGORITHMS
    yn = {True: "yes", False: "no", None: ""}
    rows = []
    for aid, r in sorted(cat.algorithms.items(), key=lambda kv: (kv[1].family, kv[1].year or 0, kv[0])):
        fam = FAMILY_NAMES.get(r.family, r.family)
        fam_cell = a(here, f"algorithms/{r.family}.md", fam) if f"algorithms/{r.family}.md" in ctx.present else esc(fam)
        rows.append((f"algorithm-{aid}", [
            f"<strong>{ctx.algo_link(here, aid) if aid in ctx.explainer else esc(r.name)}</strong>", fam_cell,
            esc(r.year or ""), esc(yn[r.clip]), esc(r.kl_penalty or ""), esc(r.mechanism or ""), esc(r.signal or ""),
            ", ".join(ctx.record_link(here, "algorithms", x) for x in r.derives_from),
            ctx.paper_link(here, r.paper, "paper")]))
    out = [front_matter(title="Algorithms table", hide=WIDE), "# Algorithms\n",
           "The policy-optimisation methods in the catalog, grouped by family (REINFORCE, PPO, GRPO, DPO). "
           "*Clip* says whether the probability ratio is clipped; *KL penalty* whether the policy is held near a "
           "reference model; *derives from* names the methods it modifies (drawn as a lineage on the "
           "[graph page](../graph.md)).\n", HOW_TO_READ + "\n"]
    out.append(_table(["Name", "Family", "Year", "Clip", "KL penalty", "Mechanism", "Signal", "Derives from", "Source"],
                      rows, "algorithms") if rows else "*No algorithm records yet.*")
    return "\n".join(out) + "\n"


def environments_tables(ctx: Ctx) -> dict[str, str]:
    """The environments table, ENV_ROWS_PER_PAGE rows a page, each page linking the others."""
    cat = ctx.cat
    where = environment_pages(cat)
    pages = list(dict.fromkeys(where.values())) or [TABLE_ENVIRONMENTS]
    out_pages = {}
    for n, here in enumerate(pages, 1):
        rows = []
        for eid, e in sorted(cat.environments.items(), key=lambda kv: kv[1].name.lower()):
            if where[eid] != here:
                continue
            rows.append((f"environment-{eid}", [
                f"<strong>{esc(e.name)}</strong>" + (f'<div class="atlas-summary">{esc(e.summary)}</div>' if e.summary else ""),
                " ".join(ctx.tag_link(here, c) for c in e.capabilities), " ".join(ctx.tag_link(here, t) for t in e.tasks),
                esc(", ".join(e.domains)), esc(", ".join(e.modality)), ctx.paper_link(here, e.paper, "paper")]))
        title = "Environments" if n == 1 else f"Environments ({n})"
        out = [front_matter(title=title, hide=WIDE), f"# Environments and benchmarks{'' if n == 1 else f' ({n} of {len(pages)})'}\n",
               "Where agents are trained and measured. *Capabilities* are the skills an environment exercises; "
               "*domain* is the finer field the sources place it in; *modality* is what the agent observes.\n",
               HOW_TO_READ + "\n"]
        if len(pages) > 1:
            out.append("Pages (A to Z): " + " · ".join(f"**{i}**" if p == here else a(here, p, str(i))
                                                      for i, p in enumerate(pages, 1)) + "\n")
        out.append(_table(["Name", "Capabilities", "Task domain", "Domain", "Modality", "Source"], rows, "environments")
                   if rows else "*No environment records yet.*")
        out_pages[here] = "\n".join(out) + "\n"
    return out_pages


def frameworks_table(ctx: Ctx) -> str:
    cat, here = ctx.cat, TABLE_FRAMEWORKS
    rows = []
    for fid, f in sorted(cat.frameworks.items(), key=lambda kv: (kv[1].category, kv[1].name.lower())):
        rows.append((f"framework-{fid}", [
            f"<strong>{esc(f.name)}</strong>" + (f'<div class="atlas-summary">{esc(f.summary)}</div>' if f.summary else ""),
            esc(label(FRAMEWORK_CATEGORY, f.category)), esc(", ".join(f.framework_type)), esc(", ".join(f.features)),
            ctx.paper_link(here, f.paper, "source")]))
    out = [front_matter(title="Frameworks", hide=WIDE), "# Training frameworks\n",
           "Software for running RL on language models and agents: *category* separates agent-oriented "
           "frameworks from RLHF toolkits and general RL libraries; *features* are their distinguishing traits.\n",
           HOW_TO_READ + "\n"]
    out.append(_table(["Name", "Category", "Type", "Features", "Source"], rows, "frameworks")
               if rows else "*No framework records yet.*")
    return "\n".join(out) + "\n"


# -- graph, implementations, explorer data, home and contributing inserts --------------------------

# Hand-written implementation pages that are not about one capability: (docs path, link text).
IMPLEMENTATION_EXTRAS = [("implementations/llm.md", "Real LLM policies, TRL, several processes, GPUs")]


def implementations_page(ctx: Ctx) -> str:
    present = [cid for cid in ctx.cat.capabilities if implementation_src(cid) in ctx.present]
    out = [front_matter(title="Reference implementations"), "# Reference implementations\n",
           "Each capability has a small, readable program in `reference_impl/` that trains a policy on a toy "
           "environment with the RL mechanism behind the capability. The pages below show how to run each one "
           "and what it learns.\n"]
    if present:
        out += [f"- [{md(ctx.cat.capabilities[c].name)}]({implementation_src(c)})" for c in present]
    else:
        out.append("*No implementation page has been written yet.*")
    missing = [ctx.cat.capabilities[c].name for c in ctx.cat.capabilities if c not in present]
    if present and missing:
        out.append("\nNot yet written: " + md(", ".join(missing)) + ".")
    extras = [(src, text) for src, text in IMPLEMENTATION_EXTRAS if src in ctx.present]
    if extras:
        out += ["\nAcross capabilities:\n"] + [f"- [{text}]({src})" for src, text in extras]
    return "\n".join(out) + "\n"


def home_inserts(ctx: Ctx) -> dict[str, str]:
    cat = ctx.cat
    kinds = [("Papers", len(cat.papers), "explorer.md"), ("Environments", len(cat.environments), TABLE_ENVIRONMENTS),
             ("Frameworks", len(cat.frameworks), TABLE_FRAMEWORKS), ("Algorithms", len(cat.algorithms), TABLE_ALGORITHMS)]
    counts = '<div class="atlas-counts" markdown="0">' + "".join(
        f'<a class="atlas-count" href="{esc(link("index.md", target))}"><span>{n}</span>{esc(label)}</a>'
        for label, n, target in kinds) + "</div>"

    def axis(kind):
        terms = cat.capabilities if kind == "capability" else cat.tasks
        fieldname = "capabilities" if kind == "capability" else "tasks"
        c = Counter(t for p in cat.papers.values() for t in getattr(p, fieldname))
        items = "".join(f"<tr><td>{a('index.md', term_src(kind, tid), t.name)}</td><td>{c[tid]}</td>"
                        f"<td>{len(t.subcategories)}</td></tr>" for tid, t in terms.items())
        head = "Capability" if kind == "capability" else "Task domain"
        return (f'<table class="atlas-table"><thead><tr><th>{head}</th><th>Papers</th><th>Sub-categories</th></tr>'
                f"</thead><tbody>{items}</tbody></table>")

    axes = f'<div class="atlas-axes" markdown="0"><div>{axis("capability")}</div><div>{axis("task")}</div></div>'
    chart = f'![Papers per year for each capability]({CHART}){{ .atlas-chart }}'
    return {"counts": counts, "axes": axes, "chart": chart}


def _type_name(ann) -> str:
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{x}`" for x in args)
    if origin in (list,):
        return f"list of {_type_name(args[0])}"
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        inner = [x for x in args if x is not type(None)]
        return " or ".join(_type_name(x) for x in inner) + (" (optional)" if len(inner) < len(args) else "")
    return getattr(ann, "__name__", str(ann))


def schema_reference() -> str:
    """A Markdown table (field, type, required, description) for each record model, read from the models."""
    from ..schemas.models import KINDS, Identifiers, Links, Subcategory

    out = []
    models = [(f"`catalog/{k}/<id>.yaml`", m) for k, m in KINDS.items()]
    models += [("nested in papers: `identifiers`", Identifiers), ("nested in papers: `links`", Links),
               ("nested in taxonomy terms: `subcategories`", Subcategory)]
    for where, model in models:
        out.append(f"### {model.__name__} {{ #schema-{model.__name__.lower()} }}\n")
        out.append(f"{md((model.__doc__ or '').strip())} Where: {where}.\n")
        out.append("| Field | Type | Required | Description |\n|---|---|---|---|")
        for name, f in model.model_fields.items():
            desc = (f.description or "").replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{name}` | {_type_name(f.annotation)} | {'yes' if f.is_required() else ''} | {desc} |")
        out.append("")
    return "\n".join(out)


# -- the whole site --------------------------------------------------------------------------------

def build_nav(cat, present: set[str]) -> list:
    def section(title, index, items):
        return {title: [index, *items]}

    algo_pages = [f"algorithms/{x}.md" for x in ALGORITHM_PAGES if f"algorithms/{x}.md" in present]
    if "algorithms/index.md" in present:
        algo_pages.insert(0, "algorithms/index.md")
    impl_pages = [implementation_src(c) for c in cat.capabilities if implementation_src(c) in present]
    impl_pages += [src for src, _ in IMPLEMENTATION_EXTRAS if src in present]
    return [
        {"Home": "index.md"},
        section("Capabilities", "capabilities/index.md", [term_src("capability", t) for t in cat.capabilities]),
        section("Task domains", "tasks/index.md", [term_src("task", t) for t in cat.tasks]),
        {"Papers": [{"By year": INDEX}, {"Recent additions": RECENT}]},
        {"Algorithms": [{"All algorithms": TABLE_ALGORITHMS}, *algo_pages]},
        {"Environments": TABLE_ENVIRONMENTS},
        {"Frameworks": TABLE_FRAMEWORKS},
        {"Explorer": "explorer.md"},
        {"Graph": "graph.md"},
        section("Reference implementations", "implementations.md", impl_pages),
        {"Contributing": "contributing.md"},
    ]


def generate(cat, present: set[str], docs_dir=None, site_url: str | None = None) -> Site:
    """Every generated page and asset for `cat`; `present` is the set of hand-written docs files, `docs_dir` their
    folder (read for the algorithm explainer pages) and `site_url` the site's address (for the feed's links)."""
    ctx = Ctx(cat, present, docs_dir, site_url)
    site = Site()
    for kind in ("capability", "task"):
        site.pages[f"{FOLDER[kind]}/index.md"] = terms_index(ctx, kind)
    for tid, t in cat.taxonomy.items():
        site.pages[term_src(t.kind, tid)] = term_page(ctx, tid)
    site.pages[TABLE_ALGORITHMS] = algorithms_table(ctx)
    environment_tables = environments_tables(ctx)
    site.pages[TABLE_ENVIRONMENTS] = environment_tables.pop(TABLE_ENVIRONMENTS)
    site.hidden.update(environment_tables)  # the continuation pages stay out of the nav
    site.pages[TABLE_FRAMEWORKS] = frameworks_table(ctx)
    site.pages["graph.md"] = graph_page(ctx)
    site.assets[GRAPH_DATA] = graph_data(ctx)
    index_pages = papers_index(ctx)
    site.pages[INDEX] = index_pages.pop(INDEX)
    site.hidden.update(index_pages)
    site.pages[RECENT] = recent_page(ctx)
    site.assets[FEED] = atom_feed(ctx)
    site.pages["implementations.md"] = implementations_page(ctx)
    for pid in cat.papers:
        site.hidden[paper_src(pid)] = paper_page(ctx, pid)
    site.assets.update(explorer_assets(ctx))
    site.search = search_meta(ctx, present)
    site.assets[HUBS] = hubs_json(site.search)
    site.assets[CHART] = papers_per_year_svg(cat)
    site.inserts["index.md"] = home_inserts(ctx) | atlas_inserts(ctx)
    site.inserts["contributing.md"] = {"schema": schema_reference()}
    site.nav = build_nav(cat, present | set(site.pages))
    return site
