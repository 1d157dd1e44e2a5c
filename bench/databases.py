"""Benchmark databases of N records (the real records repeated), built once and reused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from make_big import REPO, build

OUT = REPO / "bench" / "out"


def imported(records: int) -> Path:
    """bench/out/big-N.db: bench/out/big-N.xml.gz imported, untagged."""
    path = OUT / f"big-{records}.db"
    if not path.exists():
        source = OUT / f"big-{records}.xml.gz"
        if not source.exists():
            build(records, source)
        subprocess.run([sys.executable, "-m", "kratomlit", "import", str(source), "--db",
                        str(path), "--quiet"], check=True)
    return path


def tagged(records: int) -> Path:
    """bench/out/big-N-tagged.db: the same, tagged."""
    path = OUT / f"big-{records}-tagged.db"
    if not path.exists():
        shutil.copy(imported(records), path)
        subprocess.run([sys.executable, "-m", "kratomlit", "tag", "--db", str(path), "--quiet"],
                       check=True)
    return path
