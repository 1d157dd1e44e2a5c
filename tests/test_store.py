"""Store tests: upserts that never duplicate, FTS in sync, runs, migrations, errors."""

from __future__ import annotations

import dataclasses
import gzip
import sqlite3
from pathlib import Path

import pytest

from kratomlit.errors import DatabaseError, NotFoundError, SearchSyntaxError
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Paper
from kratomlit.store import Store, fts_expression, migrations

from conftest import PUBMED, paper_id, require_pubmed


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    require_pubmed()
    source = gzip.open(PUBMED / "test_current_medline.xml.gz")
    return [p for p in iter_records(source) if isinstance(p, Paper)]


def _fts_rows(store: Store, pmid: int) -> int:
    """How many index entries find this paper by its own title words (0 or 1 when consistent)."""
    rowid, title = store.db.execute("SELECT id, title FROM papers WHERE pmid = ?",
                                    [pmid]).fetchone()
    words = " ".join(f'"{w}"' for w in title.replace('"', " ").split()[:6])
    sql = "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ? AND rowid = ?"
    return store.db.execute(sql, [f"title : ({words})", rowid]).fetchone()[0]


def _fts_consistent(store: Store) -> bool:
    try:  # FTS5 raises "database disk image is malformed" when index and content differ
        store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


def test_fresh_database_has_every_migration(tmp_path: Path) -> None:
    with Store(tmp_path / "new" / "k.db") as store:
        assert store.schema_version() == migrations.SCHEMA_VERSION_NAMES
        assert {"papers", "authors", "mesh", "fetch_runs", "tags", "paper_tags",
                "screening"} <= set(store.db.table_names())
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_save_new_then_unchanged(tmp_path: Path, papers: list[Paper]) -> None:
    with Store(tmp_path / "k.db") as store:
        first = store.save_papers(papers, source="test")
        again = store.save_papers(papers, source="test")
        assert (first.new, first.updated, first.unchanged) == (len(papers), 0, 0)
        assert (again.new, again.updated, again.unchanged) == (0, 0, len(papers))
        assert store.db["papers"].count == len(papers)
        assert store.db["authors"].count == sum(len(p.authors) for p in papers)
        assert all(_fts_rows(store, p.pmid) == 1 for p in papers)
        assert _fts_consistent(store)


def test_changed_record_is_updated_in_place(tmp_path: Path, papers: list[Paper]) -> None:
    original = papers[0]
    with Store(tmp_path / "k.db") as store:
        store.save_papers([original], source="fetch")
        first_seen = store.get_paper(paper_id(store, original.pmid))["first_seen"]
        changed = dataclasses.replace(
            original, title="Zanzibarian retitled record", authors=original.authors[:1],
            retracted=True)
        counts = store.save_papers([changed], source="import:x")
        assert (counts.new, counts.updated) == (0, 1)
        row = store.get_paper(paper_id(store, original.pmid))
        assert row["title"] == "Zanzibarian retitled record"
        assert row["first_seen"] == first_seen and row["source"] == "fetch"
        assert row["retracted"] == 1
        assert len(row["authors"]) == 1
        assert _fts_rows(store, original.pmid) == 1
        assert _fts_consistent(store)
        assert [h["pmid"] for h in store.search("Zanzibarian")] == [original.pmid]
        assert store.search("Differential Diagnosis") == [] or all(
            h["pmid"] != original.pmid for h in store.search('"Differential Diagnosis"'))


def test_last_version_of_a_repeated_pmid_wins(tmp_path: Path, papers: list[Paper]) -> None:
    newer = dataclasses.replace(papers[0], title="Second version")
    with Store(tmp_path / "k.db") as store:
        counts = store.save_papers([papers[0], newer], source="test")
        assert counts.new == 1
        assert store.get_paper(paper_id(store, papers[0].pmid))["title"] == "Second version"


def test_deleted_pmids_are_flagged(tmp_path: Path, papers: list[Paper]) -> None:
    with Store(tmp_path / "k.db") as store:
        store.save_papers(papers, source="test")
        assert store.mark_deleted([papers[0].pmid, 99999999]) == 1
        assert store.get_paper(paper_id(store, papers[0].pmid))["deleted"] == 1
        assert store.stats()["deleted"] == 1
        assert store.stats()["papers"] == len(papers) - 1


def test_runs_record_status_and_new_pmids(tmp_path: Path, papers: list[Paper]) -> None:
    with Store(tmp_path / "k.db") as store:
        run = store.start_run("fetch", "kratom", mindate="2020", maxdate="2021")
        counts = store.save_papers(papers, source="fetch", run_id=run)
        store.finish_run(run, status="ok", counts=counts, found=len(papers), requests=2)
        last, added = store.last_run_pmids()
        assert last["id"] == run and last["status"] == "ok" and last["new"] == len(papers)
        assert added == set(store.ids_by_pmid(p.pmid for p in papers).values()) == set(counts.ids)
        failed = store.start_run("fetch", "kratom")
        assert store.last_run_pmids()[0]["id"] == run  # a run still going is not the last
        store.finish_run(failed, status="failed", error="boom")
        assert store.runs(1)[0]["status"] == "failed"
        assert store.last_run_pmids() == (store.runs(1)[0], set())  # it added nothing


def test_unknown_pmid(tmp_path: Path) -> None:
    with Store(tmp_path / "k.db") as store, pytest.raises(NotFoundError, match="PMID 123"):
        store.find_paper("pmid", 123)


def test_search_syntax_errors_are_clean(tmp_path: Path, papers: list[Paper]) -> None:
    with Store(tmp_path / "k.db") as store:
        store.save_papers(papers, source="test")
        for bad in ('"unbalanced', "NOT", "back AND"):
            with pytest.raises(SearchSyntaxError, match="cannot search"):
                store.search(bad)
        assert store.search("back pain")  # plain words need no syntax


def test_fts_expression_quotes_plain_words() -> None:
    assert fts_expression("7-hydroxymitragynine withdrawal") == (
        '"7-hydroxymitragynine" "withdrawal"')
    assert fts_expression('kratom AND "opioid use"') == 'kratom AND "opioid use"'


def test_database_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError, match="cannot create folder"):
        Store(blocker / "k.db")


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a kratomlit database"):
        Store(path)


def test_write_refused_by_sqlite_is_a_clean_error(tmp_path: Path, papers: list[Paper]) -> None:
    with Store(tmp_path / "k.db") as store:
        store.db.execute("PRAGMA query_only = ON")  # SQLite now refuses writes, as on a RO file
        with pytest.raises(DatabaseError, match="read-only"):
            store.save_papers(papers, source="test")
        assert store.db.execute("SELECT count(*) FROM papers").fetchone()[0] == 0
