"""The console entry point: usage errors are one line too, and --help is quick to reach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(("args", "fragment"), [
    (["table", "--since", "soon"], "Invalid value for '--since'"),
    (["show", "abc"], "Invalid value for 'PAPER'"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["export"], "Missing option '--format'"),
])
def test_usage_errors_are_one_line(args: list[str], fragment: str, isolated_env: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "kratomlit", *args], capture_output=True,
                            text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0]
    assert result.stdout == ""
    assert not isolated_env.exists()  # nothing was created or changed


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "kratomlit", "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0
    for command in ("fetch", "import", "status", "show", "search", "tag", "explain", "evaluate",
                    "table", "map", "digest", "export", "screen", "prisma"):
        assert command in result.stdout
