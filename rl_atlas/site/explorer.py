"""The explorer's data, split so a first view fetches little at any catalog size.

    explorer.json           loaded by the page: the vocabulary of every facet and one column per filter or sort
                            field (id, year, venue, has-code and each facet), a record being a position in the
                            columns and a facet value a position in that facet's vocabulary (a few bytes a value)
    explorer-rows-K.json    what a table row shows (title, aliases, first author, code link) for records
                            K*ROWS_CHUNK .. (K+1)*ROWS_CHUNK-1; the page fetches a chunk when it shows one of them
    explorer-text.json      loaded when the text box is used: summary and full author list per record, so the text
                            box matches what `rl-atlas query --search` matches
    explorer-export.json    loaded when a download is asked for: each record's BibTeX entry, CSV line and JSON row,
                            made by the same code as `rl-atlas export`

Facet semantics mirror rl_atlas/query.py: `algorithm` holds what `_algorithms_of` returns (an algorithm also
matches works using algorithms derived from it), `venue` is `facts.venue_family`, `base-model` the family of
each base model, matched as the CLI's `--base-model FAMILY` matches (Qwen2.5 also takes Qwen2.5-VL-7B).
"""

from __future__ import annotations

import json
from collections import Counter

from ..export import bibtex_entry, csv_text, json_rows
from ..facts import venue_family
from ..query import _algorithms_of, base_model_matches
from .html import link

EXPLORER_DATA = "assets/data/explorer.json"
EXPLORER_TEXT = "assets/data/explorer-text.json"
EXPLORER_EXPORT = "assets/data/explorer-export.json"
EXPLORER_ROWS = "assets/data/explorer-rows-{}.json"
ROWS_CHUNK = 1000  # records per row chunk: a first view of the newest 100 papers fetches one chunk

FAMILY_NAMES = {"reinforce": "REINFORCE", "ppo": "PPO", "grpo": "GRPO", "dpo": "DPO", "other": "Other RL"}
ROLE_NAMES = {"method": "Method", "environment": "Environment or benchmark", "framework": "Framework",
              "algorithm": "Algorithm", "survey": "Survey", "analysis": "Analysis or position",
              "model-report": "Model or product report", "background": "Background"}
TRAINING_NAMES = {"rl": "RL", "sft": "SFT", "preference": "Preference (DPO-style)", "distillation": "Distillation",
                  "prompting-only": "Prompting only", "evolution-search": "Evolutionary search"}
REWARD_NAMES = {"outcome": "Outcome", "process": "Process", "hybrid": "Hybrid"}
INTERACTION_NAMES = {"single-turn": "Single-turn", "multi-turn": "Multi-turn"}
PLACEMENT_NAMES = {"atlas": "Added since the survey", "survey": "In the survey"}


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class _Vocab:
    """Values of one facet in display order; `ix` maps a record's values to their positions."""

    def __init__(self, entries: list[list]):
        self.entries = entries
        self.pos = {e[0]: i for i, e in enumerate(entries)}

    def ix(self, values) -> list[int]:
        return sorted({self.pos[v] for v in values if v in self.pos})

    def one(self, value) -> int:
        return self.pos.get(value, -1)


def _by_count(counter: Counter, label=lambda v: v) -> list[list]:
    return [[v, label(v)] for v, _ in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]).casefold()))]


def _base_families(p) -> list[str]:
    return [m.family for m in p.base_models]


def explorer_assets(ctx) -> dict[str, str]:
    """{src_uri: JSON text} for the explorer's files (see the module docstring)."""
    cat = ctx.cat
    papers = sorted(cat.papers.values(), key=lambda p: (-(p.year or 0), p.id))  # the CLI's order
    algos = {p.id: sorted(_algorithms_of(cat, p)) for p in papers}

    # base-model families compare without case (as the CLI does); the spelling used most often is shown
    spellings: dict[str, Counter] = {}
    for p in papers:
        for fam in _base_families(p):
            spellings.setdefault(fam.casefold(), Counter())[fam] += 1
    bm_name = {k: c.most_common(1)[0][0] for k, c in spellings.items()}
    bm_count = Counter({k: sum(c.values()) for k, c in spellings.items()})

    venues_raw = Counter(p.venue for p in papers if p.venue)
    fam_count = Counter(venue_family(p.venue) for p in papers if p.venue)
    used_algos = Counter(a for ids in algos.values() for a in ids)
    used_envs = Counter(e for p in papers for e in p.environments)
    used_fws = Counter(f for p in papers for f in p.frameworks)

    vocab = {
        "capability": _Vocab([[k, t.name] for k, t in cat.capabilities.items()]),
        "task": _Vocab([[k, t.name] for k, t in cat.tasks.items()]),
        "subcategory": _Vocab([[sid, s.name, parent] for sid, (parent, s) in cat.subcategories.items()]),
        "family": _Vocab([[k, v] for k, v in FAMILY_NAMES.items()]),
        "algorithm": _Vocab([[k, cat.algorithms[k].name if k in cat.algorithms else k,
                              cat.algorithms[k].family if k in cat.algorithms else ""]
                             for k, _ in sorted(used_algos.items(), key=lambda kv: (-kv[1], kv[0]))]),
        "venue": _Vocab(_by_count(fam_count)),
        "role": _Vocab([[k, v] for k, v in ROLE_NAMES.items()]),
        "training": _Vocab([[k, v] for k, v in TRAINING_NAMES.items()]),
        "reward": _Vocab([[k, v] for k, v in REWARD_NAMES.items()]),
        "base-model": _Vocab([[bm_name[k], bm_name[k]] for k, _ in sorted(bm_count.items(), key=lambda kv: (-kv[1], kv[0]))]),
        "environment": _Vocab([[k, cat.environments[k].name if k in cat.environments else k]
                               for k, _ in sorted(used_envs.items(), key=lambda kv: (-kv[1], kv[0]))]),
        "framework": _Vocab([[k, cat.frameworks[k].name if k in cat.frameworks else k]
                             for k, _ in sorted(used_fws.items(), key=lambda kv: (-kv[1], kv[0]))]),
        "interaction": _Vocab([[k, v] for k, v in INTERACTION_NAMES.items()]),
        "placement": _Vocab([[k, v] for k, v in PLACEMENT_NAMES.items()]),
    }
    venue_list = [v for v, _ in sorted(venues_raw.items(), key=lambda kv: (-kv[1], kv[0]))]
    venue_pos = {v: i for i, v in enumerate(venue_list)}

    def code(url):
        # most code links are GitHub repositories: "gh:" saves 16 bytes a record
        if not url:
            return ""
        return "gh:" + url[len("https://github.com/"):] if url.startswith("https://github.com/") else url

    cols = {
        "id": [p.id for p in papers],
        "year": [p.year for p in papers],
        "venue": [venue_pos.get(p.venue, -1) for p in papers],
        "has_code": [1 if p.links.code else 0 for p in papers],
        "capability": [vocab["capability"].ix(p.capabilities) for p in papers],
        "task": [vocab["task"].ix(p.tasks) for p in papers],
        "subcategory": [vocab["subcategory"].ix(p.subcategories) for p in papers],
        "algorithm": [vocab["algorithm"].ix(algos[p.id]) for p in papers],
        "role": [vocab["role"].one(p.role) for p in papers],
        "training": [vocab["training"].ix(p.training) for p in papers],
        "reward": [vocab["reward"].one(p.reward_type) for p in papers],
        # as `--base-model FAMILY` does: Qwen2.5 also matches Qwen2.5-VL-7B (its full name starts "qwen2.5-")
        "base-model": [vocab["base-model"].ix(f for f in bm_name.values() if any(base_model_matches(f, m) for m in p.base_models))
                       if p.base_models else [] for p in papers],
        "environment": [vocab["environment"].ix(p.environments) for p in papers],
        "framework": [vocab["framework"].ix(p.frameworks) for p in papers],
        "interaction": [vocab["interaction"].one(p.interaction) for p in papers],
        "placement": [vocab["placement"].one(p.placement) for p in papers],
    }
    years = [p.year for p in papers if p.year]
    main = {
        "version": 2,
        "facets": {k: v.entries for k, v in vocab.items()},
        "venues": [[v, vocab["venue"].one(venue_family(v))] for v in venue_list],
        "years": [min(years), max(years)] if years else [None, None],
        "paper_url": link("explorer.md", "papers/ID.md"),
        "text": EXPLORER_TEXT.split("/")[-1],
        "export": EXPLORER_EXPORT.split("/")[-1],
        "rows_chunk": ROWS_CHUNK,
        "rows": [EXPLORER_ROWS.format(k).split("/")[-1] for k in range(0, (len(papers) + ROWS_CHUNK - 1) // ROWS_CHUNK)],
        "cols": cols,
    }
    rows_files = {}
    for k in range(len(main["rows"])):
        chunk = papers[k * ROWS_CHUNK:(k + 1) * ROWS_CHUNK]
        rows_files[EXPLORER_ROWS.format(k)] = _dumps({
            "title": [p.title for p in chunk],
            "aliases": [p.aliases for p in chunk],
            "author": [(p.authors[0] + (" et al." if len(p.authors) > 1 else "")) if p.authors else "" for p in chunk],
            "code": [code(p.links.code) for p in chunk],
        })
    text = {"summary": [p.summary or "" for p in papers], "authors": [p.authors for p in papers]}
    rows = json_rows(cat, papers)
    export = {
        "csv_header": csv_text(cat, []).rstrip("\n"),
        "csv": [csv_text(cat, [p]).split("\n", 1)[1].rstrip("\n") for p in papers],
        "bibtex": [bibtex_entry(p) for p in papers],
        "json": rows,
    }
    return {EXPLORER_DATA: _dumps(main), **rows_files, EXPLORER_TEXT: _dumps(text), EXPLORER_EXPORT: _dumps(export)}
