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
from dataclasses import dataclass
from typing import Any

from kratomlit.errors import InputFileError, NotFoundError
from kratomlit.records import Paper, author_names
from kratomlit.store.connection import Connection, _chunks, now


@dataclass
class SaveCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: SaveCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted


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
    "authors": ("pmid", "position", "last_name", "fore_name", "initials", "collective_name",
                "orcid", "affiliation"),
    "mesh": ("pmid", "position", "descriptor", "descriptor_ui", "major", "qualifiers"),
    "publication_types": ("pmid", "position", "publication_type"),
}
# author_names is only for full-text search (m006), outside the content hash: the
# authors are hashed already, and an upgrade must not make every record look changed.
_STAMPED = ("author_names", "source", "first_seen", "updated_at")
_INSERT_PAPER = (
    f"INSERT INTO papers ({', '.join(PAPER_COLUMNS + _STAMPED)}) "
    f"VALUES ({', '.join('?' * (len(PAPER_COLUMNS) + len(_STAMPED)))})"
)
_UPDATE_PAPER = (
    f"UPDATE papers SET {', '.join(f'{c} = ?' for c in PAPER_COLUMNS[1:])}, "
    "author_names = ?, updated_at = ? WHERE pmid = ?"
)
# New papers enter the full-text index in one statement per batch (see m004).
_FTS_COLUMNS = "title, abstract, keywords, mesh_terms, author_names"
_INDEX_NEW = (
    f"INSERT INTO papers_fts (rowid, {_FTS_COLUMNS}) SELECT pmid, {_FTS_COLUMNS} FROM papers "
    "WHERE pmid IN (SELECT value FROM json_each(?))"
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


class PaperQueries(Connection):

    def stored_pmids(self, include_deleted: bool = True) -> set[int]:
        sql = "SELECT pmid FROM papers" + ("" if include_deleted else " WHERE deleted = 0")
        with self.reading() as db:
            return {row[0] for row in db.execute(sql)}

    def _existing(self, pmids: Sequence[int]) -> dict[int, tuple[str, int]]:
        found: dict[int, tuple[str, int]] = {}
        for chunk in _chunks(pmids):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT pmid, content_hash, deleted FROM papers WHERE pmid IN ({marks})"
            for pmid, digest, deleted in self.db.execute(sql, list(chunk)):
                found[pmid] = (digest, deleted)
        return found

    def save_papers(
        self, papers: Iterable[Paper], *, source: str, run_id: int | None = None
    ) -> SaveCounts:
        """Insert new papers, update changed ones, skip identical ones — in one transaction.

        Within one call a PMID that appears twice keeps its last version (update
        files list a record again when it changes).
        """
        latest: dict[int, Paper] = {}
        for paper in papers:
            if paper.pmid is None:  # records without a PMID are not stored yet (issue 17)
                raise InputFileError(f"{paper.title[:60]!r}: a record without a PMID cannot "
                                     "be stored yet")
            latest[paper.pmid] = paper
        counts = SaveCounts()
        if not latest:
            return counts
        rows = {pmid: paper_rows(p) for pmid, p in latest.items()}
        names = {pmid: author_names(p.authors) for pmid, p in latest.items()}
        stamp = now()
        with self.transaction() as db:
            existing = self._existing(list(rows))
            new_rows: list[tuple[Any, ...]] = []
            changed: list[tuple[Any, ...]] = []
            children: dict[str, list[tuple[Any, ...]]] = {t: [] for t in CHILD_COLUMNS}
            for pmid, (row, authors, mesh, pub_types) in rows.items():
                before = existing.get(pmid)
                if before is not None and before[0] == row[-1] and not before[1]:
                    counts.unchanged += 1
                    continue
                if before is None:
                    new_rows.append((*row, names[pmid], source, stamp, stamp))
                else:
                    changed.append((*row[1:], names[pmid], stamp, pmid))
                children["authors"].extend(authors)
                children["mesh"].extend(mesh)
                children["publication_types"].extend(pub_types)
            counts.new, counts.updated = len(new_rows), len(changed)
            changed_pmids = [row[-1] for row in changed]
            conn = db.conn
            for table in CHILD_COLUMNS:
                for chunk in _chunks(changed_pmids):
                    marks = ",".join("?" * len(chunk))
                    conn.execute(f"DELETE FROM {table} WHERE pmid IN ({marks})", list(chunk))
            _insert_new(conn, new_rows)
            conn.executemany(_UPDATE_PAPER, changed)
            for table, child_rows in children.items():
                conn.executemany(_INSERT_CHILD[table], child_rows)
            if run_id is not None:
                actions = [(run_id, row[0], "new") for row in new_rows]
                actions += [(run_id, pmid, "updated") for pmid in changed_pmids]
                self._record_actions(actions)
        return counts

    def _record_actions(self, actions: list[tuple[int, int, str]]) -> None:
        self.db.conn.executemany(
            "INSERT INTO run_papers (run_id, pmid, action) VALUES (?, ?, ?) "
            "ON CONFLICT (run_id, pmid) DO UPDATE SET action = excluded.action",
            actions,
        )

    def mark_deleted(self, pmids: Iterable[int], *, run_id: int | None = None) -> int:
        """Flag withdrawn PMIDs (``DeleteCitation``); their rows stay for the audit trail."""
        wanted = sorted(set(pmids))
        marked = 0
        with self.transaction() as db:
            for chunk in _chunks(wanted):
                marks = ",".join("?" * len(chunk))
                cursor = db.execute(
                    f"UPDATE papers SET deleted = 1, updated_at = ? "
                    f"WHERE deleted = 0 AND pmid IN ({marks})",
                    [now(), *chunk],
                )
                marked += cursor.rowcount
                if run_id is not None:
                    hit = db.execute(
                        f"SELECT pmid FROM papers WHERE pmid IN ({marks})", list(chunk)
                    ).fetchall()
                    self._record_actions([(run_id, p, "deleted") for (p,) in hit])
        return marked

    def get_paper(self, pmid: int) -> dict[str, Any]:
        with self.reading() as db:
            rows = list(db["papers"].rows_where("pmid = ?", [pmid]))
            if not rows:
                raise NotFoundError(f"PMID {pmid} is not in the database {self.path}")
            paper = rows[0]
            for key in ("abstract_sections", "languages", "publication_types", "keywords",
                        "errata"):
                paper[key] = json.loads(paper[key]) if paper[key] else []
            paper["authors"] = list(
                db["authors"].rows_where("pmid = ?", [pmid], order_by="position")
            )
            paper["mesh"] = list(db["mesh"].rows_where("pmid = ?", [pmid], order_by="position"))
            tags = list(db["paper_tags"].rows_where("pmid = ?", [pmid]))
            paper["tags"] = tags[0] if tags else None
            # A reviewer's tags, one entry per axis (set together, with one note).
            manual: dict[str, dict[str, Any]] = {}
            for axis, value, negated, note, created_at in db.execute(
                    "SELECT axis, value, negated, note, created_at FROM tags "
                    "WHERE pmid = ? AND source = 'manual' ORDER BY id", [pmid]):
                entry = manual.setdefault(axis, {"axis": axis, "values": [], "note": note,
                                                 "created_at": created_at})
                if not negated:
                    entry["values"].append(value)
            paper["manual_tags"] = list(manual.values())
            return paper

    def texts(self) -> Iterator[tuple[int, str, str, str | None, list[str], str | None]]:
        """(pmid, content hash, title, abstract, keywords, MeSH terms) of every paper not
        withdrawn, by PMID: what screening prioritisation learns from. The content hash
        changes whenever any of them does."""
        with self.reading() as db:
            for pmid, digest, title, abstract, keywords, mesh in db.execute(
                    "SELECT pmid, content_hash, title, abstract, keywords, mesh_terms "
                    "FROM papers WHERE deleted = 0 ORDER BY pmid"):
                yield pmid, digest, title, abstract, json.loads(keywords or "[]"), mesh

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
                    "SELECT count(*) FROM papers WHERE deleted = 0 AND pmid NOT IN "
                    "(SELECT pmid FROM paper_tags)"
                ),
                "years": db.execute(
                    "SELECT min(year), max(year) FROM papers WHERE deleted = 0"
                ).fetchone(),
                "queries": one("SELECT count(DISTINCT query) FROM fetch_runs WHERE kind='fetch'"),
            }
