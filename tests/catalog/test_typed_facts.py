"""Typed facts (issue 9): venue families, base-model parsing, the new query filters, `show`, coverage, SQLite."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from rl_atlas import load_catalog
from rl_atlas.basemodels import parse_base_model
from rl_atlas.facts import COVERAGE_FLOORS, _short_of, coverage, coverage_shortfalls, secondary_source, venue_family
from rl_atlas.query import Filters, run_query
from rl_atlas.sqlite import write_sqlite


def cli(*args, catalog=None):
    argv = [sys.executable, "-m", "rl_atlas", *args] + (["--catalog", str(catalog)] if catalog else [])
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("venue, family", [
    ("NeurIPS", "NeurIPS"), ("Findings of ACL", "ACL"), ("Findings of EMNLP", "EMNLP"), ("arXiv", "arXiv"),
    ("ICML 2025 Workshop on Computer Use Agents", "Workshop"), ("COLM", "COLM"), ("IEEE TNNLS", "Other"),
    ("TMLR", "TMLR"), (None, None), ("2nd AI for Math Workshop @ ICML 2025", "Workshop")])
def test_venue_family(venue, family):
    assert venue_family(venue) == family


@pytest.mark.parametrize("name, parsed", [
    ("Qwen2.5-7B-Instruct", {"family": "Qwen2.5", "size": "7B", "variant": "Instruct"}),
    ("Qwen2.5-Coder-7B", {"family": "Qwen2.5-Coder", "size": "7B"}),
    ("Qwen3-30B-A3B", {"family": "Qwen3", "size": "30B-A3B"}),
    ("Llama-3.2-3B-Instruct", {"family": "Llama-3.2", "size": "3B", "variant": "Instruct"}),
    ("Qwen2.5-0.5b-instruct", {"family": "Qwen2.5", "size": "0.5B", "variant": "instruct"}),
    ("GPT-4o", {"family": "GPT-4o"})])
def test_parse_base_model(name, parsed):
    assert parse_base_model(name) == parsed


@pytest.mark.parametrize("flags, expected", [
    ({"roles": ["method"]}, {"alpha-agent", "beta-search"}),
    ({"roles": ["framework"]}, {"gamma-framework"}),
    ({"training": ["rl"]}, {"alpha-agent"}),
    ({"rewards": ["outcome"]}, {"alpha-agent"}),
    ({"base_models": ["qwen2.5"]}, {"alpha-agent"}),
    ({"base_models": ["Qwen2.5-7B"]}, {"alpha-agent"}),
    ({"base_models": ["qwen2.5-7b-instruct"]}, {"alpha-agent"}),
    ({"base_models": ["qwen2.5-3b"]}, set()),
    ({"base_models": ["llama-3.1-8b"]}, {"alpha-agent"}),
    ({"environments": ["toy-env"]}, {"alpha-agent"}),
    ({"frameworks": ["toy-rl"]}, {"alpha-agent"}),
    ({"venues": ["neurips"]}, {"beta-search"}),
    ({"venues": ["arXiv"]}, {"alpha-agent"}),
    ({"interaction": ["multi-turn"]}, {"alpha-agent"}),
    ({"placement": ["atlas"]}, {"gamma-framework"}),
    ({"roles": ["method"], "training": ["prompting-only"]}, {"beta-search"}),
])
def test_new_filters(mini, flags, expected):
    cat = load_catalog(mini)
    assert {r.id for r in run_query(cat, Filters(**flags))} == expected


def test_cli_filters_and_json_carry_every_typed_field(mini):
    r = cli("query", "--training", "rl", "--base-model", "qwen2.5", "--format", "json", catalog=mini)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["id"] == "alpha-agent" and row["role"] == "method" and row["training"] == ["sft", "rl"]
    assert row["base_models"] == ["Qwen2.5-7B-Instruct", "Llama-3.1-8B"]
    assert row["base_models_parsed"][0] == {"family": "Qwen2.5", "size": "7B", "variant": "Instruct"}
    assert row["environments"] == ["toy-env"] and row["frameworks"] == ["toy-rl"] and row["interaction"] == "multi-turn"
    assert row["provenance"]["algorithms"] == ["arxiv-html:2501.00001v2"] and row["venue_family"] == "arXiv"
    r = cli("export", "--role", "method", "--format", "csv", catalog=mini)
    header = r.stdout.splitlines()[0].split(",")
    assert {"role", "training", "base_models", "environments", "frameworks", "venue_family"} <= set(header)


@pytest.mark.parametrize("flag", ["--role", "--training", "--reward", "--interaction", "--venue", "--environment"])
def test_unknown_filter_values_are_named(mini, flag):
    r = cli("query", flag, "nonsense", catalog=mini)
    assert r.returncode == 2 and "nonsense" in r.stderr and "known" in r.stderr


def test_show_prints_each_fact_with_its_source(mini):
    r = cli("show", "alpha-agent", catalog=mini)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.strip().startswith("algorithms"))
    assert "grpo" in lines[i] and "source: arxiv-html:2501.00001v2" in lines[i + 1]
    assert "(no recorded source for: training, reward_type, frameworks, interaction)" in r.stdout
    assert cli("show", "environment:toy-env", catalog=mini).returncode == 0
    bad = cli("show", "toy-env", catalog=mini)
    assert bad.returncode == 2 and "environment:toy-env" in bad.stderr


def test_coverage_by_role_and_shortfalls(mini):
    cat = load_catalog(mini)
    cov = coverage(cat)
    assert cov["rl-method"]["algorithms"] == (1, 1) and cov["method"]["training"] == (2, 2)
    assert coverage_shortfalls(cat) == []
    r = cli("stats", "--coverage", catalog=mini)
    assert r.returncode == 0 and "all met" in r.stdout and "all hold" in r.stdout
    (mini / "papers" / "beta-search.yaml").write_text(
        (mini / "papers" / "beta-search.yaml").read_text().replace("training: [prompting-only]", "training: [rl]"))
    r = cli("stats", "--coverage", catalog=mini)
    assert r.returncode == 1 and "MISSED algorithms: 1/2" in r.stdout and "BELOW FLOOR algorithms: 1/2" in r.stdout


def test_real_catalog_holds_its_coverage_floors(real_catalog):
    """The coverage the curation has reached may not drop: every paper has a role, 98% of methods say how they
    train, and RL methods hold the floors in facts.COVERAGE_FLOORS. Issue 9's targets (algorithms 95%, base
    models 90%, environments 90%) are higher and not yet met; `rl-atlas stats --coverage` lists the gap."""
    assert coverage_shortfalls(real_catalog, COVERAGE_FLOORS) == []


@pytest.mark.parametrize("flags, sql", [
    (Filters(capabilities=["memory"], algorithms=["grpo"], since=2025, has_code=True),
     "WITH RECURSIVE fam(id) AS (SELECT 'grpo' UNION SELECT d.algorithm_id FROM algorithm_derives_from d JOIN fam "
     "ON d.parent_id = fam.id), used(paper_id, algorithm_id) AS (SELECT * FROM paper_algorithms UNION "
     "SELECT paper_id, id FROM algorithms) "
     "SELECT DISTINCT p.id FROM papers p JOIN paper_capabilities c ON c.paper_id = p.id AND c.capability_id = 'memory' "
     "JOIN used a ON a.paper_id = p.id JOIN fam ON fam.id = a.algorithm_id WHERE p.year >= 2025 AND p.code IS NOT NULL"),
    (Filters(tasks=["search"], training=["rl"]),
     "SELECT p.id FROM papers p JOIN paper_tasks t ON t.paper_id = p.id AND t.task_id = 'search' "
     "JOIN paper_training r ON r.paper_id = p.id AND r.training = 'rl'"),
    (Filters(base_models=["qwen2.5"]),
     "SELECT DISTINCT paper_id FROM paper_base_models "
     "WHERE lower(family) = 'qwen2.5' OR lower(name) = 'qwen2.5' OR lower(name) LIKE 'qwen2.5-%'"),
    (Filters(venues=["NeurIPS"]), "SELECT id FROM papers WHERE venue_family = 'NeurIPS'"),
])
def test_sqlite_answers_like_query(real_catalog, tmp_path, flags, sql):
    """The same question in SQL and through `run_query`. `--algorithm grpo` counts the algorithms a paper uses or
    introduces and every variant deriving from grpo, which the SQL spells out with a recursive CTE."""
    db_path = tmp_path / "atlas.db"
    write_sqlite(real_catalog, db_path)
    db = sqlite3.connect(db_path)
    got = {row[0] for row in db.execute(sql)}
    assert got == {r.id for r in run_query(real_catalog, flags)}
    counts = dict(db.execute("SELECT 'papers', count(*) FROM papers UNION ALL SELECT 'envs', count(*) FROM environments"))
    assert counts == {"papers": len(real_catalog.papers), "envs": len(real_catalog.environments)}


def test_sqlite_export_from_the_cli_is_atomic(mini, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "x.db"
    r = cli("export", "--role", "method", "--format", "sqlite", "-o", str(out), catalog=mini)
    assert r.returncode == 0, r.stderr
    assert sorted(x for (x,) in sqlite3.connect(out).execute("SELECT id FROM papers")) == ["alpha-agent", "beta-search"]
    assert list(out.parent.iterdir()) == [out]  # no temporary file left behind
    assert cli("export", "--format", "sqlite", catalog=mini).returncode == 2  # needs -o


def test_memory_grpo_code_query_finds_the_memory_works(real_catalog):
    """The researcher's question from issue 9 returns works (MEM1, MemAgent, Memory-R1 train with RL and release code)."""
    hits = run_query(real_catalog, Filters(capabilities=["memory"], algorithms=["grpo"], since=2025, has_code=True))
    assert len(hits) >= 2, [h.id for h in hits]
    assert all(h.links.code and "memory" in h.capabilities for h in hits)


@pytest.mark.parametrize("source, entry", [
    ("web:https://liner.com/review/agentic-reasoning", "liner.com/review"),
    ("web:https://liner.com/", None),                                   # only the review pages are summaries
    ("web:https://www.emergentmind.com/papers/2508.14040", "emergentmind.com"),
    ("web:https://api.emergentmind.com/papers/2508.20404", "emergentmind.com"),
    ("web:https://notemergentmind.com/papers/1", None),                 # a suffix matches whole labels only
    ("web:https://alphaxiv.org/overview/2509.25779v2", "alphaxiv.org/overview"),
    ("web:https://www.alphaxiv.org/abs/2509.25779", None),
    ("web:https://en.papernotes.org/ICLR2026/x/", "papernotes.org"),
    ("web:https://github.com/example/alpha-agent", None),
    ("arxiv:2501.00001", None), ("readme:https://liner.com/review/x", None), ("atlas", None)])
def test_secondary_sources_are_recognised(source, entry):
    assert secondary_source(source) == entry


def test_a_fact_with_one_primary_source_beside_a_summary_passes(mini):
    path = mini / "papers" / "alpha-agent.yaml"
    text = path.read_text().replace("algorithms: [arxiv-html:2501.00001v2]",
                                    "algorithms: [web:https://www.themoonlight.io/review/alpha, arxiv-html:2501.00001v2]")
    path.write_text(text)
    assert not [p for p in load_catalog(mini).problems if p.code == "CAT040"]
    path.write_text(text.replace(", arxiv-html:2501.00001v2]", "]"))
    (hit,) = [p for p in load_catalog(mini).problems if p.code == "CAT040"]
    assert hit.field == "algorithms" and "themoonlight.io" in hit.message and hit.path.endswith("alpha-agent.yaml")


def test_a_title_cited_only_to_a_digest_is_refused(mini):
    """CAT040 covers every provenance field, not only the typed facts: the fixture's title is read only on a paper
    digest (weekinpapers.com) while its authors and year cite arXiv, so only the title is reported."""
    import shutil
    from pathlib import Path
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "bad" / "CAT040" / "papers" / "summary-titled.yaml"
    shutil.copy(fixture, mini / "papers" / fixture.name)
    hits = [p for p in load_catalog(mini).problems if p.code == "CAT040" and p.path.endswith("summary-titled.yaml")]
    assert [(h.field, h.line) for h in hits] == [("title", 2)]
    assert "weekinpapers.com" in hits[0].message and "cited only to AI-generated summaries" in hits[0].message
    # a primary source beside the digest clears it; an empty field with such a source is CAT032's business, not CAT040's
    path = mini / "papers" / fixture.name
    path.write_text(path.read_text().replace("title: [web:https://weekinpapers.com/paper/2601.00010v1]",
                                             "title: [web:https://weekinpapers.com/paper/2601.00010v1, arxiv:2601.00010]"))
    assert not [p for p in load_catalog(mini).problems if p.code == "CAT040"]


@pytest.mark.parametrize("field, value", [("venue", "venue: NeurIPS"), ("links", "links:\n  code: https://github.com/example/x"),
                                          ("capabilities", "capabilities: [memory]")])
def test_every_provenance_field_is_checked_for_digests(mini, field, value):
    path = mini / "papers" / "summary-field.yaml"
    path.write_text("id: summary-field\ntitle: A Field Read Only in a Digest\nyear: 2026\nrole: environment\n"
                    f"placement: atlas\n{value}\nprovenance:\n  {field}: [web:https://tomesphere.com/paper/2601.00011]\n"
                    "  role: [atlas]\n")
    hits = [p for p in load_catalog(mini).problems if p.code == "CAT040" and p.path.endswith("summary-field.yaml")]
    assert [h.field for h in hits] == [field] and "tomesphere.com" in hits[0].message


def test_contributing_lists_every_secondary_source():
    from pathlib import Path
    from rl_atlas.facts import SECONDARY_WEB_SOURCES
    text = (Path(__file__).resolve().parents[2] / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## What counts as a source", 1)[1].split("\n## ", 1)[0]
    assert [s for s in SECONDARY_WEB_SOURCES if s not in section] == []


def test_a_share_just_under_its_target_never_prints_as_reaching_it():
    """305 of 339 is 89.97%: with one decimal it printed as '90.0% < 90%'."""
    assert _short_of("environments", 305, 339, "RL methods", 0.90) == \
        ["environments: 305/339 RL methods (89.97%) < 90%, 1 more needed"]
    assert _short_of("algorithms", 288, 339, "RL methods", 0.95)[0].endswith("35 more needed")  # 0.95 x 339 = 322.05: 323
    assert _short_of("training", 9, 10, "methods", 0.98)[0].endswith("1 more needed")
    assert _short_of("environments", 306, 339, "RL methods", 0.90) == [] == _short_of("training", 0, 0, "methods", 0.98)
