"""Screening speed on a 30,000-record database, driven through a pseudo-terminal.

    python bench/screen_bench.py [--records 30000] [--papers 100] [--scroll]

Screens --papers papers (includes and exclusions alternately, one key per include and
two per exclusion) and reports the time from each keypress to the next paper on the
screen, plus the start-up time until the first paper shows. With --scroll, each paper's
abstract is first paged on with space, and the time until it is redrawn is reported too.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
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
from databases import tagged  # noqa: E402

READY = b"[q] quit"


def wait_for(master: int, marker: bytes, timeout: float = 60) -> None:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([master], [], [], max(0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(marker)
        seen = (seen + os.read(master, 65536))[-4096:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--scroll", action="store_true", help="page each abstract on first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "screen.db"
        shutil.copy(tagged(args.records), db)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "kratomlit", "screen", "--reviewer", "bench", "--db", str(db)],
            stdin=slave, stdout=slave, stderr=slave, close_fds=True,
            env={**os.environ, "TERM": "xterm"})
        os.close(slave)
        wait_for(master, READY)
        startup = time.perf_counter() - start
        latencies, scrolls, keys = [], [], 0
        for i in range(args.papers):
            if args.scroll:
                begin = time.perf_counter()
                os.write(master, b" ")
                keys += 1
                wait_for(master, READY)
                scrolls.append(time.perf_counter() - begin)
            begin = time.perf_counter()
            if i % 2:
                os.write(master, b"e")
                wait_for(master, b"[o] other")
                os.write(master, b"1")
                keys += 2
            else:
                os.write(master, b"i")
                keys += 1
            wait_for(master, READY)
            latencies.append(time.perf_counter() - begin)
        os.write(master, b"q")
        process.wait(timeout=60)
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM screening").fetchone()[0]
    print(f"{args.papers} papers screened on {args.records:,} records with {keys} keypresses "
          f"({stored} decisions stored)")
    print(f"start-up until the first paper: {startup:.2f} s")
    print(f"keypress to next paper: {spread(latencies)}")
    if scrolls:
        print(f"space to the abstract scrolled: {spread(scrolls)}")


def spread(times: list[float]) -> str:
    times = sorted(times)
    return (f"median {times[len(times) // 2] * 1000:.0f} ms, 95th percentile "
            f"{times[int(len(times) * 0.95)] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
