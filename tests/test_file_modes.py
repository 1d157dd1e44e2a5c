"""Exported files get the permissions ordinary file creation gives (the umask's, or the
mode the file already had), still written whole or not at all."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _expected(mask: int) -> int:
    """What the shell's `>` would give a new file under this umask."""
    probe = Path(f"probe-{mask:o}")
    os.umask(mask)
    probe.write_text("")
    try:
        return _mode(probe)
    finally:
        probe.unlink()


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077], ids=lambda m: f"umask{m:03o}")
@pytest.mark.parametrize("args", [["export", "-f", "csv", "-o"], ["prisma", "--svg"]],
                         ids=["export", "prisma"])
def test_new_files_follow_the_umask(runner: CliRunner, real_db: Path, umask: None, mask: int,
                                    args: list[str]) -> None:
    wanted = _expected(mask)
    result = runner.invoke(app, [*args, "out.file"])
    assert result.exit_code == 0, result.output
    assert _mode(Path("out.file")) == wanted
    assert Path("out.file").stat().st_size > 0
    assert [p.name for p in Path(".").iterdir() if p.name.startswith(".out.file")] == []


def test_a_replaced_file_keeps_its_mode(runner: CliRunner, real_db: Path, umask: None) -> None:
    target = Path("shared.csv")
    target.write_text("old export\n")
    target.chmod(0o640)
    result = runner.invoke(app, ["export", "-f", "csv", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o640 and target.read_text("utf-8-sig").startswith("pmid,")
