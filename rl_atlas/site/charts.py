"""Drawings made at build time: the papers-per-year chart (matplotlib, SVG) and the taxonomy tree, laid out by
hand from the networkx catalog graph as inline SVG so that every box is a link and every label is real,
searchable text. (The algorithm lineage is HTML, grouped by change: rl_atlas/site/graphview.py.)
"""

from __future__ import annotations

import io
from collections import Counter

import networkx as nx

from .html import esc, link

FAMILY_COLOURS = {"reinforce": "#6a4c93", "ppo": "#1982c4", "grpo": "#2a9d8f", "dpo": "#e76f51"}


def papers_per_year_svg(cat) -> str:
    """Line chart: for each capability, how many catalog papers of each year carry it (the axis starts where the papers do)."""
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
        # the axis starts at the first year that holds at least 1% of what is drawn; the few older papers are
        # gathered into that first point ("<=year"), so the width goes to the years where the papers are
        per_year = sum(counts.values(), Counter())
        total = sum(per_year.values())
        lo, hi = next((y for y in years if per_year[y] >= 0.01 * total), years[0]), max(years)
        xs = list(range(lo, hi + 1))
        for cid, term in cat.capabilities.items():
            ys = [counts[cid][y] + (sum(v for k, v in counts[cid].items() if k < lo) if y == lo else 0) for y in xs]
            if any(ys):
                ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.5, label=term.name)
        ax.set_xticks(xs)
        ax.set_xticklabels([f"\u2264{lo}" if x == lo and lo > min(years) else str(x) for x in xs], fontsize=8)
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
            subs = [s for s in subs if papers_at(s, "has_subcategory")]  # an empty sub-category is not drawn
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
