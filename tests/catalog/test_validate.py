"""Every problem code has a failing fixture; each is reported with file, line and field, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rl_atlas import CODES, load_catalog

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

BAD = FIXTURES / "bad"


def overlay(mini: Path, code: str) -> Path:
    """Copy a fixture's files over the mini catalog, then make what git should not hold (its `special` file):
    `symlink PATH TARGET` makes a symbolic link; `pad PATH N` appends N letters to the file's last line."""
    src = BAD / code
    for f in src.rglob("*"):
        if f.is_file() and f.name not in ("expect", "special"):
            dst = mini / f.relative_to(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dst)
    special = src / "special"
    for line in special.read_text().splitlines() if special.exists() else []:
        op, *args = line.split()
        if op == "symlink":
            try:
                (mini / args[0]).symlink_to(args[1])
            except (OSError, NotImplementedError) as exc:
                pytest.skip(f"cannot make a symbolic link here: {exc}")
        elif op == "pad":
            with open(mini / args[0], "a", encoding="utf-8") as fh:
                fh.write("abcdefghij" * (int(args[1]) // 10) + "\n")
        elif not op.startswith("#"):
            raise ValueError(f"{special}: unknown operation {op!r}")
    return mini


def test_every_code_has_a_fixture():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(CODES)


def test_fixture_catalog_is_clean(mini):
    cat = load_catalog(mini)
    assert cat.errors == []
    assert {p.code for p in cat.warnings} == {"CAT102"}  # the fixture claims only refs 1 and 2


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_is_reported_at_file_and_line(mini, code):
    cat = load_catalog(overlay(mini, code))
    expect = (BAD / code / "expect").read_text().strip()
    hits = [p for p in cat.problems if p.code == code]
    assert hits, f"{code} not reported; got {[str(p) for p in cat.problems]}"
    rendered = [str(p) for p in hits]
    assert any(expect in r for r in rendered), rendered
    # nothing else broke: the other records still loaded
    assert "alpha-agent" in cat.papers


@pytest.mark.parametrize("code", sorted(c for c in CODES if CODES[c][0] == "error"))
def test_cli_exits_1_and_prints_no_traceback(mini, code):
    overlay(mini, code)
    r = subprocess.run([sys.executable, "-m", "rl_atlas", "validate", "--catalog", str(mini)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stdout + r.stderr
    assert f"[{code}]" in r.stdout


def test_all_problems_are_collected_not_just_the_first(mini):
    for code in ("CAT001", "CAT004", "CAT008", "CAT012"):
        overlay(mini, code)
    codes = {p.code for p in load_catalog(mini).problems}
    assert {"CAT001", "CAT004", "CAT008", "CAT012"} <= codes


def test_yaml_is_loaded_safely(mini):
    (mini / "papers" / "evil.yaml").write_text('id: evil\ntitle: !!python/object/apply:os.system ["echo pwned"]\n')
    cat = load_catalog(mini)
    assert "evil" not in cat.papers
    assert any(p.code == "CAT021" and "evil.yaml" in p.path and p.line == 2 for p in cat.problems)  # the tag is refused


def test_clean_catalog_exits_0(mini):
    r = subprocess.run([sys.executable, "-m", "rl_atlas", "validate", "--catalog", str(mini)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 error(s)" in r.stderr


def test_an_organisation_as_author_is_not_a_damaged_name(mini):
    """CAT037 flags a broken-off lower-case part ("Shuq uan Lian"), but an organisation's name has lower-case words
    of its own ("Mathematical Association of America", the author of the AMC and AIME records)."""
    record = overlay(mini, "CAT037") / "papers" / "broken-author.yaml"
    record.write_text(record.read_text().replace("[Ada Lovelace, Shuq uan Lian]",
                                                 "[Mathematical Association of America, Shuq uan Lian]"))
    flagged = [p for p in load_catalog(mini).problems if p.code == "CAT037"]
    assert [p.field for p in flagged] == ["authors.1"], [str(p) for p in flagged]


def test_related_records_may_share_a_link(mini):
    cat = load_catalog(overlay(mini, "CAT015"))
    assert any(p.code == "CAT015" for p in cat.problems)
    shared = mini / "papers" / "shared-link.yaml"
    shared.write_text(shared.read_text() + "related: [alpha-agent]\n")
    assert not any(p.code == "CAT015" for p in load_catalog(mini).problems)


def test_site_build_stops_on_refused_files_with_the_same_messages(mini, tmp_path, monkeypatch):
    """`mkdocs build` refuses what `rl-atlas validate` refuses: exit 1, the same coded lines, no traceback."""
    pytest.importorskip("mkdocs")
    from rl_atlas.problems import REFUSED

    for code in sorted(REFUSED):
        overlay(mini, code)
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)  # paths print relative to the current folder: the same one as the build's below
    expected = [str(p) for p in load_catalog(mini).problems if p.code in REFUSED]
    assert {p.split("[")[-1] for p in expected} == {f"{c}]" for c in REFUSED}
    env = dict(os.environ, RL_ATLAS_CATALOG=str(mini), NO_MKDOCS_2_WARNING="1")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d",
                        str(tmp_path / "site")], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    for line in expected:
        assert line in out, (line, out[-3000:])
