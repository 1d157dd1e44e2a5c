"""Read-only, locked, full or foreign database files, and bad search syntax: one clear line,
a non-zero exit, and nothing lost."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import DatabaseError
from kratomlit.jobs.import_files import import_files
from kratomlit.store import Store

from conftest import PUBMED, RECORD_FILES, needs_pubmed, one_line_error

ONE = PUBMED / "pubmed-29768149.xml"
root = pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")



def _papers(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])


def test_not_a_database(runner: CliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "notes.db"
    fake.write_text("these are my notes, not a database\n" * 100)
    one_line_error(runner.invoke(app, ["status", "--db", str(fake)]), "not a kratomlit database")
    assert fake.read_text().startswith("these are my notes")


def test_another_programs_sqlite_file_is_left_alone(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "zotero.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE items (itemID INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO items (title) VALUES ('Kratom and mood')")
    before = other.read_bytes()
    one_line_error(runner.invoke(app, ["import", str(ONE), "--db", str(other)]),
                   "belongs to another program", "items")
    assert other.read_bytes() == before


def test_database_path_is_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    one_line_error(runner.invoke(app, ["status", "--db", str(tmp_path)]), "folder")


def test_read_only_database_file(runner: CliRunner, real_db: Path) -> None:
    before = _papers(real_db)
    with sqlite3.connect(real_db) as conn:  # fold the WAL in, so the file alone is the data
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.chmod(real_db, stat.S_IRUSR | stat.S_IRGRP)
    try:
        if os.access(real_db, os.W_OK):
            pytest.skip("this user can write read-only files (root)")
        one_line_error(runner.invoke(app, ["import", str(PUBMED / "medline-pubmed_result1.txt")]),
               "read-only")
    finally:
        os.chmod(real_db, stat.S_IRUSR | stat.S_IWUSR)
    assert _papers(real_db) == before


def test_read_only_database_rolls_back_cleanly(real_db: Path) -> None:
    # The same SQLite error a read-only file or mount gives, reachable even as root.
    with Store(real_db) as store:
        before = store.db.execute("SELECT count(*) FROM papers").fetchone()[0]
        store.db.execute("PRAGMA query_only = ON")
        with pytest.raises(DatabaseError, match="read-only"):
            import_files(store, [PUBMED / "medline-pubmed_result1.txt"])
        store.db.execute("PRAGMA query_only = OFF")
        assert store.db.execute("SELECT count(*) FROM papers").fetchone()[0] == before


@root
def test_folder_that_cannot_be_created(runner: CliRunner, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, stat.S_IRUSR | stat.S_IXUSR)
    try:
        one_line_error(runner.invoke(app, ["status", "--db", str(locked / "sub" / "k.db")]),
               "cannot create folder")
    finally:
        os.chmod(locked, stat.S_IRWXU)


def test_locked_database_waits_then_fails_cleanly(runner: CliRunner, real_db: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from kratomlit.store import connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 300)
    before = _papers(real_db)
    holder = sqlite3.connect(real_db, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        one_line_error(runner.invoke(app, ["import", str(PUBMED / "medline-pubmed_result1.txt")]),
               "locked")
    finally:
        holder.rollback()
        holder.close()
    assert _papers(real_db) == before


@needs_pubmed
def test_full_disk_rolls_back_the_whole_import(tmp_path: Path) -> None:
    path = tmp_path / "small.db"
    with Store(path) as store:
        import_files(store, [ONE])
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        # A disk that fills up a few pages later: the big import cannot fit.
        store.db.execute(f"PRAGMA max_page_count = {pages + 5}")
        with pytest.raises(DatabaseError, match="disk is full"):
            import_files(store, RECORD_FILES)
        assert store.db.execute("SELECT count(*) FROM papers").fetchone()[0] == 1
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statuses = [r[0] for r in store.db.execute("SELECT status FROM fetch_runs ORDER BY id")]
    assert statuses == ["ok", "failed"]


@pytest.mark.parametrize("query", ['"unbalanced', "NOT", "kratom AND", "(kratom", "NEAR("])
def test_search_syntax_errors_are_explained(runner: CliRunner, real_db: Path, query: str
                                            ) -> None:
    one_line_error(runner.invoke(app, ["search", query]), "cannot search for")
    one_line_error(runner.invoke(app, ["table", "--search", query]), "cannot search for")
