"""--substance, --country and --measure (table, export, map, digest, screen's builder) and
``map --by country|substance``, checked against what the database stores."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import one_line_error

# A real record whose abstract names no country: the United States is inferred from its
# first author's affiliation, which the country filter does not use.
INFERRED = 18621939


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _pmids(runner: CliRunner, *args: str) -> set[int]:
    return {r["pmid"] for r in json.loads(_run(runner, "table", "--format", "json", *args))}


def _having(db: Path, column: str, *names: str) -> set[int]:
    """Live, unretracted papers whose stored ``column`` holds one of ``names``."""
    with sqlite3.connect(db) as conn:
        return {pmid for (pmid,) in conn.execute(
            f"SELECT p.pmid FROM paper_extraction e JOIN papers p ON p.id = e.paper_id WHERE "
            f"p.deleted = 0 AND p.retracted = 0 AND EXISTS (SELECT 1 FROM json_each(e.{column}) "
            "WHERE value IN (SELECT value FROM json_each(?)))", [json.dumps(names)])}


def test_filters_select_what_the_extraction_stored(runner: CliRunner, real_tagged_db: Path
                                                   ) -> None:
    us = _having(real_tagged_db, "countries", "United States")
    alcohol = _having(real_tagged_db, "substances", "alcohol")
    assert us and alcohol and us & alcohol
    assert _pmids(runner, "--country", "United States") == us
    assert _pmids(runner, "--country", "usa") == us  # a spelling of the name, any case
    assert _pmids(runner, "--country", "china,Italy") == _having(real_tagged_db, "countries",
                                                                "China", "Italy")
    assert _pmids(runner, "--country", "united states", "--substance", "ALCOHOL") == us & alcohol
    assert INFERRED not in _pmids(runner, "--country", "United States")
    phq = _having(real_tagged_db, "measures", "PHQ-9")
    assert phq
    exported = json.loads(_run(runner, "export", "--format", "json", "--measure", "phq-9"))
    assert {r["pmid"] for r in exported} == phq


def test_map_and_digest_take_the_filters(runner: CliRunner, real_tagged_db: Path) -> None:
    italy = _having(real_tagged_db, "countries", "Italy")
    found = json.loads(_run(runner, "map", "--format", "json", "--country", "Italy"))
    assert found["studies"] == len(italy)
    digest = json.loads(_run(runner, "digest", "--since", "1900", "--format", "json",
                             "--country", "Italy"))
    listed = {s["pmid"] for group in digest["groups"].values() for s in group}
    assert listed and listed == italy  # (the digest keeps retracted papers: none here)


@pytest.mark.parametrize(("args", "fragment"), [
    (["table", "--country", "Atlantis"], "Atlantis"),
    (["export", "--format", "csv", "--substance", "unobtainium"], "unobtainium"),
    (["map", "--measure", "PHQ-10"], "PHQ-10"),
    (["table", "--substance", "none"], "--substance"),
    (["map", "--by", "place"], "place"),
    (["screen", "--reviewer", "ana", "--measure", "PHQ-10"], "PHQ-10"),
    (["digest", "--substance", "unobtainium"], "unobtainium"),
    (["map", "--by", "country", "--format", "html"], "--by"),
])
def test_bad_filters_are_usage_errors(runner: CliRunner, real_tagged_db: Path,
                                      args: list[str], fragment: str) -> None:
    result = runner.invoke(app, args)
    one_line_error(result, fragment)
    assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize(("by", "column"), [("country", "countries"),
                                            ("substance", "substances")])
def test_map_by_counts_studies_per_name_and_design(runner: CliRunner, real_tagged_db: Path,
                                                   by: str, column: str) -> None:
    with sqlite3.connect(real_tagged_db) as conn:
        truth: dict[tuple[str, str], int] = {}
        for design, names in conn.execute(
                f"SELECT t.design, e.{column} FROM paper_tags t JOIN paper_extraction e "
                "USING (paper_id) JOIN papers p ON p.id = paper_id WHERE p.deleted = 0 AND "
                "p.retracted = 0"):
            for name in json.loads(names) or [f"no {by} named"]:
                truth[name, design] = truth.get((name, design), 0) + 1
    found = json.loads(_run(runner, "map", "--by", by, "--format", "json"))
    assert found["by"] == by
    assert {(name, design): n for name, row in found["cells"].items()
            for design, n in row.items()} == truth
    rows = found[column]
    assert rows[-1] == f"no {by} named"
    totals = [sum(found["cells"][name].values()) for name in rows[:-1]]
    assert totals == sorted(totals, reverse=True)  # most studied first

    table = list(csv.reader(io.StringIO(_run(runner, "map", "--by", by, "--format", "csv"))))
    assert table[0][0] == by and table[0][-1] == "total"
    assert [r[0] for r in table[1:]] == rows
    md = _run(runner, "map", "--by", by, "--format", "md").splitlines()
    assert md[0].startswith(f"| {by} |") and len(md) == len(rows) + 2
    text = _run(runner, "map", "--by", by)
    assert f"studies per {by} and design" in text and rows[0] in text
