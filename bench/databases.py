"""Benchmark databases of N records (the real records repeated), built once and reused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from make_big import REPO, build

OUT = REPO / "bench" / "out"
PUBMED = REPO.parent / "shared" / "pubmed"
# The real records, as the tests' real_db fixture holds them.
REAL_FILES = [PUBMED / "medline16n0902.xml.gz", PUBMED / "test_current_medline.xml.gz",
              PUBMED / "pubmed-29768149.xml", *sorted(PUBMED.glob("efetch-pubmed*.xml"))]


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


def real() -> Path:
    """bench/out/real.db: every real record of ../shared/pubmed, imported."""
    path = OUT / "real.db"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "kratomlit", "import", *map(str, REAL_FILES),
                        "--db", str(path), "--quiet"], check=True)
    return path


def export_rows(db: Path) -> list[dict]:
    """Every paper of a database as ``kratomlit export`` hands it to a writer (retracted
    papers and confirmed duplicates included)."""
    from kratomlit.report import selection
    from kratomlit.store import Store

    filters = selection.Filters(include_retracted=True, include_duplicates=True)
    with Store(db, read_only=True) as store:
        return list(selection.with_details(store, selection.rows(store, filters)))
