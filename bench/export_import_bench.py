"""Import speed of a database export: a 10,000-record RIS file through `kratomlit import`
(bench/import_bench.py measures PubMed XML).

    python bench/export_import_bench.py [--records 10000] [--repeat 3]

The file is kratomlit's own RIS export of the real records of ../shared/pubmed, repeated up to
the number of records as another database exports them: no PMID and no PubMed link, every
copy under its own accession number, without its DOI and moved three years on (so no copy is
a duplicate of another: every record is matched, and every one becomes a study). Each run
imports it with the CLI in a fresh process (parsing, matching against the stored studies and
among the file's records, saving, indexing): into an empty database, and into one that holds
the 617 real records already. The median and the slowest of the runs are shown.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kratomlit.report.exports import write_ris  # noqa: E402

from databases import OUT, export_rows, real  # noqa: E402


def build(records: int) -> Path:
    path = OUT / f"export-{records}.ris"
    if path.exists():
        return path
    rows = export_rows(real())
    copies = []
    for i in range(records):
        copy, n = divmod(i, len(rows))
        row = dict(rows[n])
        if copy:
            row.update(doi=None, year=(row.get("year") or 2000) + 3 * copy)
        copies.append(row)
    out = io.StringIO()
    write_ris(copies, out)
    text = re.sub(r"^(AN|UR)  - .*\n", "", out.getvalue(), flags=re.M)
    numbers = iter(range(7_000_000, 7_000_000 + records))
    text = re.sub(r"^TY  - JOUR\n", lambda m: f"TY  - JOUR\nDB  - Embase\nAN  - {next(numbers)}\n",
                  text, flags=re.M)
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def timed(export: Path, start_from: Path | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "k.db"
        if start_from is not None:
            shutil.copy(start_from, db)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kratomlit", "import", str(export), "--db",
                        str(db), "--quiet"], check=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    export = build(args.records)
    for label, start_from in (("empty database", None), ("617 real records", real())):
        runs = [timed(export, start_from) for _ in range(args.repeat)]
        print(f"{args.records:,}-record RIS into an {label:<17} median "
              f"{statistics.median(runs):6.2f} s  slowest {max(runs):6.2f} s")


if __name__ == "__main__":
    main()
