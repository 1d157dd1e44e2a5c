"""Wall time and peak memory of `kratomlit table`, `digest` and `map` on 30,000 records.

    python bench/table_bench.py [--records 30000] [--repeat 5] [--db PATH]

Each command runs as a fresh process, as a user would run it, its output read from a pipe:
the time includes Python start-up, imports, opening the database and rendering. "first line"
is when the first line of output arrived; "| head -5" reads five lines and closes the pipe,
as `head` does, and times the command until it has exited. Peak memory is the process's
maximum resident set size. PYTHONPATH=/other/checkout/src times another version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import tagged  # noqa: E402

COMMANDS = [
    ["table", "--limit", "50"],
    ["table", "--limit", "50", "--outcome", "safety", "--since", "2010"],
    ["table", "--limit", "50", "--search", "depression"],
    ["table"],
    ["table", "| head -5"],
    ["digest"],
    ["map"],
]


def run(args: list[str], db: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds to the first line, seconds to exit, peak RSS in KiB) of one run."""
    head = args[-1] == "| head -5"
    command = [sys.executable, "-m", "kratomlit", *(args[:-1] if head else args), "--db",
               str(db)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    first_at = time.perf_counter() - start
    if head:
        for _ in range(4):
            process.stdout.readline()
        process.stdout.close()
    else:
        while process.stdout.read(1 << 16):
            pass
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    assert first and (head or process.returncode == 0), (args, process.returncode)
    return first_at, elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a database to use instead of the benchmark's")
    args = parser.parse_args()
    db = args.db or tagged(args.records)
    env = {**os.environ, "COLUMNS": "100"}
    print(f"{args.records:,} records, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; medians of {args.repeat} runs")
    for command in COMMANDS:
        runs = sorted(run(command, db, env) for _ in range(args.repeat))
        middle = len(runs) // 2
        firsts = sorted(r[0] for r in runs)
        walls = sorted(r[1] for r in runs)
        print(f"kratomlit {' '.join(command):<55} first line {firsts[middle]:6.3f} s  "
              f"wall {walls[middle]:6.3f} s (max {walls[-1]:.3f})  "
              f"peak {max(r[2] for r in runs) / 1024:5.0f} MB")


if __name__ == "__main__":
    main()
