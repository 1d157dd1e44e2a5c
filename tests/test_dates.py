"""One date parser for every date option: real dates, compared as dates, the same rules
for invalid and future dates everywhere, and a one-line usage error (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import UsageError
from kratomlit.parse.dates import parse_date

from conftest import one_line_error

IN_TWO_YEARS = str(dt.date.today().year + 2)


@pytest.mark.parametrize(("value", "end", "expected"), [
    ("2026-2-1", False, dt.date(2026, 2, 1)),
    ("2026/02/01", False, dt.date(2026, 2, 1)),
    ("2024-02", True, dt.date(2024, 2, 29)),
    ("2023", True, dt.date(2023, 12, 31)),
])
def test_dates_are_real_dates(value: str, end: bool, expected: dt.date) -> None:
    assert parse_date(value, "--since", end=end) == expected


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30", "0000", "2023-00", "2026-2-1x",
                                   "26-02-01", "last week"])
def test_impossible_dates_are_refused(value: str) -> None:
    with pytest.raises(UsageError, match=f"invalid date for --since: {value!r}"):
        parse_date(value, "--since")


def test_future_dates_are_refused_the_same_way_for_every_option() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert parse_date(tomorrow.isoformat(), "--since") == tomorrow  # time zones: a day's margin
    assert parse_date(str(dt.date.today().year), "--until", end=True).year == dt.date.today().year
    for option in ("--since", "--until", "--refresh-since"):
        with pytest.raises(UsageError, match=f"{option} {IN_TWO_YEARS} is in the future"):
            parse_date(IN_TWO_YEARS, option)


def _first_seen(db: Path, stamp: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE papers SET first_seen = ?", [stamp])
        conn.execute("UPDATE papers SET first_seen = '2026-01-31T23:59:59Z' WHERE pmid IN "
                     "(SELECT pmid FROM papers ORDER BY pmid LIMIT 17)")


def _digest_pmids(runner: CliRunner, since: str) -> set[int]:
    result = runner.invoke(app, ["digest", "--since", since, "-f", "json"])
    assert result.exit_code == 0, result.output
    return {row["pmid"] for rows in json.loads(result.stdout)["groups"].values() for row in rows}


def test_digest_compares_dates_not_text(runner: CliRunner, real_db: Path) -> None:
    _first_seen(real_db, "2026-02-01T08:00:00Z")
    padded = _digest_pmids(runner, "2026-02-01")
    assert len(padded) == 617 - 17
    assert _digest_pmids(runner, "2026-2-1") == padded
    assert _digest_pmids(runner, "2026/2") == padded
    assert len(_digest_pmids(runner, "2026-1-31")) == 617
    heading = json.loads(runner.invoke(app, ["digest", "--since", "2026-2-1", "-f", "json"])
                         .stdout)["heading"]
    assert heading == "Papers first seen since 2026-02-01"


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30", "0000", IN_TWO_YEARS])
def test_digest_refuses_bad_dates_in_one_line(runner: CliRunner, real_db: Path, value: str
                                              ) -> None:
    result = runner.invoke(app, ["digest", "--since", value])
    one_line_error(result, "--since")
    assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize("args", [["--since", IN_TWO_YEARS], ["--until", IN_TWO_YEARS],
                                  ["--refresh-since", IN_TWO_YEARS]])
def test_fetch_refuses_future_dates_before_touching_anything(
        runner: CliRunner, isolated_env: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["fetch", *args])
    one_line_error(result, f"{args[0]} {IN_TWO_YEARS} is in the future")
    assert result.exit_code == 2 and not isolated_env.exists()
