"""Page generators: catalog -> Markdown/HTML source of every generated page, the explorer's JSON and the nav.

Pages hold raw HTML for everything that comes from the catalog (escaped with `html.esc`), and Markdown only
for headings and the project's own sentences, so no catalog text is ever read as Markdown or HTML.
Links between generated pages are computed here (`html.link`); the site is built with
`use_directory_urls: false`, so `papers/x.md` is served as `papers/x.html` and works from a plain folder too.
"""

from __future__ import annotations

import json
import typing
from collections import Counter
from dataclasses import dataclass, field

from ..export import bibtex_entry, json_rows
from ..graph import build_graph, related_papers
from ..query import _algorithms_of
from .charts import lineage_svg, papers_per_year_svg, taxonomy_svg
from .html import a, esc, ext, front_matter, link, md, page_title

FAMILY_NAMES = {"reinforce": "REINFORCE", "ppo": "PPO", "grpo": "GRPO", "dpo": "DPO"}
ALGORITHM_PAGES = ["reinforce", "ppo", "grpo", "dpo"]  # docs/algorithms/<id>.md, written by hand
TABLE_ALGORITHMS = "tables/algorithms.md"
TABLE_ENVIRONMENTS = "tables/environments.md"
TABLE_FRAMEWORKS = "tables/frameworks.md"
EXPLORER_DATA = "assets/data/explorer.json"
CHART = "assets/generated/papers-per-year.svg"
FOLDER = {"capability": "capabilities", "task": "tasks"}


@dataclass
class Site:
    pages: dict[str, str] = field(default_factory=dict)  # src_uri -> Markdown, in the nav
    hidden: dict[str, str] = field(default_factory=dict)  # src_uri -> Markdown, out of the nav (paper pages)
    assets: dict[str, str | bytes] = field(default_factory=dict)  # src_uri -> file content
    nav: list = field(default_factory=list)
    inserts: dict[str, dict[str, str]] = field(default_factory=dict)  # hand-written page -> marker -> Markdown


def paper_src(pid: str) -> str:
    return f"papers/{pid}.md"


def term_src(kind: str, tid: str) -> str:
    return f"{FOLDER[kind]}/{tid}.md"


def implementation_src(cid: str) -> str:
    return f"implementations/{cid}.md"


class Ctx:
    """The catalog plus what every generator needs: the graph, reverse indexes, the set of existing pages."""

    def __init__(self, cat, present: set[str]):
        self.cat = cat
        self.present = present
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
        table = {"environments": TABLE_ENVIRONMENTS, "frameworks": TABLE_FRAMEWORKS, "algorithms": TABLE_ALGORITHMS}[kind]
        return a(here, table, rec.name, anchor=f"{kind[:-1]}-{rid}")

    def algo_links(self, here: str, ids) -> str:
        return ", ".join(self.record_link(here, "algorithms", x) for x in ids)


# -- paper pages -----------------------------------------------------------------------------------

def _dl(rows: list[tuple[str, str]]) -> str:
    # the trailing spaces keep the search index from gluing a label to its value ("AuthorsBowen")
    body = "".join(f"<tr><th>{esc(k)} </th><td>{v} </td></tr>" for k, v in rows if v)
    return f'<table class="atlas-meta">{body}</table>'


def paper_page(ctx: Ctx, pid: str) -> str:
    cat, p = ctx.cat, ctx.cat.papers[pid]
    here = paper_src(pid)
    ids, links = p.identifiers, p.links
    meta = [
        ("Type", esc(p.type)),
        ("Authors", esc(", ".join(p.authors))),
        ("Year", esc(p.year or "")),
        ("Venue", esc(p.venue or "")),
        ("Also known as", esc(", ".join(p.aliases))),
        ("arXiv", ext(f"https://arxiv.org/abs/{ids.arxiv}", ids.arxiv) if ids.arxiv else ""),
        ("DOI", ext(f"https://doi.org/{ids.doi}", ids.doi) if ids.doi else ""),
        ("OpenReview", ext(f"https://openreview.net/forum?id={ids.openreview}", ids.openreview) if ids.openreview else ""),
        ("ACL Anthology", ext(f"https://aclanthology.org/{ids.acl}/", ids.acl) if ids.acl else ""),
        ("Links", " · ".join(ext(getattr(links, k), k) for k in ("paper", "code", "model", "website") if getattr(links, k))),
        ("Reward", esc(p.reward_type or "")),
        ("Base models", esc(", ".join(p.base_models))),
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
    survey = []
    if p.survey_sections:
        survey.append(("Sections", esc(", ".join(p.survey_sections))))
    if p.survey_tables:
        survey.append(("Tables", esc(", ".join(map(str, p.survey_tables)))))
    if p.survey_figures:
        survey.append(("Figures", esc(", ".join(map(str, p.survey_figures)))))
    if p.survey_refs:
        survey.append(("Bibliography", esc(", ".join(f"[{r}]" for r in p.survey_refs))))
    if p.in_companion_list:
        survey.append(("Companion list", "listed"))
    out.append('<h2 id="survey">In the survey</h2>')
    out.append(_dl(survey) if survey else "<p>Not cited by the survey.</p>")
    relations = [
        ("Evaluated on", ", ".join(ctx.record_link(here, "environments", e) for e in p.environments)),
        ("Built on", ", ".join(ctx.record_link(here, "frameworks", f) for f in p.frameworks)),
        ("Algorithms", ctx.algo_links(here, p.algorithms)),
        ("Introduces", ", ".join(ctx.record_link(here, k, r.id) for k, r in ctx.introduced.get(pid, []))),
    ]
    if any(v for _, v in relations):
        out.append('<h2 id="records">Environments, frameworks and algorithms</h2>')
        out.append(_dl(relations))
    related = related_papers(cat, ctx.graph, pid, k=8)
    if related:
        out.append('<h2 id="related">Related papers</h2><ul class="atlas-related">')
        for rid, _score in related:
            rp = cat.papers[rid]
            year = f' <span class="atlas-muted">({esc(rp.year)})</span>' if rp.year else ""
            out.append(f"<li>{ctx.paper_link(here, rid)}{year}</li>")
        out.append("</ul>")
    out.append('<h2 id="bibtex">BibTeX</h2>')
    out.append(f'<div class="highlight"><pre><code class="language-bibtex">{esc(bibtex_entry(p))}</code></pre></div>')
    out.append("</div>")
    return "\n".join(out) + "\n"


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
    if t.subcategories:
        out.append("## Sub-categories\n")
    for s in t.subcategories:
        pids = _by_year(cat, [pid for pid, p in cat.papers.items() if s.id in p.subcategories])
        placed.update(pids)
        out.append(f"### {md(s.name)} {{ #{s.id} }}\n")
        out.append(md(s.definition) + "\n")
        out.append(_paper_table(ctx, here, pids) + "\n" if pids else "*No papers in this sub-category yet.*\n")
    rest = _by_year(cat, [pid for pid in tagged if pid not in placed
                          and not (set(cat.papers[pid].subcategories) & sub_ids)])
    if rest:
        out.append(f"## Other {md(t.name)} papers {{ #other }}\n")
        out.append("Tagged with the term but with none of its sub-categories.\n")
        out.append(_paper_table(ctx, here, rest) + "\n")
    envs = [e for e in cat.environments.values() if tid in getattr(e, field_name)]
    out.append("## Environments {: #environments }\n")
    if envs:
        items = "".join(f"<li>{ctx.record_link(here, 'environments', e.id)}"
                        f"{(' — ' + esc(e.summary)) if e.summary else ''}</li>" for e in sorted(envs, key=lambda e: e.name.lower()))
        out.append(f'<ul class="atlas-envs">{items}</ul>\n')
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
    return (f'<table class="atlas-table atlas-sortable" data-caption="{esc(caption)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


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
            f"<strong>{esc(r.name)}</strong>", fam_cell, esc(r.year or ""), esc(yn[r.clip]), esc(r.kl_penalty or ""),
            esc(r.mechanism or ""), esc(r.signal or ""), ctx.algo_links(here, r.derives_from),
            ctx.paper_link(here, r.paper, "paper")]))
    out = [front_matter(title="Algorithms table"), "# Algorithms\n",
           "The policy-optimisation methods in the catalog, grouped by family (REINFORCE, PPO, GRPO, DPO). "
           "*Clip* says whether the probability ratio is clipped; *KL penalty* whether the policy is held near a "
           "reference model; *derives from* names the methods it modifies (drawn as a lineage on the "
           "[graph page](../graph.md)).\n", HOW_TO_READ + "\n"]
    out.append(_table(["Name", "Family", "Year", "Clip", "KL penalty", "Mechanism", "Signal", "Derives from", "Source"],
                      rows, "algorithms") if rows else "*No algorithm records yet.*")
    return "\n".join(out) + "\n"


def environments_table(ctx: Ctx) -> str:
    cat, here = ctx.cat, TABLE_ENVIRONMENTS
    rows = []
    for eid, e in sorted(cat.environments.items(), key=lambda kv: kv[1].name.lower()):
        rows.append((f"environment-{eid}", [
            f"<strong>{esc(e.name)}</strong>" + (f'<div class="atlas-summary">{esc(e.summary)}</div>' if e.summary else ""),
            " ".join(ctx.tag_link(here, c) for c in e.capabilities), " ".join(ctx.tag_link(here, t) for t in e.tasks),
            esc(", ".join(e.domains)), esc(", ".join(e.modality)), ctx.paper_link(here, e.paper, "paper")]))
    out = [front_matter(title="Environments"), "# Environments and benchmarks\n",
           "Where agents are trained and measured. *Capabilities* are the skills an environment exercises; "
           "*domain* is the finer field the sources place it in; *modality* is what the agent observes.\n",
           HOW_TO_READ + "\n"]
    out.append(_table(["Name", "Capabilities", "Task domain", "Domain", "Modality", "Source"], rows, "environments")
               if rows else "*No environment records yet.*")
    return "\n".join(out) + "\n"


def frameworks_table(ctx: Ctx) -> str:
    cat, here = ctx.cat, TABLE_FRAMEWORKS
    rows = []
    for fid, f in sorted(cat.frameworks.items(), key=lambda kv: (kv[1].category, kv[1].name.lower())):
        rows.append((f"framework-{fid}", [
            f"<strong>{esc(f.name)}</strong>" + (f'<div class="atlas-summary">{esc(f.summary)}</div>' if f.summary else ""),
            esc(f.category), esc(", ".join(f.framework_type)), esc(", ".join(f.features)),
            ctx.paper_link(here, f.paper, "source")]))
    out = [front_matter(title="Frameworks"), "# Training frameworks\n",
           "Software for running RL on language models and agents: *category* separates agent-oriented "
           "frameworks from RLHF toolkits and general RL libraries; *features* are their distinguishing traits.\n",
           HOW_TO_READ + "\n"]
    out.append(_table(["Name", "Category", "Type", "Features", "Source"], rows, "frameworks")
               if rows else "*No framework records yet.*")
    return "\n".join(out) + "\n"


# -- graph, implementations, explorer data, home and contributing inserts --------------------------

def graph_page(ctx: Ctx) -> str:
    here = "graph.md"
    return "\n".join([
        front_matter(title="Graph", hide=["navigation", "toc"]), "# The catalog as a graph\n",
        "Both drawings are made at build time from the same networkx graph that `rl-atlas graph` exports. "
        "Every box is a link.\n",
        "## Algorithm lineage {: #lineage }\n",
        "An arrow runs from a method to each method that modifies it; columns are generations (a method sits "
        "to the right of everything it derives from) and the border colour is its family.\n",
        f'<div class="atlas-scroll" markdown="0">{lineage_svg(ctx.cat, ctx.graph, here, TABLE_ALGORITHMS)}</div>\n',
        "## Taxonomy {: #taxonomy }\n",
        "Capabilities and task domains with their sub-categories; the number after a name is its paper count.\n",
        f'<div class="atlas-scroll" markdown="0">{taxonomy_svg(ctx.cat, ctx.graph, here)}</div>\n',
    ])


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


def explorer_data(ctx: Ctx) -> str:
    """The explorer's JSON: `json_rows` of every paper, plus the fields the page needs to filter and download
    (`_bibtex`, `_algorithms` as `rl-atlas query --algorithm` sees them, `_families`, `_url`)."""
    cat = ctx.cat
    papers = sorted(cat.papers.values(), key=lambda p: (-(p.year or 0), p.id))
    rows = json_rows(cat, papers)
    for p, row in zip(papers, rows):
        algos = sorted(_algorithms_of(cat, p))
        row["_algorithms"] = algos
        row["_families"] = sorted({cat.algorithms[x].family for x in algos if x in cat.algorithms})
        row["_bibtex"] = bibtex_entry(p)
        row["_url"] = link("explorer.md", paper_src(p.id))
    venues = Counter(p.venue for p in cat.papers.values() if p.venue)
    facets = {
        "capabilities": [[k, t.name] for k, t in cat.capabilities.items()],
        "tasks": [[k, t.name] for k, t in cat.tasks.items()],
        "subcategories": [[sid, s.name, parent] for sid, (parent, s) in cat.subcategories.items()],
        "families": [[k, v] for k, v in FAMILY_NAMES.items()],
        "algorithms": [[k, r.name] for k, r in sorted(cat.algorithms.items(), key=lambda kv: kv[1].name.lower())],
        "venue": [[v, v] for v, _ in sorted(venues.items(), key=lambda kv: (-kv[1], kv[0]))],
    }
    years = [p.year for p in cat.papers.values() if p.year]
    data = {"facets": facets, "years": [min(years), max(years)] if years else [None, None], "records": rows}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


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
        {"Algorithms": [{"All algorithms": TABLE_ALGORITHMS}, *algo_pages]},
        {"Environments": TABLE_ENVIRONMENTS},
        {"Frameworks": TABLE_FRAMEWORKS},
        {"Explorer": "explorer.md"},
        {"Graph": "graph.md"},
        section("Reference implementations", "implementations.md", impl_pages),
        {"Contributing": "contributing.md"},
    ]


def generate(cat, present: set[str]) -> Site:
    """Every generated page and asset for `cat`; `present` is the set of hand-written docs files."""
    ctx = Ctx(cat, present)
    site = Site()
    for kind in ("capability", "task"):
        site.pages[f"{FOLDER[kind]}/index.md"] = terms_index(ctx, kind)
    for tid, t in cat.taxonomy.items():
        site.pages[term_src(t.kind, tid)] = term_page(ctx, tid)
    site.pages[TABLE_ALGORITHMS] = algorithms_table(ctx)
    site.pages[TABLE_ENVIRONMENTS] = environments_table(ctx)
    site.pages[TABLE_FRAMEWORKS] = frameworks_table(ctx)
    site.pages["graph.md"] = graph_page(ctx)
    site.pages["implementations.md"] = implementations_page(ctx)
    for pid in cat.papers:
        site.hidden[paper_src(pid)] = paper_page(ctx, pid)
    site.assets[EXPLORER_DATA] = explorer_data(ctx)
    site.assets[CHART] = papers_per_year_svg(cat)
    site.inserts["index.md"] = home_inserts(ctx)
    site.inserts["contributing.md"] = {"schema": schema_reference()}
    site.nav = build_nav(cat, present | set(site.pages))
    return site
