"""The graph page: an interactive neighbourhood view (cytoscape.js, vendored in docs/assets/vendor/) of papers,
environments, algorithms and frameworks, and the algorithm lineage grouped by what each variant changes.

    graph_data(ctx)          -> JSON for docs/assets/js/graph.js: nodes [id, kind, label, url] and edges [i, j, rel]
                                (a paper's url is empty: the page fills `paper_url`'s ID with its id)
    change_group(algorithm)  -> "advantage" | "clip" | ... : what a variant changes, from its `mechanism` label
    lineage_html(ctx, here)  -> each algorithm with variants, its variants grouped by change (empty groups omitted)

What a variant changes is read from the algorithm record's `mechanism` label with the keyword rules of CHANGES,
tried in order (the first that matches wins); a variant whose label matches none is "other". The parent is the
record's `derives_from`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

from .html import a, esc, link

GRAPH_DATA = "assets/data/graph.json"
NODE_KINDS = ("paper", "algorithm", "environment", "framework")
EDGE_RELS = ("uses_algorithm", "evaluated_on", "built_on", "derives_from", "introduced_by")

# (group id, heading, keyword rule on the lower-cased mechanism label), tried in this order.
CHANGES = [
    ("kl", "KL penalty or reference policy", r"\bkl\b|reference policy|\(beta\)"),
    ("clip", "Clipping and importance ratio", r"\bclipping\b|\bratio\b"),
    ("data", "Off-policy data, SFT or guidance", r"off-policy|external data|\bsft\b|guidance|mixed-policy|hybrid-policy"),
    ("advantage", "Advantage, baseline or credit", r"advantage|baseline|critic|value estimate|credit|grouping|normalis(es|ation)"),
    ("sampling", "Sampling and batch construction", r"rollout|sampl|filter|\bbatch|curriculum|buffer|duplicat"),
    ("reward", "Reward", r"reward|pass@k"),
    ("aggregation", "Loss aggregation over tokens and lengths", r"length|token|sequence-level|geometric mean|aggregat|segment"),
]
OTHER = ("other", "Other changes to the objective")
_RULES = [(gid, title, re.compile(rx)) for gid, title, rx in CHANGES]


def change_group(alg) -> str:
    text = (alg.mechanism or "").lower()
    for gid, _title, rx in _RULES:
        if rx.search(text):
            return gid
    return OTHER[0]


def graph_data(ctx) -> str:
    """Nodes of the four kinds with the page each links to (relative to graph.html), and the edges between them."""
    from .pages import paper_src

    g, cat, here = ctx.graph, ctx.cat, "graph.md"
    linked = {x for u, v, d in g.edges(data=True) if d.get("rel") in EDGE_RELS for x in (u, v)}
    nodes, index = [], {}
    for n, d in g.nodes(data=True):
        kind = d.get("kind")
        if kind not in NODE_KINDS or (kind == "paper" and n not in linked):  # a paper with no such link is left out
            continue
        rid = n.split(":", 1)[1]
        if kind == "paper":
            url = ""  # the page builds papers/<id>.html itself: at 10,000 works this saves a fifth of the file
        elif kind == "algorithm" and rid in ctx.explainer:
            url = link(here, ctx.explainer[rid])
        else:
            from .pages import table_page

            url = link(here, table_page(cat, kind + "s", rid), f"{kind}-{rid}")
        label = d.get("label") or rid
        if kind == "paper" and cat.papers.get(rid) and cat.papers[rid].year:
            label = f"{label} ({cat.papers[rid].year})"
        index[n] = len(nodes)
        nodes.append([n, NODE_KINDS.index(kind), label, url])
    edges = sorted({(index[u], index[v], EDGE_RELS.index(d["rel"])) for u, v, d in g.edges(data=True)
                    if d.get("rel") in EDGE_RELS and u in index and v in index})
    return json.dumps({"kinds": NODE_KINDS, "rels": EDGE_RELS, "paper_url": link(here, paper_src("ID")), "nodes": nodes,
                       "edges": [list(e) for e in edges]}, ensure_ascii=False, separators=(",", ":"))


def lineage_html(ctx, here: str) -> str:
    """For every algorithm that others derive from: its variants, grouped by what they change."""
    cat = ctx.cat
    children: dict[str, list] = defaultdict(list)
    for alg in cat.algorithms.values():
        for parent in alg.derives_from:
            if parent in cat.algorithms:
                children[parent].append(alg)
    if not children:
        return '<p class="atlas-empty">No algorithm derives from another yet.</p>'
    titles = dict((gid, title) for gid, title, _ in CHANGES) | {OTHER[0]: OTHER[1]}
    order = [gid for gid, _, _ in CHANGES] + [OTHER[0]]
    roots = sorted(children, key=lambda pid: (-len(children[pid]), cat.algorithms[pid].name.lower()))
    out = []
    for pid in roots:
        parent = cat.algorithms[pid]
        grandparents = [cat.algorithms[x].name for x in parent.derives_from if x in cat.algorithms]
        groups: dict[str, list] = defaultdict(list)
        for alg in children[pid]:
            groups[change_group(alg)].append(alg)
        boxes = []
        for gid in order:
            if not groups.get(gid):  # an empty group is not drawn
                continue
            chips = "".join(
                f'<li>{ctx.algo_link(here, alg.id)}<span class="atlas-muted"> {esc(alg.mechanism or "")}</span></li>'
                for alg in sorted(groups[gid], key=lambda x: (x.year or 0, x.name.lower())))
            boxes.append(f'<div class="atlas-lineage-group" data-group="{gid}"><h4>{esc(titles[gid])} '
                         f'<span class="atlas-muted">({len(groups[gid])})</span></h4><ul>{chips}</ul></div>')
        origin = f' <span class="atlas-muted">derives from {esc(", ".join(grandparents))}</span>' if grandparents else ""
        out.append(f'<section class="atlas-lineage" id="lineage-{esc(pid)}"><h3>{ctx.algo_link(here, pid)} '
                   f'<span class="atlas-muted">{len(children[pid])} variant{"s" if len(children[pid]) != 1 else ""}</span>'
                   f"{origin}</h3><div class=\"atlas-lineage-groups\">{''.join(boxes)}</div></section>")
    return "".join(out)


def rules_table() -> str:
    rows = "".join(f"<tr><td>{esc(title)}</td><td><code>{esc(rx)}</code></td></tr>" for _, title, rx in CHANGES)
    return (f'<table class="atlas-table"><thead><tr><th>Group</th><th>Keyword rule on the mechanism label</th></tr></thead>'
            f"<tbody>{rows}<tr><td>{esc(OTHER[1])}</td><td>none of the above</td></tr></tbody></table>")


def graph_page(ctx) -> str:
    from .charts import taxonomy_svg
    from .html import front_matter

    here = "graph.md"
    return "\n".join([
        front_matter(title="Graph", hide=["toc"], scripts=["assets/vendor/cytoscape/cytoscape.min.js", "assets/js/graph.js"]),
        "# The catalog as a graph\n",
        "Built at build time from the same networkx graph that `rl-atlas graph` exports.\n",
        "## Neighbourhood explorer {: #neighbourhood }\n",
        "Pick a paper, algorithm, environment or framework: the view shows it with everything it is linked to "
        "(the algorithms a paper trains with, the benchmarks it is evaluated on, the framework it is built on, the "
        "method an algorithm derives from, the paper that introduced a record). Click a node to move to its "
        "neighbourhood; the panel links its page. The address keeps the node, so a view can be shared.\n",
        f'<div id="atlas-graph" class="atlas-graph-view" markdown="0" data-src="{esc(link(here, GRAPH_DATA))}">'
        '<div class="atlas-graph-bar"><label>Node <input id="g-pick" type="search" list="g-names" '
        'placeholder="Type a name, e.g. GRPO" aria-label="Node to centre on"></label><datalist id="g-names"></datalist>'
        '<span id="g-legend" class="atlas-graph-legend"></span></div>'
        '<div class="atlas-graph-body"><div id="g-canvas" class="atlas-graph-canvas" role="img" '
        'aria-label="Neighbourhood graph"></div><aside id="g-panel" class="atlas-graph-panel" aria-live="polite">'
        '<p>Loading the graph...</p></aside></div>'
        "<noscript>The neighbourhood view needs JavaScript; every record also has a page.</noscript></div>\n",
        "## Algorithm lineage {: #lineage }\n",
        "Each algorithm that others build on, with its variants grouped by what they change. The grouping is "
        "read from each variant's *mechanism* label with the keyword rules below, tried in order (a label that "
        "fits several groups goes to the first); the parent is the variant's `derives_from`. Groups with no "
        "variant are left out.\n",
        f'<div markdown="0">{lineage_html(ctx, here)}</div>\n',
        f'<details class="atlas-rules" markdown="0"><summary>Grouping rules</summary>{rules_table()}</details>\n',
        "## Taxonomy {: #taxonomy }\n",
        "Capabilities and task domains with their sub-categories that hold papers; the number after a name is its "
        "paper count.\n",
        f'<div class="atlas-scroll" markdown="0">{taxonomy_svg(ctx.cat, ctx.graph, here)}</div>\n',
    ])
