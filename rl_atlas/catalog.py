"""Loading the catalog: YAML files -> validated Pydantic records, with the line of every field.

Loading never raises on bad input. Every file that cannot be read, parsed or validated becomes a `Problem`
(see `problems.py`), the rest of the catalog still loads, and the caller decides what to do.

    from rl_atlas import load_catalog
    cat = load_catalog()            # the repository's catalog/
    cat.papers["search-r1"].title
    cat.problems                    # list of Problem
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .problems import Problem, rel
from .schemas import KINDS, Algorithm, Environment, Framework, Paper, TaxonomyTerm

try:  # the C loader is several times faster; fall back to the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader


def default_root() -> Path:
    """The catalog folder: $RL_ATLAS_CATALOG, else ./catalog, else the one beside this package."""
    env = os.environ.get("RL_ATLAS_CATALOG")
    if env:
        return Path(env)
    here = Path.cwd() / "catalog"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "catalog"


def _node_lines(node: yaml.Node, prefix: tuple = ()) -> dict[tuple, int]:
    """Map each key path ("links", "code") or list index path ("authors", 2) to its 1-based line."""
    out: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            path = prefix + (k.value,)
            out[path] = k.start_mark.line + 1
            out.update(_node_lines(v, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            path = prefix + (i,)
            out[path] = v.start_mark.line + 1
            out.update(_node_lines(v, path))
    return out


@dataclass
class Entry:
    """A record together with where it came from."""

    kind: str
    record: Any
    path: Path
    lines: dict[tuple, int]

    def line(self, *fieldpath) -> int:
        """Line of a field (or of the closest enclosing field that has one); 1 if unknown."""
        p = tuple(fieldpath)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return 1


@dataclass
class Catalog:
    root: Path
    papers: dict[str, Paper] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    algorithms: dict[str, Algorithm] = field(default_factory=dict)
    taxonomy: dict[str, TaxonomyTerm] = field(default_factory=dict)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    # -- lookups ---------------------------------------------------------------------------------
    def of_kind(self, kind: str) -> dict[str, Any]:
        return getattr(self, kind)

    @property
    def capabilities(self) -> dict[str, TaxonomyTerm]:
        return {k: t for k, t in sorted(self.taxonomy.items(), key=lambda kv: kv[1].order) if t.kind == "capability"}

    @property
    def tasks(self) -> dict[str, TaxonomyTerm]:
        return {k: t for k, t in sorted(self.taxonomy.items(), key=lambda kv: kv[1].order) if t.kind == "task"}

    @property
    def subcategories(self) -> dict[str, tuple[str, Any]]:
        """sub-category id -> (parent term id, Subcategory)."""
        return {s.id: (t.id, s) for t in self.taxonomy.values() for s in t.subcategories}

    def path_of(self, kind: str, rid: str) -> Path | None:
        e = self.entries.get((kind, rid))
        return e.path if e else None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _pydantic_problems(err: ValidationError, entry_path: Path, lines: dict, root: Path) -> list[Problem]:
    out = []
    for e in err.errors():
        loc = tuple(e["loc"])
        fieldname = ".".join(str(x) for x in loc) or "(record)"
        p = loc
        line = 1
        while p:
            if p in lines:
                line = lines[p]
                break
            p = p[:-1]
        if e["type"] == "extra_forbidden":
            code, msg = "CAT004", "unknown field"
        else:
            code, msg = "CAT003", e["msg"].replace("\n", " ")
            if e["type"] not in ("missing",) and "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {e['input']!r})"
        out.append(Problem(rel(entry_path, root), line, fieldname, msg, code))
    return out


def load_file(path: Path, kind: str, root: Path) -> tuple[Entry | None, list[Problem]]:
    """Read one record file. Returns the entry (or None) and the problems found while reading it."""
    shown = rel(path, root)
    if path.suffix not in (".yaml", ".yml"):
        return None, [Problem(shown, 0, "", f"not a YAML record file; records are `{kind}/<id>.yaml`", "CAT002")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, 1, "", f"cannot be read as UTF-8 ({exc.reason})", "CAT020")]
    if not text.strip():
        return None, [Problem(shown, 1, "", "file is empty", "CAT018")]
    try:
        loader = _Loader(text)  # parse once: the node tree gives lines, the same tree gives the data
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        # Point at where the broken construct starts (an unclosed quote), and say where parsing gave up.
        start = getattr(exc, "context_mark", None)
        stop = getattr(exc, "problem_mark", None)
        line = (start or stop).line + 1 if (start or stop) else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        msg = f"malformed YAML: {problem}"
        if context and start and stop and start.line != stop.line:
            msg += f" ({context} at line {start.line + 1}; parsing stopped at line {stop.line + 1})"
        return None, [Problem(shown, line, "", msg, "CAT001")]
    if not isinstance(data, dict):
        return None, [Problem(shown, 1, "", f"a record must be a YAML mapping, got {type(data).__name__}", "CAT002")]
    lines = _node_lines(node)
    model = KINDS[kind]
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        return None, _pydantic_problems(exc, path, lines, root)
    entry = Entry(kind, record, path, lines)
    problems = []
    if record.id != path.stem:
        problems.append(Problem(shown, entry.line("id"), "id", f"id {record.id!r} does not match the file name {path.name!r}", "CAT005"))
    return entry, problems


def load_catalog(root: Path | str | None = None, *, check: bool = True) -> Catalog:
    """Load every record under `root`; with `check`, run the cross-record checks of `validate.py` too."""
    root = Path(root) if root else default_root()
    cat = Catalog(root=root)
    if not root.is_dir():
        cat.problems.append(Problem(str(root), 0, "", "catalog folder not found", "CAT017"))
        return cat
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_file():
            if child.name.lower() in ("readme.md", "license", "license.md"):
                continue
            cat.problems.append(Problem(rel(child, root), 0, "", f"files belong in one of the folders {', '.join(KINDS)}", "CAT017"))
            continue
        if child.name not in KINDS:
            cat.problems.append(Problem(rel(child, root), 0, "", f"unknown catalog folder; expected one of {', '.join(KINDS)}", "CAT017"))
            continue
        for path in sorted(child.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            entry, problems = load_file(path, child.name, root)
            cat.problems.extend(problems)
            if entry is None:
                continue
            key = (child.name, entry.record.id)
            if key in cat.entries:
                first = cat.entries[key]
                cat.problems.append(Problem(rel(path, root), entry.line("id"), "id",
                                            f"duplicate id {entry.record.id!r}, also in {rel(first.path, root)}", "CAT006"))
                continue
            cat.entries[key] = entry
            cat.of_kind(child.name)[entry.record.id] = entry.record
    if check:
        from .validate import check_catalog

        cat.problems.extend(check_catalog(cat))
    cat.problems.sort()
    return cat
