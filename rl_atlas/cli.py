"""`rl-atlas`: validate, query, export and explore the catalog; run the reference implementations."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

COMMANDS = {
    "validate": "check every record: schema, references, identifiers, links (exit 1 on errors)",
    "query": "filter records and print them as a table, JSON, CSV or BibTeX",
    "export": "write a filtered set to a file (or stdout) as BibTeX, JSON or CSV",
    "stats": "counts by kind, capability, task and year",
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
    g.add_argument("--algorithm", action="append", default=[], metavar="ID", help="algorithm id, e.g. grpo")
    g.add_argument("--since", type=int, metavar="YEAR")
    g.add_argument("--until", type=int, metavar="YEAR")
    g.add_argument("--has-code", action="store_true", help="only records with a code link")
    g.add_argument("--search", action="append", default=[], metavar="TEXT",
                   help="text in title, authors, summary or aliases (every --search must match)")


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
    p.add_argument("--format", required=True, choices=["bibtex", "json", "csv"])
    p.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout); written atomically")

    p = sub.add_parser("stats", help=COMMANDS["stats"], description=COMMANDS["stats"])
    _catalog_arg(p)
    p.add_argument("--format", default="table", choices=["table", "json"])

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
    p.add_argument("--arxiv", required=True, metavar="ID", help="arXiv id or URL, e.g. 2503.09516")
    p.add_argument("--dry-run", action="store_true", help="print the stub instead of writing it")

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
                   search=args.search)


def _check_filter_values(cat, f) -> list[str]:
    """Unknown filter values are almost always typos: say so instead of printing an empty result."""
    errs = []
    for flag, values, known in (("--capability", f.capabilities, cat.capabilities), ("--task", f.tasks, cat.tasks),
                                ("--subcategory", f.subcategories, cat.subcategories),
                                ("--algorithm", f.algorithms, cat.algorithms)):
        for v in values:
            if v not in known:
                errs.append(f"{flag} {v}: unknown id; known: {', '.join(sorted(known))}")
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
    text = _render(cat, recs, args.format)
    if args.output:
        _atomic_write(Path(args.output), text)
        print(f"wrote {len(recs)} records to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_stats(args) -> int:
    cat = _load(args, check=False)
    stats = {
        "kinds": {k: len(cat.of_kind(k)) for k in ("papers", "environments", "frameworks", "algorithms")},
        "capabilities": {c: sum(c in p.capabilities for p in cat.papers.values()) for c in cat.capabilities},
        "tasks": {t: sum(t in p.tasks for p in cat.papers.values()) for t in cat.tasks},
        "years": dict(sorted(Counter(p.year for p in cat.papers.values() if p.year).items())),
        "with_code": sum(bool(p.links.code) for p in cat.papers.values()),
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


def cmd_add(args) -> int:
    import yaml

    from . import arxiv
    from .catalog import default_root, load_file

    root = Path(args.catalog) if args.catalog else default_root()
    try:
        aid = arxiv.normalise_id(args.arxiv)
    except arxiv.ArxivError as exc:
        print(f"rl-atlas add: {exc}", file=sys.stderr)
        return 2
    cat = _load(args, check=False)
    for p in cat.papers.values():
        if p.identifiers.arxiv == aid:
            print(f"rl-atlas add: arXiv {aid} is already in the catalog as {cat.path_of('papers', p.id)}", file=sys.stderr)
            return 1
    try:
        entry = arxiv.fetch(aid)
    except arxiv.ArxivError as exc:
        print(f"rl-atlas add: {exc}", file=sys.stderr)
        return 1
    rec = arxiv.stub_record(entry, set(cat.papers))
    text = yaml.safe_dump(rec, sort_keys=False, allow_unicode=True, width=120)
    if args.dry_run:
        sys.stdout.write(text)
        return 0
    path = root / "papers" / f"{rec['id']}.yaml"
    if path.exists():  # suggest_id avoids taken ids, but a broken file may not have loaded
        print(f"rl-atlas add: {path} already exists; not overwriting", file=sys.stderr)
        return 1
    _atomic_write(path, text)
    _, problems = load_file(path, "papers", root)
    if problems:  # never leave a record behind that does not validate
        path.unlink()
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    print(f"wrote {path}: edit its tags and summary, then run `rl-atlas validate`")
    return 0


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


HANDLERS = {"validate": cmd_validate, "query": cmd_query, "export": cmd_export, "stats": cmd_stats, "graph": cmd_graph,
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
