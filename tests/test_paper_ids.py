"""Papers are identified by an opaque id; the PMID is an attribute a record may lack (m011).

A database made before m011 (papers keyed by PMID) upgrades with every paper, tag, decision,
duplicate and run kept, and every reading command prints what it printed before.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from golden import record
from golden.record import _ok, build, outputs
from kratomlit.store import Store, migrations

from conftest import needs_pubmed

_CHILDREN = ("authors", "mesh", "publication_types", "run_papers", "import_hits", "tags",
             "paper_tags", "screening", "duplicates", "paper_extraction", "extraction_manual")
_OLD_FTS = ("title", "abstract", "keywords", "mesh_terms", "author_names")


def _downgrade(path: Path) -> None:
    """Turn a database of this version into what kratomlit wrote before m011: papers keyed by
    PMID (rowid = PMID), child tables with a ``pmid`` column, m007's views."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    with conn:
        for statement in ("DROP VIEW studies", "DROP VIEW screening_decisions",
                          "DROP TABLE source_records", "DROP INDEX idx_papers_pmid",
                          "DROP TRIGGER papers_ad", "DROP TRIGGER papers_au"):
            conn.execute(statement)
        pmid_of = "(SELECT pmid FROM papers WHERE papers.id = {})"
        for table in _CHILDREN:
            conn.execute(f"UPDATE {table} SET paper_id = {pmid_of.format(table + '.paper_id')}")
            conn.execute(f"ALTER TABLE {table} RENAME COLUMN paper_id TO pmid")
        conn.execute(f"UPDATE duplicates SET duplicate_of = "
                     f"{pmid_of.format('duplicates.duplicate_of')}")
        conn.execute("UPDATE papers SET id = pmid")
        for column in ("pmid", "accession", "source_db"):
            conn.execute(f"ALTER TABLE papers DROP COLUMN {column}")
        conn.execute("ALTER TABLE papers RENAME COLUMN id TO pmid")
        listed = ", ".join(f'"{c}"' for c in _OLD_FTS)
        old = ", ".join(f'old."{c}"' for c in _OLD_FTS)
        new = ", ".join(f'new."{c}"' for c in _OLD_FTS)
        delete = (f"INSERT INTO papers_fts (papers_fts, rowid, {listed}) "
                  f"VALUES ('delete', old.rowid, {old});")
        conn.execute(f"CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN {delete} END")
        conn.execute(f"CREATE TRIGGER papers_au AFTER UPDATE ON papers BEGIN {delete} "
                     f"INSERT INTO papers_fts (rowid, {listed}) VALUES (new.rowid, {new}); END")
        conn.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_paper_ids'")
    conn.close()
    db = Database(path)
    with db.conn:
        migrations.m007_views(db)  # the views as they stood before m011
    db.close()


def _columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
            "'papers_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: sorted(r[1] for r in conn.execute(f"PRAGMA table_info('{name}')"))
                for name in names}


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("papers", *_CHILDREN, "fetch_runs", "query_hits")}


def _without_ids(name: str, text: str) -> Any:
    """An output with the papers' internal ids left out (they are the PMIDs after an
    upgrade, counted from 1 in a new database)."""
    if name.startswith("export-csv"):
        rows = list(csv.DictReader(io.StringIO(text)))
        return [{k: v for k, v in row.items() if k != "id"} for row in rows]

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if k not in ("id", "paper_id")}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    if "json" in name and name.split("@")[0] not in ("status-json",):
        lines = text.splitlines() if name.startswith("export-jsonl") else [text]
        return [drop(json.loads(line)) for line in lines if line.strip()]
    return text


@needs_pubmed
def test_a_database_keyed_by_pmid_upgrades_keeping_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record, "WIDTHS", (80,))  # one width is enough here
    env = build(tmp_path)
    path = Path(str(env["KRATOMLIT_DB"]))
    _ok(CliRunner(), env, "tag", "set", "28786991", "--design", "cohort", "--outcome",
        "safety,mood", "--note", "checked the full text")
    before = outputs(tmp_path, env)
    counts = _counts(path)

    _downgrade(path)
    old = tmp_path / "old-schema.db"
    db = Database(old)
    migrations.migrations.apply(db, stop_before="m011_paper_ids")
    db.close()
    assert _columns(path) == _columns(old)  # the downgrade is the old schema exactly
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM papers WHERE rowid != pmid").fetchone() == (0,)

    with Store(path) as store:
        assert store.upgraded == ["m011_paper_ids"]
        store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")
        assert store.db.execute("SELECT count(*) FROM papers WHERE id != pmid").fetchone() == (0,)
        note = store.get_paper(store.find_paper("pmid", 28786991))["manual_tags"][0]["note"]
    assert note == "checked the full text"
    assert _counts(path) == counts
    after = outputs(tmp_path, env)
    assert sorted(after) == sorted(before)
    changed = [name for name in before
               if _without_ids(name, after[name]) != _without_ids(name, before[name])]
    assert changed == []
