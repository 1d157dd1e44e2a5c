"""Two kratomlit processes writing one database at once: both finish, nothing is lost."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import PUBMED, RECORD_FILES, needs_pubmed

pytestmark = needs_pubmed


def test_two_imports_at_once_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db)}
    subprocess.run([sys.executable, "-m", "kratomlit", "tag", "-q"], env=env, check=True,
                   capture_output=True)  # create the schema once, as a first command would
    first = [str(p) for p in RECORD_FILES if p.name.startswith(("medline16", "efetch"))]
    second = [str(p) for p in RECORD_FILES if not p.name.startswith(("medline16", "efetch"))]
    second += [str(p) for p in sorted(PUBMED.glob("medline-pubmed_result*.txt"))]
    processes = [subprocess.Popen([sys.executable, "-m", "kratomlit", "import", *files, "-q"],
                                  env=env, stderr=subprocess.PIPE) for files in (first, second)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in processes]  # type: ignore[union-attr]
    assert results == [(0, ""), (0, "")]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count, distinct = conn.execute("SELECT count(*), count(DISTINCT pmid) FROM papers"
                                       ).fetchone()
        runs = conn.execute("SELECT status FROM fetch_runs").fetchall()
    finally:
        conn.close()
    assert count == distinct == 617 + 6
    assert runs == [("ok",), ("ok",)]


def test_tagging_while_another_process_imports(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db)}
    subprocess.run([sys.executable, "-m", "kratomlit", "import", str(RECORD_FILES[0]), "-q"],
                   env=env, check=True)
    importer = subprocess.Popen([sys.executable, "-m", "kratomlit", "import",
                                 *map(str, RECORD_FILES[1:]), "-q"], env=env)
    tagger = subprocess.run([sys.executable, "-m", "kratomlit", "tag", "-q"], env=env,
                            capture_output=True)
    assert importer.wait(timeout=120) == 0
    assert tagger.returncode == 0, tagger.stderr
    again = subprocess.run([sys.executable, "-m", "kratomlit", "tag", "-q", "--format", "json"],
                           env=env, capture_output=True, text=True, check=True)
    conn = sqlite3.connect(db)
    try:
        tagged = conn.execute("SELECT count(*) FROM paper_tags").fetchone()[0]
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        conn.close()
    assert papers == 617 and tagged == 617, again.stdout
