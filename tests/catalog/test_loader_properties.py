"""Property tests of the record loader (hypothesis): random YAML-ish text, random bytes and random mutations of
real records each load cleanly or give coded problems, one line each, quickly and in little memory.

The number of examples is kept modest so that the file runs in seconds on a small shared machine; hypothesis
draws new examples on every run and replays any failure it has seen from its local database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rl_atlas import CODES
from rl_atlas.catalog import MAX_TEXT_CHARS, load_file, parse_record

ROOT = Path(__file__).resolve().parents[2]
REAL = sorted((ROOT / "catalog").glob("*/*.yaml"))
LINE = re.compile(r"^\S+:\d+: (\S+: )?.+ \[CAT\d{3}\]$")  # path:line: field: message [CODE]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Pieces of YAML syntax, the features records must not use, and values that have broken loaders before.
TOKENS = [
    "\n", "  ", " ", "- ", ": ", ":", "id", "title", "year", "authors", "links", "code", "summary", "[", "]", "{", "}",
    ", ", "? ", "&a ", "*a", "&b ", "*b", "<<: ", "!!binary ", "!custom ", "!!str ", "! ", "!!python/object:os.system ",
    "%TAG !e! tag:e.com,2000:\n", "%YAML 1.1\n", "---\n", "...\n", "|\n", ">-\n", "'", '"', "#", "\t", "\x00", "\x1b",
    "\r\n", "\ufeff", "\u2028", "é", "2019", "2019-13-45", "0x1F", "1e999", ".nan", "~", "null", "yes", "=", "\\",
    "search-r1", "https://github.com/a/b", "1" * 5000, "[" * 200, "{a: " * 200, "x" * (MAX_TEXT_CHARS + 1),
]
yamlish = st.lists(st.one_of(st.sampled_from(TOKENS), st.characters(codec="utf-8")), max_size=60).map("".join)

BOMB = 'a0: &a0 "lol"\n' + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10))
_TEXTS: dict[Path, str] = {}


@st.composite
def mutated_record(draw) -> tuple[str, str, bytes]:
    """A real record with one to four random edits: lines inserted, repeated, swapped, cut or re-indented,
    YAML pieces dropped in, the text truncated, or a byte flipped. Returns (kind, file name, bytes)."""
    path = draw(st.sampled_from(REAL))
    text = _TEXTS.setdefault(path, path.read_text(encoding="utf-8"))
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["token", "repeat", "swap", "delete", "indent", "dedent", "alias", "bomb", "truncate"]))
        if op == "token":
            col = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:col] + draw(st.sampled_from(TOKENS)) + lines[i][col:]
        elif op == "repeat":
            lines.insert(i, lines[j])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i].lstrip()
        elif op == "alias" and ": " in lines[i]:
            lines[i] = lines[i].replace(": ", ": &x ", 1)
            lines.insert(j + 1 if j >= i else i + 1, "extra: *x\n")
        elif op == "bomb":
            lines.insert(0, BOMB)
        elif op == "truncate":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    raw = "".join(lines).encode("utf-8")
    if raw and draw(st.booleans()) and draw(st.booleans()):  # one time in four: a flipped byte
        k = draw(st.integers(0, len(raw) - 1))
        raw = raw[:k] + bytes([draw(st.integers(0, 255))]) + raw[k + 1:]
    return path.parent.name, path.name, raw


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _check_file(within_budget, workdir: Path, kind: str, name: str, raw: bytes) -> None:
    """Write `raw` as a record of `kind` and load it within the budget (2 s, 50 MB); it loads, or every problem is
    coded and on one line."""
    root = workdir / "catalog"
    (root / kind).mkdir(parents=True, exist_ok=True)
    path = root / kind / name
    path.write_bytes(raw)
    entry, problems = within_budget(load_file, path, kind, root)
    assert entry is not None or problems, "a record was dropped without a word"
    for p in problems:
        shown = str(p)
        assert p.code in CODES, shown
        assert LINE.match(shown), repr(shown)  # one line, with a line number
        assert p.path.endswith(f"{kind}/{name}"), shown
        assert 1 <= p.line <= len(raw.decode("utf-8", "replace").splitlines()) + 1, shown


@SETTINGS
@given(text=yamlish)
def test_yamlish_text_loads_or_gives_coded_problems(within_budget, workdir, text):
    _check_file(within_budget, workdir, "papers", "case.yaml", text.encode("utf-8"))


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_random_bytes_load_or_give_coded_problems(within_budget, workdir, raw):
    _check_file(within_budget, workdir, "papers", "case.yaml", raw)


@SETTINGS
@given(case=mutated_record())
def test_mutated_real_records_load_or_give_coded_problems(within_budget, workdir, case):
    _check_file(within_budget, workdir, *case)


def _plain(data) -> bool:
    """Whether every mapping key is text (the loader keeps keys as written; safe_load may turn `1:` into an int)."""
    if isinstance(data, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in data.items())
    if isinstance(data, list):
        return all(_plain(v) for v in data)
    return True


@SETTINGS
@given(text=yamlish)
def test_what_the_loader_accepts_reads_as_safe_load_reads_it(text):
    """The loader reads a subset of YAML, and reads it as `yaml.safe_load` does with the same (C) parser."""
    try:
        data, _, problems = parse_record(text)
    except yaml.YAMLError:
        return
    if problems:
        return
    expected = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # no alias got this far
    if _plain(expected):
        assert _exact(data) == _exact(expected)


def _exact(data):
    """A form that tells 1 from 1.0 and True, as repr does, but also writes integers whose decimal form Python
    refuses (a hex literal of over 4300 digits: repr raises ValueError); hex() has no such limit."""
    if isinstance(data, dict):
        return [(repr(k), _exact(v)) for k, v in data.items()]  # in order, as repr keeps it
    if isinstance(data, list):
        return [_exact(v) for v in data]
    if type(data) is int:
        return ("int", hex(data))
    return repr(data)
