"""Ctrl-C in the middle of a snowball: whole efetch batches are kept with their links, the
last line says what was kept, and the next run fetches only the rest (no ../shared needed)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

from conftest import SYNTHETIC_XML
from fake_eutils import FakeEutils, articles, with_pmid

SEED = 998_000_000
CITED = 600  # the seed cites 600 papers, fetched 100 a batch, each batch 0.4 s


def _query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _papers(db: Path) -> int:
    try:  # the database may not exist or be migrated yet
        return int(_query(db, "SELECT count(*) FROM papers")[0][0]) if db.exists() else 0
    except sqlite3.OperationalError:
        return 0


def test_ctrl_c_keeps_whole_batches_with_their_links_and_the_next_run_fetches_the_rest(
        tmp_path: Path, httpserver: HTTPServer) -> None:
    base = articles([SYNTHETIC_XML])
    records = [with_pmid(base[i % len(base)], SEED + 1 + i) for i in range(CITED)]
    fake = FakeEutils(records, citations={SEED: [r.pmid for r in records]})

    def handler(request):  # type: ignore[no-untyped-def]
        response = fake.handler(request)  # logged as it arrives
        if request.path.endswith("efetch.fcgi"):
            time.sleep(0.4)
        return response

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    db = tmp_path / "k.db"
    env = {**os.environ, "KRATOMLIT_DB": str(db), "NCBI_EMAIL": "me@example.org",
           "KRATOMLIT_EUTILS_URL": httpserver.url_for("/entrez/eutils/")}
    args = [sys.executable, "-m", "kratomlit", "snowball", "--seeds", str(SEED),
            "--batch-size", "100"]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _papers(db) < 200:
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    stored = _papers(db)
    assert 200 <= stored < CITED and stored % 100 == 0  # whole batches only
    assert _query(db, "SELECT count(*) FROM links") == [(stored,)]  # each with its link
    last = stderr.decode().splitlines()[-1]
    assert last == (f"Error: interrupted; the {stored} papers and {stored} links it added "
                    "before that are kept, and the next `kratomlit snowball` fetches the rest")
    assert _query(db, "SELECT kind, status, new FROM fetch_runs") == [
        ("snowball", "interrupted", stored)]

    fake.log.clear()
    again = subprocess.run([*args, "--quiet"], env=env, capture_output=True)
    assert again.returncode == 0, again.stderr
    asked = [int(i) for h in fake.calls("efetch") for i in h.params["id"].split(",")]
    assert len(asked) == CITED - stored and _papers(db) == CITED
    assert _query(db, "SELECT count(*), count(DISTINCT linked) FROM links") == [
        (CITED, CITED)]
