"""Storing and importing the synthetic records: upserts that never duplicate, imports that
are all or nothing (no ../shared needed)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import DatabaseError
from kratomlit.jobs.import_files import import_files
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Paper
from kratomlit.store import Store

from conftest import FIXTURES, SYNTHETIC_MEDLINE, SYNTHETIC_XML, one_line_error, paper_id

WITHDRAWN = 999000012  # in the MEDLINE export; the XML file's DeleteCitation withdraws it


def _papers() -> list[Paper]:
    return [p for p in iter_records(SYNTHETIC_XML) if isinstance(p, Paper)]


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_save_new_then_unchanged_then_changed_in_place(tmp_path: Path) -> None:
    papers = _papers()
    with Store(tmp_path / "k.db") as store:
        first = store.save_papers(papers, source="fetch")
        again = store.save_papers(papers, source="fetch")
        assert (first.new, first.updated, first.unchanged) == (len(papers), 0, 0)
        assert (again.new, again.updated, again.unchanged) == (0, 0, len(papers))
        assert store.db["papers"].count == len(papers)
        assert store.db["authors"].count == sum(len(p.authors) for p in papers)

        original = papers[0]
        seen = store.get_paper(paper_id(store, original.pmid))["first_seen"]
        changed = dataclasses.replace(original, title="Synthetic record 1, retitled Zanzibarian",
                                      authors=original.authors[:1])
        counts = store.save_papers([changed], source="import:x.xml")
        assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 0)
        row = store.get_paper(paper_id(store, original.pmid))
        assert row["title"] == "Synthetic record 1, retitled Zanzibarian"
        assert (row["first_seen"], row["source"]) == (seen, "fetch")  # history is kept
        assert [a["last_name"] for a in row["authors"]] == ["Testperson"]
        assert store.db["papers"].count == len(papers)
        assert [h["pmid"] for h in store.search("Zanzibarian")] == [original.pmid]
        store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")


def test_import_both_formats_withdraws_and_reimports_without_duplicates(
        runner: CliRunner, isolated_env: Path) -> None:
    files = [str(SYNTHETIC_MEDLINE), str(SYNTHETIC_XML)]
    result = runner.invoke(app, ["import", *files])
    assert result.exit_code == 0, result.output
    assert "9 new, 0 updated, 0 unchanged, 1 deleted" in result.stderr
    assert result.stdout == ""
    state = "SELECT pmid, deleted, title FROM papers ORDER BY pmid"
    stored = _rows(isolated_env, state)
    assert [pmid for pmid, _, _ in stored] == [*range(999000001, 999000008), 999000011, WITHDRAWN]
    assert [pmid for pmid, deleted, _ in stored if deleted] == [WITHDRAWN]
    assert _rows(isolated_env, "SELECT count(*) FROM papers_fts") == [(9,)]

    again = runner.invoke(app, ["import", *files])
    assert again.exit_code == 0 and "0 new" in again.stderr
    assert _rows(isolated_env, state) == stored
    assert _rows(isolated_env, "SELECT count(*) FROM papers_fts") == [(9,)]
    assert _rows(isolated_env, "SELECT count(*) FROM authors") == _rows(
        isolated_env, "SELECT sum(author_count) FROM papers")
    assert _rows(isolated_env, "SELECT kind, status FROM fetch_runs") == [("import", "ok")] * 2


def test_a_malformed_file_leaves_the_database_as_it_was(
        runner: CliRunner, isolated_env: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", str(SYNTHETIC_MEDLINE)]).exit_code == 0
    before = _rows(isolated_env, "SELECT * FROM papers ORDER BY pmid")
    data = SYNTHETIC_XML.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: int(len(data) * 0.8)])
    # The good file comes first and the first 80% of the cut one parses: neither is kept.
    result = runner.invoke(app, ["import", str(SYNTHETIC_XML), str(cut)])
    one_line_error(result, "cut.xml", "malformed XML at line")
    assert result.exit_code == 1
    assert _rows(isolated_env, "SELECT * FROM papers ORDER BY pmid") == before
    assert _rows(isolated_env, "SELECT status FROM fetch_runs ORDER BY id") == [("ok",),
                                                                              ("failed",)]


def test_a_full_disk_rolls_back_the_whole_import(tmp_path: Path) -> None:
    with Store(tmp_path / "k.db") as store:
        import_files(store, [SYNTHETIC_MEDLINE])
        before = store.db.execute("SELECT * FROM papers ORDER BY pmid").fetchall()
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")  # a disk with no room left
        with pytest.raises(DatabaseError, match="disk is full"):
            import_files(store, [SYNTHETIC_XML])
        assert store.db.execute("SELECT * FROM papers ORDER BY pmid").fetchall() == before
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statuses = [r[0] for r in store.db.execute("SELECT status FROM fetch_runs ORDER BY id")]
    assert statuses == ["ok", "failed"]


def test_files_that_cannot_be_imported_change_nothing(
        runner: CliRunner, isolated_env: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["import", str(SYNTHETIC_XML), "nope.xml"])
    one_line_error(missing, "nope.xml", "no such file")
    reply = runner.invoke(app, ["import", str(FIXTURES / "synthetic-esearch.xml")])
    one_line_error(reply, "synthetic-esearch.xml", "neither PubMed XML nor EndNote XML")
    text = tmp_path / "notes.txt"
    text.write_text("Synthetic notes, not a MEDLINE export.\n")
    one_line_error(runner.invoke(app, ["import", str(text)]), "notes.txt", "no title column")
    assert _rows(isolated_env, "SELECT count(*) FROM papers") == [(0,)]
