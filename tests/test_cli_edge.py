"""The command line's edge: PMIDs checked before they reach the database, help and version,
a closed pipe, --format in any case, counts worded right, and `tag clear`'s report."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import PUBMED, needs_pubmed, one_line_error

PMID_COMMANDS = [["show", "{}"], ["explain", "{}"], ["tag", "set", "{}", "--design", "rct"],
                 ["tag", "clear", "{}"], ["screen", "set", "{}", "include", "--reviewer", "ana"],
                 ["screen", "resolve", "{}", "include", "--reviewer", "ana"],
                 ["screen", "duplicates", "--confirm", "{}"]]


def _kratomlit(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kratomlit", *args], capture_output=True,
                          text=True, timeout=60, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("command", PMID_COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "0",
                                   "１２３", "12.5"])
def test_pmids_that_cannot_be_pubmed_ids_are_usage_errors(
        runner: CliRunner, isolated_env: Path, command: list[str], value: str) -> None:
    result = runner.invoke(app, [part.format(value) for part in command])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert not isolated_env.exists()  # refused before any database is opened
    name = "--confirm" if "--confirm" in command else "PAPER"
    assert f"Invalid value for '{name}': {value!r} is not a PubMed ID" in " ".join(
        result.stderr.split())


def test_a_huge_pmid_is_one_line_through_the_console_script(real_db: Path) -> None:
    result = _kratomlit("show", "99999999999999999999999")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: Invalid value for 'PAPER': '99999999999999999999999' is not a PubMed ID (a "
        "whole number from 1 to 9,223,372,036,854,775,807) (see `kratomlit show --help`)"]


def test_the_largest_pmid_is_looked_up(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["show", str(2**63 - 1)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: PMID {2**63 - 1} is not in the database {real_db}"


def test_bare_kratomlit_shows_the_help(isolated_env: Path) -> None:
    bare = _kratomlit()
    assert bare.returncode == 0 and bare.stderr == ""
    assert bare.stdout == _kratomlit("--help").stdout == _kratomlit("-h").stdout
    assert bare.stdout.startswith("Usage: kratomlit [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in bare.stdout and "--version" in bare.stdout
    assert not isolated_env.exists()


def test_version_and_short_help(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"kratomlit {version('kratomlit')}\n"
    for args in (["show", "-h"], ["screen", "set", "-h"], ["tag", "-h"]):
        short = runner.invoke(app, args)
        assert short.exit_code == 0 and short.stdout == runner.invoke(
            app, [*args[:-1], "--help"]).stdout


def _helps(group: typer.Typer) -> list[list[str]]:
    command = typer.main.get_command(group)
    found: list[list[str]] = []
    stack: list[tuple[list[str], object]] = [([], command)]
    while stack:
        path, current = stack.pop()
        found.append(path)
        for name, sub in getattr(current, "commands", {}).items():
            stack.append(([*path, name], sub))
    return found


def test_help_shows_no_python_types(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    pages = _helps(app)
    assert len(pages) > 20
    for path in pages:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "list[" not in result.stdout and "Path]" not in result.stdout, path
    assert "{FILE}..." in runner.invoke(app, ["import", "--help"]).stdout


@pytest.mark.parametrize("args", [["table"], ["export", "--format", "csv"],
                                  ["export", "--format", "json"], ["search", "patients"],
                                  ["status", "--format", "json"]], ids=" ".join)
def test_a_closed_pipe_ends_quietly(real_db: Path, args: list[str]) -> None:
    process = subprocess.Popen([sys.executable, "-m", "kratomlit", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before anything was written
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0 and stderr == b""


def test_head_takes_the_first_lines_and_both_exit_zero(real_db: Path) -> None:
    script = ('"$0" -m kratomlit export --format csv | head -3; '
              'echo "status ${PIPESTATUS[0]} ${PIPESTATUS[1]}" >&2')
    result = subprocess.run(["bash", "-c", script, sys.executable], capture_output=True,
                            text=True, timeout=60)
    assert result.stderr == "status 0 0\n"
    assert len(result.stdout.splitlines()) == 3 and "pmid," in result.stdout


def test_format_names_are_read_in_any_case(runner: CliRunner, real_db: Path) -> None:
    status = runner.invoke(app, ["status", "--format", "JSON"])
    assert status.exit_code == 0 and json.loads(status.stdout)["papers"] == 617
    csv = runner.invoke(app, ["export", "--format", "Csv", "--limit", "2"])
    assert csv.exit_code == 0 and csv.stdout.lstrip("\ufeff").startswith("pmid,")
    one_line_error(runner.invoke(app, ["map", "-f", "XLSX"]), "unknown --format 'XLSX'")


@needs_pubmed
def test_counts_of_one_are_singular(runner: CliRunner, isolated_env: Path) -> None:
    one = runner.invoke(app, ["import", str(PUBMED / "pubmed-29768149.xml")])
    assert one.exit_code == 0, one.output
    assert one.stderr.splitlines()[-1] == (
        f"Imported 1 record from 1 file: 1 new, 0 updated, 0 unchanged, 0 deleted into "
        f"{isolated_env}")
    tagged = runner.invoke(app, ["tag"])
    assert tagged.stderr.startswith("Tagged 1 paper (0 with manual tags kept).")
    table = runner.invoke(app, ["table"])  # piped: the summary goes to stderr
    assert table.stderr.splitlines()[-1].startswith("1 study: ")
    exported = runner.invoke(app, ["export", "-f", "csv", "-o", "one.csv"])
    assert exported.stderr == "Wrote 1 study to one.csv\n"
    mapped = runner.invoke(app, ["map"]).stdout
    assert "1 study (a study with several outcomes" in mapped


def test_tag_clear_reports_what_the_reviewer_set(runner: CliRunner, real_db: Path) -> None:
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
    auto = runner.invoke(app, ["explain", "29768149", "-f", "json"])
    stored = json.loads(auto.stdout)["stored"]
    assert runner.invoke(app, ["tag", "set", "29768149", "--outcome", "mood"]).exit_code == 0
    cleared = runner.invoke(app, ["tag", "clear", "29768149"])
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout == (f"PMID 29768149: manual outcomes removed; design "
                              f"{stored['design']}, outcomes "
                              f"{', '.join(stored['outcomes']) or 'none'}\n")
    again = runner.invoke(app, ["tag", "clear", "29768149", "--design"])
    assert again.stdout.startswith("PMID 29768149: no manual tags to remove; ")
    assert runner.invoke(app, ["tag", "set", "29768149", "--design", "cohort",
                               "--outcome", "none"]).exit_code == 0
    both = runner.invoke(app, ["tag", "clear", "29768149"])
    assert both.stdout.startswith("PMID 29768149: manual design and outcomes removed; ")
