"""Parse speed of the readers: a 10,000-record RIS file (and BibTeX and CSV for comparison).

    python bench/readers_bench.py [--records 10000] [--repeat 3]

The files are kratomlit's own exports of the real records of ../shared/pubmed, repeated under
fresh PMIDs (from 90,000,000, as bench/make_big.py does) up to the number of records; they are
written once under bench/out/. Each is read whole with `kratomlit.parse.sniff.read` (the
format told from the content, then every record parsed into a Paper) in this process; the
median and the slowest of the runs are shown.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kratomlit.parse import sniff  # noqa: E402
from kratomlit.report.exports import WRITERS  # noqa: E402

from databases import OUT, export_rows, real  # noqa: E402
from make_big import FIRST_PMID  # noqa: E402


def build(fmt: str, records: int) -> Path:
    path = OUT / f"records-{records}.{fmt}"
    if path.exists():
        return path
    rows = export_rows(real())

    def repeated():  # type: ignore[no-untyped-def]
        for i in range(records):
            row = dict(rows[i % len(rows)])
            row["pmid"] = FIRST_PMID + i
            row["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{row['pmid']}/"
            yield row

    with open(path, "w", encoding="utf-8", newline="") as out:
        WRITERS[fmt](repeated(), out)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for fmt in ("ris", "bibtex", "csv"):
        path = build(fmt, args.records)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            parsed = sniff.read(path)
            times.append(time.perf_counter() - start)
            assert len(parsed.records) == args.records, len(parsed.records)
        median = statistics.median(times)
        print(f"{fmt:<7} {args.records:,} records, {path.stat().st_size / 1e6:5.1f} MB: "
              f"median {median:5.2f} s, max {max(times):5.2f} s "
              f"({args.records / median:,.0f} records/s)")


if __name__ == "__main__":
    main()
