"""Filtering the catalog. The same `Filters` serve the CLI (`rl-atlas query`, `rl-atlas export`), the Python
API and the site's explorer (which re-implements them in JavaScript over the JSON export).

Semantics: values given to one filter are alternatives (any may match); different filters must all hold.
`search` is the exception: every text given must occur (case-insensitive) in the title, authors, summary,
aliases or id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KIND_NAMES = ("papers", "environments", "frameworks", "algorithms")


@dataclass
class Filters:
    kind: str = "papers"
    capabilities: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    subcategories: list[str] = field(default_factory=list)
    algorithms: list[str] = field(default_factory=list)
    since: int | None = None
    until: int | None = None
    has_code: bool = False
    search: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    training: list[str] = field(default_factory=list)
    rewards: list[str] = field(default_factory=list)
    base_models: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    venues: list[str] = field(default_factory=list)
    interaction: list[str] = field(default_factory=list)
    placement: list[str] = field(default_factory=list)


def paper_of(cat, rec) -> Any:
    """The paper record behind any record (itself for a paper)."""
    if rec.__class__.__name__ == "Paper":
        return rec
    return cat.papers.get(getattr(rec, "paper", None))


def year_of(cat, rec) -> int | None:
    y = getattr(rec, "year", None)
    if y is None:
        p = paper_of(cat, rec)
        y = p.year if p else None
    return y


def haystack(cat, rec) -> str:
    """All the text `--search` looks in, lower-cased."""
    p = paper_of(cat, rec)
    parts = [rec.id, getattr(rec, "title", "") or getattr(rec, "name", ""), getattr(rec, "summary", "") or ""]
    parts += list(getattr(rec, "aliases", []))
    if p is not None:
        parts += [p.title, *p.authors, *p.aliases]
    return "\n".join(parts).lower()


def algorithm_ancestors(cat, aid: str) -> set[str]:
    """`aid` and every algorithm it derives from, transitively (dapo -> {dapo, grpo, ppo})."""
    seen, todo = set(), [aid]
    while todo:
        a = todo.pop()
        if a in seen:
            continue
        seen.add(a)
        rec = cat.algorithms.get(a)
        todo += list(rec.derives_from) if rec else []
    return seen


def _algorithms_of(cat, rec) -> set[str]:
    """The algorithms a record counts as using for `--algorithm`: its own list, the algorithms a paper introduced,
    and everything those derive from, so `--algorithm grpo` also finds works trained with DAPO or Dr. GRPO."""
    if rec.__class__.__name__ == "Algorithm":
        direct = {rec.id}
    else:
        direct = set(getattr(rec, "algorithms", []) or [])
        direct |= {a.id for a in cat.algorithms.values() if a.paper == rec.id}
    out = set()
    for a in direct:
        out |= algorithm_ancestors(cat, a)
    return out


def base_model_matches(query: str, model) -> bool:
    """`--base-model qwen2.5` matches the family Qwen2.5 (any size); `qwen2.5-7b` also needs size 7B;
    a full name such as `Qwen2.5-7B-Instruct` needs the variant too. Case and spaces do not matter."""
    q = query.casefold().replace(" ", "")
    full = str(model).casefold()
    return full == q or full.startswith(q + "-") or model.family.casefold() == q


def _paper_facts(cat, rec, name: str) -> list:
    p = paper_of(cat, rec)
    return list(getattr(p, name, None) or []) if p is not None else []


def matches(cat, rec, f: Filters) -> bool:
    if f.capabilities and not set(f.capabilities) & set(getattr(rec, "capabilities", []) or []):
        return False
    if f.tasks and not set(f.tasks) & set(getattr(rec, "tasks", []) or []):
        return False
    if f.subcategories and not set(f.subcategories) & set(getattr(rec, "subcategories", []) or []):
        return False
    if f.algorithms and not set(f.algorithms) & _algorithms_of(cat, rec):
        return False
    if f.since is not None or f.until is not None:
        y = year_of(cat, rec)
        if y is None or (f.since is not None and y < f.since) or (f.until is not None and y > f.until):
            return False
    if f.has_code:
        p = paper_of(cat, rec)
        if p is None or not p.links.code:
            return False
    p = paper_of(cat, rec)
    if f.roles and (p is None or p.role not in f.roles):
        return False
    if f.training and not set(f.training) & set(_paper_facts(cat, rec, "training")):
        return False
    if f.rewards and (p is None or p.reward_type not in f.rewards):
        return False
    if f.interaction and (p is None or p.interaction not in f.interaction):
        return False
    if f.placement and (p is None or p.placement not in f.placement):
        return False
    if f.venues:
        from .facts import venue_family

        wanted = {v.casefold() for v in f.venues}
        if p is None or (venue_family(p.venue) or "").casefold() not in wanted:
            return False
    if f.base_models and not any(base_model_matches(q, m) for q in f.base_models for m in _paper_facts(cat, rec, "base_models")):
        return False
    if f.environments:
        envs = {rec.id} if rec.__class__.__name__ == "Environment" else set(_paper_facts(cat, rec, "environments"))
        if not set(f.environments) & envs:
            return False
    if f.frameworks:
        fws = {rec.id} if rec.__class__.__name__ == "Framework" else set(_paper_facts(cat, rec, "frameworks"))
        if not set(f.frameworks) & fws:
            return False
    if f.search:
        hay = haystack(cat, rec)
        if not all(s.lower() in hay for s in f.search):
            return False
    return True


def run_query(cat, f: Filters) -> list:
    """Records of `f.kind` that pass every filter, newest first, then by id."""
    if f.kind not in KIND_NAMES:
        raise ValueError(f"unknown kind {f.kind!r}; expected one of {', '.join(KIND_NAMES)}")
    recs = [r for r in cat.of_kind(f.kind).values() if matches(cat, r, f)]
    recs.sort(key=lambda r: (-(year_of(cat, r) or 0), r.id))
    return recs
