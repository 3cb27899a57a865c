"""Exports: JSON rows, CSV and BibTeX (written through bibtexparser v2).

BibTeX keys are the record ids: unique by construction and never renamed, so a key cited today still
resolves after the catalog grows, and exporting a subset gives the same keys as exporting everything.
"""

from __future__ import annotations

import csv
import io
import re

import bibtexparser
from bibtexparser.model import Entry, Field

from .query import paper_of, year_of

CONFERENCES = {"NeurIPS", "ICLR", "ICML", "ACL", "EMNLP", "NAACL", "COLING", "Findings of ACL", "Findings of EMNLP",
               "Findings of NAACL", "COLM", "CVPR", "ICCV", "ECCV", "AAAI", "IJCAI", "CoRL", "AISTATS", "EuroSys", "KDD",
               "SIGIR", "WWW", "MLSys"}


def json_row(cat, rec) -> dict:
    """One record as a flat JSON object. Non-paper records borrow title/authors/links from their paper."""
    p = paper_of(cat, rec)
    is_paper = rec is p
    links = p.links.model_dump(exclude_none=True) if p else {}
    row = {
        "id": rec.id,
        "kind": "paper" if is_paper else rec.__class__.__name__.lower(),
        "type": p.type if is_paper else rec.__class__.__name__.lower(),
        "title": rec.title if is_paper else rec.name,
        "authors": list(p.authors) if p else [],
        "year": year_of(cat, rec),
        "venue": p.venue if p else None,
        "arxiv": p.identifiers.arxiv if p else None,
        "doi": p.identifiers.doi if p else None,
        "links": links,
        "has_code": bool(links.get("code")),
        "capabilities": list(getattr(rec, "capabilities", []) or []),
        "tasks": list(getattr(rec, "tasks", []) or []),
        "subcategories": list(getattr(rec, "subcategories", []) or []),
        "algorithms": list(getattr(rec, "algorithms", []) or []),
        "aliases": list(getattr(rec, "aliases", []) or []),
        "survey_refs": list(p.survey_refs) if p else [],
        "survey_sections": list(getattr(rec, "survey_sections", []) or []),
        "summary": rec.summary,
    }
    if not is_paper:
        row["paper"] = rec.paper
        for name in ("family", "clip", "kl_penalty", "mechanism", "signal", "derives_from", "objective_type",
                     "domains", "modality", "category", "framework_type", "features", "implementation"):
            if hasattr(rec, name):
                row[name] = getattr(rec, name)
    else:
        from .facts import venue_family

        row["venue_family"] = venue_family(rec.venue)
        row["venue_year"] = rec.venue_year
        row["role"] = rec.role
        row["training"] = list(rec.training)
        row["interaction"] = rec.interaction
        row["reward_type"] = rec.reward_type
        row["environments"] = list(rec.environments)
        row["frameworks"] = list(rec.frameworks)
        row["base_models"] = [str(b) for b in rec.base_models]
        row["base_models_parsed"] = [b.model_dump(exclude_none=True) for b in rec.base_models]
        row["placement"] = rec.placement
        row["added"] = rec.added.isoformat() if rec.added else None
        row["provenance"] = {k: list(v) for k, v in rec.provenance.items()}
    return row


def json_rows(cat, records) -> list[dict]:
    return [json_row(cat, r) for r in records]


CSV_COLUMNS = ["id", "kind", "type", "title", "authors", "year", "venue", "arxiv", "doi", "paper_link", "code",
               "model", "website", "capabilities", "tasks", "subcategories", "algorithms", "survey_refs", "summary",
               "role", "training", "interaction", "reward_type", "base_models", "environments", "frameworks",
               "venue_family", "venue_year", "dataset", "placement", "added"]


def csv_text(cat, records) -> str:
    """CSV with one row per record; list fields are joined with '; '."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in json_rows(cat, records):
        links = r["links"]
        w.writerow([r["id"], r["kind"], r["type"], r["title"], "; ".join(r["authors"]), r["year"] or "", r["venue"] or "",
                    r["arxiv"] or "", r["doi"] or "", links.get("paper", ""), links.get("code", ""), links.get("model", ""),
                    links.get("website", ""), "; ".join(r["capabilities"]), "; ".join(r["tasks"]),
                    "; ".join(r["subcategories"]), "; ".join(r["algorithms"]), "; ".join(map(str, r["survey_refs"])),
                    r["summary"] or "", r.get("role") or "", "; ".join(r.get("training", [])), r.get("interaction") or "",
                    r.get("reward_type") or "", "; ".join(r.get("base_models", [])), "; ".join(r.get("environments", [])),
                    "; ".join(r.get("frameworks", [])), r.get("venue_family") or "", r.get("venue_year") or "",
                    links.get("dataset", ""), r.get("placement") or "", r.get("added") or ""])
    return buf.getvalue()


_LATEX_SPECIAL = re.compile(r"([&%$#_])")


def _tex(text: str) -> str:
    """Escape the characters BibTeX/LaTeX would misread; keep braces balanced."""
    text = text.replace("\\", "\\textbackslash{}").replace("{", "\\{").replace("}", "\\}")
    text = text.replace("\\textbackslash\\{\\}", "\\textbackslash{}")
    return _LATEX_SPECIAL.sub(r"\\\1", text)


def bibtex_fields(paper) -> tuple[str, list[tuple[str, str]]]:
    """Entry type and fields for one paper."""
    fields: list[tuple[str, str]] = [("title", "{" + _tex(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_tex(a) for a in paper.authors)))
    year = paper.venue_year if paper.venue_year and paper.venue not in (None, "arXiv") else paper.year
    if year:
        fields.append(("year", str(year)))
    venue = paper.venue
    ids = paper.identifiers
    if paper.type == "book":
        etype = "book"
        if venue:
            fields.append(("publisher", _tex(venue)))
    elif paper.type != "paper" or not venue:
        etype = "misc"
        if venue and venue != "arXiv":
            fields.append(("howpublished", _tex(venue)))
    elif venue == "arXiv":
        etype = "article" if ids.arxiv else "misc"
        if ids.arxiv:
            fields.append(("journal", f"arXiv preprint arXiv:{ids.arxiv}"))
    elif venue in CONFERENCES:
        etype = "inproceedings"
        fields.append(("booktitle", _tex(venue)))
    else:
        etype = "article"
        fields.append(("journal", _tex(venue)))
    if ids.arxiv:
        fields += [("eprint", ids.arxiv), ("archiveprefix", "arXiv")]
    if ids.doi:
        fields.append(("doi", ids.doi))
    url = paper.links.paper or paper.links.website or paper.links.code
    if url:
        fields.append(("url", url))
    return etype, fields


def bibtex_entry(paper) -> str:
    etype, fields = bibtex_fields(paper)
    lib = bibtexparser.Library([Entry(etype, paper.id, [Field(k, v) for k, v in fields])])
    return bibtexparser.write_string(lib).strip() + "\n"


def bibtex(cat, records) -> str:
    """BibTeX for the papers behind `records` (each paper once, in order of first appearance)."""
    entries = []
    seen = set()
    for r in records:
        p = paper_of(cat, r)
        if p is None or p.id in seen:
            continue
        seen.add(p.id)
        etype, fields = bibtex_fields(p)
        entries.append(Entry(etype, p.id, [Field(k, v) for k, v in fields]))
    return bibtexparser.write_string(bibtexparser.Library(entries))
