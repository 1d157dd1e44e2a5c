"""``status``, ``show`` and ``search`` over the real records, and CLI-wide conventions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from kratomlit.cli import app


def test_status_counts_and_last_run(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["status", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["database"] == str(real_db)
    assert data["papers"] == 617 and data["untagged"] == 617
    assert data["runs"][0]["kind"] == "import" and data["runs"][0]["status"] == "ok"
    text = runner.invoke(app, ["status"]).stdout
    assert "Papers: 617" in text and "Untagged: 617" in text


def test_status_without_a_database(runner: CliRunner, isolated_env: Path) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: no database at {isolated_env}; run `kratomlit "
                                     "fetch` or `kratomlit import` first")
    assert not isolated_env.exists()


def test_show_whole_record_with_links(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["show", "29768149"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma." in out
    assert "https://pubmed.ncbi.nlm.nih.gov/29768149/" in out
    assert "https://doi.org/10.1056/NEJMoa1715274" in out
    assert "BACKGROUND: In patients with mild asthma" in out
    data = json.loads(runner.invoke(app, ["show", "29768149", "-f", "json"]).stdout)
    assert data["doi"] == "10.1056/NEJMoa1715274"
    assert data["authors"][0]["last_name"] == "O'Byrne"
    assert [s["label"] for s in data["abstract_sections"]] == [
        "BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]


def test_show_unknown_pmid(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["show", "1"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: PMID 1 is not in the database {real_db}"


def test_search_highlights_matches(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["search", "budesonide formoterol", "-f", "json"])
    assert result.exit_code == 0
    hits = json.loads(result.stdout)
    assert hits[0]["pmid"] == 29768149
    assert "**" in hits[0]["snippet"]
    text = runner.invoke(app, ["search", "budesonide formoterol"]).stdout
    assert "29768149" in text and "1 paper matches 'budesonide formoterol'" in text
    assert "No papers match" in runner.invoke(app, ["search", "zzyzxqq"]).stdout


def test_search_syntax_error_is_one_line(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["search", '"unbalanced'])
    assert result.exit_code == 2  # bad usage, as the README promises
    assert result.stderr.startswith("Error: cannot search for")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_format_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["status", "--format", "xml"])
    assert result.exit_code == 2 and "unknown --format" in result.stderr


def _commands(group: typer.Typer) -> list:  # type: ignore[type-arg]
    command = typer.main.get_command(group)
    found = []
    stack = [command]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(getattr(current, "commands", {}).values())
    return found


def test_every_command_has_help_text() -> None:
    for command in _commands(app):
        assert (command.help or "").strip(), f"{command.name} has no help"


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "kratomlit", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "import" in result.stdout
