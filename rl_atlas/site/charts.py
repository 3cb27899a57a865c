"""Drawings made at build time: the papers-per-year chart (matplotlib, SVG) and the two graph diagrams
(taxonomy tree and algorithm lineage), laid out by hand from the networkx catalog graph as inline SVG so that
every box is a link and every label is real, searchable text.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict

import networkx as nx

from .html import esc, link

FAMILY_COLOURS = {"reinforce": "#6a4c93", "ppo": "#1982c4", "grpo": "#2a9d8f", "dpo": "#e76f51"}


def papers_per_year_svg(cat) -> str:
    """Line chart: for each capability, how many catalog papers of each year carry it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "rl-atlas"  # stable ids, so two builds give the same file
    plt.rcParams["svg.fonttype"] = "path"  # glyphs as paths: the SVG needs no font
    counts: dict[str, Counter] = {cid: Counter() for cid in cat.capabilities}
    for p in cat.papers.values():
        if p.year is None:
            continue
        for c in p.capabilities:
            if c in counts:
                counts[c][p.year] += 1
    years = sorted({y for c in counts.values() for y in c})
    fig, ax = plt.subplots(figsize=(8, 3.6))
    if years:
        lo, hi = max(min(years), max(years) - 12), max(years)  # the last dozen years hold nearly all of it
        xs = list(range(lo, hi + 1))
        for cid, term in cat.capabilities.items():
            ys = [counts[cid][y] + (sum(v for k, v in counts[cid].items() if k < lo) if y == lo else 0) for y in xs]
            if any(ys):
                ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.5, label=term.name)
        ax.set_xticks(xs)
        ax.set_xticklabels([f"\u2264{lo}" if x == lo else str(x) for x in xs], fontsize=8)
        ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no dated papers yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("papers")
    ax.set_xlabel("year")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "rl-atlas"})
    plt.close(fig)
    return buf.getvalue()


def _box(x, y, w, h, label, url, fill, sub="", title="") -> str:
    tip = f"<title>{esc(title or label)}</title>"
    sub_t = f'<tspan class="g-sub" dx="6">{esc(sub)}</tspan>' if sub else ""
    return (f'<a href="{esc(url)}">{tip}<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="5" fill="{fill}" '
            f'stroke="#555" stroke-width="0.6"/><text x="{x + 8}" y="{y + h / 2 + 4}">{esc(label)}{sub_t}</text></a>')


def taxonomy_svg(cat, g: nx.MultiDiGraph, here: str) -> str:
    """Two columns: capability and task terms on the left, their sub-categories on the right, with paper counts.

    Terms and sub-categories are read from the graph's `part_of` edges; counts are the in-degree of
    `has_capability` / `has_task` / `has_subcategory` edges from papers.
    """
    def papers_at(node, rel):
        return sum(1 for u, _, d in g.in_edges(node, data=True) if d.get("rel") == rel and u.startswith("paper:"))

    rows, y = [], 10
    row_h, gap = 24, 10
    col1_x, col1_w, col2_x, col2_w = 10, 230, 320, 420
    for kind, terms, folder in (("capability", cat.capabilities, "capabilities"), ("task", cat.tasks, "tasks")):
        rows.append(f'<text x="{col1_x}" y="{y + 14}" class="g-head">{"Capabilities" if kind == "capability" else "Task domains"}</text>')
        y += 26
        for tid, term in terms.items():
            node = f"{kind}:{tid}"
            subs = [u for u, _, d in g.in_edges(node, data=True) if d.get("rel") == "part_of"] if node in g else []
            order = {s.id: i for i, s in enumerate(term.subcategories)}
            subs.sort(key=lambda n: order.get(n.split(":", 1)[1], 99))
            block_h = max(1, len(subs)) * (row_h + 4) - 4
            ty = y + (block_h - row_h) / 2
            n = papers_at(node, "has_capability" if kind == "capability" else "has_task")
            page = f"{folder}/{tid}.md"
            fill = "#e3f0fb" if kind == "capability" else "#fdf0e1"
            rows.append(_box(col1_x, ty, col1_w, row_h, term.name, link(here, page), fill, f"{n}", f"{term.name}: {n} papers"))
            for i, s in enumerate(subs):
                sid = s.split(":", 1)[1]
                sy = y + i * (row_h + 4)
                sn = papers_at(s, "has_subcategory")
                label = g.nodes[s].get("label", sid)
                rows.append(f'<path d="M{col1_x + col1_w} {ty + row_h / 2} C{col2_x - 40} {ty + row_h / 2}, {col2_x - 40} '
                            f'{sy + row_h / 2}, {col2_x} {sy + row_h / 2}" fill="none" stroke="#999" stroke-width="1"/>')
                rows.append(_box(col2_x, sy, col2_w, row_h, label, link(here, page, sid), "#f6f6f6", f"{sn}",
                                 f"{label}: {sn} papers"))
            y += block_h + gap
        y += 10
    width = col2_x + col2_w + 10
    return (f'<svg class="atlas-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {y}" width="{width}" '
            f'role="img" aria-label="Taxonomy of capabilities and task domains">{"".join(rows)}</svg>')


def lineage_svg(cat, g: nx.MultiDiGraph, here: str, table_page: str) -> str:
    """Algorithm lineage from the graph's `derives_from` edges: one column per generation (an algorithm sits
    one column right of everything it derives from), one colour per family, arrows from parent to child."""
    sub = nx.DiGraph()
    for n, d in g.nodes(data=True):
        if d.get("kind") == "algorithm":
            sub.add_node(n)
    for u, v, d in g.edges(data=True):
        if d.get("rel") == "derives_from":
            sub.add_edge(v, u)  # parent -> child
    if not sub.nodes:
        return '<p class="atlas-empty">No algorithm records yet.</p>'
    # a cycle would be a catalog error; drop back edges rather than fail the build
    while not nx.is_directed_acyclic_graph(sub):
        sub.remove_edge(*nx.find_cycle(sub)[0][:2])
    col: dict[str, int] = {}
    for layer, nodes in enumerate(nx.topological_generations(sub)):
        for n in nodes:
            col[n] = layer
    by_col: dict[int, list[str]] = defaultdict(list)
    for n, c in col.items():
        by_col[c].append(n)

    def key(n):
        a = cat.algorithms.get(n.split(":", 1)[1])
        fam = list(FAMILY_COLOURS).index(a.family) if a and a.family in FAMILY_COLOURS else 9
        return (fam, a.year if a and a.year else 0, n)

    # a generation with very many members wraps into sub-columns of at most max_rows (edges into a wrapped
    # sub-column cross the one before it, so keep the limit high)
    box_w, box_h, col_gap, row_gap, max_rows = 140, 26, 60, 10, 40
    pos, slot = {}, 0
    for c in sorted(by_col):
        nodes = sorted(by_col[c], key=key)
        for i, n in enumerate(nodes):
            pos[n] = (10 + (slot + i // max_rows) * (box_w + col_gap), 40 + (i % max_rows) * (box_h + row_gap))
        slot += (len(nodes) + max_rows - 1) // max_rows
    width = 10 + slot * (box_w + col_gap)
    height = 50 + min(max_rows, max(len(v) for v in by_col.values())) * (box_h + row_gap)
    parts = ['<defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
             'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#777"/></marker></defs>']
    legend_x = 10
    for fam, colour in FAMILY_COLOURS.items():
        parts.append(f'<rect x="{legend_x}" y="8" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{legend_x + 16}" y="18">{esc(fam.upper() if fam != "reinforce" else "REINFORCE")} family</text>')
        legend_x += 150
    for u, v in sub.edges:
        (x1, y1), (x2, y2) = pos[u], pos[v]
        parts.append(f'<path d="M{x1 + box_w} {y1 + box_h / 2} C{x2 - col_gap / 2} {y1 + box_h / 2}, {x1 + box_w + col_gap / 2} '
                     f'{y2 + box_h / 2}, {x2} {y2 + box_h / 2}" fill="none" stroke="#777" marker-end="url(#arr)"/>')
    for n, (x, y) in pos.items():
        aid = n.split(":", 1)[1]
        a = cat.algorithms.get(aid)
        colour = FAMILY_COLOURS.get(a.family if a else "", "#999")
        label = a.name if a else aid
        year = f" ({a.year})" if a and a.year else ""
        parents = [p.split(":", 1)[1] for p in sub.predecessors(n)]
        tip = f"{label}{year}" + (f", derives from {', '.join(parents)}" if parents else "")
        parts.append(f'<a href="{esc(link(here, table_page, "algorithm-" + aid))}"><title>{esc(tip)}</title>'
                     f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="5" fill="#fff" stroke="{colour}" stroke-width="2"/>'
                     f'<text x="{x + 8}" y="{y + 17}">{esc(label[:20])}</text></a>')
    return (f'<svg class="atlas-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'role="img" aria-label="Algorithm lineage">{"".join(parts)}</svg>')
