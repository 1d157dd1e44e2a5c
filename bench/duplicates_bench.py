"""Wall time of `kratomlit screen duplicates` (the scan) and `--confirm-all` on 30,000 records.

    python bench/duplicates_bench.py [--records 30000] [--repeat 3]

The benchmark database repeats the real records under fresh PMIDs, so nearly every record
is a duplicate candidate of another. Each run works on a fresh copy of it (opened once
beforehand, so a schema upgrade is not timed) in a fresh process, as a user would run it;
the time includes start-up, the scan, the writes and printing every pair.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import tagged  # noqa: E402


def wall(args: list[str], db: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kratomlit", *args, "--db", str(db)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    source = tagged(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        for command in (["screen", "duplicates"], ["screen", "duplicates", "--confirm-all"]):
            times = []
            for _ in range(args.repeat):
                db = Path(tmp) / "dup.db"
                for leftover in Path(tmp).glob("dup.db*"):
                    leftover.unlink()
                shutil.copy(source, db)
                subprocess.run([sys.executable, "-m", "kratomlit", "status", "--db", str(db)],
                               check=True, stdout=subprocess.DEVNULL)
                times.append(wall(command, db))
            with sqlite3.connect(db) as conn:
                stored = dict(conn.execute(
                    "SELECT status, count(*) FROM duplicates GROUP BY status").fetchall())
            print(f"kratomlit {' '.join(command):<35} median {sorted(times)[len(times) // 2]:.2f} s"
                  f"  max {max(times):.2f} s  ({args.records:,} records; pairs stored: {stored})")


if __name__ == "__main__":
    main()
