"""SIGKILL (or Ctrl-C) in the middle of an import or a fetch: the database stays whole,
nothing is claimed that did not happen, and the next run completes the work without
duplicates."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from conftest import PUBMED, REPO, needs_pubmed
from fake_eutils import FakeEutils, real_articles, with_pmid

sys.path.insert(0, str(REPO / "bench"))
from make_big import build  # noqa: E402

pytestmark = needs_pubmed


def _kratomlit(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kratomlit", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _wait_until(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _papers(db: Path) -> int:
    try:  # the database may not exist or be migrated yet
        return int(_query(db, "SELECT count(*) FROM papers")[0][0]) if db.exists() else 0
    except sqlite3.OperationalError:
        return 0


def _has_run(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        return bool(_query(db, "SELECT 1 FROM fetch_runs WHERE status = 'running'"))
    except sqlite3.OperationalError:
        return False


def test_killed_import_leaves_nothing_half_written(tmp_path: Path) -> None:
    big = tmp_path / "big.xml.gz"
    build(6000, big, PUBMED / "medline16n0902.xml.gz")
    db = tmp_path / "k.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db)}
    process = _kratomlit("import", str(big), "--quiet", env=env)
    _wait_until(lambda: _has_run(db))
    time.sleep(0.8)  # well into the import's single transaction
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _query(db, "PRAGMA integrity_check") == [("ok",)]
    assert _query(db, "SELECT count(*) FROM papers") == [(0,)]  # all or nothing
    assert _query(db, "SELECT status FROM fetch_runs") == [("running",)]  # never "ok"
    again = subprocess.run([sys.executable, "-m", "kratomlit", "import", str(big), "--quiet"],
                           env=env, capture_output=True)
    assert again.returncode == 0, again.stderr
    assert _query(db, "SELECT count(*), count(DISTINCT pmid) FROM papers") == [(6000, 6000)]
    assert _query(db, "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'the'")[0][0] > 0
    assert _query(db, "SELECT status FROM fetch_runs ORDER BY id") == [("interrupted",), ("ok",)]


@pytest.fixture
def slow_fake(httpserver: HTTPServer) -> FakeEutils:
    """1,300 real records (13 real ones under fresh PMIDs); every efetch takes 0.4 s."""
    base = real_articles()
    records = [with_pmid(r, 90_000_000 + i * 100 + j) for j, r in enumerate(base)
               for i in range(100)]
    fake = FakeEutils(records)

    def handler(request):  # type: ignore[no-untyped-def]
        if request.path.endswith("efetch.fcgi"):
            time.sleep(0.4)
        return fake.handler(request)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    return fake


def test_killed_fetch_keeps_whole_batches_and_the_next_run_completes(
        tmp_path: Path, httpserver: HTTPServer, slow_fake: FakeEutils) -> None:
    db = tmp_path / "k.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db), "NCBI_API_KEY": "test-key-123",
           "KRATOMLIT_EUTILS_URL": httpserver.url_for("/entrez/eutils/")}
    process = _kratomlit("fetch", "--query", "kratom", "--batch-size", "100", "--quiet", env=env)
    _wait_until(lambda: _papers(db) >= 200)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _query(db, "PRAGMA integrity_check") == [("ok",)]
    stored = _query(db, "SELECT count(*) FROM papers")[0][0]
    assert 200 <= stored < 1300 and stored % 100 == 0  # whole batches only
    assert _query(db, "SELECT count(*) FROM authors WHERE paper_id NOT IN (SELECT id FROM papers)"
                  ) == [(0,)]
    assert _query(db, "SELECT status FROM fetch_runs") == [("running",)]
    again = subprocess.run([sys.executable, "-m", "kratomlit", "fetch", "--query", "kratom",
                            "--batch-size", "100", "--quiet"], env=env, capture_output=True)
    assert again.returncode == 0, again.stderr
    assert _query(db, "SELECT count(*), count(DISTINCT pmid) FROM papers") == [(1300, 1300)]
    assert _query(db, "SELECT status, new FROM fetch_runs ORDER BY id") == [
        ("interrupted", 0), ("ok", 1300 - stored)]
    assert "test-key-123" not in "\n".join(str(r) for r in _query(db, "SELECT * FROM fetch_runs"))


def test_ctrl_c_during_fetch_says_what_was_kept(
        tmp_path: Path, httpserver: HTTPServer, slow_fake: FakeEutils) -> None:
    db = tmp_path / "k.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db), "NCBI_EMAIL": "me@example.org",
           "KRATOMLIT_EUTILS_URL": httpserver.url_for("/entrez/eutils/")}
    process = _kratomlit("fetch", "--query", "kratom", "--batch-size", "100", env=env)
    _wait_until(lambda: _papers(db) >= 200)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    stored = _papers(db)
    assert 200 <= stored < 1300 and stored % 100 == 0
    assert stderr.decode().splitlines()[-1] == (
        f"Error: interrupted; the {stored} records it added or changed before that are kept, "
        "and the next `kratomlit fetch` fetches the rest")
    assert _query(db, "SELECT status, new, error FROM fetch_runs") == [
        ("interrupted", stored, stderr.decode().splitlines()[-1].removeprefix("Error: "))]
