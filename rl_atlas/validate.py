"""Cross-record checks: references resolve, identifiers are well formed and unique, links are sound.

Per-file checks (YAML syntax, schema) happen while loading, in `catalog.py`. Every check here adds
`Problem`s; none stops at the first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlparse

from .problems import Problem, rel

ARXIV_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})$")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
OPENREVIEW_RE = re.compile(r"^[A-Za-z0-9_\-]{6,20}$")
ACL_RE = re.compile(r"^(?:\d{4}\.[a-z\-]+(?:-[a-z]+)*\.\d+|[A-Z]\d{2}-\d{4})$")
CODE_HOSTS = ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "huggingface.co", "sourceforge.net",
              "git.sr.ht", "gitee.com")
SURVEY_REFS = range(1, 569)
# Links that many unrelated records may legitimately share (landing pages, not works).
SHAREABLE = {"https://github.com", "https://huggingface.co"}


def _norm_title(t: str) -> str:
    return re.sub(r"[^a-z0-9]", "", t.lower())


def _norm_url(u: str) -> str:
    u = u.strip().rstrip("/").lower()
    u = re.sub(r"^https?://(www\.)?", "https://", u)
    u = re.sub(r"arxiv\.org/pdf/([\d\.]+?)(v\d+)?(\.pdf)?$", r"arxiv.org/abs/\1", u)
    return u


def check_catalog(cat) -> list[Problem]:
    out: list[Problem] = []
    root = cat.root
    caps = {t.id for t in cat.taxonomy.values() if t.kind == "capability"}
    tasks = {t.id for t in cat.taxonomy.values() if t.kind == "task"}
    subs = cat.subcategories

    def add(kind, rid, fieldpath, message, code):
        e = cat.entries[(kind, rid)]
        out.append(Problem(rel(e.path, root), e.line(*fieldpath), ".".join(str(f) for f in fieldpath), message, code))

    # -- taxonomy terms and references ------------------------------------------------------------
    seen_sub: dict[str, str] = {}
    for tid, term in cat.taxonomy.items():
        for i, s in enumerate(term.subcategories):
            if s.id in seen_sub:
                add("taxonomy", tid, ("subcategories", i, "id"), f"duplicate sub-category id {s.id!r}, also under {seen_sub[s.id]!r}", "CAT006")
            seen_sub[s.id] = tid
        if term.id in seen_sub:
            add("taxonomy", tid, ("id",), f"id {term.id!r} is also a sub-category id", "CAT006")

    refs = {
        "environments": cat.environments, "frameworks": cat.frameworks, "algorithms": cat.algorithms, "papers": cat.papers,
    }

    def check_terms(kind, rid, rec):
        for i, c in enumerate(getattr(rec, "capabilities", []) or []):
            if c not in caps:
                add(kind, rid, ("capabilities", i), f"unknown capability {c!r}; known: {', '.join(sorted(caps))}", "CAT007")
        for i, t in enumerate(getattr(rec, "tasks", []) or []):
            if t not in tasks:
                add(kind, rid, ("tasks", i), f"unknown task {t!r}; known: {', '.join(sorted(tasks))}", "CAT007")
        own = set(getattr(rec, "capabilities", []) or []) | set(getattr(rec, "tasks", []) or [])
        for i, s in enumerate(getattr(rec, "subcategories", []) or []):
            if s not in subs:
                add(kind, rid, ("subcategories", i), f"unknown sub-category {s!r}", "CAT007")
            elif subs[s][0] not in own:
                add(kind, rid, ("subcategories", i), f"sub-category {s!r} belongs to {subs[s][0]!r}, which the record does not list", "CAT019")

    def check_ref(kind, rid, fieldpath, target_kind, value):
        if value not in refs[target_kind]:
            add(kind, rid, fieldpath, f"no {target_kind[:-1]} record with id {value!r}", "CAT008")

    for rid, p in cat.papers.items():
        check_terms("papers", rid, p)
        for i, r in enumerate(p.related):
            check_ref("papers", rid, ("related", i), "papers", r)
        for i, a in enumerate(p.algorithms):
            check_ref("papers", rid, ("algorithms", i), "algorithms", a)
        for i, e in enumerate(p.environments):
            check_ref("papers", rid, ("environments", i), "environments", e)
        for i, f in enumerate(p.frameworks):
            check_ref("papers", rid, ("frameworks", i), "frameworks", f)
    for kind in ("environments", "frameworks", "algorithms"):
        for rid, rec in cat.of_kind(kind).items():
            check_ref(kind, rid, ("paper",), "papers", rec.paper)
            check_terms(kind, rid, rec)
    for rid, a in cat.algorithms.items():
        for i, d in enumerate(a.derives_from):
            check_ref("algorithms", rid, ("derives_from", i), "algorithms", d)

    # -- identifiers: format and uniqueness -------------------------------------------------------
    by_arxiv, by_doi, by_title = defaultdict(list), defaultdict(list), defaultdict(list)
    for rid, p in cat.papers.items():
        ids = p.identifiers
        if ids.arxiv is not None:
            if not ARXIV_RE.match(ids.arxiv):
                add("papers", rid, ("identifiers", "arxiv"), f"{ids.arxiv!r} is not an arXiv id like 2503.09516 (no 'arXiv:' prefix, no version)", "CAT014")
            by_arxiv[ids.arxiv].append(rid)
        if ids.doi is not None:
            if not DOI_RE.match(ids.doi):
                add("papers", rid, ("identifiers", "doi"), f"{ids.doi!r} is not a DOI like 10.1234/abc (no resolver prefix)", "CAT014")
            by_doi[ids.doi.lower()].append(rid)
        if ids.openreview is not None and not OPENREVIEW_RE.match(ids.openreview):
            add("papers", rid, ("identifiers", "openreview"), f"{ids.openreview!r} is not an OpenReview forum id", "CAT014")
        if ids.acl is not None and not ACL_RE.match(ids.acl):
            add("papers", rid, ("identifiers", "acl"), f"{ids.acl!r} is not an ACL Anthology id like 2025.acl-long.84", "CAT014")
        by_title[_norm_title(p.title)].append(rid)
    for table, fieldpath, code, what in ((by_arxiv, ("identifiers", "arxiv"), "CAT009", "arXiv id"),
                                         (by_doi, ("identifiers", "doi"), "CAT010", "DOI"),
                                         (by_title, ("title",), "CAT011", "title")):
        for value, rids in table.items():
            if len(rids) > 1:
                for rid in rids[1:]:
                    add("papers", rid, fieldpath, f"same {what} as paper {rids[0]!r}; merge the two records", code)

    # -- links ------------------------------------------------------------------------------------
    link_users = defaultdict(list)
    for rid, p in cat.papers.items():
        for name in ("paper", "code", "model", "website"):
            url = getattr(p.links, name)
            if url is None:
                continue
            parsed = urlparse(url)
            if parsed.scheme != "https" or not parsed.netloc or " " in url:
                add("papers", rid, ("links", name), f"{url!r} is not an https URL", "CAT013")
                continue
            if name == "code" and not any(parsed.netloc == h or parsed.netloc.endswith("." + h) for h in CODE_HOSTS):
                add("papers", rid, ("links", name), f"{parsed.netloc} is not a code host ({', '.join(CODE_HOSTS[:4])}, ...)", "CAT012")
            if _norm_url(url) not in SHAREABLE:
                link_users[_norm_url(url)].append((rid, name))
    # records declared `related` (directly or through each other) form one project and may share links
    project = {rid: rid for rid in cat.papers}

    def find(x: str) -> str:
        while project[x] != x:
            project[x] = project[project[x]]
            x = project[x]
        return x

    for rid, p in cat.papers.items():
        for r in p.related:
            if r in project:
                project[find(rid)] = find(r)

    def declared_related(a: str, b: str) -> bool:
        return find(a) == find(b)

    for url, users in link_users.items():
        owners = sorted({rid for rid, _ in users})
        if len(owners) > 1:
            for rid, name in users:
                if rid != owners[0] and not declared_related(rid, owners[0]):
                    add("papers", rid, ("links", name), f"{url} is also a link of paper {owners[0]!r}; each link belongs to one work "
                        "(list the other record under `related` if both belong to one project)", "CAT015")

    # -- survey bibliography numbers --------------------------------------------------------------
    claimed: dict[int, str] = {}
    for rid, p in cat.papers.items():
        for i, n in enumerate(p.survey_cites_as):
            if n not in SURVEY_REFS:
                add("papers", rid, ("survey_cites_as", i), f"{n} is not a bibliography number of the survey (1-568)", "CAT016")
        for i, n in enumerate(p.survey_refs):
            if n not in SURVEY_REFS:
                add("papers", rid, ("survey_refs", i), f"{n} is not a bibliography number of the survey (1-568)", "CAT016")
            elif n in claimed and claimed[n] != rid:
                add("papers", rid, ("survey_refs", i), f"[{n}] is already the record {claimed[n]!r}", "CAT016")
            else:
                claimed[n] = rid
        if p.survey_sections and not p.summary and any(s.startswith(("3", "4")) for s in p.survey_sections):
            add("papers", rid, ("survey_sections",), "discussed in the survey's sections 3-4 but has no summary", "CAT101")
    if cat.papers:
        missing = [n for n in SURVEY_REFS if n not in claimed]
        if missing:
            out.append(Problem(rel(root / "papers", root), 0, "survey_refs",
                               f"{len(missing)} bibliography numbers are in no record: {missing[:20]}{' ...' if len(missing) > 20 else ''}", "CAT102"))
    from .facts import check_facts

    out.extend(check_facts(cat))
    return out
