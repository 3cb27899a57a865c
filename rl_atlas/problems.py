"""Problems found in the catalog: one table of stable codes, and the record of where each problem is.

Codes never change meaning once published; retired codes are not reused. Each code has a failing fixture
under `tests/fixtures/bad/` and a test that expects it.
"""

from __future__ import annotations

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
    "CAT030": ("error", "a reward type is set on a work whose training does not include rl"),
    "CAT031": ("error", "an algorithm's year differs from the year of the paper that introduced it"),
    "CAT032": ("error", "provenance is given for a field that is empty"),
    "CAT033": ("error", "typed facts contradict each other (training, placement, venue year)"),
    "CAT034": ("error", "a note contradicts the record's fields (e.g. names a repository that links.code lacks)"),
    "CAT035": ("error", "an alias is already the title or alias of another, unrelated record"),
    "CAT036": ("warning", "the title and an alias write the same name in different casing"),
    "CAT037": ("warning", "an author name looks damaged (a broken-off lower-case part, or a family name in capitals)"),
    "CAT038": ("warning", "a paper record has no role"),
    "CAT101": ("warning", "a work the survey discusses in a section has no summary"),
    "CAT102": ("warning", "survey bibliography number is not in any record"),
}


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
        return f"{loc}:{fld} {self.message} [{self.code}]"


def rel(path: Path, root: Path) -> str:
    """Path as the user would type it: relative to the current directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        try:
            return str(path.resolve().relative_to(root.resolve().parent))
        except ValueError:
            return str(path)
