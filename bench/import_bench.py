"""Import throughput and peak memory, beside lxml iterparse alone (the floor).

    python bench/import_bench.py [--records 30000] [--repeat 3]

Each measurement runs in a fresh subprocess so peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_big import REPO, build  # noqa: E402

FLOOR = r"""
import gzip, json, resource, sys, time
from lxml import etree
t = time.perf_counter()
n = 0
for _, elem in etree.iterparse(gzip.open(sys.argv[1]), events=("end",), tag="MedlineCitation",
                               resolve_entities=False, no_network=True):
    n += 1
    elem.clear(keep_tail=False)
    while elem.getprevious() is not None:
        del elem.getparent()[0]
print(json.dumps({"records": n, "seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FULL = r"""
import json, resource, sys, time
from kratomlit.jobs.import_files import import_files
from kratomlit.store import Store
t = time.perf_counter()
with Store(sys.argv[2]) as store:
    result = import_files(store, [sys.argv[1]])
print(json.dumps({"records": result.records, "new": result.counts.new,
                  "seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    big = REPO / "bench" / "out" / f"big-{args.records}.xml.gz"
    if not big.exists():
        build(args.records, big)
    floors, fulls = [], []
    for _ in range(args.repeat):
        floors.append(run(FLOOR, str(big)))
        with tempfile.TemporaryDirectory() as tmp:
            full = run(FULL, str(big), str(Path(tmp) / "bench.db"))
        assert full["new"] == args.records, full
        fulls.append(full)
    floor = min(floors, key=lambda r: r["seconds"])
    best = min(fulls, key=lambda r: r["seconds"])
    floor_rate = floor["records"] / floor["seconds"]
    full_rate = best["records"] / best["seconds"]
    print(f"records: {args.records} (best of {args.repeat})")
    print(f"iterparse alone : {floor['seconds']:.2f} s  {floor_rate:,.0f} rec/s  "
          f"peak {floor['peak_mb']:.0f} MB")
    print(f"kratomlit import: {best['seconds']:.2f} s  {full_rate:,.0f} rec/s  "
          f"peak {max(r['peak_mb'] for r in fulls):.0f} MB")
    print(f"ratio: {full_rate / floor_rate:.0%} of the floor's records per second")


if __name__ == "__main__":
    main()
