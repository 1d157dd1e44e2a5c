"""One error edge for the whole command line: every kind of failure is one line and its exit
status, and KRATOMLIT_TRACEBACK=1 shows the traceback of any of them instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kratomlit.report import formats
from kratomlit.report.exports import WRITERS

FAILURES = [
    (["show", "abc"], 2, "'abc' is not a PubMed ID"),  # found while the options are read
    (["map", "-f", "xlsx"], 2, "unknown --format 'xlsx'"),  # a usage error of ours
    (["status"], 1, "no database at"),  # a KratomlitError from the library
]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kratomlit", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize(("args", "code", "message"), FAILURES)
def test_each_failure_is_one_line(args: list[str], code: int, message: str,
                                  isolated_env: Path) -> None:
    result = _run(args)
    assert result.returncode == code
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert message in result.stderr


@pytest.mark.parametrize(("args", "code", "message"), FAILURES)
def test_tracebacks_on_request_for_every_kind(args: list[str], code: int, message: str,
                                              isolated_env: Path) -> None:
    result = _run(args, KRATOMLIT_TRACEBACK="1")
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert message in result.stderr


def test_export_formats_are_the_writers() -> None:
    assert tuple(WRITERS) == formats.EXPORT
