"""`rl-atlas export --format sqlite`: the catalog as a relational database for Datasette, DuckDB or sqlite3.

One table per record kind (papers, environments, frameworks, algorithms, taxonomy_terms, subcategories) and
one edge table per list field, each with the paper id first:

    paper_authors(paper_id, position, name)          paper_capabilities(paper_id, capability_id)
    paper_tasks(paper_id, task_id)                   paper_subcategories(paper_id, subcategory_id)
    paper_algorithms(paper_id, algorithm_id)         paper_environments(paper_id, environment_id)
    paper_frameworks(paper_id, framework_id)         paper_training(paper_id, training)
    paper_base_models(paper_id, position, family, size, variant, name)
    paper_provenance(paper_id, field, source)        algorithm_derives_from(algorithm_id, parent_id)

Example: which memory works train with GRPO and release code?

    SELECT p.id FROM papers p
      JOIN paper_capabilities c ON c.paper_id = p.id AND c.capability_id = 'memory'
      JOIN paper_algorithms a ON a.paper_id = p.id AND a.algorithm_id = 'grpo'
     WHERE p.code IS NOT NULL;
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from .facts import venue_family

SCHEMA = """
CREATE TABLE papers (id TEXT PRIMARY KEY, type TEXT, title TEXT NOT NULL, year INTEGER, venue TEXT, venue_family TEXT,
  venue_year INTEGER, arxiv TEXT, doi TEXT, openreview TEXT, acl TEXT, paper_link TEXT, code TEXT, model TEXT,
  website TEXT, dataset TEXT, role TEXT, interaction TEXT, reward_type TEXT, placement TEXT, added TEXT,
  in_companion_list INTEGER, summary TEXT, notes TEXT);
CREATE TABLE environments (id TEXT PRIMARY KEY, name TEXT, paper_id TEXT REFERENCES papers(id), summary TEXT);
CREATE TABLE frameworks (id TEXT PRIMARY KEY, name TEXT, paper_id TEXT REFERENCES papers(id), category TEXT, summary TEXT);
CREATE TABLE algorithms (id TEXT PRIMARY KEY, name TEXT, paper_id TEXT REFERENCES papers(id), year INTEGER, family TEXT,
  clip INTEGER, kl_penalty TEXT, implementation TEXT, summary TEXT);
CREATE TABLE taxonomy_terms (id TEXT PRIMARY KEY, kind TEXT, name TEXT, definition TEXT, implementation TEXT);
CREATE TABLE subcategories (id TEXT PRIMARY KEY, term_id TEXT REFERENCES taxonomy_terms(id), name TEXT, definition TEXT);
CREATE TABLE paper_authors (paper_id TEXT REFERENCES papers(id), position INTEGER, name TEXT);
CREATE TABLE paper_capabilities (paper_id TEXT REFERENCES papers(id), capability_id TEXT);
CREATE TABLE paper_tasks (paper_id TEXT REFERENCES papers(id), task_id TEXT);
CREATE TABLE paper_subcategories (paper_id TEXT REFERENCES papers(id), subcategory_id TEXT);
CREATE TABLE paper_algorithms (paper_id TEXT REFERENCES papers(id), algorithm_id TEXT REFERENCES algorithms(id));
CREATE TABLE paper_environments (paper_id TEXT REFERENCES papers(id), environment_id TEXT REFERENCES environments(id));
CREATE TABLE paper_frameworks (paper_id TEXT REFERENCES papers(id), framework_id TEXT REFERENCES frameworks(id));
CREATE TABLE paper_training (paper_id TEXT REFERENCES papers(id), training TEXT);
CREATE TABLE paper_base_models (paper_id TEXT REFERENCES papers(id), position INTEGER, family TEXT, size TEXT,
  variant TEXT, name TEXT);
CREATE TABLE paper_provenance (paper_id TEXT REFERENCES papers(id), field TEXT, source TEXT);
CREATE TABLE algorithm_derives_from (algorithm_id TEXT REFERENCES algorithms(id), parent_id TEXT REFERENCES algorithms(id));
"""


def fill(db: sqlite3.Connection, cat, papers=None) -> None:
    """Create the tables in `db` and insert the catalog (or only the given paper records)."""
    db.executescript(SCHEMA)
    papers = list(cat.papers.values()) if papers is None else list(papers)
    for p in papers:
        ids, ln = p.identifiers, p.links
        db.execute("INSERT INTO papers VALUES (" + ",".join("?" * 24) + ")", (
            p.id, p.type, p.title, p.year, p.venue, venue_family(p.venue), p.venue_year, ids.arxiv, ids.doi,
            ids.openreview, ids.acl, ln.paper, ln.code, ln.model, ln.website, ln.dataset, p.role, p.interaction,
            p.reward_type, p.placement, p.added.isoformat() if p.added else None, int(p.in_companion_list), p.summary,
            p.notes))
        db.executemany("INSERT INTO paper_authors VALUES (?,?,?)", [(p.id, i, a) for i, a in enumerate(p.authors)])
        for table, values in (("paper_capabilities", p.capabilities), ("paper_tasks", p.tasks),
                              ("paper_subcategories", p.subcategories), ("paper_algorithms", p.algorithms),
                              ("paper_environments", p.environments), ("paper_frameworks", p.frameworks),
                              ("paper_training", p.training)):
            db.executemany(f"INSERT INTO {table} VALUES (?,?)", [(p.id, v) for v in values])
        db.executemany("INSERT INTO paper_base_models VALUES (?,?,?,?,?,?)",
                       [(p.id, i, b.family, b.size, b.variant, str(b)) for i, b in enumerate(p.base_models)])
        db.executemany("INSERT INTO paper_provenance VALUES (?,?,?)",
                       [(p.id, f, src) for f, srcs in p.provenance.items() for src in srcs])
    db.executemany("INSERT INTO environments VALUES (?,?,?,?)",
                   [(e.id, e.name, e.paper, e.summary) for e in cat.environments.values()])
    db.executemany("INSERT INTO frameworks VALUES (?,?,?,?,?)",
                   [(f.id, f.name, f.paper, f.category, f.summary) for f in cat.frameworks.values()])
    db.executemany("INSERT INTO algorithms VALUES (?,?,?,?,?,?,?,?,?)",
                   [(a.id, a.name, a.paper, a.year, a.family, None if a.clip is None else int(a.clip), a.kl_penalty,
                     a.implementation, a.summary) for a in cat.algorithms.values()])
    db.executemany("INSERT INTO algorithm_derives_from VALUES (?,?)",
                   [(a.id, d) for a in cat.algorithms.values() for d in a.derives_from])
    db.executemany("INSERT INTO taxonomy_terms VALUES (?,?,?,?,?)",
                   [(t.id, t.kind, t.name, t.definition, t.implementation) for t in cat.taxonomy.values()])
    db.executemany("INSERT INTO subcategories VALUES (?,?,?,?)",
                   [(s.id, t.id, s.name, s.definition) for t in cat.taxonomy.values() for s in t.subcategories])
    db.commit()


def write_sqlite(cat, path: Path, papers=None) -> None:
    """Write the database to `path` atomically: built beside it, then renamed over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        Path(tmp).unlink()
        db = sqlite3.connect(tmp)
        try:
            fill(db, cat, papers)
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
