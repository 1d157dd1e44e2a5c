"""``kratomlit import``: real files in, all or nothing, clean one-line errors."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import Interrupted
from kratomlit.jobs.import_files import import_files
from kratomlit.store import Store

from conftest import (
    PUBMED,
    RECORD_FILES,
    SYNTHETIC_MEDLINE,
    SYNTHETIC_XML,
    needs_pubmed,
    one_line_error,
)


def _count(db: Path, sql: str = "SELECT count(*) FROM papers") -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]



@needs_pubmed
def test_import_real_files_then_reimport_is_idempotent(runner: CliRunner, isolated_env: Path
                                                        ) -> None:
    files = [str(p) for p in RECORD_FILES]
    result = runner.invoke(app, ["import", *files])
    assert result.exit_code == 0, result.output
    assert "617 new" in result.stderr and "1 deleted" not in result.stderr
    assert _count(isolated_env) == 617
    again = runner.invoke(app, ["import", *files])
    assert again.exit_code == 0
    assert "0 new, 0 updated, 617 unchanged" in again.stderr
    assert _count(isolated_env) == 617
    assert _count(isolated_env, "SELECT count(*) FROM papers_fts") == 617
    runs = _count(isolated_env, "SELECT count(*) FROM fetch_runs WHERE status = 'ok'")
    assert runs == 2


@needs_pubmed
def test_deletecitation_marks_a_stored_paper(runner: CliRunner, isolated_env: Path,
                                             tmp_path: Path) -> None:
    # Store one real record under the PMID that medline16n0902 withdraws, then import the set.
    record = (PUBMED / "pubmed-29768149.xml").read_bytes().replace(b">29768149<", b">26432306<")
    withdrawn = tmp_path / "withdrawn.xml"
    withdrawn.write_bytes(record)
    assert runner.invoke(app, ["import", str(withdrawn)]).exit_code == 0
    result = runner.invoke(app, ["import", str(PUBMED / "medline16n0902.xml.gz")])
    assert result.exit_code == 0 and "1 deleted" in result.stderr
    assert _count(isolated_env, "SELECT deleted FROM papers WHERE pmid = 26432306") == 1


@needs_pubmed
def test_missing_file_changes_nothing(runner: CliRunner, isolated_env: Path) -> None:
    result = runner.invoke(app, ["import", str(PUBMED / "pubmed-29768149.xml"), "nope.xml"])
    one_line_error(result, "nope.xml", "no such file")
    assert _count(isolated_env) == 0


@needs_pubmed
def test_truncated_xml_names_file_and_line_and_rolls_back(
    runner: CliRunner, isolated_env: Path, tmp_path: Path
) -> None:
    data = gzip.open(PUBMED / "medline16n0902.xml.gz").read()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    good = str(PUBMED / "pubmed-29768149.xml")
    result = runner.invoke(app, ["import", good, str(cut)])
    one_line_error(result, "cut.xml", "malformed XML at line")
    # The good file and the first 80% of the cut one were not kept: all or nothing.
    assert _count(isolated_env) == 0
    status = _count(isolated_env, "SELECT count(*) FROM fetch_runs WHERE status = 'failed'")
    assert status == 1
    assert _count(isolated_env, "SELECT count(*) FROM fetch_runs WHERE status = 'ok'") == 0


@needs_pubmed
def test_truncated_gzip_is_a_clean_error(runner: CliRunner, isolated_env: Path,
                                         tmp_path: Path) -> None:
    raw = (PUBMED / "medline16n0902.xml.gz").read_bytes()
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(raw[: len(raw) // 2])
    result = runner.invoke(app, ["import", str(cut)])
    one_line_error(result, "cut.xml.gz")
    assert _count(isolated_env) == 0


@needs_pubmed
def test_unknown_format_and_empty_file(runner: CliRunner, isolated_env: Path,
                                       tmp_path: Path) -> None:
    prose = tmp_path / "refs.txt"  # (a CSV file is a format kratomlit reads since issue 17)
    prose.write_text("Some notes about kratom\nwith no records in them\n")
    one_line_error(runner.invoke(app, ["import", str(prose)]), "refs.txt", "not a format")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    one_line_error(runner.invoke(app, ["import", str(empty)]), "empty.xml", "empty")
    one_line_error(runner.invoke(app, ["import", str(tmp_path)]), "folder")
    one_line_error(runner.invoke(app, ["import", str(PUBMED / "esearch2.xml")]),
                    "neither PubMed XML nor EndNote XML")
    assert _count(isolated_env) == 0


def test_database_path_that_cannot_be_written(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    result = runner.invoke(
        app, ["import", "--db", str(blocker / "k.db"), str(PUBMED / "pubmed-29768149.xml")])
    one_line_error(result, "cannot create folder")


@needs_pubmed
def test_quiet_prints_nothing(runner: CliRunner) -> None:
    result = runner.invoke(app, ["import", "--quiet", str(PUBMED / "pubmed-29768149.xml")])
    assert result.exit_code == 0
    assert result.output == ""


def test_ctrl_c_during_an_import_keeps_nothing_and_says_so(isolated_env: Path) -> None:
    def interrupt(name: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with Store(isolated_env) as store, pytest.raises(Interrupted) as stopped:
        import_files(store, [SYNTHETIC_MEDLINE, SYNTHETIC_XML], progress=interrupt)
    assert str(stopped.value) == "interrupted; nothing was imported (an import is all or nothing)"
    assert stopped.value.exit_code == 130
    assert _count(isolated_env) == 0
    assert _count(isolated_env, "SELECT status FROM fetch_runs") == "interrupted"
