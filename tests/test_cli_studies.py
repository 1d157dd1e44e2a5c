"""``table``, ``map`` and ``digest`` through the CLI, and their bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import one_line_error


@pytest.fixture
def tagged(real_tagged_db: Path) -> Path:
    return real_tagged_db


def test_table_json_applies_every_filter(runner: CliRunner, tagged: Path) -> None:
    result = runner.invoke(app, ["table", "-f", "json", "--outcome", "safety", "--design",
                                 "rct,cohort", "--since", "2015", "--until", "2016"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    with sqlite3.connect(tagged) as conn:
        expected = {pmid for (pmid,) in conn.execute(
            "SELECT p.pmid FROM papers p JOIN paper_tags t ON t.paper_id = p.id "
            "WHERE p.retracted = 0 "
            "AND t.design IN ('rct', 'cohort') AND p.year BETWEEN 2015 AND 2016 AND "
            "t.outcomes LIKE '%\"safety\"%'")}
    assert expected and {r["pmid"] for r in rows} == expected
    assert all(r["authors"] for r in rows)  # exports' fields, with authors filled in


def test_map_json_counts_match_the_tags(runner: CliRunner, tagged: Path) -> None:
    found = json.loads(runner.invoke(app, ["map", "-f", "json"]).stdout)
    with sqlite3.connect(tagged) as conn:
        rct_safety = conn.execute(
            "SELECT count(*) FROM paper_tags t JOIN papers p ON p.id = t.paper_id "
            "WHERE p.retracted = 0 "
            "AND t.design = 'rct' AND t.outcomes LIKE '%\"safety\"%'").fetchone()[0]
    assert found["cells"]["safety"].get("rct", 0) == rct_safety
    assert found["studies"] == 617
    grid = runner.invoke(app, ["map", "-f", "csv"]).stdout.split("\n\n")[0].splitlines()
    assert grid[0].startswith("outcome,") and len(grid) == len(found["outcomes"]) + 1


def test_digest_groups_the_last_import_by_outcome(runner: CliRunner, tagged: Path) -> None:
    found = json.loads(runner.invoke(app, ["digest", "-f", "json"]).stdout)
    assert found["heading"].startswith("Added by run")
    papers = {row["pmid"] for rows in found["groups"].values() for row in rows}
    assert len(papers) == 617
    for outcome, rows in found["groups"].items():
        assert all(outcome in r["outcomes"] or outcome == "no outcome" for r in rows)


@pytest.mark.parametrize(("args", "fragment"), [
    (["table", "--design", "trial"], "unknown design"),
    (["table", "--outcome", "happiness"], "unknown outcome"),
    (["table", "--since", "2020", "--until", "2010"], "after --until"),
    (["table", "--status", "pending"], "unknown screening status"),
    (["table", "--included", "--screened"], "choose one screening filter"),
    (["map", "-f", "xlsx"], "unknown --format"),
    (["digest", "--since", "last week"], "invalid date"),
    (["screen", "--reviewer", "ana", "--design", "trial"], "unknown design"),
])
def test_bad_report_input(runner: CliRunner, tagged: Path, args: list[str], fragment: str
                          ) -> None:
    result = runner.invoke(app, args)
    one_line_error(result, fragment)
    assert result.exit_code == 2
