"""Hostile records: every case ends in coded problems, quickly and in little memory; never a traceback or a hang.

The four cases of issue 13 run end to end through `python -m rl_atlas.cli validate` on a copy of the real catalog;
the families around them run in-process on the small fixture catalog.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from rl_atlas import CODES, load_catalog
from rl_atlas.catalog import MAX_DEPTH, MAX_FILE_BYTES, MAX_KEY_CHARS, MAX_TEXT_CHARS
from rl_atlas.problems import REFUSED

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^\S+:\d+: (\S+: )?.+ \[CAT\d{3}\]$")  # path:line: field: message [CODE]

# The cases of the issue and the child process that measures them live in the benchmark that prints their timings.
_spec = importlib.util.spec_from_file_location("hostile_input", ROOT / "benchmarks" / "hostile_input.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
BILLION_LAUGHS = bench.BILLION_LAUGHS


def _symlink(link: Path, target) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError) as exc:
        pytest.skip(f"cannot make a symbolic link here: {exc}")


# -- the four cases of the issue, end to end ------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module and symbolic links")
@pytest.mark.parametrize("name", sorted(c for c in bench.CASES if c != "clean"))
def test_issue_case_end_to_end(tmp_path, name):
    cat = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", cat)
    expect, code = bench.make_case(name, cat), bench.CASES[name]
    r, wall, peak_mb = bench.run_validate(cat)
    out = r.stdout + r.stderr
    assert "Traceback" not in out, out[-3000:]
    assert r.returncode == 1, out[-3000:]
    hits = [ln for ln in r.stdout.splitlines() if ln.startswith(f"catalog/{expect}") and ln.endswith(f"[{code}]")]
    assert hits, r.stdout[-3000:]
    assert all(LINE.match(ln) for ln in hits), hits
    assert peak_mb < bench.MEGABYTES, f"{name}: peak memory {peak_mb:.0f} MB"
    assert wall < 60, f"{name}: {wall:.1f} s"  # a hang guard; `benchmarks/hostile_input.py` prints the timings


def test_duplicate_key_no_longer_changes_the_year(tmp_path):
    """The issue's example: Search-R1 never becomes a 2019 work; the record does not load at all."""
    cat = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", cat)
    bench.make_case("duplicate-key", cat)
    loaded = load_catalog(cat, check=False)
    assert "search-r1" not in loaded.papers
    assert [p.code for p in loaded.problems if "search-r1.yaml" in p.path] == ["CAT022"]


# -- the families around them, in-process ---------------------------------------------------------------------

def _deep_block(n: int) -> str:
    return "notes:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, n))


RECORD = "id: {rid}\ntitle: A Hostile Record for the Loader Tests\n"
# name -> (file name under papers/, text, expected code, expected line)
TEXT_CASES = {
    "recursive-alias": ("loop.yaml", "a: &a [*a, *a]\n" + RECORD, "CAT021", 1),
    "alias-bomb": ("laughs.yaml", BILLION_LAUGHS + RECORD, "CAT021", 1),
    "alias-of-a-scalar": ("alias.yaml", RECORD + "venue: &v arXiv\nnotes: *v\n", "CAT021", 3),
    "merge-key-inline": ("merge.yaml", RECORD + "<<: {year: 2019}\n", "CAT021", 3),
    "merge-key-nested": ("merge2.yaml", RECORD + "links:\n  <<: {code: https://github.com/a/b}\n", "CAT021", 4),
    "binary-tag": ("binary.yaml", RECORD + "notes: !!binary aGVsbG8=\n", "CAT021", 3),
    "custom-tag": ("custom.yaml", RECORD + "notes: !custom hello\n", "CAT021", 3),
    "python-tag": ("python.yaml", RECORD + "notes: !!python/object/apply:os.system [echo]\n", "CAT021", 3),
    "tag-directive": ("directive.yaml", "%TAG !e! tag:example.com,2000:\n---\n" + RECORD + "notes: !e!x y\n", "CAT021", 5),
    "non-specific-tag": ("bang.yaml", RECORD + "notes: ! x\n", "CAT021", 3),
    "tagged-mapping": ("tagmap.yaml", RECORD + "links: !!map {code: x}\n", "CAT021", 3),
    "complex-key": ("complex.yaml", RECORD + "? [a, b]\n: c\n", "CAT021", 3),
    "flow-complex-key": ("flowkey.yaml", RECORD + "links: {[a]: b}\n", "CAT021", 3),
    "duplicate-top": ("dup.yaml", RECORD + "year: 2025\nyear: 2019\n", "CAT022", 4),
    "duplicate-nested": ("dupn.yaml", RECORD + "links:\n  code: https://github.com/a/b\n  code: https://github.com/c/d\n", "CAT022", 5),
    "duplicate-quoted": ("dupq.yaml", RECORD + "year: 2025\n'year': 2019\n", "CAT022", 4),
    "duplicate-in-list-item": ("dupl.yaml", RECORD + "xs:\n- {a: 1, a: 2}\n", "CAT022", 4),
    "huge-key": ("hugekey.yaml", RECORD + '"' + "k" * 900 + '": 1\n', "CAT024", 3),
    "huge-implicit-key": ("hugekey3.yaml", RECORD + '"' + "k" * 5000 + '": 1\n', "CAT001", 3),  # libyaml: over 1024
    "huge-explicit-key": ("hugekey2.yaml", RECORD + "? " + "k" * 50_000 + "\n: 1\n", "CAT024", 3),
    "huge-value": ("hugevalue.yaml", RECORD + "venue: " + "v" * (MAX_TEXT_CHARS + 1) + "\n", "CAT024", 3),
    "long-title": ("longtitle.yaml", "id: {rid}\ntitle: " + "T" * 301 + "\n", "CAT024", 2),
    "many-authors": ("authors.yaml", RECORD + "authors: [" + ", ".join(f"A{i}" for i in range(3001)) + "]\n", "CAT024", 3),
    "long-author": ("author.yaml", RECORD + "authors: [" + "A" * 201 + "]\n", "CAT024", 3),
    "many-aliases": ("aliases.yaml", RECORD + "aliases: [" + ", ".join(f"x{i}" for i in range(51)) + "]\n", "CAT024", 3),
    "long-notes": ("notes.yaml", RECORD + "notes: " + "n" * 5001 + "\n", "CAT024", 3),
    "deep-flow-list": ("deepl.yaml", RECORD + "notes: " + "[" * 100_000 + "\n", "CAT025", 3),
    "deep-flow-map": ("deepm.yaml", RECORD + "notes: " + "{a: " * 50_000 + "\n", "CAT025", 3),
    "deep-block": ("deepb.yaml", RECORD + _deep_block(200), "CAT025", 3 + MAX_DEPTH),
    "huge-file": ("big.yaml", RECORD + "summary: " + "s" * MAX_FILE_BYTES + "\n", "CAT023", 1),
    "huge-int": ("bigint.yaml", RECORD + "year: " + "1" * 5000 + "\n", "CAT001", 3),
    "huge-hex-int": ("bighex.yaml", RECORD + "year: 0x" + "f" * 4000 + "\n", "CAT003", 3),  # no digit limit in hex
    "huge-hex-in-list": ("bighexl.yaml", RECORD + "authors: [0x" + "f" * 4000 + "]\n", "CAT003", 3),
    "impossible-date": ("date.yaml", RECORD + "year: 2019-13-45\n", "CAT001", 3),
    "two-documents": ("twodocs.yaml", RECORD + "---\n" + RECORD, "CAT001", 3),
    "value-key": ("equals.yaml", RECORD + "venue: =\n", "CAT001", 3),
    "nul-byte": ("nul.yaml", RECORD + "venue: a\x00b\n", "CAT001", 3),
}


@pytest.fixture
def load_measured(within_budget):
    """load_catalog within the time and memory budget, every problem coded and on one line."""
    return lambda cat: _checked(within_budget(load_catalog, cat))


def _checked(result):
    for p in result.problems:
        assert p.code in CODES and "\n" not in str(p), str(p)
        assert p.code not in REFUSED or LINE.match(str(p)), str(p)  # the refusals always give a line
    return result


def _only(cat, name: str):
    """The problems of one file or folder (paths print as catalog/papers/NAME)."""
    return [p for p in cat.problems if p.path.endswith(f"/{name}")]


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_hostile_text(mini, case, load_measured):
    name, text, code, line = TEXT_CASES[case]
    (mini / "papers" / name).write_text(text.replace("{rid}", name[:-5]), encoding="utf-8")
    cat = load_measured(mini)
    found = _only(cat, name)
    assert found, [str(p) for p in cat.problems]
    assert found[0].code == code and found[0].line == line, [str(p) for p in found]
    assert LINE.match(str(found[0])), str(found[0])
    assert name[:-5] not in cat.papers
    assert "alpha-agent" in cat.papers  # the rest of the catalog still loads


def test_limits_leave_room_for_every_real_record(real_catalog):
    """The limits are generous: no record of the real catalog meets one, nor comes near the size limits."""
    assert not [str(p) for p in real_catalog.problems if p.code in REFUSED]
    longest = max(len(k) for e in real_catalog.entries.values() for path in e.lines for k in path if isinstance(k, str))
    assert longest * 3 < MAX_KEY_CHARS
    assert max(e.path.stat().st_size for e in real_catalog.entries.values()) * 10 < MAX_FILE_BYTES


# -- the file system ------------------------------------------------------------------------------------------

def test_symlinked_folder_outside(mini, tmp_path, load_measured):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "escape.yaml").write_text("id: escape\ntitle: Outside the Catalog\n")
    shutil.rmtree(mini / "frameworks")
    _symlink(mini / "frameworks", outside)
    cat = load_measured(mini)
    assert [p.code for p in _only(cat, "frameworks")] == ["CAT028"]
    assert "escape" not in cat.papers and not cat.frameworks


def test_symlinked_folder_inside(mini, load_measured):
    _symlink(mini / "environments-copy", mini / "environments")
    cat = load_measured(mini)
    assert [p.code for p in _only(cat, "environments-copy")] == ["CAT026"]


def test_symlink_to_a_device_and_a_loop(mini, load_measured):
    _symlink(mini / "papers" / "zero.yaml", "/dev/zero")
    _symlink(mini / "papers" / "loop.yaml", "loop.yaml")
    _symlink(mini / "papers" / "dangling.yaml", "no-such-file.yaml")
    cat = load_measured(mini)
    assert [p.code for p in _only(cat, "zero.yaml")] == ["CAT028"]
    assert [p.code for p in _only(cat, "loop.yaml")] == ["CAT026"]
    assert [p.code for p in _only(cat, "dangling.yaml")] == ["CAT026"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_blocking(mini, load_measured):
    os.mkfifo(mini / "papers" / "pipe.yaml")  # opening it for reading would wait for a writer forever
    os.mkfifo(mini / "algorithms-pipe")
    cat = load_measured(mini)
    assert [p.code for p in _only(cat, "pipe.yaml")] == ["CAT027"]
    assert [p.code for p in _only(cat, "algorithms-pipe")] == ["CAT027"]


def test_device_is_refused(mini, load_measured):
    try:
        os.mknod(mini / "papers" / "null.yaml", 0o600 | __import__("stat").S_IFCHR, os.makedev(1, 3))
    except (OSError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here (not root?): {exc}")
    cat = load_measured(mini)
    assert [p.code for p in _only(cat, "null.yaml")] == ["CAT027"]


def test_folders_named_like_records_and_kinds(mini, load_measured):
    (mini / "papers" / "folder.yaml").mkdir()
    (mini / "papers" / "drafts").mkdir()
    (mini / "papers" / "drafts" / "hidden.yaml").write_text("id: hidden\ntitle: Never Read\n")
    cat = load_measured(mini)
    assert [p.code for p in _only(cat, "folder.yaml")] == ["CAT027"]
    assert [p.code for p in _only(cat, "drafts")] == ["CAT027"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_and_folder(mini, load_measured):
    f = mini / "papers" / "secret.yaml"
    f.write_text("id: secret\ntitle: Nobody May Read This\n")
    f.chmod(0)
    (mini / "environments").chmod(0)
    try:
        cat = load_measured(mini)
    finally:
        (mini / "environments").chmod(0o755)
    assert [p.code for p in _only(cat, "secret.yaml")] == ["CAT027"]
    assert [p.code for p in _only(cat, "environments")] == ["CAT027"]


@pytest.mark.skipif(sys.platform == "win32", reason="such names are not allowed there")
def test_odd_file_names_print_on_one_line(mini, load_measured):
    for name in ("new\nline.yaml", "esc\x1b[31m.yaml", "tab\t.yaml"):
        (mini / "papers" / name).write_text("id: odd\ntitle: An Odd Name\n")
    cat = load_measured(mini)
    odd = [str(p) for p in cat.problems if p.code == "CAT005"]
    assert len(odd) == 3 and all("\n" not in s and "\x1b" not in s for s in odd), odd
