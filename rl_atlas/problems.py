"""Problems found in the catalog: one table of stable codes, and the record of where each problem is.

Codes never change meaning once published; retired codes are not reused. Each code has a failing fixture
under `tests/fixtures/bad/` and a test that expects it.
"""

from __future__ import annotations

import os
import re
import reprlib
from dataclasses import dataclass
from pathlib import Path

# code: (severity, short description)
CODES: dict[str, tuple[str, str]] = {
    "CAT001": ("error", "malformed YAML"),
    "CAT002": ("error", "not a YAML record file (wrong extension, or the document is not a mapping)"),
    "CAT003": ("error", "field has the wrong type or value, or a required field is missing"),
    "CAT004": ("error", "unknown field"),
    "CAT005": ("error", "id does not match the file name"),
    "CAT006": ("error", "duplicate id"),
    "CAT007": ("error", "unknown taxonomy term (capability, task or sub-category)"),
    "CAT008": ("error", "dangling reference to a record that does not exist"),
    "CAT009": ("error", "duplicate arXiv id"),
    "CAT010": ("error", "duplicate DOI"),
    "CAT011": ("error", "duplicate title"),
    "CAT012": ("error", "code link is not on a code host"),
    "CAT013": ("error", "link is not https"),
    "CAT014": ("error", "identifier has an invalid format"),
    "CAT015": ("error", "the same link is used by two unrelated records"),
    "CAT016": ("error", "survey bibliography number is out of range or claimed by two records"),
    "CAT017": ("error", "file is in an unknown catalog folder"),
    "CAT018": ("error", "file is empty"),
    "CAT019": ("error", "sub-category does not belong to any of the record's capabilities or tasks"),
    "CAT020": ("error", "file cannot be read as UTF-8 text"),
    # The loader refuses these before it builds anything from the file (see CONTRIBUTING.md); the site build stops.
    "CAT021": ("error", "YAML feature records never use: anchor, alias, merge key (<<), explicit tag, or a key that is not text"),
    "CAT022": ("error", "duplicate key in a mapping"),
    "CAT023": ("error", "file is larger than a record may be (checked before it is read)"),
    "CAT024": ("error", "value is longer than its limit (text, list or key)"),
    "CAT025": ("error", "collections nested deeper than a record may be"),
    "CAT026": ("error", "symbolic link in the catalog"),
    "CAT027": ("error", "not a regular, readable file (a folder, FIFO, device or socket where a record belongs)"),
    "CAT028": ("error", "path resolves outside the catalog folder"),
    "CAT030": ("error", "a reward type is set on a work whose training does not include rl"),
    "CAT031": ("error", "an algorithm's year differs from the year of the paper that introduced it"),
    "CAT032": ("error", "provenance is given for a field that is empty"),
    "CAT033": ("error", "typed facts contradict each other (training, placement, venue year)"),
    "CAT034": ("error", "a note contradicts the record's fields (e.g. names a repository that links.code lacks)"),
    "CAT035": ("error", "an alias is already the title or alias of another, unrelated record"),
    "CAT036": ("warning", "the title and an alias write the same name in different casing"),
    "CAT037": ("warning", "an author name looks damaged (a broken-off lower-case part, or a family name in capitals)"),
    "CAT038": ("warning", "a paper record has no role"),
    "CAT039": ("error", "a record the atlas adds gives a typed fact without its source (provenance)"),
    "CAT040": ("error", "a fact (typed or bibliographic: title, authors, year, venue, links, tags, ...) is cited only to AI-generated summaries or digests (secondary pages), not to a primary source"),
    "CAT101": ("warning", "a work the survey discusses in a section has no summary"),
    "CAT102": ("warning", "survey bibliography number is not in any record"),
}

# Input the loader refuses outright, perhaps hostile: `mkdocs build` stops on these instead of building without them.
REFUSED = frozenset({"CAT021", "CAT022", "CAT023", "CAT024", "CAT025", "CAT026", "CAT027", "CAT028"})

# Characters that would break the one-problem-per-line output or play tricks on a terminal (ESC) or an editor.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class _Short(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        # A YAML hex or octal literal can hold an integer whose decimal form Python refuses to write (over 4300
        # digits: ValueError); name its size instead.
        return f"<{x.bit_length()}-bit integer>" if x.bit_length() > 1024 else super().repr_int(x, level)


_SHORT = _Short()
_SHORT.maxstring = _SHORT.maxother = 80


def short(value: object) -> str:
    """repr() cut to about 80 characters, for quoting input in a message."""
    return _SHORT.repr(value)


def _one_line(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True, order=True)
class Problem:
    """One finding, printed as `path:line: field: message [CODE]`."""

    path: str
    line: int
    field: str
    message: str
    code: str

    @property
    def severity(self) -> str:
        return CODES[self.code][0]

    def __str__(self) -> str:
        loc = f"{self.path}:{self.line}" if self.line else self.path
        fld = f" {self.field}:" if self.field else ""
        return _one_line(f"{loc}:{fld} {self.message} [{self.code}]")


def rel(path: Path, root: Path) -> str:
    """Path as the user would type it: relative to the current directory when possible. A symbolic link is
    shown where it is, not where it points."""
    path = Path(path)
    real = Path(os.path.realpath(path.parent)) / path.name
    try:
        return str(real.relative_to(Path.cwd().resolve()))
    except ValueError:
        try:
            return str(real.relative_to(Path(root).resolve().parent))
        except ValueError:
            return str(path)
