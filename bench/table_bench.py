"""Wall time of `kratomlit table --limit 50` (and friends) on a 30,000-record database.

    python bench/table_bench.py [--records 30000] [--repeat 5]

Each command runs as a fresh process, as a user would run it: the time includes
Python start-up, imports, opening the database and rendering.
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
    ["map"],
]


def wall(args: list[str], db: Path, repeat: int) -> list[float]:
    times = []
    env = {**os.environ, "COLUMNS": "100"}
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kratomlit", *args, "--db", str(db)], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    db = tagged(args.records)
    for command in COMMANDS:
        times = wall(command, db, args.repeat)
        print(f"kratomlit {' '.join(command):<55} median {sorted(times)[len(times) // 2]:.3f} s"
              f"  max {max(times):.3f} s  ({args.records:,} records)")


if __name__ == "__main__":
    main()
