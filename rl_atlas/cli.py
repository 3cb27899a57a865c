"""`rl-atlas`: validate, query, export and explore the catalog; run the reference implementations."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

COMMANDS = {
    "validate": "check every record: schema, references, identifiers, links (exit 1 on errors)",
    "query": "filter records and print them as a table, JSON, CSV or BibTeX",
    "export": "write a filtered set to a file (or stdout) as BibTeX, JSON, CSV or an SQLite database",
    "show": "one record with every field and the source each typed fact was read from",
    "stats": "counts by kind, capability, task and year; --coverage: typed-field coverage by role",
    "graph": "the catalog graph (papers, tags, environments, frameworks, algorithms) as GraphML or JSON",
    "related": "records related to one id, from the catalog graph",
    "add": "fetch a paper's metadata from the arXiv API and write a record stub that validates",
    "schema": "print or write the JSON Schemas of the record kinds (for editor completion)",
    "run": "run a reference implementation, e.g. `rl-atlas run cartpole-ppo` (needs the `rl` extra)",
}


def _catalog_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalog", metavar="DIR", help="catalog folder (default: $RL_ATLAS_CATALOG or ./catalog)")


def _filter_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters (a flag may repeat: its values are alternatives; different flags combine with AND)")
    g.add_argument("--kind", default="papers", choices=["papers", "environments", "frameworks", "algorithms"])
    g.add_argument("--capability", action="append", default=[], metavar="ID", help="capability term id, e.g. memory")
    g.add_argument("--task", action="append", default=[], metavar="ID", help="task-domain term id, e.g. search")
    g.add_argument("--subcategory", action="append", default=[], metavar="ID", help="sub-category id, e.g. memory-token-level")
    g.add_argument("--algorithm", action="append", default=[], metavar="ID", help="algorithm id, e.g. grpo; also matches its variants (works using dapo match grpo)")
    g.add_argument("--since", type=int, metavar="YEAR")
    g.add_argument("--until", type=int, metavar="YEAR")
    g.add_argument("--has-code", action="store_true", help="only records with a code link")
    g.add_argument("--search", action="append", default=[], metavar="TEXT",
                   help="text in title, authors, summary or aliases (every --search must match)")
    g.add_argument("--role", action="append", default=[], metavar="ROLE",
                   help="method, environment, framework, algorithm, survey, analysis, model-report, background")
    g.add_argument("--training", action="append", default=[], metavar="KIND",
                   help="rl, sft, preference, distillation, prompting-only, evolution-search")
    g.add_argument("--reward", action="append", default=[], metavar="TYPE", help="outcome, process or hybrid")
    g.add_argument("--base-model", action="append", default=[], metavar="NAME",
                   help="a family (qwen2.5), family-size (qwen2.5-7b) or full name (Qwen2.5-7B-Instruct)")
    g.add_argument("--environment", action="append", default=[], metavar="ID", help="environment or benchmark id, e.g. webshop")
    g.add_argument("--framework", action="append", default=[], metavar="ID", help="framework id, e.g. verl")
    g.add_argument("--venue", action="append", default=[], metavar="FAMILY",
                   help="venue family: NeurIPS, ICLR, ICML, ACL, EMNLP, COLM, TMLR, CVPR, ..., Workshop, arXiv, Other")
    g.add_argument("--interaction", action="append", default=[], metavar="KIND", help="single-turn or multi-turn")
    g.add_argument("--placement", action="append", default=[], metavar="WHO",
                   help="survey (placed by the survey) or atlas (works the survey does not cite, placed by the atlas)")


def build_parser() -> argparse.ArgumentParser:
    epilog = "commands:\n" + "\n".join(f"  {k:<9} {v}" for k, v in COMMANDS.items())
    epilog += "\n\nRun `rl-atlas COMMAND --help` for a command's options. Make targets: `make help`."
    ap = argparse.ArgumentParser(prog="rl-atlas", description=__doc__, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    from . import __version__

    ap.add_argument("--version", action="version", version=f"rl-atlas {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help=COMMANDS["validate"], description=COMMANDS["validate"])
    _catalog_arg(p)
    p.add_argument("--warnings", action="store_true", help="list every warning (by default they are counted by code)")
    p.add_argument("--codes", action="store_true", help="print the table of problem codes and exit")

    p = sub.add_parser("query", help=COMMANDS["query"], description=COMMANDS["query"])
    _catalog_arg(p)
    _filter_args(p)
    p.add_argument("--format", default="table", choices=["table", "json", "csv", "bibtex"])
    p.add_argument("--limit", type=int, metavar="N", help="print at most N records")

    p = sub.add_parser("export", help=COMMANDS["export"], description=COMMANDS["export"])
    _catalog_arg(p)
    _filter_args(p)
    p.add_argument("--format", required=True, choices=["bibtex", "json", "csv", "sqlite"])
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout; sqlite needs a file); written atomically")

    p = sub.add_parser("show", help=COMMANDS["show"], description=COMMANDS["show"])
    _catalog_arg(p)
    p.add_argument("id", help="a record id (a paper's, or KIND:ID such as environment:webshop)")
    p.add_argument("--format", default="text", choices=["text", "json"])

    p = sub.add_parser("stats", help=COMMANDS["stats"], description=COMMANDS["stats"])
    _catalog_arg(p)
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.add_argument("--coverage", action="store_true",
                   help="how many records of each role have each typed field, and which coverage targets are missed (exit 1)")

    p = sub.add_parser("graph", help=COMMANDS["graph"], description=COMMANDS["graph"])
    _catalog_arg(p)
    p.add_argument("--format", default="graphml", choices=["graphml", "json"])
    p.add_argument("-o", "--output", metavar="FILE")

    p = sub.add_parser("related", help=COMMANDS["related"], description=COMMANDS["related"])
    _catalog_arg(p)
    p.add_argument("id", help="a paper id, or KIND:ID for other kinds (environment:webshop, algorithm:grpo, capability:memory)")
    p.add_argument("-k", type=int, default=10, help="how many related papers (default 10)")
    p.add_argument("--format", default="table", choices=["table", "json"])

    p = sub.add_parser("add", help=COMMANDS["add"], description=COMMANDS["add"])
    _catalog_arg(p)
    p.add_argument("--arxiv", nargs="+", default=[], metavar="ID", help="arXiv ids or URLs, e.g. 2503.09516 2506.15841")
    p.add_argument("--from-file", metavar="FILE", help="a file of arXiv ids or URLs, one per line (# starts a comment)")
    p.add_argument("--dry-run", action="store_true", help="print the stubs instead of writing them")

    p = sub.add_parser("schema", help=COMMANDS["schema"], description=COMMANDS["schema"])
    p.add_argument("--write", metavar="DIR", nargs="?", const="schemas", help="write <kind>.schema.json files into DIR (default: schemas)")
    p.add_argument("--kind", choices=["papers", "environments", "frameworks", "algorithms", "taxonomy"])

    p = sub.add_parser("run", help=COMMANDS["run"], description=COMMANDS["run"], add_help=False)
    p.add_argument("name", nargs="?", help="what to run; omit to list")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script (--quick, --seed N, --device D, ...)")
    return ap


# -- helpers ---------------------------------------------------------------------------------------

def _load(args, check: bool = True):
    from .catalog import load_catalog

    return load_catalog(args.catalog, check=check)


def _filters(args):
    from .query import Filters

    return Filters(kind=args.kind, capabilities=args.capability, tasks=args.task, subcategories=args.subcategory,
                   algorithms=args.algorithm, since=args.since, until=args.until, has_code=args.has_code,
                   search=args.search, roles=args.role, training=args.training, rewards=args.reward,
                   base_models=args.base_model, environments=args.environment, frameworks=args.framework,
                   venues=args.venue, interaction=args.interaction, placement=args.placement)


def _check_filter_values(cat, f) -> list[str]:
    """Unknown filter values are almost always typos: say so instead of printing an empty result."""
    errs = []
    for flag, values, known in (("--capability", f.capabilities, cat.capabilities), ("--task", f.tasks, cat.tasks),
                                ("--subcategory", f.subcategories, cat.subcategories),
                                ("--algorithm", f.algorithms, cat.algorithms),
                                ("--environment", f.environments, cat.environments),
                                ("--framework", f.frameworks, cat.frameworks)):
        for v in values:
            if v not in known:
                errs.append(f"{flag} {v}: unknown id; known: {', '.join(sorted(known))}")
    from typing import get_args

    from .facts import VENUE_FAMILIES
    from .schemas.models import Interaction, Placement, RewardType, Role, Training

    for flag, values, known in (("--role", f.roles, get_args(Role)), ("--training", f.training, get_args(Training)),
                                ("--reward", f.rewards, get_args(RewardType)),
                                ("--interaction", f.interaction, get_args(Interaction)),
                                ("--placement", f.placement, get_args(Placement)),
                                ("--venue", f.venues, (*VENUE_FAMILIES, "Workshop", "arXiv", "Other"))):
        for v in values:
            if v not in known and v.casefold() not in {k.casefold() for k in known}:
                errs.append(f"{flag} {v}: unknown value; known: {', '.join(known)}")
    return errs


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(cat, records, fmt: str, limit: int | None = None) -> str:
    from .export import bibtex, csv_text, json_rows

    if limit is not None:
        records = records[:limit]
    if fmt == "json":
        return json.dumps(json_rows(cat, records), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return csv_text(cat, records)
    if fmt == "bibtex":
        return bibtex(cat, records)
    rows = json_rows(cat, records)
    lines = [f"{'id':<34} {'year':<5} {'venue':<12} title"]
    for r in rows:
        lines.append(f"{r['id'][:34]:<34} {str(r['year'] or ''):<5} {(r['venue'] or '')[:12]:<12} {r['title'][:90]}")
    lines.append(f"({len(rows)} {'record' if len(rows) == 1 else 'records'})")
    return "\n".join(lines) + "\n"


# -- commands --------------------------------------------------------------------------------------

def cmd_validate(args) -> int:
    from .problems import CODES

    if args.codes:
        for code, (sev, desc) in CODES.items():
            print(f"{code}  {sev:<7}  {desc}")
        return 0
    cat = _load(args)
    for p in cat.errors:
        print(p)
    warnings = cat.warnings
    if args.warnings:
        for p in warnings:
            print(p)
    n = sum(len(cat.of_kind(k)) for k in ("papers", "environments", "frameworks", "algorithms", "taxonomy"))
    summary = f"{len(cat.errors)} error(s), {len(warnings)} warning(s) in {n} records"
    if warnings and not args.warnings:
        by = Counter(p.code for p in warnings)
        summary += " (" + ", ".join(f"{c}: {k}" for c, k in sorted(by.items())) + "; --warnings lists them)"
    print(summary, file=sys.stderr)
    return 1 if cat.errors else 0


def _query_common(args):
    cat = _load(args, check=False)
    bad = [p for p in cat.problems if p.severity == "error"]
    if bad:
        for p in bad[:20]:
            print(p, file=sys.stderr)
        print(f"the catalog has {len(bad)} error(s); run `rl-atlas validate` (results below skip the broken files)", file=sys.stderr)
    f = _filters(args)
    errs = _check_filter_values(cat, f)
    if errs:
        for e in errs:
            print(f"rl-atlas: {e}", file=sys.stderr)
        return cat, None
    from .query import run_query

    return cat, run_query(cat, f)


def cmd_query(args) -> int:
    cat, recs = _query_common(args)
    if recs is None:
        return 2
    sys.stdout.write(_render(cat, recs, args.format, args.limit))
    return 0


def cmd_export(args) -> int:
    cat, recs = _query_common(args)
    if recs is None:
        return 2
    if args.format == "sqlite":
        from .query import paper_of
        from .sqlite import write_sqlite

        if not args.output:
            print("rl-atlas: --format sqlite needs -o FILE", file=sys.stderr)
            return 2
        papers = {p.id: p for p in (paper_of(cat, r) for r in recs) if p is not None}
        write_sqlite(cat, Path(args.output), papers.values())
        print(f"wrote {len(papers)} papers (and every environment, framework, algorithm and term) to {args.output}", file=sys.stderr)
        return 0
    text = _render(cat, recs, args.format)
    if args.output:
        _atomic_write(Path(args.output), text)
        print(f"wrote {len(recs)} records to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_show(args) -> int:
    from .export import json_row

    cat = _load(args, check=False)
    kind, _, rid = args.id.rpartition(":")
    kinds = {"": "papers", "paper": "papers", "environment": "environments", "framework": "frameworks",
             "algorithm": "algorithms", "capability": "taxonomy", "task": "taxonomy", "taxonomy": "taxonomy"}
    if kind not in kinds or rid not in cat.of_kind(kinds[kind]):
        others = [k for k in ("environments", "frameworks", "algorithms", "taxonomy") if rid in cat.of_kind(k)]
        hint = f"; try {others[0][:-1] if others[0] != 'taxonomy' else 'taxonomy'}:{rid}" if others and not kind else ""
        print(f"rl-atlas: no record {args.id!r}{hint}", file=sys.stderr)
        return 2
    rec = cat.of_kind(kinds[kind])[rid]
    data = rec.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data["id"] = rec.id
    if args.format == "json":
        out = dict(data)
        if kinds[kind] == "papers":
            out["venue_family"] = json_row(cat, rec)["venue_family"]
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    prov = getattr(rec, "provenance", {}) or {}
    path = cat.path_of(kinds[kind], rid)
    print(f"{kinds[kind][:-1] if kinds[kind] != 'taxonomy' else 'term'} {rid}  ({path})")
    for name, value in data.items():
        if name in ("id", "provenance"):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) if not isinstance(v, dict) else "-".join(str(x) for x in v.values()) for v in value)
        elif isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        text = str(value)
        if len(text) > 100 and name in ("summary", "notes", "definition"):
            text = text[:97] + "..."
        src = prov.get(name) or (prov.get("links") if name == "links" else None)
        print(f"  {name:<18} {text}" + (f"\n  {'':<18} source: {', '.join(src)}" if src else ""))
    if kinds[kind] == "papers":
        unsourced = [f for f in ("role", "training", "algorithms", "reward_type", "base_models", "environments",
                                 "frameworks", "interaction") if getattr(rec, f) and f not in prov]
        if unsourced:
            print(f"  (no recorded source for: {', '.join(unsourced)})")
    return 0


def cmd_coverage(args, cat) -> int:
    from .facts import COVERAGE_FIELDS, COVERAGE_FLOORS, coverage, coverage_shortfalls

    cov = coverage(cat)
    short = coverage_shortfalls(cat)
    below_floor = coverage_shortfalls(cat, COVERAGE_FLOORS)
    if args.format == "json":
        print(json.dumps({"coverage": {g: {f: {"have": h, "of": n} for f, (h, n) in fs.items()} for g, fs in cov.items()},
                          "shortfalls": short, "below_floor": below_floor}, indent=2))
        return 1 if below_floor else 0
    cols = COVERAGE_FIELDS
    print(f"{'role':<14} {'n':>4}  " + " ".join(f"{c[:9]:>9}" for c in cols))
    for g in sorted(cov, key=lambda g: (g in ("all", "(no role)"), g)):
        n = next(iter(cov[g].values()))[1]
        print(f"{g:<14} {n:>4}  " + " ".join(f"{(h / n if n else 0):>9.0%}" for h, _ in cov[g].values()))
    print("\ntargets (RL methods: algorithms 95%, base_models 90%, environments 90%; methods: training 98%; every record a role):")
    print("\n".join(f"  MISSED {s}" for s in short) if short else "  all met")
    floors = ", ".join(f"{k} {v:.0%}" for k, v in COVERAGE_FLOORS.items())
    print(f"floors reached so far, which must hold (RL methods: {floors}):")
    print("\n".join(f"  BELOW FLOOR {s}" for s in below_floor) if below_floor else "  all hold")
    return 1 if below_floor else 0


def cmd_stats(args) -> int:
    cat = _load(args, check=False)
    if args.coverage:
        return cmd_coverage(args, cat)
    stats = {
        "kinds": {k: len(cat.of_kind(k)) for k in ("papers", "environments", "frameworks", "algorithms")},
        "capabilities": {c: sum(c in p.capabilities for p in cat.papers.values()) for c in cat.capabilities},
        "tasks": {t: sum(t in p.tasks for p in cat.papers.values()) for t in cat.tasks},
        "years": dict(sorted(Counter(p.year for p in cat.papers.values() if p.year).items())),
        "with_code": sum(bool(p.links.code) for p in cat.papers.values()),
        "roles": dict(Counter(p.role or "(none)" for p in cat.papers.values()).most_common()),
    }
    if args.format == "json":
        print(json.dumps(stats, indent=2))
        return 0
    for section, counts in stats.items():
        if isinstance(counts, int):
            print(f"\n{section}: {counts}")
            continue
        print(f"\n{section}")
        width = max((len(str(k)) for k in counts), default=0)
        for k, v in counts.items():
            print(f"  {str(k):<{width}}  {v:>4}")
    return 0


def cmd_graph(args) -> int:
    from .graph import build_graph, graph_json, graphml_text

    cat = _load(args, check=False)
    g = build_graph(cat)
    text = graphml_text(g) if args.format == "graphml" else graph_json(g) + "\n"
    if args.output:
        _atomic_write(Path(args.output), text)
        print(f"wrote {g.number_of_nodes()} nodes and {g.number_of_edges()} edges to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_related(args) -> int:
    from .graph import build_graph, neighbours, related_papers

    cat = _load(args, check=False)
    g = build_graph(cat)
    ident = args.id
    if ":" in ident:
        node = ident
    elif ident in cat.papers:
        node = f"paper:{ident}"
    else:
        hits = [n for n in g if n.split(":", 1)[1] == ident]
        if len(hits) != 1:
            print(f"rl-atlas: no single record with id {ident!r}" + (f"; did you mean {', '.join(hits)}?" if hits else ""), file=sys.stderr)
            return 2
        node = hits[0]
    if node not in g:
        print(f"rl-atlas: no record {node!r}", file=sys.stderr)
        return 2
    kind, rid = node.split(":", 1)
    result = {"id": node, "neighbours": [], "related_papers": []}
    result["neighbours"] = [{"direction": d, "rel": r, "node": n} for d, r, n in neighbours(g, node)]
    if kind == "paper":
        result["related_papers"] = [{"id": i, "score": s, "title": cat.papers[i].title} for i, s in related_papers(cat, g, rid, args.k)]
    if args.format == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{node}: {g.nodes[node].get('label', '')}")
    for n in result["neighbours"]:
        print(f"  {n['direction']} {n['rel']:<16} {n['node']}")
    if result["related_papers"]:
        print("related papers:")
        for r in result["related_papers"]:
            print(f"  {r['score']:>6.2f}  {r['id']:<32} {r['title'][:70]}")
    return 0


def _read_ids(args) -> list[str]:
    raw = list(args.arxiv)
    if args.from_file:
        for line in Path(args.from_file).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            raw += line.split()
    return raw


def cmd_add(args) -> int:
    """Add one record stub per new arXiv id; skip (and say so) ids already present by id, arXiv id, DOI or title."""
    import yaml

    from . import arxiv
    from .catalog import default_root, load_file
    from .validate import _norm_title

    root = Path(args.catalog) if args.catalog else default_root()
    try:
        raw = _read_ids(args)
    except OSError as exc:
        print(f"rl-atlas add: cannot read {args.from_file}: {exc.strerror}", file=sys.stderr)
        return 2
    if not raw:
        print("rl-atlas add: give --arxiv ID [ID ...] or --from-file FILE", file=sys.stderr)
        return 2
    cat = _load(args, check=False)
    where = {"arxiv": {}, "doi": {}, "title": {}}
    for p in cat.papers.values():
        shown = str(cat.path_of("papers", p.id))
        if p.identifiers.arxiv:
            where["arxiv"][p.identifiers.arxiv] = shown
        if p.identifiers.doi:
            where["doi"][p.identifiers.doi.lower()] = shown
        where["title"][_norm_title(p.title)] = shown
    taken = set(cat.papers)
    added = skipped = failed = 0
    for i, item in enumerate(raw):
        try:
            aid = arxiv.normalise_id(item)
        except arxiv.ArxivError as exc:
            print(f"rl-atlas add: {exc}", file=sys.stderr)
            failed += 1
            continue
        if aid in where["arxiv"]:
            print(f"skipped {aid}: already in the catalog as {where['arxiv'][aid]} (same arXiv id)", file=sys.stderr)
            skipped += 1
            continue
        if i and not args.dry_run:
            time.sleep(3)  # arXiv asks API clients to wait three seconds between calls
        try:
            entry = arxiv.fetch(aid)
        except arxiv.ArxivError as exc:
            print(f"rl-atlas add: {exc}", file=sys.stderr)
            failed += 1
            continue
        dup = (("DOI", where["doi"].get((entry.doi or "").lower())) if entry.doi else (None, None))
        if not dup[1]:
            dup = ("title", where["title"].get(_norm_title(entry.title)))
        if dup[1]:
            print(f"skipped {aid}: already in the catalog as {dup[1]} (same {dup[0]})", file=sys.stderr)
            skipped += 1
            continue
        rec = arxiv.stub_record(entry, taken)
        text = yaml.safe_dump(rec, sort_keys=False, allow_unicode=True, width=120)
        if args.dry_run:
            sys.stdout.write(("---\n" if added else "") + text)
            added += 1
            continue
        path = root / "papers" / f"{rec['id']}.yaml"
        if path.exists():  # suggest_id avoids taken ids, but a broken file may not have loaded
            print(f"rl-atlas add: {path} already exists; not overwriting", file=sys.stderr)
            failed += 1
            continue
        _atomic_write(path, text)
        _, problems = load_file(path, "papers", root)
        if problems:  # never leave a record behind that does not validate
            path.unlink()
            for p in problems:
                print(p, file=sys.stderr)
            failed += 1
            continue
        taken.add(rec["id"])
        where["arxiv"][aid] = str(path)
        where["title"][_norm_title(entry.title)] = str(path)
        print(f"wrote {path}: add its role, training, tags, summary and typed facts, then run `rl-atlas validate`")
        added += 1
    print(f"{added} added, {skipped} skipped as already present, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_schema(args) -> int:
    from .schemas import KINDS

    kinds = [args.kind] if args.kind else list(KINDS)
    if args.write:
        out = Path(args.write)
        for k in kinds:
            _atomic_write(out / f"{k}.schema.json", json.dumps(KINDS[k].model_json_schema(), indent=2) + "\n")
        print(f"wrote {len(kinds)} schema file(s) to {out}/", file=sys.stderr)
        return 0
    data = {k: KINDS[k].model_json_schema() for k in kinds}
    print(json.dumps(data if len(kinds) > 1 else data[kinds[0]], indent=2))
    return 0


def cmd_run(args) -> int:
    from reference_impl.registry import RUNS, take_flag

    if not args.name or args.name in ("-h", "--help"):
        print("usage: rl-atlas run NAME [--quick] [--seed N] [--device auto|cpu|cuda] [--policy tiny|hf] [--model ID]\n"
              "                       [--engine handwritten|trl] [...]\n\nruns:")
        for name, (_, desc) in RUNS.items():
            print(f"  {name:<17} {desc}")
        return 0
    if args.name not in RUNS:
        print(f"rl-atlas run: unknown run {args.name!r}; choose from: {', '.join(RUNS)}", file=sys.stderr)
        return 2
    missing = [m for m in ("torch", "gymnasium") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"rl-atlas run: {' and '.join(missing)} not installed. The reference implementations need the `rl` extra:\n"
              "    pip install -e '.[rl]'        (from a clone of the repository)\n"
              "For a CPU-only torch, install it first: pip install torch --index-url https://download.pytorch.org/whl/cpu",
              file=sys.stderr)
        return 2
    engine, rest = take_flag(args.args, "--engine", "handwritten")
    if engine not in ("handwritten", "trl"):
        print(f"rl-atlas run: --engine must be handwritten or trl, not {engine!r}", file=sys.stderr)
        return 2
    needs = ("transformers", "trl", "datasets") if engine == "trl" else (
        ("transformers", "tokenizers") if take_flag(rest, "--policy", "tiny")[0] == "hf" else ())
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        why = "--engine trl" if engine == "trl" else "--policy hf"
        print(f"rl-atlas run: {why} needs {', '.join(missing)}: pip install -e '.[llm]'", file=sys.stderr)
        return 2
    if engine == "trl":
        from reference_impl.engines import trl_engine

        return int(trl_engine.main(args.name, rest) or 0)
    module_name = RUNS[args.name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        print(f"rl-atlas run: {args.name} is not available ({exc})", file=sys.stderr)
        return 2
    return int(module.main(rest) or 0)


HANDLERS = {"validate": cmd_validate, "query": cmd_query, "export": cmd_export, "show": cmd_show, "stats": cmd_stats, "graph": cmd_graph,
            "related": cmd_related, "add": cmd_add, "schema": cmd_schema, "run": cmd_run}


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not args.command:
        ap.print_help()
        return 0
    try:
        return HANDLERS[args.command](args)
    except BrokenPipeError:  # `rl-atlas query | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
