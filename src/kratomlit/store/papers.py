"""Papers: saving parsed records (and indexing new ones for search), withdrawal marks, reading
a paper back, and the database overview.

Re-saving a paper never duplicates it: unchanged records are skipped, changed ones are updated
in place (keeping ``first_seen``), and the FTS index follows through its triggers. New papers
enter the index here, in ``save_papers``, the only place that inserts papers.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kratomlit.errors import NotFoundError
from kratomlit.records import Paper, author_names, reference
from kratomlit.store.connection import Connection, _chunks, now


@dataclass
class SaveCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    joined: int = 0  # imported records that joined a study found before
    ids: list[int] = field(default_factory=list)  # save_papers: each record's paper id

    def add(self, other: SaveCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.joined += other.joined


# Column order of the tuples that paper_rows() builds; the write path binds them
# positionally with executemany, which is several times faster than dict inserts.
PAPER_COLUMNS = (
    "pmid", "title", "abstract", "abstract_sections", "journal", "journal_iso", "volume",
    "issue", "pages", "year", "pub_date", "electronic_date", "entrez_date", "revised_date",
    "first_author", "author_count", "languages", "publication_types", "keywords", "mesh_terms",
    "doi", "pmcid", "pii", "citation_status", "record_type", "retracted", "errata", "deleted",
    "content_hash",
)
CHILD_COLUMNS = {
    "authors": ("paper_id", "position", "last_name", "fore_name", "initials", "collective_name",
                "orcid", "affiliation"),
    "mesh": ("paper_id", "position", "descriptor", "descriptor_ui", "major", "qualifiers"),
    "publication_types": ("paper_id", "position", "publication_type"),
}
# author_names is only for full-text search (m006), outside the content hash: the
# authors are hashed already, and an upgrade must not make every record look changed.
_STAMPED = ("author_names", "source", "first_seen", "updated_at")
# The paper id leads each written row; the source's own accession and database name follow
# the hashed columns (they say where a record came from, not what it says).
_WRITTEN = ("id", *PAPER_COLUMNS, "accession", "source_db")
_INSERT_PAPER = (
    f"INSERT INTO papers ({', '.join(_WRITTEN + _STAMPED)}) "
    f"VALUES ({', '.join('?' * (len(_WRITTEN) + len(_STAMPED)))})"
)
_UPDATE_PAPER = (
    f"UPDATE papers SET {', '.join(f'{c} = ?' for c in _WRITTEN[1:])}, "
    "author_names = ?, updated_at = ? WHERE id = ?"
)
# New papers enter the full-text index in one statement per batch (see m004).
_FTS_COLUMNS = "title, abstract, keywords, mesh_terms, author_names"
_INDEX_NEW = (
    f"INSERT INTO papers_fts (rowid, {_FTS_COLUMNS}) SELECT id, {_FTS_COLUMNS} FROM papers "
    "WHERE id IN (SELECT value FROM json_each(?))"
)
_INSERT_CHILD = {
    table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    for table, cols in CHILD_COLUMNS.items()
}

PaperRows = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]],
                  list[tuple[Any, ...]]]


def _json_list(values: list[str]) -> str | None:
    return json.dumps(values, ensure_ascii=False) if values else None


def paper_rows(paper: Paper) -> PaperRows:
    """Split a parsed paper into its ``papers`` row and its child rows, as tuples.

    The row ends with a content hash, so re-saving an unchanged record costs nothing.
    """
    pmid = paper.pmid
    authors = [
        (pmid, i, a.last_name, a.fore_name, a.initials, a.collective_name, a.orcid,
         a.affiliation)
        for i, a in enumerate(paper.authors, 1)
    ]
    mesh = [
        (pmid, i, m.descriptor, m.ui, int(m.major), "; ".join(m.qualifiers) or None)
        for i, m in enumerate(paper.mesh, 1)
    ]
    pub_types = [(pmid, i, t) for i, t in enumerate(paper.publication_types, 1)]
    mesh_terms = "; ".join(
        m.descriptor + "".join(f"/{q}" for q in m.qualifiers) for m in paper.mesh
    )
    sections = paper.abstract_sections
    row = (
        pmid,
        paper.title or "",
        paper.abstract or None,
        json.dumps([{"label": s.label, "category": s.category, "text": s.text}
                    for s in sections], ensure_ascii=False) if sections else None,
        paper.journal, paper.journal_iso, paper.volume, paper.issue, paper.pages,
        paper.year, paper.pub_date, paper.electronic_date, paper.entrez_date,
        paper.revised_date,
        paper.authors[0].display if paper.authors else None,
        len(paper.authors),
        json.dumps(paper.languages),
        json.dumps(paper.publication_types, ensure_ascii=False),
        _json_list(paper.keywords),
        mesh_terms or None,
        paper.doi, paper.pmcid, paper.pii, paper.citation_status, paper.record_type,
        int(paper.retracted),
        _json_list(paper.errata),
        0,
    )
    digest = hashlib.blake2b(repr((row, authors, mesh, pub_types)).encode(), digest_size=16)
    return (*row, digest.hexdigest()), authors, mesh, pub_types


def _insert_new(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """The only way papers enter the database: inserted and indexed for search together.
    The full-text index has no insert trigger (indexing a batch in one statement is much
    faster), so a paper inserted any other way would never be found by a search."""
    conn.executemany(_INSERT_PAPER, rows)
    if rows:
        conn.execute(_INDEX_NEW, [json.dumps([row[0] for row in rows])])


@dataclass
class _Plan:
    """The rows one ``save_papers`` call writes, built record by record."""

    stamp: str
    source: str
    next_id: int
    new_rows: list[tuple[Any, ...]] = field(default_factory=list)
    changed: list[tuple[Any, ...]] = field(default_factory=list)
    children: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {t: [] for t in CHILD_COLUMNS})

    def add(self, paper: Paper, before: tuple[int, str, int] | None, counts: SaveCounts
            ) -> int:
        """Plan one record against the stored paper ``before`` (id, hash, deleted); its id."""
        row, authors, mesh, pub_types = paper_rows(paper)
        extra = (paper.accession, paper.source_db, author_names(paper.authors))
        if before is None:
            paper_id, self.next_id = self.next_id, self.next_id + 1
            self.new_rows.append((paper_id, *row, *extra, self.source, self.stamp,
                                  self.stamp))
        elif before[1] == row[-1] and not before[2]:
            counts.unchanged += 1
            return before[0]
        else:
            paper_id = before[0]
            self.changed.append((*row, *extra, self.stamp, paper_id))
        for table, rows in (("authors", authors), ("mesh", mesh),
                            ("publication_types", pub_types)):
            self.children[table].extend((paper_id, *r[1:]) for r in rows)
        return paper_id


class PaperQueries(Connection):

    def stored_pmids(self, include_deleted: bool = True, pubmed_only: bool = False
                     ) -> set[int]:
        """``pubmed_only``: leave out records another database gave (their PMID known, PubMed's
        own record not fetched yet)."""
        sql = ("SELECT pmid FROM papers WHERE pmid IS NOT NULL"
               + ("" if include_deleted else " AND deleted = 0")
               + (" AND source_db IS NULL" if pubmed_only else ""))
        with self.reading() as db:
            return {row[0] for row in db.execute(sql)}

    def _existing(self, pmids: Sequence[int]) -> dict[int, tuple[int, str, int]]:
        """pmid -> (paper id, content hash, deleted) of the stored ones."""
        found: dict[int, tuple[int, str, int]] = {}
        for chunk in _chunks(pmids):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT pmid, id, content_hash, deleted FROM papers WHERE pmid IN ({marks})"
            for pmid, paper_id, digest, deleted in self.db.execute(sql, list(chunk)):
                found[pmid] = (paper_id, digest, deleted)
        return found

    def _next_id(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM papers").fetchone()[0])

    def save_papers(
        self, papers: Iterable[Paper], *, source: str, run_id: int | None = None,
        into: dict[int, int] | None = None,
    ) -> SaveCounts:
        """Insert new papers, update changed ones, skip identical ones — in one transaction.

        A record is the stored paper with its PMID; ``into`` maps positions in ``papers`` to
        the stored paper (id) a record without a stored PMID belongs to (an import's
        match); anything else is a new paper with a new id. Within one call a PMID that
        appears twice keeps its last version (update files list a record again when it
        changes). The counts' ``ids`` give each record's paper id, in order.
        """
        given = list(papers)
        counts = SaveCounts()
        if not given:
            return counts
        with self.transaction():
            plan = _Plan(now(), source, self._next_id())
            latest = {paper.pmid: paper for paper in given if paper.pmid is not None}
            existing = self._existing(list(latest))
            ids: list[int | None] = []
            for position, paper in enumerate(given):
                if paper.pmid is not None and latest[paper.pmid] is not paper:
                    ids.append(None)  # a later version of the same PMID follows
                    continue
                before = existing.get(paper.pmid) if paper.pmid is not None else None
                if before is None and (into or {}).get(position) is not None:
                    before = self._stored_hash((into or {})[position])
                ids.append(plan.add(paper, before, counts))
            by_pmid = {p.pmid: i for p, i in zip(given, ids, strict=True) if i is not None}
            counts.ids = [i if i is not None else by_pmid[p.pmid]
                          for p, i in zip(given, ids, strict=True)]
            counts.new, counts.updated = len(plan.new_rows), len(plan.changed)
            self._write(plan.new_rows, plan.changed, plan.children)
            if run_id is not None:
                actions = [(run_id, row[0], "new") for row in plan.new_rows]
                actions += [(run_id, row[-1], "updated") for row in plan.changed]
                self._record_actions(actions)
        return counts

    def _stored_hash(self, paper_id: int) -> tuple[int, str, int] | None:
        row = self.db.execute("SELECT id, content_hash, deleted FROM papers WHERE id = ?",
                              [paper_id]).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def _write(self, new_rows: list[tuple[Any, ...]], changed: list[tuple[Any, ...]],
               children: dict[str, list[tuple[Any, ...]]]) -> None:
        conn = self.db.conn
        changed_ids = [row[-1] for row in changed]
        for table in CHILD_COLUMNS:
            for chunk in _chunks(changed_ids):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM {table} WHERE paper_id IN ({marks})", list(chunk))
        _insert_new(conn, new_rows)
        conn.executemany(_UPDATE_PAPER, changed)
        for table, child_rows in children.items():
            conn.executemany(_INSERT_CHILD[table], child_rows)

    def _record_actions(self, actions: list[tuple[int, int, str]]) -> None:
        self.db.conn.executemany(
            "INSERT INTO run_papers (run_id, paper_id, action) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, paper_id) DO UPDATE SET action = excluded.action", actions)

    def mark_deleted(self, pmids: Iterable[int], *, run_id: int | None = None) -> int:
        """Flag withdrawn PMIDs (``DeleteCitation``); their rows stay for the audit trail."""
        wanted = sorted(set(pmids))
        marked = 0
        with self.transaction() as db:
            for chunk in _chunks(wanted):
                marks = ",".join("?" * len(chunk))
                cursor = db.execute(f"UPDATE papers SET deleted = 1, updated_at = ? "
                                    f"WHERE deleted = 0 AND pmid IN ({marks})", [now(), *chunk])
                marked += cursor.rowcount
                if run_id is not None:
                    hit = db.execute(
                        f"SELECT id FROM papers WHERE pmid IN ({marks})", list(chunk)
                    ).fetchall()
                    self._record_actions([(run_id, p, "deleted") for (p,) in hit])
        return marked

    def adopt_pmids(self, pairs: Iterable[tuple[int, int]]) -> None:
        """(paper id, PMID): a study without a PMID takes the one another database's record
        of it gives, unless another paper has it (inside the caller's transaction)."""
        self.db.conn.executemany(
            "UPDATE papers SET pmid = ?2 WHERE id = ?1 AND pmid IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM papers WHERE pmid = ?2)", pairs)

    def dois_without_pmid(self) -> list[tuple[int, str]]:
        """(paper id, DOI) of the papers not withdrawn that have a DOI but no PMID."""
        with self.reading() as db:
            return db.execute("SELECT id, doi FROM papers WHERE pmid IS NULL AND doi IS NOT "
                              "NULL AND deleted = 0 ORDER BY id").fetchall()

    def find_paper(self, kind: str, value: str | int) -> int:
        """The id of the paper a reference names: ``kind`` "pmid", "doi" (any case) or "id".
        An unknown one is a ``NotFoundError`` worded as the user wrote it."""
        column = {"pmid": "pmid = ?", "doi": "lower(doi) = lower(?)", "id": "id = ?"}[kind]
        with self.reading() as db:
            row = db.execute(f"SELECT id FROM papers WHERE {column} ORDER BY deleted, id "
                             "LIMIT 1", [value]).fetchone()
        if row is None:
            shown = f"PMID {value}" if kind == "pmid" else f"{kind}:{value}"
            raise NotFoundError(f"{shown} is not in the database {self.path}")
        return int(row[0])

    def identity(self, paper_id: int) -> tuple[int | None, str]:
        """(PMID or None, the reference output names the paper by) of a stored paper."""
        with self.reading() as db:
            row = db.execute("SELECT pmid, doi FROM papers WHERE id = ?", [paper_id]).fetchone()
        if row is None:
            raise NotFoundError(f"id:{paper_id} is not in the database {self.path}")
        return row[0], reference(row[0], row[1], paper_id)

    def references(self, paper_ids: Iterable[int]) -> dict[int, str]:
        """paper id -> the reference output names it by (records.reference)."""
        with self.reading() as db:
            return {paper_id: reference(pmid, doi, paper_id) for paper_id, pmid, doi in db.execute(
                "SELECT id, pmid, doi FROM papers WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted(set(paper_ids)))])}

    def titles(self, paper_ids: Iterable[int]) -> dict[int, str]:
        """paper id -> title, in one query for any number of papers."""
        with self.reading() as db:
            return dict(db.execute("SELECT id, title FROM papers WHERE id IN (SELECT value FROM "
                                   "json_each(?))", [json.dumps(sorted(set(paper_ids)))]))

    def pmids_of(self, paper_ids: Iterable[int]) -> list[int]:
        """The PMIDs of these papers (those without one left out), ascending."""
        with self.reading() as db:
            return [row[0] for row in db.execute(
                "SELECT pmid FROM papers WHERE pmid IS NOT NULL AND id IN (SELECT value FROM "
                "json_each(?)) ORDER BY pmid", [json.dumps(sorted(set(paper_ids)))])]

    def ids_by_pmid(self, pmids: Iterable[int]) -> dict[int, int]:
        """PMID -> paper id of those stored."""
        with self.reading() as db:
            return dict(db.execute("SELECT pmid, id FROM papers WHERE pmid IN (SELECT value FROM "
                                   "json_each(?))", [json.dumps(sorted(set(pmids)))]))

    def get_paper(self, paper_id: int) -> dict[str, Any]:
        with self.reading() as db:
            rows = list(db["papers"].rows_where("id = ?", [paper_id]))
            if not rows:
                raise NotFoundError(f"id:{paper_id} is not in the database {self.path}")
            paper = rows[0]
            for key in ("abstract_sections", "languages", "publication_types", "keywords",
                        "errata"):
                paper[key] = json.loads(paper[key]) if paper[key] else []
            paper["authors"] = list(
                db["authors"].rows_where("paper_id = ?", [paper_id], order_by="position")
            )
            paper["mesh"] = list(db["mesh"].rows_where("paper_id = ?", [paper_id],
                                                       order_by="position"))
            tags = list(db["paper_tags"].rows_where("paper_id = ?", [paper_id]))
            paper["tags"] = tags[0] if tags else None
            # A reviewer's tags, one entry per axis (set together, with one note).
            manual: dict[str, dict[str, Any]] = {}
            for axis, value, negated, note, created_at in db.execute(
                    "SELECT axis, value, negated, note, created_at FROM tags "
                    "WHERE paper_id = ? AND source = 'manual' ORDER BY id", [paper_id]):
                entry = manual.setdefault(axis, {"axis": axis, "values": [], "note": note,
                                                 "created_at": created_at})
                if not negated:
                    entry["values"].append(value)
            paper["manual_tags"] = list(manual.values())
            return paper

    def texts(self) -> Iterator[tuple[int, str, str, str | None, list[str], str | None]]:
        """(paper id, content hash, title, abstract, keywords, MeSH terms) of every paper not
        withdrawn, by id: what screening prioritisation learns from. The content hash
        changes whenever any of them does."""
        with self.reading() as db:
            for paper_id, digest, title, abstract, keywords, mesh in db.execute(
                    "SELECT id, content_hash, title, abstract, keywords, mesh_terms "
                    "FROM papers WHERE deleted = 0 ORDER BY id"):
                yield paper_id, digest, title, abstract, json.loads(keywords or "[]"), mesh

    # -- overview ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self.reading() as db:
            def one(sql: str) -> int:
                return int(db.execute(sql).fetchone()[0])

            return {
                "papers": one("SELECT count(*) FROM papers WHERE deleted = 0"),
                "deleted": one("SELECT count(*) FROM papers WHERE deleted = 1"),
                "retracted": one("SELECT count(*) FROM papers WHERE retracted = 1 AND deleted = 0"),
                "with_abstract": one(
                    "SELECT count(*) FROM papers WHERE abstract IS NOT NULL AND deleted = 0"
                ),
                "untagged": one(
                    "SELECT count(*) FROM papers WHERE deleted = 0 AND id NOT IN "
                    "(SELECT paper_id FROM paper_tags)"
                ),
                "years": db.execute(
                    "SELECT min(year), max(year) FROM papers WHERE deleted = 0"
                ).fetchone(),
                "queries": one("SELECT count(DISTINCT query) FROM fetch_runs WHERE kind='fetch'"),
            }
