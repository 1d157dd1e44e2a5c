"""Wall time of `kratomlit --help` and of each command's --help (target: under 0.3 s).

    python bench/help_bench.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

COMMANDS = [[], ["fetch"], ["import"], ["tag"], ["table"], ["export"], ["screen"], ["prisma"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    for command in COMMANDS:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "kratomlit", *command, "--help"], check=True,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        print(f"kratomlit {' '.join([*command, '--help']):<22} median "
              f"{sorted(times)[len(times) // 2]:.3f} s  max {max(times):.3f} s")


if __name__ == "__main__":
    main()
