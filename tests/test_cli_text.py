"""Every command's terminal (text) view renders on the real records, at 40, 80 and 120 columns."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


VIEWS = [
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
]
NARROW_TODO: dict[str, str] = {}  # views known to break at 40 columns (none now)


def _cases() -> list[Any]:
    cases = []
    for width in (40, 80, 120):
        for args, expected in VIEWS:
            todo = NARROW_TODO.get(args[-1]) if width == 40 else None
            marks = [pytest.mark.xfail(strict=True, reason=todo)] if todo else []
            name = " ".join(a for a in args[:2] if "/" not in a)
            cases.append(pytest.param(args, expected, width, marks=marks, id=f"{width} {name}"))
    return cases


@pytest.mark.parametrize(("args", "expected", "width"), _cases())
def test_text_views(runner: CliRunner, screened: Path, args: list[str], expected: str,
                    width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rendered as on a terminal of that width
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # styles are not width
    assert expected in " ".join(text.split())
    lines = text.splitlines()
    if args[0] == "table":  # the summary is one logical line, for grep; the terminal wraps it
        lines = lines[:-1]
    assert max(len(line) for line in lines) <= width
    assert "" not in [line.strip() for line in lines[1:-1]] or args[0] in ("show", "search")
