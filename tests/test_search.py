"""`search` (and `table --search`) on the real records: true counts, a leading NOT, fields
named as users name them, authors, and bad expressions as usage errors (exit 2)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Paper
from kratomlit.store import Store

from conftest import PUBMED, needs_pubmed, one_line_error


def _fts(db: Path, expression: str) -> set[int]:
    """The papers SQLite's own FTS5 finds for a raw expression: what the CLI must report."""
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute(
            "SELECT pmid FROM papers WHERE rowid IN (SELECT rowid FROM papers_fts "
            "WHERE papers_fts MATCH ?)", [expression])}


def _search(runner: CliRunner, *args: str) -> list[int]:
    result = runner.invoke(app, ["search", *args, "-f", "json", "--limit", "1000"])
    assert result.exit_code == 0, result.output
    return [hit["pmid"] for hit in json.loads(result.stdout)]


def test_the_count_is_of_every_match_not_of_the_page(runner: CliRunner, real_db: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    total = len(_fts(real_db, "patients"))
    assert total > 20
    result = runner.invoke(app, ["search", "patients"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == (
        f"showing 20 of {total:,} papers matching 'patients'")
    as_json = runner.invoke(app, ["search", "patients", "-f", "json"])
    assert len(json.loads(as_json.stdout)) == 20  # data stays a list; the count is a message
    assert as_json.stderr.strip() == f"showing 20 of {total:,} papers matching 'patients'"
    few = runner.invoke(app, ["search", "budesonide"]).stdout.rstrip().splitlines()[-1]
    assert few == "1 paper matches 'budesonide'"


def test_a_leading_not_finds_the_papers_without_the_words(runner: CliRunner,
                                                          real_db: Path) -> None:
    asthma = _fts(real_db, "asthma")
    assert asthma
    found = _search(runner, "NOT asthma")
    assert len(found) == 617 - len(asthma) and not asthma & set(found)
    assert set(_search(runner, "NOT (asthma OR patients)")) == (
        set(_search(runner, "NOT asthma")) - _fts(real_db, "patients"))
    and_not = set(_search(runner, "patients AND NOT asthma"))
    assert and_not == _fts(real_db, "patients") - asthma
    table = runner.invoke(app, ["table", "--search", "NOT asthma", "-f", "json"])
    assert {row["pmid"] for row in json.loads(table.stdout)} == set(found)


def test_fields_are_named_as_users_name_them(runner: CliRunner, real_db: Path) -> None:
    with sqlite3.connect(real_db) as conn:
        with_mesh = {r[0] for r in conn.execute(
            "SELECT p.pmid FROM mesh JOIN papers p ON p.id = paper_id "
            "WHERE descriptor = 'Asthma'")}
    assert with_mesh and set(_search(runner, "mesh:asthma")) == with_mesh
    assert set(_search(runner, "title:asthma")) == _fts(real_db, "title:asthma")
    result = runner.invoke(app, ["search", "journal:lancet"])
    line = one_line_error(result, "unknown field 'journal'", "mesh", "author")
    assert result.exit_code == 2
    assert "mesh_terms" not in line and "author_names" not in line and "column" not in line


def test_authors_are_searchable(runner: CliRunner, real_db: Path) -> None:
    assert _search(runner, "O'Byrne") == [29768149]
    assert _search(runner, "author:FitzGerald AND asthma") == [29768149]
    assert _search(runner, "O'Byrne PM") == [29768149]  # as PubMed writes authors
    with sqlite3.connect(real_db) as conn:
        first = conn.execute("SELECT p.pmid, last_name FROM authors JOIN papers p ON "
                             "p.id = paper_id WHERE position = 1 AND last_name GLOB '[A-Z]*' "
                             "ORDER BY p.pmid LIMIT 25").fetchall()
    for pmid, surname in first:
        assert pmid in _search(runner, f"author:{surname}"), surname


def test_words_fts5_would_misread_are_quoted_in_expressions(runner: CliRunner,
                                                           real_db: Path) -> None:
    assert _search(runner, "budesonide-formoterol AND asthma") == [29768149]
    assert _search(runner, "budesonide-formoterol") == [29768149]


@pytest.mark.parametrize("query", ['"unbalanced', "NOT", "kratom AND", "(kratom", "NEAR("])
def test_bad_expressions_are_usage_errors(runner: CliRunner, real_db: Path, query: str) -> None:
    for args in (["search", query], ["table", "--search", query]):
        result = runner.invoke(app, args)
        one_line_error(result, "cannot search for")
        assert result.exit_code == 2


@needs_pubmed
def test_changed_authors_are_reindexed_through_the_one_write_path(tmp_path: Path) -> None:
    papers = [p for p in iter_records(gzip.open(PUBMED / "test_current_medline.xml.gz"))
              if isinstance(p, Paper) and p.authors]
    first, other = papers[0], papers[1]
    surname, new_surname = first.authors[0].last_name, other.authors[0].last_name
    assert surname and new_surname and surname != new_surname
    with Store(tmp_path / "k.db") as store:
        store.save_papers([first, other], source="test")
        assert first.pmid in {h["pmid"] for h in store.search(f"author:{surname}")}
        counts = store.save_papers([dataclasses.replace(first, authors=other.authors)],
                                   source="test")
        assert counts.updated == 1
        assert {h["pmid"] for h in store.search(f"author:{new_surname}")} == {
            first.pmid, other.pmid}
        store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")
