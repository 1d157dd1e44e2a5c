"""The SQLite store: opening and migrating the database, saving papers, recording runs.

Writes go through ``Store.transaction()``, so a batch of papers with their
authors, MeSH headings and publication types is committed whole or not at all.
Re-saving a paper never duplicates it: unchanged records are skipped, changed ones
are updated in place (keeping ``first_seen``), and the FTS index follows through
its triggers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import socket
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kratomlit.errors import DatabaseError, NotFoundError, SearchSyntaxError
from kratomlit.records import Paper, author_names
from kratomlit.store import migrations

# SQLite allows 32,766 host parameters per statement since 3.32; stay well below.
_IN_CHUNK = 900
# Concurrent writers wait this long for the lock before giving up with a clear error.
BUSY_TIMEOUT_MS = 30_000


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _translate(exc: sqlite3.Error, path: Path) -> DatabaseError:
    message = str(exc)
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        why = "it is locked by another kratomlit process (try again when that one finishes)"
    elif "readonly" in lowered or "read-only" in lowered:
        why = "it is read-only"
    elif "full" in lowered:
        why = "the disk is full"
    elif "unable to open" in lowered:
        why = "it cannot be opened or created"
    elif "not a database" in lowered or "malformed" in lowered:
        why = "the file is not a kratomlit database or is damaged"
    else:
        why = message
    return DatabaseError(f"database {path}: {why}")


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


class Store:
    """One open kratomlit database, migrated to the current schema.

    ``create``: make the database (and its folder) when there is none; otherwise the path
    must hold a kratomlit database. ``read_only``: open an existing database for reading
    and never write it, except for the one-time upgrade of a database an older kratomlit
    made, which ``upgraded`` lists so the caller can say so. A read-only file, or one in a
    read-only folder, can be read.
    """

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False):
        self.path = Path(path)
        self.upgraded: list[str] = []
        if self.path.is_dir():
            raise DatabaseError(f"database {self.path}: is a folder, not a file")
        if not self.path.exists():
            if read_only or not create:
                raise DatabaseError(f"no database at {self.path}; run `kratomlit fetch` or "
                                    "`kratomlit import` first")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"database {self.path}: cannot create folder {self.path.parent} "
                    f"({exc.strerror or exc})"
                ) from None
        upgrading = False
        try:
            if read_only:
                self.db = Database(self._connect_read_only())
                self._check_database(existing=True)
                if not migrations.pending_names(self.db):
                    return
                self.db.close()  # made by an older kratomlit: upgrade it below, once
                upgrading = True
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
            self.db = Database(conn)
            before = self._check_database(existing=read_only or not create)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                # WAL lets readers work while a fetch writes, and survives a killed writer.
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            pending = migrations.pending_names(self.db)
            migrations.apply(self.db)
            self.upgraded = pending if before else []
        except sqlite3.Error as exc:
            error = _translate(exc, self.path)
            if upgrading and ("read-only" in str(error) or "cannot be opened" in str(error)):
                error = DatabaseError(
                    f"database {self.path}: an older kratomlit made it, and the one-time "
                    "upgrade to this version needs write access to it and its folder, which "
                    "this user does not have (run any kratomlit command on it once where it "
                    "can be written)")
            raise error from None

    def _connect_read_only(self) -> sqlite3.Connection:
        # mode=rw never creates a file, and query_only refuses every write. (A mode=ro
        # connection could not remove the WAL files it opens when it closes, and would
        # leave them behind, owned by whoever read the database last.)
        uri = "file:" + urllib.parse.quote(str(self.path.resolve()))
        conn = sqlite3.connect(uri + "?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if not any(w in str(exc).lower() for w in ("readonly", "unable to open")):
                raise
        # A WAL database in a folder we cannot write: no connection can create the
        # shared-memory index it needs, so read the file as it is (immutable). A writer
        # elsewhere would need that folder too.
        conn = sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn

    def _check_database(self, *, existing: bool) -> list[str]:
        """The migrations applied so far. Another program's SQLite file (Zotero, a
        browser...) is never migrated into ours; with ``existing`` neither is any file that
        is not already a kratomlit database (an empty file, say)."""
        tables = [t for t in self.db.table_names() if not t.startswith("sqlite_")]
        applied = migrations.applied_names(self.db)
        if tables and not applied:
            shown = ", ".join(sorted(tables)[:4]) + (", ..." if len(tables) > 4 else "")
            self.db.close()
            raise DatabaseError(f"database {self.path}: this SQLite file belongs to another "
                                f"program (tables {shown}); kratomlit leaves it unchanged")
        if existing and not applied:
            self.db.close()
            raise DatabaseError(f"database {self.path}: the file is not a kratomlit database "
                                "(it is empty); kratomlit leaves it unchanged")
        return applied

    # -- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One atomic write; SQLite errors become a one-line ``DatabaseError``.

        The outermost transaction takes the write lock at once (BEGIN IMMEDIATE): a
        transaction that read first and writes later cannot wait for another process's
        write in WAL mode and would fail at once; this one queues behind it instead.
        Nested transactions are savepoints.
        """
        try:
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Database]:
        try:
            yield self.db
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Database]:
        """Reads that all see the database as of one moment, so a fetch or import landing
        meanwhile cannot make counts taken from several queries disagree."""
        if self.db.conn.in_transaction:
            with self.reading() as db:
                yield db
            return
        with self.reading() as db:
            db.conn.execute("BEGIN")  # deferred: a read snapshot in WAL mode, no lock taken
            try:
                yield db
            finally:
                db.conn.execute("ROLLBACK")

    def schema_version(self) -> list[str]:
        return migrations.applied_names(self.db)

    # -- papers -----------------------------------------------------------------------------

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
            conn.executemany(_INSERT_PAPER, new_rows)
            if new_rows:
                conn.execute(_INDEX_NEW, [json.dumps([row[0] for row in new_rows])])
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

    # -- search -----------------------------------------------------------------------------

    def search(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search over title, abstract, keywords, MeSH and authors, best matches
        first (highest PMIDs first for a leading NOT, which has nothing to rank by).

        Each hit's ``snippet`` marks matched words with \\x02 ... \\x03 (bytes no text has).
        """
        expression, negated = search_expression(text)
        columns = "p.pmid, p.year, p.first_author, p.journal_iso, p.title, p.retracted"
        if negated:
            sql = (f"SELECT {columns}, NULL AS snippet FROM papers p WHERE p.deleted = 0 AND "
                   f"p.rowid NOT IN ({_MATCHING}) ORDER BY p.pmid DESC LIMIT ?")
        else:
            sql = (f"SELECT {columns}, snippet(papers_fts, -1, char(2), char(3), '…', 14) "
                   "AS snippet FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
                   "WHERE papers_fts MATCH ? AND p.deleted = 0 ORDER BY rank LIMIT ?")
        cursor = self._match(sql, text, [expression, limit])
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def count_matches(self, text: str) -> int:
        """How many papers (withdrawn ones left out) a search finds in all."""
        clause, params = self.match_clause(text)
        sql = f"SELECT count(*) FROM papers p WHERE p.deleted = 0 AND {clause}"
        return int(self._match(sql, text, params).fetchone()[0])

    def matching_pmids(self, text: str) -> set[int]:
        """PMIDs whose text matches a search, for filters in tables and exports."""
        clause, params = self.match_clause(text)
        return {row[0] for row in self._match(f"SELECT p.rowid FROM papers p WHERE {clause}",
                                              text, params)}

    @staticmethod
    def match_clause(text: str) -> tuple[str, list[Any]]:
        """A WHERE clause on papers ``p`` (and its parameters) keeping what a search finds."""
        expression, negated = search_expression(text)
        return f"p.rowid {'NOT IN' if negated else 'IN'} ({_MATCHING})", [expression]

    def _match(self, sql: str, text: str, params: list[Any]) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if any(word in str(exc).lower() for word in ("locked", "busy", "disk", "readonly")):
                raise _translate(exc, self.path) from None
            # Anything else from MATCH is the expression itself: say so, in one line.
            raise SearchSyntaxError(
                f"cannot search for {text!r}: {exc} (check quotes, parentheses and "
                f"AND/OR/NOT operands)"
            ) from None

    # -- runs -------------------------------------------------------------------------------

    def start_run(
        self,
        kind: str,
        query: str,
        *,
        mindate: str | None = None,
        maxdate: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> int:
        with self.transaction() as db:
            self._close_dead_runs()
            table = db.table("fetch_runs")
            table.insert(
                {
                    "kind": kind,
                    "query": query,
                    "mindate": mindate,
                    "maxdate": maxdate,
                    "options": json.dumps({**(options or {}), "pid": os.getpid(),
                                           "host": socket.gethostname()}),
                    "started_at": now(),
                    "status": "running",
                }
            )
            return int(table.last_pk)  # type: ignore[arg-type]  # always an int rowid here

    def _close_dead_runs(self) -> None:
        """Runs left "running" by a process that no longer exists (killed, power cut) are
        marked "interrupted", so the history never shows a dead run as still going."""
        host = socket.gethostname()
        for run_id, options in self.db.execute(
                "SELECT id, options FROM fetch_runs WHERE status = 'running'").fetchall():
            owner = json.loads(options or "{}")
            if owner.get("host") != host or not isinstance(owner.get("pid"), int):
                continue
            try:
                os.kill(owner["pid"], 0)
                continue  # still alive: a concurrent run
            except ProcessLookupError:
                pass
            except PermissionError:
                continue  # alive, owned by someone else
            self.db.execute(
                "UPDATE fetch_runs SET status = 'interrupted', finished_at = ?, error = "
                "'the process ended before the run finished; nothing of it was half-written' "
                "WHERE id = ?", [now(), run_id])

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: SaveCounts | None = None,
        found: int | None = None,
        requests: int | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": now(), "error": error}
        if counts is not None:
            values.update(new=counts.new, updated=counts.updated, unchanged=counts.unchanged,
                          deleted=counts.deleted)
        if found is not None:
            values["found"] = found
        if requests is not None:
            values["requests"] = requests
        with self.transaction() as db:
            db.table("fetch_runs").update(run_id, values)

    def record_hits(self, query: str, pmids: Iterable[int], run_id: int) -> None:
        """Remember that ``query`` returned these PMIDs (first run that saw each is kept)."""
        with self.transaction() as db:
            db.conn.executemany(
                "INSERT INTO query_hits (query, pmid, first_run_id) VALUES (?, ?, ?) "
                "ON CONFLICT (query, pmid) DO NOTHING",
                ((query, pmid, run_id) for pmid in pmids),
            )

    def record_import_hits(self, run_id: int, pmids: Iterable[int]) -> None:
        """Remember every PMID an import run contained, whether it was new or not."""
        with self.transaction() as db:
            db.conn.executemany(
                "INSERT INTO import_hits (run_id, pmid) VALUES (?, ?) "
                "ON CONFLICT (run_id, pmid) DO NOTHING",
                ((run_id, pmid) for pmid in pmids),
            )

    def run_actions(self, run_id: int) -> dict[str, int]:
        """How many papers a run added, updated and marked deleted, as committed."""
        with self.reading() as db:
            found = dict(db.execute("SELECT action, count(*) FROM run_papers WHERE run_id = ? "
                                    "GROUP BY action", [run_id]).fetchall())
        return {action: found.get(action, 0) for action in ("new", "updated", "deleted")}

    def runs(self, limit: int = 5) -> list[dict[str, Any]]:
        with self.reading() as db:
            return list(db["fetch_runs"].rows_where(order_by="id desc", limit=limit))

    def last_run_pmids(self, actions: tuple[str, ...] = ("new",)) -> tuple[dict | None, set[int]]:
        """The latest finished fetch or import and the PMIDs it added (``--new``, digests).

        Whatever its status: a run that added nothing leaves nothing new (never an older
        batch again), and an interrupted fetch's kept records count as new.
        """
        with self.reading() as db:
            runs = list(db["fetch_runs"].rows_where("status != 'running'", order_by="id desc",
                                                    limit=1))
            if not runs:
                return None, set()
            marks = ",".join("?" * len(actions))
            pmids = {
                row[0]
                for row in db.execute(
                    f"SELECT pmid FROM run_papers WHERE run_id = ? AND action IN ({marks})",
                    [runs[0]["id"], *actions],
                )
            }
            return runs[0], pmids

    # -- overview ---------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self.reading() as db:
            one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
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


_MATCHING = "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?"
# Search fields as users name them -> columns of the full-text index.
_FIELDS = {"title": "title", "abstract": "abstract", "keywords": "keywords",
           "keyword": "keywords", "mesh": "mesh_terms", "author": "author_names",
           "authors": "author_names"}
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_PUNCTUATION = set('(){}:*^,+')
# FTS5 query tokens: strings (an unclosed one is left for FTS5 to report), punctuation,
# and runs of anything else.
_TOKEN = re.compile(r'"(?:[^"]|"")*"?|[(){}:*^,+]|[^\s"(){}:*^,+]+')
# What FTS5 takes unquoted: ASCII letters, digits, _, \x1a and anything non-ASCII.
_BAREWORD = re.compile("[A-Za-z0-9_\x1a\x80-\U0010ffff]+")


def search_expression(text: str) -> tuple[str, bool]:
    """(FTS5 expression, negated). A leading NOT (``NOT asthma``) selects the papers that
    do not match the rest, which FTS5 alone cannot say."""
    stripped = text.strip()
    if re.match(r"NOT[\s(]", stripped):
        return fts_expression(stripped[3:]), True
    return fts_expression(stripped), False


def fts_expression(text: str) -> str:
    """Plain words become quoted terms (so "7-hydroxymitragynine" just works). Text that
    uses FTS5 syntax (quotes, parentheses, AND/OR/NOT/NEAR, prefix *, field:) keeps it;
    words FTS5 would misread there are quoted, fields are mapped to the index's columns
    (``mesh:asthma``, ``author:O'Byrne``), and ``AND NOT`` means FTS5's ``NOT``."""
    text = text.strip()
    if not text:
        raise SearchSyntaxError("the search text is empty")
    tokens = _TOKEN.findall(text)
    if not any(t in _OPERATORS or t in _PUNCTUATION or t.startswith('"') for t in tokens):
        return " ".join('"' + word.replace('"', "") + '"' for word in text.split())
    out: list[str] = []
    in_braces = False
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        in_braces = token == "{" or (in_braces and token != "}")
        if token == "AND" and following == "NOT":
            continue
        if token not in _PUNCTUATION and (following == ":" or in_braces):
            out.append(_column(token, text))
        elif (token in _OPERATORS or token in _PUNCTUATION or token.startswith('"')
              or _BAREWORD.fullmatch(token) or (out and out[-1] == ",")):
            out.append(token)
        else:
            out.append('"' + token + '"')
    return " ".join(out)


def _column(name: str, text: str) -> str:
    excluded = name.startswith("-")
    column = _FIELDS.get(name.lstrip("-").lower())
    if column is None:
        raise SearchSyntaxError(f"cannot search for {text!r}: unknown field "
                                f"{name.lstrip('-')!r} (use title, abstract, keywords, mesh "
                                "or author)")
    return "-" * excluded + column
