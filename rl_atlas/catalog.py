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
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .problems import Problem, rel, short
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


# -- limits ------------------------------------------------------------------------------------------
# Generous for every real record, small enough that no single file can cost much time or memory.
# The schema (schemas/models.py) sets tighter limits on title, summary, notes, authors and aliases.
MAX_FILE_BYTES = 256 * 1024  # the largest record today is under 5 KB; checked before a byte is read
MAX_DEPTH = 16  # records nest 4 deep (a taxonomy term's subcategories -> one of them -> its survey_sections)
MAX_KEY_CHARS = 100  # field names are at most ~20 characters
MAX_TEXT_CHARS = 20_000  # any single value
# The implicit typing rules of yaml.safe_load (int, float, bool, null, timestamp) and its scalar constructors.
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"
_NO_KEY = object()


class _Stop(Exception):
    """A problem that ends the reading of one file: (line, field path, message, code)."""


def _fieldname(path: tuple) -> str:
    return ".".join(str(x) for x in path)


def _scalar(ev, path: tuple) -> Any:
    """The value `yaml.safe_load` gives a scalar without an explicit tag (tags are refused before this)."""
    if not ev.implicit[0]:  # quoted or block scalar: the text as written
        return ev.value
    tag = _RESOLVER.resolve(yaml.ScalarNode, ev.value, (True, False))
    if tag == _STR_TAG:
        return ev.value
    line = ev.start_mark.line + 1
    construct = _CONSTRUCTOR.yaml_constructors.get(tag)
    if construct is None:  # `=` (the YAML 1.1 value key): safe_load cannot build it either
        raise _Stop(line, path, f"malformed YAML: no constructor for {ev.value!r} (tag {tag}); quote it", "CAT001")
    try:
        return construct(_CONSTRUCTOR, yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark))
    except (ValueError, OverflowError, yaml.YAMLError) as exc:  # 2019-13-45, an int of 5,000 digits
        kind = tag.rsplit(":", 1)[-1]
        raise _Stop(line, path, f"malformed YAML: cannot read {short(ev.value)} as {kind} ({exc}); quote it if it is text", "CAT001") from None


def _refuse_features(ev, path: tuple) -> None:
    """Records never need anchors, aliases or tags: refuse them where they stand, before anything is built."""
    line = ev.start_mark.line + 1
    if type(ev) is yaml.AliasEvent:
        raise _Stop(line, path, f"alias *{ev.anchor}: records do not use YAML aliases; write the value out", "CAT021")
    if ev.anchor is not None:
        raise _Stop(line, path, f"anchor &{ev.anchor}: records do not use YAML anchors; write the value out", "CAT021")
    if ev.tag is not None:
        raise _Stop(line, path, f"tag {short(ev.tag)}: records do not use YAML tags; write plain values", "CAT021")
    if type(ev) is yaml.ScalarEvent and ev.implicit[0] and ev.value == "<<":
        raise _Stop(line, path, "merge key <<: records do not use YAML merge keys; write the fields out", "CAT021")


_NODES = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent, yaml.AliasEvent)
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _key(ev, frame: list, lines: dict, problems: list) -> str:
    """Take a mapping key: plain text only, within its limit; a repeated key is reported with both lines."""
    _refuse_features(ev, frame[1])
    line = ev.start_mark.line + 1
    if type(ev) is not yaml.ScalarEvent:
        raise _Stop(line, frame[1], "a key must be plain text, not a list or mapping", "CAT021")
    key = ev.value  # kept as written: `1:` stays the text "1" (an unknown field), never an int
    if len(key) > MAX_KEY_CHARS:
        raise _Stop(line, frame[1], f"a key of {len(key):,} characters (the limit is {MAX_KEY_CHARS})", "CAT024")
    path = frame[1] + (key,)
    if key in frame[0]:
        problems.append((line, path, f"duplicate key {key!r}: also at line {lines[path]}; a key may appear once", "CAT022"))
    else:
        lines[path] = line
    return key


def parse_record(text: str) -> tuple[Any, dict[tuple, int], list[tuple[int, tuple, str, str]]]:
    """Parse one record's YAML from the event stream, refusing what records never need, before it is built.

    Returns (data, lines, problems): data as `yaml.safe_load` would give it (keys are kept as written), `lines`
    maps each key path ("links", "code") and list item path ("authors", 2) to its 1-based line, and each problem
    is (line, field path, message, code). Data is None when there is a problem. Anchors, aliases, tags and merge
    keys stop the parse where they stand (so an alias bomb costs nothing), and so do values past the limits
    above; duplicate keys are all reported. No recursion, so no depth of input can overflow the stack.
    """
    loader = _Loader(text)
    lines: dict[tuple, int] = {}
    problems: list[tuple[int, tuple, str, str]] = []
    # One frame per open collection: [dict or list, its path, the key awaiting its value (mappings only)].
    stack: list[list] = []
    data: Any = None
    docs = 0
    try:
        while True:
            ev = loader.get_event()
            if isinstance(ev, _ENDS):
                stack.pop()
            elif isinstance(ev, _NODES):
                top = stack[-1] if stack else None
                if top is not None and top[2] is _NO_KEY:
                    top[2] = _key(ev, top, lines, problems)
                    continue
                line = ev.start_mark.line + 1
                if top is None:
                    path = ()
                elif type(top[0]) is dict:
                    path = top[1] + (top[2],)
                else:
                    path = top[1] + (len(top[0]),)
                    lines[path] = line
                _refuse_features(ev, path)
                if type(ev) is yaml.ScalarEvent:
                    if len(ev.value) > MAX_TEXT_CHARS:
                        raise _Stop(line, path, f"a value of {len(ev.value):,} characters (the limit for any value is {MAX_TEXT_CHARS:,})", "CAT024")
                    value = _scalar(ev, path)
                elif len(stack) >= MAX_DEPTH:
                    raise _Stop(line, path, f"nested more than {MAX_DEPTH} levels deep (records need 4)", "CAT025")
                else:
                    value = {} if type(ev) is yaml.MappingStartEvent else []
                if top is None:
                    data = value
                elif type(top[0]) is dict:
                    top[0][top[2]] = value
                    top[2] = _NO_KEY
                else:
                    top[0].append(value)
                if type(ev) is not yaml.ScalarEvent:
                    stack.append([value, path, _NO_KEY if type(value) is dict else None])
            elif isinstance(ev, yaml.DocumentStartEvent):
                docs += 1
                if docs > 1:
                    raise _Stop(ev.start_mark.line + 1, (), "malformed YAML: a record file holds one document, found a second", "CAT001")
            elif isinstance(ev, yaml.StreamEndEvent):
                break
    except _Stop as stop:
        problems.append(stop.args)
    finally:
        loader.dispose()
    return (None if problems else data), lines, problems


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
        fieldname = _fieldname(loc) or "(record)"
        p = loc
        line = 1
        while p:
            if p in lines:
                line = lines[p]
                break
            p = p[:-1]
        if e["type"] == "extra_forbidden":
            code, msg = "CAT004", "unknown field"
        elif e["type"] in ("string_too_long", "too_long"):  # the length limits of the schema
            code, msg = "CAT024", e["msg"].replace("\n", " ")
        else:
            code, msg = "CAT003", e["msg"].replace("\n", " ")
            if e["type"] not in ("missing",) and "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {short(e['input'])})"
        out.append(Problem(rel(entry_path, root), line, fieldname, msg, code))
    return out


_TYPES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _file_type(mode: int) -> str:
    return next((name for test, name in _TYPES if test(mode)), "not a regular file")


def _examine(path: Path, root: Path) -> tuple[os.stat_result | None, Problem | None]:
    """lstat one catalog entry without following it. A symbolic link is a problem wherever it points."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        return None, Problem(rel(path, root), 1, "", f"cannot be examined ({exc.strerror})", "CAT027")
    if not stat.S_ISLNK(st.st_mode):
        return st, None
    try:
        target = os.readlink(path)
        real = os.path.realpath(path)
    except (OSError, RuntimeError) as exc:
        return None, Problem(rel(path, root), 1, "", f"a symbolic link that cannot be followed ({exc}); use a plain file", "CAT026")
    if not _inside(real, root):
        return None, Problem(rel(path, root), 1, "", f"a symbolic link to {short(target)}, outside the catalog folder; "
                             "nothing outside catalog/ is read", "CAT028")
    return None, Problem(rel(path, root), 1, "", f"a symbolic link to {short(target)}; records and their folders must be "
                         "plain files and folders", "CAT026")


def _inside(real: str, root: Path) -> bool:
    top = os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


# Open without following a link and without blocking on a FIFO swapped in after the lstat above.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_limited(path: Path, st: os.stat_result, shown: str) -> tuple[bytes | None, Problem | None]:
    """The bytes of a regular file of at most MAX_FILE_BYTES, checked before reading and again while reading."""
    too_big = f"file is {st.st_size:,} bytes; a record may be at most {MAX_FILE_BYTES:,} bytes"
    if st.st_size > MAX_FILE_BYTES:
        return None, Problem(shown, 1, "", too_big, "CAT023")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return None, Problem(shown, 1, "", f"cannot be opened ({exc.strerror})", "CAT027")
    with open(fd, "rb", closefd=True) as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # swapped since the lstat
            return None, Problem(shown, 1, "", f"{_file_type(mode)}, not a regular file", "CAT027")
        raw = fh.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # grew since the lstat
        return None, Problem(shown, 1, "", f"file is over {MAX_FILE_BYTES:,} bytes, the most a record may be", "CAT023")
    return raw, None


def load_file(path: Path, kind: str, root: Path) -> tuple[Entry | None, list[Problem]]:
    """Read one record file. Returns the entry (or None) and the problems found while reading it.

    In order: the path must be a regular file inside the catalog (no link, FIFO, device or folder), named
    `*.yaml`, at most MAX_FILE_BYTES (checked before reading), UTF-8, YAML without anchors, aliases, tags, merge
    or duplicate keys and within the limits above, and then valid for the schema of its kind.
    """
    path = Path(path)
    st, problem = _examine(path, root)
    if problem:
        return None, [problem]
    shown = rel(path, root)
    if not stat.S_ISREG(st.st_mode):
        where = "sub-folders are not read" if stat.S_ISDIR(st.st_mode) else "only regular files are read"
        return None, [Problem(shown, 1, "", f"{_file_type(st.st_mode)}; records are files `{kind}/<id>.yaml` and {where}", "CAT027")]
    if path.suffix not in (".yaml", ".yml"):
        return None, [Problem(shown, 0, "", f"not a YAML record file; records are `{kind}/<id>.yaml`", "CAT002")]
    raw, problem = _read_limited(path, st, shown)
    if problem:
        return None, [problem]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, 1, "", f"cannot be read as UTF-8 ({exc.reason})", "CAT020")]
    if not text.strip():
        return None, [Problem(shown, 1, "", "file is empty", "CAT018")]
    try:
        data, lines, found = parse_record(text)
    except yaml.YAMLError as exc:
        # Point at where the broken construct starts (an unclosed quote), and say where parsing gave up.
        start = getattr(exc, "context_mark", None)
        stop = getattr(exc, "problem_mark", None)
        line = (start or stop).line + 1 if (start or stop) else 1
        if isinstance(exc, yaml.reader.ReaderError):  # a forbidden character (NUL, ESC): its byte offset
            line = raw.count(b"\n", 0, exc.position) + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if problem == "exceeded maximum nesting depth":  # libyaml's own limit (1000), met while looking ahead
            return None, [Problem(shown, line, "", f"nested more than {MAX_DEPTH} levels deep (records need 4)", "CAT025")]
        context = getattr(exc, "context", None)
        msg = f"malformed YAML: {problem}"
        if context and start and stop and start.line != stop.line:
            msg += f" ({context} at line {start.line + 1}; parsing stopped at line {stop.line + 1})"
        return None, [Problem(shown, line, "", msg, "CAT001")]
    if found:
        return None, [Problem(shown, line, _fieldname(fpath), msg, code) for line, fpath, msg, code in found]
    if not isinstance(data, dict):
        return None, [Problem(shown, 1, "", f"a record must be a YAML mapping, got {type(data).__name__}", "CAT002")]
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


def _listing(folder: Path, root: Path) -> tuple[list[Path], Problem | None]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".")), None
    except OSError as exc:
        return [], Problem(rel(folder, root), 1, "", f"cannot be listed ({exc.strerror})", "CAT027")


def load_catalog(root: Path | str | None = None, *, check: bool = True) -> Catalog:
    """Load every record under `root`; with `check`, run the cross-record checks of `validate.py` too.

    `root` itself may be a symbolic link; nothing under it may be one.
    """
    root = Path(root) if root else default_root()
    cat = Catalog(root=root)
    if not root.is_dir():
        cat.problems.append(Problem(str(root), 0, "", "catalog folder not found", "CAT017"))
        return cat
    children, problem = _listing(root, root)
    cat.problems.extend([problem] if problem else [])
    for child in children:
        st, problem = _examine(child, root)
        if problem:
            cat.problems.append(problem)
            continue
        if stat.S_ISREG(st.st_mode):
            if child.name.lower() in ("readme.md", "license", "license.md"):
                continue
            cat.problems.append(Problem(rel(child, root), 0, "", f"files belong in one of the folders {', '.join(KINDS)}", "CAT017"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            cat.problems.append(Problem(rel(child, root), 1, "", f"{_file_type(st.st_mode)}; the catalog holds only the folders {', '.join(KINDS)}", "CAT027"))
            continue
        if child.name not in KINDS:
            cat.problems.append(Problem(rel(child, root), 0, "", f"unknown catalog folder; expected one of {', '.join(KINDS)}", "CAT017"))
            continue
        paths, problem = _listing(child, root)
        cat.problems.extend([problem] if problem else [])
        for path in paths:
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
