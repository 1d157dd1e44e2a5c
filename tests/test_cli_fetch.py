"""``kratomlit fetch`` through the CLI runner, against a fake E-utilities on loopback."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.sources import eutils

from conftest import one_line_error
from fake_eutils import FakeEutils, body, real_articles

SECRET = "fedcba9876543210fedcba9876543210ab"


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI builds its client from the module defaults: make every wait tiny.
    for name, value in (("INTERVAL_NO_KEY", 0.0), ("INTERVAL_WITH_KEY", 0.0), ("BACKOFF", 0.01),
                        ("HTTP_RETRIES", 2), ("CONNECT_RETRIES", 1), ("PAYLOAD_RETRIES", 1)):
        monkeypatch.setattr(eutils, name, value)


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeEutils:
    server = FakeEutils(real_articles())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    return server


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()



def test_fetch_default_query_then_rerun_is_up_to_date(
    runner: CliRunner, fake: FakeEutils, isolated_env: Path
) -> None:
    result = runner.invoke(app, ["fetch", "--batch-size", "5"])
    assert result.exit_code == 0, result.output
    assert "13 PMIDs found; 13 to fetch in 3 batches" in result.stderr
    assert "batch 3/3: 13/13 records" in result.stderr
    assert (f"Fetched 13 records of 13 found: 13 new, 0 updated, 0 unchanged, 0 deleted "
            f"(4 requests) into {isolated_env}") in result.stderr
    assert result.stdout == ""  # messages go to stderr, stdout stays for data
    term = fake.calls("esearch")[0].params["term"]
    assert term.startswith("kratom[tiab] OR") and "Mitragyna[mh]" in term
    assert rows(isolated_env, "SELECT title FROM papers WHERE pmid = 36400559") == [
        ("Back Pain: Differential Diagnosis and Management.",)]

    again = runner.invoke(app, ["fetch"])
    assert again.exit_code == 0
    assert f"Up to date: 13 PMIDs found, nothing new to fetch (1 request) in {isolated_env}" \
        in again.stderr
    assert rows(isolated_env, "SELECT status, new, requests FROM fetch_runs ORDER BY id") == [
        ("ok", 13, 4), ("ok", 0, 1)]


def test_quiet_prints_nothing(runner: CliRunner, fake: FakeEutils) -> None:
    result = runner.invoke(app, ["fetch", "--quiet", "--query", "kratom"])
    assert result.exit_code == 0 and result.stderr == "" and result.stdout == ""


def test_options_reach_ncbi(runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    result = runner.invoke(app, ["fetch", "--query", "mitragynine", "--since", "2018",
                                 "--until", "2018/08", "--email", "me@example.org",
                                 "--api-key", SECRET])
    assert result.exit_code == 0, result.output
    search = fake.calls("esearch")[0].params
    assert (search["term"], search["mindate"], search["maxdate"]) == (
        "mitragynine", "2018/01/01", "2018/08/31")
    assert search["email"] == "me@example.org" and search["api_key"] == SECRET
    assert sorted(p for (p,) in rows(isolated_env, "SELECT pmid FROM papers")) == [
        29768149, 29963580, 30108519]
    assert SECRET not in result.output
    stored = rows(isolated_env, "SELECT * FROM fetch_runs")
    assert SECRET not in repr(stored)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--since", "2020/13"], "invalid date for --since: '2020/13'"),
        (["--until", "next week"], "invalid date for --until: 'next week'"),
        (["--refresh-since", "2024/02/30"], "invalid date for --refresh-since"),
        (["--since", "2022", "--until", "2021"], "--since 2022 is after --until 2021"),
        (["--batch-size", "0"], "--batch-size must be between 1 and 10000"),
        (["--batch-size", "20000"], "--batch-size must be between 1 and 10000"),
    ],
)
def test_bad_options_are_one_line_usage_errors_and_touch_nothing(
    runner: CliRunner, isolated_env: Path, args: list[str], fragment: str
) -> None:
    result = runner.invoke(app, ["fetch", *args])
    one_line_error(result, fragment)
    assert result.exit_code == 2
    assert not isolated_env.exists()  # the database was not even created


def test_unreachable_api_is_one_line_and_never_shows_the_key(
    runner: CliRunner, isolated_env: Path
) -> None:
    # conftest points KRATOMLIT_EUTILS_URL at a dead loopback port.
    result = runner.invoke(app, ["fetch", "--api-key", SECRET])
    line = one_line_error(result)
    assert line == ("Error: cannot reach the PubMed E-utilities API at 127.0.0.1:9 "
                    "(connection refused)")
    assert result.exit_code == 1 and SECRET not in result.output
    run = rows(isolated_env, "SELECT status, error, options FROM fetch_runs")
    assert run[0][0] == "failed" and "cannot reach" in run[0][1]
    assert SECRET not in repr(run)


def test_unreachable_api_with_key_in_environment(runner: CliRunner,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCBI_API_KEY", SECRET)
    result = runner.invoke(app, ["fetch"])
    one_line_error(result, "cannot reach the PubMed E-utilities API")
    assert SECRET not in result.output


def test_query_error_shows_ncbis_message(runner: CliRunner, fake: FakeEutils,
                                         isolated_env: Path) -> None:
    page = "<eSearchResult><ERROR>Invalid query syntax near ((</ERROR></eSearchResult>"
    fake.fail("esearch", body(page), body(page))
    result = runner.invoke(app, ["fetch", "--query", "((kratom"])
    one_line_error(result, "Invalid query syntax near ((")
    assert rows(isolated_env, "SELECT count(*) FROM papers") == [(0,)]
    assert rows(isolated_env, "SELECT status FROM fetch_runs") == [("failed",)]


def test_fetch_is_listed_with_help(runner: CliRunner) -> None:
    result = runner.invoke(app, ["fetch", "--help"])
    assert result.exit_code == 0
    for option in ("--query", "--since", "--until", "--refresh-since", "--full",
                   "--batch-size", "--api-key", "--email", "--db", "--quiet"):
        assert option in result.stdout


def test_terminal_shows_batch_and_record_bars(
    runner: CliRunner, fake: FakeEutils, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr("kratomlit.cli.fetch.stderr_console", lambda quiet=False: console)
    result = runner.invoke(app, ["fetch", "--batch-size", "5"])
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    assert "batches" in shown and "3/3" in shown
    assert "records" in shown and "13/13" in shown
    assert "Fetched 13 records of 13 found" in shown


def test_a_missing_email_is_warned_about_once(runner: CliRunner, fake: FakeEutils,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    warning = ("Warning: no contact e-mail for NCBI, which asks every tool for one: set "
               "NCBI_EMAIL or pass --email")
    result = runner.invoke(app, ["fetch", "--query", "kratom", "--batch-size", "5"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == warning and result.stderr.count("e-mail") == 1
    assert warning not in runner.invoke(app, ["fetch", "--email", "me@example.org"]).stderr
    monkeypatch.setenv("NCBI_EMAIL", "me@example.org")
    assert warning not in runner.invoke(app, ["fetch"]).stderr
