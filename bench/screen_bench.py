"""Screening speed on a 30,000-record database, driven through a pseudo-terminal.

    python bench/screen_bench.py [--records 30000] [--papers 100] [--scroll]
                                 [--order relevance|date|random]

Screens --papers papers and reports the time from each keypress to the next paper on the
screen, plus the start-up time until the first paper shows. The reviewer includes the
papers the tagger calls RCTs or controlled trials and excludes the rest (one key per
include, two per exclusion). In relevance order (the default) one of those RCTs is given
as --prior, so from the first exclusion on the model is retrained on a plausible
reviewer's decisions and re-ranks every unscreened paper after each keypress timed. The
database is a fresh copy, so the first start builds the relevance features (no cache);
a second start, from the cache, is timed too. With --scroll, each paper's abstract is first
paged on with space, and the time until it is redrawn is reported too.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kratomlit.store import Store  # noqa: E402

from databases import tagged  # noqa: E402

READY = b"[q] quit"


def wait_for(master: int, marker: bytes, timeout: float = 60) -> bytes:
    """Read until ``marker``; the last screen drawn (what follows the last clear)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([master], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(marker)
        seen = (seen + os.read(master, 65536))[-8192:]
    return seen.split(b"\x1b[2J")[-1]


def start(db: Path, *options: str) -> tuple[subprocess.Popen[bytes], int, bytes, float]:
    """The screen on a pseudo-terminal of 80x24: the process, the terminal, the first
    screen, and the seconds until it showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    begin = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kratomlit", "screen", "--reviewer", "bench", "--db", str(db),
         *options], stdin=slave, stdout=slave, stderr=slave, close_fds=True,
        env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    screen = wait_for(master, READY)
    return process, master, screen, time.perf_counter() - begin


def shown(screen: bytes) -> int:
    return int(re.findall(rb"PMID (\d+)", screen)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--scroll", action="store_true", help="page each abstract on first")
    parser.add_argument("--order", default="relevance", choices=("relevance", "date", "random"))
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "screen.db"
        shutil.copy(tagged(args.records), db)
        with Store(db):  # any pending migration, once, so start-up times the screen only
            pass
        with sqlite3.connect(db) as conn:
            relevant = {row[0] for row in conn.execute(
                "SELECT pmid FROM paper_tags WHERE design IN ('rct', 'controlled-trial')")}
        # One RCT as a prior: the model starts at the first exclusion, so (nearly) every
        # keypress timed includes a retrain over every paper.
        options = ["--order", args.order]
        if args.order == "relevance":
            options += ["--prior", str(min(relevant))]
        process, master, screen, startup = start(db, *options)
        latencies, scrolls, keys, included, ranked = [], [], 0, 0, 0
        for _ in range(args.papers):
            if args.scroll:
                begin = time.perf_counter()
                os.write(master, b" ")
                keys += 1
                wait_for(master, READY)
                scrolls.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            if shown(screen) in relevant:
                os.write(master, b"i")
                keys += 1
                included += 1
            else:
                os.write(master, b"e")
                wait_for(master, b"[o] other")
                os.write(master, b"1")
                keys += 2
            screen = wait_for(master, READY)
            latencies.append(time.perf_counter() - begin)
            ranked += b"Relevance order" in screen
        os.write(master, b"q")
        process.wait(timeout=60)
        again, master, _, cached = start(db, *options)
        os.write(master, b"q")
        again.wait(timeout=60)
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM screening").fetchone()[0]
    print(f"{args.order} order: {args.papers} papers screened on {args.records:,} records "
          f"({included} included) with {keys} keypresses ({stored} decisions stored); "
          f"{ranked} papers shown re-ranked by the model")
    print(f"start-up until the first paper: {startup:.2f} s (no cache); {cached:.2f} s again")
    print(f"keypress to next paper: {spread(latencies)}")
    if scrolls:
        print(f"space to the abstract scrolled: {spread(scrolls)}")


def spread(times: list[float]) -> str:
    times = sorted(times)
    return (f"median {times[len(times) // 2] * 1000:.0f} ms, 95th percentile "
            f"{times[int(len(times) * 0.95)] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
