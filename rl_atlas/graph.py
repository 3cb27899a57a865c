"""The catalog as a typed networkx graph, and `related` papers computed on it.

Nodes are "<kind>:<id>" (paper, capability, task, subcategory, environment, framework, algorithm).
Edges carry `rel`:
    paper -has_capability-> capability        paper -has_task-> task
    paper -has_subcategory-> subcategory      subcategory -part_of-> capability | task
    paper -evaluated_on-> environment         paper -built_on-> framework
    paper -uses_algorithm-> algorithm         algorithm -derives_from-> algorithm
    environment | framework | algorithm -introduced_by-> paper
    paper -fine_tunes-> basemodel (a base-model family, e.g. basemodel:Qwen2.5)
"""

from __future__ import annotations

import json
import math
from collections import defaultdict

import networkx as nx

# How much a shared neighbour of each kind says about two papers being related.
SHARED_WEIGHT = {"subcategory": 3.0, "environment": 2.0, "algorithm": 2.0, "framework": 1.5, "capability": 1.0, "task": 1.0,
                 "basemodel": 0.5}


def build_graph(cat) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for t in cat.taxonomy.values():
        g.add_node(f"{t.kind}:{t.id}", kind=t.kind, label=t.name)
        for s in t.subcategories:
            g.add_node(f"subcategory:{s.id}", kind="subcategory", label=s.name)
            g.add_edge(f"subcategory:{s.id}", f"{t.kind}:{t.id}", rel="part_of")
    for p in cat.papers.values():
        g.add_node(f"paper:{p.id}", kind="paper", label=p.title, year=p.year or 0)
    for kind, singular in (("environments", "environment"), ("frameworks", "framework"), ("algorithms", "algorithm")):
        for r in cat.of_kind(kind).values():
            g.add_node(f"{singular}:{r.id}", kind=singular, label=r.name)
    for p in cat.papers.values():
        src = f"paper:{p.id}"
        for rel, prefix, values in (("has_capability", "capability", p.capabilities), ("has_task", "task", p.tasks),
                                    ("has_subcategory", "subcategory", p.subcategories),
                                    ("evaluated_on", "environment", p.environments), ("built_on", "framework", p.frameworks),
                                    ("uses_algorithm", "algorithm", p.algorithms)):
            for v in values:
                if f"{prefix}:{v}" in g:
                    g.add_edge(src, f"{prefix}:{v}", rel=rel)
        for family in dict.fromkeys(b.family for b in p.base_models):
            g.add_node(f"basemodel:{family}", kind="basemodel", label=family)
            g.add_edge(src, f"basemodel:{family}", rel="fine_tunes")
    for kind, singular in (("environments", "environment"), ("frameworks", "framework"), ("algorithms", "algorithm")):
        for r in cat.of_kind(kind).values():
            if f"paper:{r.paper}" in g:
                g.add_edge(f"{singular}:{r.id}", f"paper:{r.paper}", rel="introduced_by")
            for rel, prefix, values in (("has_capability", "capability", getattr(r, "capabilities", [])),
                                        ("has_task", "task", getattr(r, "tasks", []))):
                for v in values:
                    if f"{prefix}:{v}" in g:
                        g.add_edge(f"{singular}:{r.id}", f"{prefix}:{v}", rel=rel)
    for a in cat.algorithms.values():
        for d in a.derives_from:
            if f"algorithm:{d}" in g:
                g.add_edge(f"algorithm:{a.id}", f"algorithm:{d}", rel="derives_from")
    return g


def _paper_features(g: nx.MultiDiGraph, node: str) -> set[str]:
    """The non-paper neighbours of a paper, plus what its introduced records point at."""
    feats = {v for _, v in g.out_edges(node) if not v.startswith("paper:")}
    # a paper that introduced an environment/algorithm is close to papers that use it
    for u, _, data in g.in_edges(node, data=True):
        if data.get("rel") == "introduced_by":
            feats.add(u)
    return feats


# A neighbour shared by more papers than this (a capability at 10,000 works) says little; its share of the score
# is added only to papers that a rarer neighbour already brought in, so a page costs O(rare users) and not O(N).
COMMON_FEATURE = 1000


class RelatedIndex:
    """For every non-paper node, the papers that use it (and what introduced it), computed once per graph, so that
    `related_papers` over every paper costs far less than one scan of the graph per paper. The graph must not
    change after the index is made."""

    def __init__(self, g: nx.MultiDiGraph):
        self.graph = g
        self.users: dict[str, list[str]] = {}
        self.members: dict[str, frozenset[str]] = {}
        self.introduced: dict[str, list[str]] = defaultdict(list)
        for f in g:
            if f.startswith("paper:"):
                continue
            users = sorted({u for u, _ in g.in_edges(f) if u.startswith("paper:")})
            self.users[f], self.members[f] = users, frozenset(users)
            if f.startswith(("environment:", "algorithm:", "framework:")):
                self.introduced[f] = [v for _, v, d in g.out_edges(f, data=True) if d.get("rel") == "introduced_by"]

    def related(self, node: str, k: int) -> list[tuple[str, float]]:
        mine = _paper_features(self.graph, node)
        scores: dict[str, float] = defaultdict(float)
        common = []

        def weight(f: str) -> float:  # kind weight / log(2 + the other papers that share f)
            others = len(self.users[f]) - (node in self.members[f])
            return SHARED_WEIGHT.get(f.split(":", 1)[0], 1.0) / math.log(2 + others) if others else 0.0

        for f in sorted(mine, key=lambda f: len(self.users.get(f, ()))):
            for v in self.introduced.get(f, ()):
                if v != node:  # the paper that introduced what this paper uses is related to it
                    scores[v] += 2.0
            users = self.users.get(f, ())
            if len(users) > COMMON_FEATURE:
                common.append(f)
                continue
            w = weight(f)
            for u in users:
                if u != node:
                    scores[u] += w
        for f in common:
            w, users, members = weight(f), self.users[f], self.members[f]
            if len(scores) <= k:  # too few candidates from rare neighbours: let the common one bring some in
                for u in users[: 4 * k]:
                    if u != node:
                        scores.setdefault(u, 0.0)
            for u in scores:
                if u in members:
                    scores[u] += w
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(n.split(":", 1)[1], round(s, 3)) for n, s in ranked]


_INDEXES: dict[int, RelatedIndex] = {}


def related_papers(cat, g: nx.MultiDiGraph, paper_id: str, k: int = 8) -> list[tuple[str, float]]:
    """Papers sharing the most informative neighbours with `paper_id` (rare shared neighbours count more: each
    shared neighbour adds its kind's weight divided by log(2 + the other papers that share it); the paper that introduced
    an environment, algorithm or framework this paper uses adds 2). Neighbours of more than COMMON_FEATURE
    papers only re-rank the candidates the rarer ones found; below that size the ranking is exact."""
    node = f"paper:{paper_id}"
    if node not in g:
        raise KeyError(paper_id)
    index = _INDEXES.get(id(g))
    if index is None or index.graph is not g:
        _INDEXES.clear()
        index = _INDEXES[id(g)] = RelatedIndex(g)
    return index.related(node, k)


def neighbours(g: nx.MultiDiGraph, node: str) -> list[tuple[str, str, str]]:
    """(direction, rel, other node) for every edge at `node`."""
    out = [("->", d["rel"], v) for _, v, d in g.out_edges(node, data=True)]
    out += [("<-", d["rel"], u) for u, _, d in g.in_edges(node, data=True)]
    return sorted(out)


def graph_json(g: nx.MultiDiGraph) -> str:
    return json.dumps(nx.node_link_data(g, edges="edges"), indent=1, ensure_ascii=False)


def graphml_text(g: nx.MultiDiGraph) -> str:
    return "\n".join(nx.generate_graphml(g)) + "\n"
