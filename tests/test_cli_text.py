"""Every command's terminal (text) view renders on the real records, at 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import LABELS


@pytest.fixture
def screened(runner: CliRunner, real_db: Path) -> Path:
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
    for args in (["28786991", "exclude", "--reason", "wrong population", "--reviewer", "ana"],
                 ["28786991", "include", "--reviewer", "ben"]):
        assert runner.invoke(app, ["screen", "set", *args]).exit_code == 0
    return real_db


@pytest.mark.parametrize(("args", "expected"), [
    (["status"], "617"),
    (["show", "28786991"], "Malekinejad"),
    (["search", "tuberculosis"], "28786991"),
    (["table", "--limit", "5"], "617 studies (showing 5)"),
    (["map"], "Evidence map"),
    (["digest"], "Added by run"),
    (["explain", "28786991"], "design.meta-analysis"),
    (["evaluate", str(LABELS)], "Design accuracy"),
    (["prisma"], "Records identified: 617"),
    (["screen", "conflicts"], "ana: exclude (wrong population)"),
    (["screen", "agreement"], "ana vs ben"),
])
def test_text_views(runner: CliRunner, screened: Path, args: list[str], expected: str,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    lines = result.stdout.splitlines()
    if args[0] == "table":  # the summary is one logical line, for grep; the terminal wraps it
        lines = lines[:-1]
    assert max(len(line) for line in lines) <= 80
