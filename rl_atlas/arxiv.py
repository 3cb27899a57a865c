"""A small client for the arXiv export API, used by `rl-atlas add --arxiv ID`.

It asks `https://export.arxiv.org/api/query?id_list=ID`, reads the Atom feed, and turns the entry into a
paper-record stub (title, authors, year, identifiers, links). The abstract is deliberately not copied:
summaries in the catalog are written by contributors in their own words.
"""

from __future__ import annotations

import datetime
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass

API = "https://export.arxiv.org/api/query"
NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
ID_RE = re.compile(r"^(?:arXiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")
USER_AGENT = "agentic-rl-atlas/0.1 (rl-atlas add; +https://arxiv.org/help/api)"


class ArxivError(Exception):
    """Anything that stops a lookup, with a message fit for the user."""


@dataclass
class ArxivEntry:
    arxiv_id: str
    title: str
    authors: list[str]
    published_year: int
    doi: str | None
    journal_ref: str | None
    comment: str | None


def normalise_id(raw: str) -> str:
    """'arXiv:2503.09516v2' or an abs/pdf URL -> '2503.09516'. Raises ArxivError when it is not an arXiv id."""
    raw = raw.strip()
    m = re.search(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:\.pdf)?$", raw)
    if m:
        raw = m.group(1)
    m = ID_RE.match(raw)
    if not m:
        raise ArxivError(f"{raw!r} is not an arXiv id (expected something like 2503.09516)")
    return m.group(1)


def _text(el, path: str) -> str | None:
    found = el.find(path, NS)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split())


def parse_feed(xml_text: str, arxiv_id: str) -> ArxivEntry:
    """Read the Atom feed the API returns for one id."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ArxivError(f"the arXiv API returned something that is not XML ({exc})") from None
    for entry in root.findall("atom:entry", NS):
        entry_id = _text(entry, "atom:id") or ""
        title = _text(entry, "atom:title")
        if not title or title == "Error" or "/api/errors" in entry_id:
            summary = _text(entry, "atom:summary") or "unknown error"
            raise ArxivError(f"arXiv has no paper {arxiv_id}: {summary}")
        m = re.search(r"abs/(.+?)(v\d+)?$", entry_id)
        if not m or m.group(1) != arxiv_id:
            continue
        published = _text(entry, "atom:published") or ""
        authors = [n for n in (_text(a, "atom:name") for a in entry.findall("atom:author", NS)) if n]
        return ArxivEntry(arxiv_id=arxiv_id, title=title, authors=authors,
                          published_year=int(published[:4]) if published[:4].isdigit() else 0,
                          doi=_text(entry, "arxiv:doi"), journal_ref=_text(entry, "arxiv:journal_ref"),
                          comment=_text(entry, "arxiv:comment"))
    raise ArxivError(f"arXiv returned no entry for {arxiv_id}")


def fetch(arxiv_id: str, *, timeout: float = 20.0, retries: int = 2, opener=urllib.request.urlopen) -> ArxivEntry:
    """Look one id up. `opener` is injectable so tests can replay a recorded response without the network."""
    arxiv_id = normalise_id(arxiv_id)
    url = f"{API}?{urllib.parse.urlencode({'id_list': arxiv_id, 'max_results': 1})}"
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            with opener(req, timeout=timeout) as resp:
                body = resp.read().decode("utf-8")
            return parse_feed(body, arxiv_id)
        except urllib.error.HTTPError as exc:
            last = exc
            if exc.code not in (429, 500, 502, 503):
                break
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = exc
        if attempt < retries:
            time.sleep(3 * (attempt + 1))  # arXiv asks clients to wait between requests
    raise ArxivError(f"could not reach the arXiv API for {arxiv_id}: {last}")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def suggest_id(entry: ArxivEntry, taken: set[str]) -> str:
    """A method-name id when the title starts with one ("Search-R1: ..."), else surname+year+first word."""
    head = entry.title.split(":", 1)[0] if ":" in entry.title else ""
    if head and len(head.split()) <= 3:
        base = slug(head)
    else:
        surname = entry.authors[0].split()[-1] if entry.authors else "anon"
        words = [w for w in re.findall(r"[A-Za-z0-9]+", entry.title) if len(w) > 3][:2]
        base = slug(f"{surname}{entry.published_year} {' '.join(words)}")
    cand, i = base, 2
    while cand in taken:
        cand, i = f"{base}-{i}", i + 1
    return cand


def stub_record(entry: ArxivEntry, taken: set[str]) -> dict:
    """A paper record that validates; the curator adds tags, summary and links afterwards."""
    rec: dict = {
        "id": suggest_id(entry, taken),
        "type": "paper",
        "title": entry.title,
        "authors": entry.authors,
        "year": entry.published_year or None,
        "venue": "arXiv",
        "identifiers": {"arxiv": entry.arxiv_id},
        "links": {"paper": f"https://arxiv.org/abs/{entry.arxiv_id}"},
    }
    if entry.doi:
        rec["identifiers"]["doi"] = entry.doi
    notes = ["Stub written by `rl-atlas add` from the arXiv API; add tags, a summary in your own words and links."]
    if entry.journal_ref:
        notes.append(f"arXiv journal reference: {entry.journal_ref}.")
    rec["notes"] = " ".join(notes)
    rec["placement"] = "atlas"  # the survey does not cite it (else it would already be in the catalog)
    rec["added"] = datetime.date.today().isoformat()
    rec["provenance"] = {"title": [f"arxiv:{entry.arxiv_id}"], "authors": [f"arxiv:{entry.arxiv_id}"]}
    if rec["year"] is None:
        del rec["year"]
    else:
        rec["provenance"]["year"] = [f"arxiv:{entry.arxiv_id}"]
    return rec
