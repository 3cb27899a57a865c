"""When each record joined the atlas: its `added` field, else the day git first saw its file.

    added_dates(cat) -> {(kind, id): date}

The git dates come from one `git log` call over the catalog folder at build time (`--diff-filter=A`: the commit
that added each file; the oldest one wins if a file was added, removed and added again). Without git, outside a
work tree, or in a shallow copy that lacks the history, a record simply has no date: the build never fails for it.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

KINDS = ("papers", "environments", "frameworks", "algorithms")


def git_added_dates(root: Path) -> dict[str, dt.date]:
    """{path relative to `root`: date of the commit that first added it}, or {} when git cannot tell."""
    try:
        proc = subprocess.run(
            ["git", "log", "--relative", "--diff-filter=A", "--no-renames", "--format=%x00%as", "--name-only", "--", "."],
            cwd=root, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    if proc.returncode != 0:
        return {}
    out: dict[str, dt.date] = {}
    day = None
    for line in proc.stdout.splitlines():  # newest commit first: later (older) lines overwrite
        if line.startswith("\x00"):
            try:
                day = dt.date.fromisoformat(line[1:].strip())
            except ValueError:
                day = None
        elif line.strip() and day is not None:
            out[line.strip()] = day
    return out


def added_dates(cat) -> dict[tuple[str, str], dt.date]:
    """{(kind, record id): date added} for every record that has a date (`added` first, then git)."""
    root = Path(cat.root)
    from_git = git_added_dates(root) if root.is_dir() else {}
    out: dict[tuple[str, str], dt.date] = {}
    for kind in KINDS:
        for rid, rec in cat.of_kind(kind).items():
            day = getattr(rec, "added", None) or from_git.get(f"{kind}/{rid}.yaml")
            if day is not None:
                out[(kind, rid)] = day
    return out
