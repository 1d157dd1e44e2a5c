"""The SQL views a reviewer opens first in Datasette (``studies``, ``screening_decisions``),
read with plain sqlite3: they must say what the CLI says."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import UsageError
from kratomlit.report import selection
from kratomlit.review import screening
from kratomlit.store import Store, migrations

from conftest import paper_id


def _query(path: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_new_database_has_the_views(isolated_env: Path) -> None:
    Store(isolated_env).close()
    views = {r["name"] for r in _query(isolated_env, "SELECT name FROM sqlite_master "
                                                     "WHERE type = 'view'")}
    assert {"studies", "screening_decisions"} <= views


def test_an_older_database_gets_the_extraction_columns(isolated_env: Path) -> None:
    db = Database(isolated_env)
    migrations.migrations.apply(db, stop_before="m012_studies_extraction")
    db.close()
    columns = [r["name"] for r in _query(isolated_env, "PRAGMA table_info(studies)")]
    assert "finding" not in columns
    with Store(isolated_env) as store:
        assert store.upgraded == ["m012_studies_extraction"]
    columns = [r["name"] for r in _query(isolated_env, "PRAGMA table_info(studies)")]
    assert columns[columns.index("population") + 1:][:5] == [
        "finding", "substances", "countries", "countries_inferred", "measures"]


@pytest.fixture
def screened(runner: CliRunner, real_db: Path) -> Path:
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
    for args in (["28786991", "exclude", "--reason", "wrong population", "--reviewer", "ana"],
                 ["28786991", "include", "--reviewer", "ben"],
                 ["29768149", "include", "--reviewer", "ana", "--note", "full text read"],
                 ["26702254", "exclude", "--reason", "wrong design", "--reviewer", "ana"],
                 ["26702254", "exclude", "--reason", "not about kratom", "--reviewer", "ben"]):
        assert runner.invoke(app, ["screen", "set", *args]).exit_code == 0
    return real_db


def test_studies_is_the_table_with_retracted_papers_marked(screened: Path) -> None:
    with Store(screened) as store:
        table = {r["pmid"]: r for r in selection.rows(
            store, selection.Filters(include_retracted=True))}
        decisions = screening.effective_decisions(store)
    view = {r["pmid"]: r for r in _query(screened, "SELECT * FROM studies")}
    assert view.keys() == table.keys()
    for pmid, row in view.items():
        study = table[pmid]
        assert (row["title"], row["year"], row["design"], json.loads(row["outcomes"] or "[]"),
                row["n_participants"], row["population"], bool(row["retracted"]), row["doi"],
                row["url"]) == (
            study["title"], study["year"], study["design"], study["outcomes"],
            study["n_participants"], study["population"], study["retracted"], study["doi"],
            study["url"])
        # What the study found, as the table says it (lists as JSON).
        assert (row["finding"] or "", *(json.loads(row[name] or "[]") for name in (
            "substances", "countries", "countries_inferred", "measures"))) == (
            study["finding"], study["substances"], study["countries"],
            study["countries_inferred"], study["measures"])
        decision = decisions.get(row["id"])
        assert (row["screening"], row["screening_reason"]) == (
            (decision.decision, decision.reason) if decision else (None, None))
    assert view[28786991]["screening"] == "conflict"
    assert view[26702254]["screening_reason"] == "not about kratom"
    assert any(row["finding"] for row in view.values())
    assert any(json.loads(row["countries"] or "[]") for row in view.values())


def test_screening_decisions_lists_every_decision_with_its_title(screened: Path) -> None:
    rows = _query(screened, "SELECT * FROM screening_decisions ORDER BY id")
    assert [(r["pmid"], r["reviewer"], r["decision"]) for r in rows] == [
        (28786991, "ana", "exclude"), (28786991, "ben", "include"), (29768149, "ana", "include"),
        (26702254, "ana", "exclude"), (26702254, "ben", "exclude")]
    assert rows[2]["note"] == "full text read"
    assert rows[2]["title"] == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."


PMIDS = [28786991, 29768149, 26702254]
STEP = st.tuples(st.sampled_from(PMIDS), st.sampled_from(["ana", "ben", "cy"]),
                 st.sampled_from(["include", "exclude", "maybe"]),
                 st.sampled_from([None, "wrong design", "not about kratom"]), st.booleans(),
                 st.booleans())


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(STEP, max_size=12))
def test_studies_decides_as_screening_does(real_db: Path, history: list) -> None:
    """Any history of decisions, resolutions and undos: the view agrees with the CLI."""
    with Store(real_db) as store:
        with store.transaction() as db:
            db.execute("DELETE FROM screening")
        for pmid, reviewer, decision, reason, final, undo in history:
            if undo:
                screening.undo(store, reviewer)
                continue
            with contextlib.suppress(UsageError):  # e.g. resolving an unscreened paper
                screening.record(store, paper_id(store, pmid), decision, reviewer=reviewer,
                                 final=final,
                                 reason=reason or ("duplicate" if decision == "exclude"
                                                   else None))
        decisions = screening.effective_decisions(store)
        ids = store.ids_by_pmid(PMIDS)
    view = {r["pmid"]: (r["screening"], r["screening_reason"]) for r in _query(
        real_db, f"SELECT * FROM studies WHERE pmid IN ({', '.join(map(str, PMIDS))})")}
    for pmid in PMIDS:
        decision = decisions.get(ids[pmid])
        assert view[pmid] == ((decision.decision, decision.reason) if decision else (None, None))
