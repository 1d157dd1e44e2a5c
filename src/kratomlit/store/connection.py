"""The connection: opening and migrating the database, transactions, and the one place
where SQLite errors become a one-line ``DatabaseError``.

Private to the store: the modules beside this one build on ``Connection``; everything else
uses ``Store``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kratomlit.errors import DatabaseError
from kratomlit.store import migrations

# SQLite allows 32,766 host parameters per statement since 3.32; stay well below.
_IN_CHUNK = 900
# Concurrent writers wait this long for the lock before giving up with a clear error.
BUSY_TIMEOUT_MS = 30_000


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def translate(exc: sqlite3.Error, path: Path | None) -> DatabaseError:
    """The one wording of an SQLite error: what it means for the user, in one line."""
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
    return DatabaseError(f"database {path}: {why}" if path else f"database: {why}")



class Connection:
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
            error = translate(exc, self.path)
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

    def __enter__(self) -> Any:
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
            raise translate(exc, self.path) from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Database]:
        try:
            yield self.db
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from None

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

