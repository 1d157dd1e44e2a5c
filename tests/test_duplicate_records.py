"""Confirmed duplicates: a confirmation sticks, and a duplicate record is never a second study
(left out of tables, maps, digests, exports and screening unless asked for, then marked)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.report import selection
from kratomlit.store import Store

from conftest import needs_pubmed, one_line_error
from fake_eutils import article_set, real_articles, with_pmid

pytestmark = needs_pubmed

ORIGINAL = 28786991  # a real record with a DOI
COPY = 99_000_001  # the same record imported again under another PMID
SEARCH = "tuberculosis targeted testing"


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@pytest.fixture
def copied(runner: CliRunner, real_db: Path, tmp_path: Path) -> Path:
    """The real database, the original tagged, and the copy imported as a file."""
    ok(runner, "tag", "-q")
    record = next(r for r in real_articles() if r.pmid == ORIGINAL)
    again = tmp_path / "again.xml"
    again.write_text(article_set([with_pmid(record, COPY)]), "utf-8")
    ok(runner, "import", str(again), "--quiet")
    return real_db


def pairs(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT p.pmid, k.pmid, status, decided_at FROM duplicates d "
                            "JOIN papers p ON p.id = d.paper_id "
                            "JOIN papers k ON k.id = d.duplicate_of ORDER BY p.pmid").fetchall()


def test_a_plain_scan_never_undoes_a_confirmation(runner: CliRunner, copied: Path) -> None:
    assert f"{COPY} duplicates {ORIGINAL} (doi, candidate)" in ok(runner, "screen",
                                                                  "duplicates")
    assert pairs(copied) == [(COPY, ORIGINAL, "candidate", None)]
    ok(runner, "screen", "duplicates", "--confirm", str(COPY))
    confirmed = pairs(copied)
    assert confirmed[0][2] == "confirmed" and confirmed[0][3]
    again = runner.invoke(app, ["screen", "duplicates"])
    assert f"{COPY} duplicates {ORIGINAL} (doi, confirmed)" in again.stdout
    assert "1 candidate(s), 1 confirmed" in again.stderr
    assert pairs(copied) == confirmed  # still confirmed, decision time kept


def test_a_confirmed_duplicate_is_not_a_second_study(runner: CliRunner, copied: Path) -> None:
    def table(*args: str) -> list[dict]:
        return json.loads(ok(runner, "table", "--format", "json", "--search", SEARCH, *args))

    assert {r["pmid"] for r in table()} == {COPY, ORIGINAL}  # before: two studies
    map_before = json.loads(ok(runner, "map", "--format", "json"))["studies"]
    ok(runner, "screen", "duplicates", "--confirm-all")

    assert [r["pmid"] for r in table()] == [ORIGINAL]
    assert {r["pmid"]: r["duplicate_of"] for r in table("--include-duplicates")} == {
        COPY: ORIGINAL, ORIGINAL: None}
    shown = runner.invoke(app, ["table", "--search", SEARCH, "--include-duplicates"],
                          env={"COLUMNS": "80", "TTY_COMPATIBLE": "1"})
    assert f"DUPLICATE of PMID {ORIGINAL}" in shown.stdout
    assert shown.stdout.strip().splitlines()[-1].startswith("1 study: ")
    assert "1 confirmed duplicate record, marked, not counted" in shown.stdout
    assert json.loads(ok(runner, "map", "--format", "json"))["studies"] == map_before - 1
    digest = json.loads(ok(runner, "digest", "--format", "json"))  # the import added the copy
    assert digest["groups"] == {}

    exported = [json.loads(line) for line in ok(runner, "export", "-f", "jsonl").splitlines()]
    assert COPY not in {r["pmid"] for r in exported}
    everything = ok(runner, "export", "-f", "csv", "--include-duplicates")
    rows = {r["pmid"]: r for r in csv.DictReader(io.StringIO(everything.lstrip("\ufeff")))}
    assert (rows[str(COPY)]["duplicate_of"], rows[str(ORIGINAL)]["duplicate_of"]) == (
        str(ORIGINAL), "")
    assert len(rows) == len(exported) + 1
    ris = ok(runner, "export", "-f", "ris", "--include-duplicates", "--search", SEARCH)
    assert f"N1  - Duplicate of PMID {ORIGINAL}" in ris
    markdown = ok(runner, "export", "-f", "md", "--include-duplicates", "--search", SEARCH)
    assert f"DUPLICATE of PMID {ORIGINAL}: Yield of community-based" in markdown

    with Store(copied) as store:  # the screening queue is the table's selection
        queue = selection.pmids(store, selection.Filters(include_retracted=True))
        ids = store.ids_by_pmid([ORIGINAL, COPY])
    assert ids[ORIGINAL] in queue and ids[COPY] not in queue


def test_a_duplicate_whose_kept_record_is_withdrawn_stands_in_for_it(
        runner: CliRunner, copied: Path) -> None:
    ok(runner, "screen", "duplicates", "--confirm-all")
    with Store(copied) as store:
        store.mark_deleted([ORIGINAL])  # NLM withdraws the record that was kept
    rows = json.loads(ok(runner, "table", "--format", "json", "--search", SEARCH))
    assert [r["pmid"] for r in rows] == [COPY]
    flow = json.loads(ok(runner, "prisma", "--format", "json"))
    real = 617  # records in the real database
    assert (flow["duplicate_records"], flow["awaiting"]) == (0, real - 1 + 1)


def test_confirm_all_is_all_or_nothing(runner: CliRunner, copied: Path) -> None:
    with sqlite3.connect(copied) as conn:  # confirming fails, as on a full disk
        for event in ("INSERT", "UPDATE"):
            conn.execute(f"CREATE TRIGGER full_{event} BEFORE {event} ON duplicates "
                         "WHEN NEW.status = 'confirmed' BEGIN "
                         "SELECT RAISE(ABORT, 'database or disk is full'); END")
    result = runner.invoke(app, ["screen", "duplicates", "--confirm-all"])
    one_line_error(result, "disk is full")
    assert pairs(copied) == []
