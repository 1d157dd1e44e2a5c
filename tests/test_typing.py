"""The library type-checks under mypy --strict (the CLI under Typer's looser rules), as
configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO


def test_mypy_is_clean(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("mypy", reason="mypy not installed (pip install -e '.[test]')")
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
