"""The one-time upgrade of an older 30,000-record database (m006: authors join the search
index), then `search` on it: wall time of fresh processes, as a user runs them.

    python bench/search_bench.py [--records 30000] [--repeat 5]

The database is a copy of bench/out/big-N-tagged.db (built by bench/databases.py), opened
first by `kratomlit status`, which upgrades it when an older kratomlit made it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import tagged  # noqa: E402

SEARCHES = [["search", "pain"], ["search", "patients"], ["search", "NOT patients"],
            ["search", "author:Smith"], ["search", "mesh:humans AND pain"],
            ["table", "--search", "NOT patients", "--limit", "50"]]


def timed(*args: str) -> tuple[float, str]:
    """Seconds, and the last line the command printed (a search's count, an upgrade)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kratomlit", *args], check=True,
                          capture_output=True, text=True)
    lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return time.perf_counter() - start, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        shutil.copy(tagged(args.records), db)
        first, said = timed("status", "--db", str(db))
        print(f"first status (upgrade when needed): {first:.2f} s  {said}")
        again, _ = timed("status", "--db", str(db))
        print(f"status again: {again:.2f} s")
        for command in SEARCHES:
            times = []
            for _ in range(args.repeat):
                seconds, said = timed(*command, "--db", str(db))
                times.append(seconds)
            print(f"kratomlit {' '.join(command):<40} median {sorted(times)[len(times) // 2]:.2f}"
                  f" s  max {max(times):.2f} s  {said}")


if __name__ == "__main__":
    main()
