"""A database made by an earlier schema version is upgraded in place, keeping everything."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Paper
from kratomlit.store import PAPER_COLUMNS, Store, migrations, paper_rows

from conftest import PUBMED, needs_pubmed

pytestmark = needs_pubmed


def _old_database(path: Path, stop_before: str) -> list[int]:
    """Build the schema as it stood before ``stop_before`` and fill it the old way."""
    db = Database(path)
    migrations.migrations.apply(db, stop_before=stop_before)
    papers = [p for p in iter_records(gzip.open(PUBMED / "test_current_medline.xml.gz"))
              if isinstance(p, Paper)]
    with db.conn:
        for paper in papers:
            row, authors, _, _ = paper_rows(paper)
            values = dict(zip(PAPER_COLUMNS, row, strict=True))
            db.table("papers").insert({**values, "source": "fetch", "first_seen": "2020-01-01",
                                       "updated_at": "2020-01-01"})
            db.table("authors").insert_all(
                [dict(zip(("pmid", "position", "last_name", "fore_name", "initials",
                           "collective_name", "orcid", "affiliation"), a, strict=True))
                 for a in authors])
        db.table("fetch_runs").insert({"kind": "fetch", "query": "kratom", "status": "ok",
                                       "started_at": "2020-01-01T00:00:00Z", "new": len(papers)})
    db.close()
    return [p.pmid for p in papers]


def test_upgrade_from_the_first_schema_keeps_papers_and_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    pmids = _old_database(path, stop_before="m002_tags")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "papers" in tables and "paper_tags" not in tables
    with Store(path) as store:
        assert store.schema_version() == migrations.SCHEMA_VERSION_NAMES
        assert sorted(store.stored_pmids()) == sorted(pmids)
        assert store.get_paper(pmids[0])["first_seen"] == "2020-01-01"
        assert store.runs()[0]["query"] == "kratom"
        title_word = store.get_paper(pmids[0])["title"].split()[0]
        assert pmids[0] in {h["pmid"] for h in store.search(title_word, limit=50)}
        # the upgraded database works end to end: tags and screening tables are there
        from kratomlit.jobs.tag_papers import tag_store

        assert tag_store(store).tagged == len(pmids)


def test_upgrade_keeps_tags_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    pmids = _old_database(path, stop_before="m003_screening")
    db = Database(path)
    with db.conn:
        db.table("paper_tags").insert({"pmid": pmids[0], "design": "rct",
                                       "outcomes": json.dumps(["mood"]), "design_source": "manual",
                                       "tagged_at": "2021-01-01"})
    db.close()
    for _ in range(2):  # opening twice applies nothing the second time
        with Store(path) as store:
            assert store.schema_version() == migrations.SCHEMA_VERSION_NAMES
            row = store.db.execute("SELECT design, outcomes FROM paper_tags").fetchall()
            assert row == [("rct", '["mood"]')]
            assert store.db.execute("SELECT count(*) FROM screening").fetchone()[0] == 0


@needs_pubmed
def test_upgrade_indexes_authors_and_leaves_records_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    pmids = _old_database(path, stop_before="m006_fts_authors")
    papers = [p for p in iter_records(gzip.open(PUBMED / "test_current_medline.xml.gz"))
              if isinstance(p, Paper)]
    with Store(path) as store:
        names = migrations.SCHEMA_VERSION_NAMES
        assert store.upgraded == names[names.index("m006_fts_authors"):]
        store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")
        for paper in papers:
            for author in paper.authors[:3]:
                if author.last_name:
                    found = {h["pmid"] for h in store.search(f'author:"{author.last_name}"',
                                                             limit=100)}
                    assert paper.pmid in found, author.last_name
        counts = store.save_papers(papers, source="import:again")  # the same records again
        assert (counts.new, counts.updated, counts.unchanged) == (0, 0, len(pmids))
    with Store(path) as store:
        assert store.upgraded == []  # once only
