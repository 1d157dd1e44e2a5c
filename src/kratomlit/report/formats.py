"""Every output format, by what it formats, and the one way a file is written.

The CLI's ``--format`` choices come from here (plain tuples, cheap to import for ``--help``);
the writers themselves live beside what they write (``exports``, ``gapmap``, ...).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from kratomlit.errors import InputFileError

VIEW = ("text", "json")  # status, show, search, tag, explain, evaluate, table, digest, ...
MAP = ("text", "json", "csv", "md", "html")  # html: the gap map page
PRISMA = ("text", "json", "md")
EXPORT = ("csv", "json", "jsonl", "md", "html", "ris", "bibtex")


def write_file(path: Path, writer: Callable[[TextIO], int]) -> int:
    """Write beside the target and rename, so a failed export never leaves half a file.

    The file gets the mode ordinary file creation would give it (the umask's, or the one
    it had), not the temporary file's private 0600, so colleagues can read it.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; name a file to write")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except FileNotFoundError:
        raise InputFileError(f"{path}: the folder {folder} does not exist") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = writer(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return int(count)
