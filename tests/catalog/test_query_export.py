"""Query semantics, exports that parse back, the graph, and the JSON Schemas."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import bibtexparser
import networkx as nx
import pytest

from rl_atlas import cli, load_catalog
from rl_atlas.export import bibtex, csv_text, json_rows
from rl_atlas.graph import build_graph, related_papers
from rl_atlas.query import Filters, run_query


def ids(recs):
    return sorted(r.id for r in recs)


def test_filters_combine(mini):
    cat = load_catalog(mini)
    assert ids(run_query(cat, Filters(capabilities=["memory"]))) == ["alpha-agent"]
    assert ids(run_query(cat, Filters(capabilities=["memory", "tool-use"]))) == ["alpha-agent", "beta-search"]  # OR within
    assert ids(run_query(cat, Filters(capabilities=["memory"], tasks=["search"]))) == []  # AND across
    assert ids(run_query(cat, Filters(since=2025))) == ["alpha-agent"]
    assert ids(run_query(cat, Filters(until=2024))) == ["beta-search"]
    assert ids(run_query(cat, Filters(has_code=True))) == ["alpha-agent", "gamma-framework"]
    assert ids(run_query(cat, Filters(search=["hopper"]))) == ["beta-search"]  # authors are searched
    assert ids(run_query(cat, Filters(search=["alpha-agent", "memory"]))) == ["alpha-agent"]
    assert ids(run_query(cat, Filters(algorithms=["grpo"]))) == ["alpha-agent"]
    assert ids(run_query(cat, Filters(kind="environments", capabilities=["memory"]))) == ["toy-env"]
    assert ids(run_query(cat, Filters(kind="algorithms", algorithms=["ppo"]))) == ["grpo", "ppo"]  # grpo derives from ppo


def test_query_json_has_the_documented_keys(mini, capsys):
    assert cli.main(["query", "--catalog", str(mini), "--capability", "memory", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["alpha-agent"]
    for key in ("id", "type", "title", "authors", "year", "venue", "arxiv", "links", "capabilities", "tasks", "survey_refs", "summary"):
        assert key in rows[0]
    assert isinstance(rows[0]["authors"], list) and isinstance(rows[0]["links"], dict)
    assert all(isinstance(n, int) for n in rows[0]["survey_refs"])


def test_unknown_filter_value_is_an_error_not_an_empty_result(mini, capsys):
    assert cli.main(["query", "--catalog", str(mini), "--capability", "memroy"]) == 2
    assert "unknown id" in capsys.readouterr().err


def test_csv_round_trip(mini):
    cat = load_catalog(mini)
    rows = list(csv.DictReader(io.StringIO(csv_text(cat, run_query(cat, Filters())))))
    assert {r["id"] for r in rows} == set(cat.papers)
    assert next(r for r in rows if r["id"] == "alpha-agent")["authors"] == "Ada Lovelace; Alan Turing"


def test_bibtex_types_and_keys(mini):
    cat = load_catalog(mini)
    lib = bibtexparser.parse_string(bibtex(cat, run_query(cat, Filters())))
    assert not lib.failed_blocks
    by_key = {e.key: e for e in lib.entries}
    assert by_key["alpha-agent"].entry_type == "article" and by_key["alpha-agent"]["eprint"] == "2501.00001"
    assert by_key["beta-search"].entry_type == "inproceedings" and by_key["beta-search"]["booktitle"] == "NeurIPS"
    assert by_key["gamma-framework"].entry_type == "misc"
    # keys are stable: a subset export uses the same key as the full export
    sub = bibtexparser.parse_string(bibtex(cat, run_query(cat, Filters(capabilities=["memory"]))))
    assert [e.key for e in sub.entries] == ["alpha-agent"]


def test_bibtex_escapes_special_characters(mini):
    p = mini / "papers" / "alpha-agent.yaml"
    p.write_text(p.read_text().replace('title: "Alpha-Agent: A Fixture Paper about Memory"', 'title: "R&D at 100% {braces} $x_1$ #1"'))
    cat = load_catalog(mini)
    lib = bibtexparser.parse_string(bibtex(cat, [cat.papers["alpha-agent"]]))
    assert not lib.failed_blocks and len(lib.entries) == 1


def test_export_writes_atomically(mini, tmp_path):
    out = tmp_path / "out" / "refs.bib"
    assert cli.main(["export", "--catalog", str(mini), "--format", "bibtex", "-o", str(out)]) == 0
    assert len(bibtexparser.parse_string(out.read_text()).entries) == 3
    assert [p.name for p in out.parent.iterdir()] == ["refs.bib"]  # no temporary file left behind


def test_graph_typed_edges_and_related(mini, capsys):
    cat = load_catalog(mini)
    g = build_graph(cat)
    rels = {(u, v, d["rel"]) for u, v, d in g.edges(data=True)}
    assert ("paper:alpha-agent", "capability:memory", "has_capability") in rels
    assert ("paper:beta-search", "task:search", "has_task") in rels
    assert ("paper:alpha-agent", "environment:toy-env", "evaluated_on") in rels
    assert ("paper:alpha-agent", "framework:toy-rl", "built_on") in rels
    assert ("algorithm:grpo", "algorithm:ppo", "derives_from") in rels
    assert [pid for pid, _ in related_papers(cat, g, "alpha-agent")][0] == "beta-search"  # introduced toy-env
    for fmt in ("graphml", "json"):
        assert cli.main(["graph", "--catalog", str(mini), "--format", fmt]) == 0
        out = capsys.readouterr().out
        if fmt == "graphml":
            assert nx.parse_graphml(out).number_of_nodes() == g.number_of_nodes()
        else:
            assert len(json.loads(out)["nodes"]) == g.number_of_nodes()


def test_json_schema_is_current(tmp_path):
    """The committed JSON Schemas match the models (run `make schemas` after changing a model)."""
    from pathlib import Path

    from rl_atlas.schemas import KINDS

    committed = Path(__file__).resolve().parents[2] / "schemas"
    for kind, model in KINDS.items():
        assert json.loads((committed / f"{kind}.schema.json").read_text()) == model.model_json_schema(), kind


def test_help_lists_every_command():
    r = subprocess.run([sys.executable, "-m", "rl_atlas", "--help"], capture_output=True, text=True)
    for cmd in cli.COMMANDS:
        assert f"  {cmd}" in r.stdout
