"""Which commands may create a database, and reading one that cannot be written: readers
open existing kratomlit databases only, never create, convert or change a file, and work
on a read-only file in a read-only folder."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.store import migrations

from conftest import PUBMED, needs_pubmed, one_line_error

READERS = [["status"], ["show", "29768149"], ["search", "asthma"], ["table"], ["map"],
           ["digest"], ["export", "-f", "csv"], ["prisma"], ["explain", "29768149"],
           ["evaluate", "labels.jsonl"], ["screen", "conflicts"], ["screen", "agreement"]]
# These write, but only into a database that exists: there is nothing for them to do in a
# new one.
EXISTING_ONLY = [["tag", "clear", "29768149"], ["screen", "undo", "--reviewer", "ana"],
                 ["screen", "duplicates"]]


@pytest.fixture(autouse=True)
def labels(isolated_env: Path) -> None:
    """A reviewer's label for `evaluate`, in the test's working folder."""
    Path("labels.jsonl").write_text('{"pmid": 29768149, "design": "rct", "outcomes": []}\n')


@pytest.mark.parametrize("args", READERS + EXISTING_ONLY, ids=" ".join)
def test_no_database_is_created_by_a_command_that_needs_one(
        runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "no" / "such" / "x.db"
    result = runner.invoke(app, [*args, "--db", str(missing)])
    line = one_line_error(result)
    assert line == (f"Error: no database at {missing}; run `kratomlit fetch` or "
                    "`kratomlit import` first")
    assert result.exit_code == 1 and result.stdout == ""
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_file_that_is_not_a_kratomlit_database_is_left_as_it_was(
        runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    empty = tmp_path / "empty.xml"
    empty.touch()
    result = runner.invoke(app, [*args, "--db", str(empty)])
    one_line_error(result, "not a kratomlit database")
    assert empty.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.xml", "labels.jsonl"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_readers_never_write(runner: CliRunner, real_db: Path) -> None:
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0  # so that evaluate has tags
    assert not list(real_db.parent.glob(real_db.name + "-*"))  # all in the main file
    before = _digest(real_db)
    for args in READERS:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    assert _digest(real_db) == before
    # nor leave WAL files behind (owned by the reader, they can keep others from writing)
    assert not list(real_db.parent.glob(real_db.name + "-*"))


@needs_pubmed
def test_writers_still_create_a_database(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "new" / "k.db"
    result = runner.invoke(app, ["import", str(PUBMED / "pubmed-29768149.xml"), "-q",
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["status", "--db", str(db)]).exit_code == 0


@contextlib.contextmanager
def _unable_to_write() -> Iterator[None]:
    """Root ignores file permissions: act as "nobody" meanwhile (in this process, whose
    modules are already imported from root's private folders)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@contextlib.contextmanager
def _read_only_folder(db: Path) -> Iterator[Path]:
    """``db`` alone in a folder nobody may write, as on a shared drive."""
    folder = Path(tempfile.mkdtemp(prefix="kratomlit-ro-"))  # not under root's private tmp
    copy = folder / db.name
    shutil.copyfile(db, copy)
    copy.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield copy
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


COMMANDS = [["status"], ["show", "29768149", "-f", "json"], ["search", "budesonide"],
            ["table", "--search", "asthma"]]


def test_a_database_in_a_read_only_folder_can_be_read(runner: CliRunner, real_db: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # wide enough that neither path wraps: the copy's path is longer than the original's
    monkeypatch.setenv("COLUMNS", "1000")
    with sqlite3.connect(real_db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    expected = [runner.invoke(app, args).stdout for args in COMMANDS]  # also loads the code
    warm = real_db.with_name("warm.db")  # tagging a copy loads the tagging code (process pool)
    shutil.copyfile(real_db, warm)
    assert runner.invoke(app, ["tag", "-q", "--all", "--db", str(warm)]).exit_code == 0
    with _read_only_folder(real_db) as shared:
        before = _digest(shared)
        with _unable_to_write():
            results = [runner.invoke(app, [*args, "--db", str(shared)]) for args in COMMANDS]
            tagging = runner.invoke(app, ["tag", "-q", "--db", str(shared)])
        for args, result, wanted in zip(COMMANDS, results, expected, strict=True):
            assert result.exit_code == 0, (args, result.output)
            assert result.stdout.split() == wanted.replace(str(real_db), str(shared)).split()
        one_line_error(tagging, "read-only")
        assert _digest(shared) == before
        assert [p.name for p in shared.parent.iterdir()] == [shared.name]


def _older(path: Path) -> None:
    """A kratomlit database as the version before the latest migration left it."""
    db = Database(path)
    migrations.migrations.apply(db, stop_before=migrations.SCHEMA_VERSION_NAMES[-1])
    db.close()


def test_a_reader_upgrades_an_older_database_once_and_says_so(runner: CliRunner,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _older(db)
    latest = migrations.SCHEMA_VERSION_NAMES[-1]
    result = runner.invoke(app, ["status", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (f"Upgraded the database {db} to this version of "
                                     f"kratomlit ({latest})")
    again = runner.invoke(app, ["status", "--db", str(db)])
    assert again.exit_code == 0 and again.stderr == ""


def test_an_older_database_that_cannot_be_written_is_explained(runner: CliRunner,
                                                                tmp_path: Path) -> None:
    _older(tmp_path / "old.db")
    with _read_only_folder(tmp_path / "old.db") as shared:
        before = _digest(shared)
        with _unable_to_write():
            result = runner.invoke(app, ["status", "--db", str(shared)])
        one_line_error(result, f"database {shared}: an older kratomlit made it",
                       "needs write access")
        assert result.exit_code == 1 and _digest(shared) == before


def test_modes_are_checked_in_the_library_too(tmp_path: Path) -> None:
    from kratomlit.errors import DatabaseError
    from kratomlit.store import Store

    for kwargs in ({"read_only": True}, {"create": False}):
        with pytest.raises(DatabaseError, match="no database at"):
            Store(tmp_path / "x.db", **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "x.db").exists()
