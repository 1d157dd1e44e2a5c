"""Extraction on real records: are findings verbatim, how often is there one, how fast.

    python bench/extract_report.py [--db PATH] [--speed PATH] [--repeat 3]

Coverage: every real record of ../shared/pubmed (imported into a temporary database, or
the database --db names) is extracted; a finding must be a verbatim piece of its abstract
(its closing "…" aside). Reported: findings found for structured abstracts with a
conclusions section, and for the other abstracts.

Speed: extraction alone over the texts of the 30,000-record benchmark database
(bench/out/big-30000-tagged.db, built once by databases.py, or the database --speed names),
read with sqlite3 first and not timed; the best of --repeat runs, in CPU time (the machine
is shared) and wall time.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kratomlit.records import AbstractSection
from kratomlit.tagging.extract import Vocabulary, load_vocabulary

REPO = Path(__file__).resolve().parent.parent
PUBMED = REPO.parent / "shared" / "pubmed"
_CONCLUSIONS = re.compile(r"CONCLU|INTERPRETATION", re.IGNORECASE)

Row = tuple[int, str, list[AbstractSection], list[str], list[str], str | None, str]


def rows(db_path: Path) -> Iterator[Row]:
    """(pmid, title, sections, keywords, MeSH, first author's affiliation, abstract) per paper."""
    db = sqlite3.connect(db_path)
    sql = ("SELECT p.pmid, p.title, p.abstract_sections, p.keywords, p.mesh_terms, "
           "(SELECT affiliation FROM authors a WHERE a.paper_id = p.id ORDER BY position "
           "LIMIT 1), p.abstract FROM papers p WHERE p.deleted = 0 ORDER BY p.pmid")
    for pmid, title, sections, keywords, mesh, affiliation, abstract in db.execute(sql):
        yield (pmid, title or "", [AbstractSection(**s) for s in json.loads(sections or "[]")],
               json.loads(keywords or "[]"),
               [m.split("/")[0] for m in (mesh or "").split("; ") if m], affiliation,
               abstract or "")
    db.close()


def _has_conclusions(sections: list[AbstractSection]) -> bool:
    return any(s.label and _CONCLUSIONS.search(s.label) or s.category == "CONCLUSIONS"
               for s in sections)


def coverage(db_path: Path, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """Findings per kind of abstract, and the PMIDs whose finding is not verbatim."""
    vocabulary = vocabulary or load_vocabulary()
    counts = {"conclusions": [0, 0], "other": [0, 0]}  # [abstracts, with a finding]
    not_verbatim = []
    for pmid, title, sections, keywords, mesh, affiliation, abstract in rows(db_path):
        if not abstract:
            continue
        found = vocabulary.extract(title, sections, keywords, mesh, affiliation).finding
        kind = counts["conclusions" if _has_conclusions(sections) else "other"]
        kind[0] += 1
        kind[1] += bool(found)
        if found.removesuffix("…") not in abstract:
            not_verbatim.append(pmid)
    return {kind: {"abstracts": n, "with_finding": k, "share": k / n if n else 0.0}
            for kind, (n, k) in counts.items()} | {"not_verbatim": not_verbatim}


def speed(db_path: Path, repeat: int) -> dict[str, float]:
    vocabulary = load_vocabulary()
    papers = [row[1:6] for row in rows(db_path)]
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        for title, sections, keywords, mesh, affiliation in papers:
            vocabulary.extract(title, sections, keywords, mesh, affiliation)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return {"records": len(papers), "cpu_seconds": best_cpu, "wall_seconds": best_wall,
            "cpu_ms_per_1000": 1000 * best_cpu / len(papers) * 1000}


def _real_db(folder: Path) -> Path:
    from kratomlit.jobs.import_files import import_files
    from kratomlit.store import Store

    files = [PUBMED / "medline16n0902.xml.gz", PUBMED / "test_current_medline.xml.gz",
             PUBMED / "pubmed-29768149.xml", *sorted(PUBMED.glob("efetch-pubmed*.xml"))]
    path = folder / "real.db"
    with Store(path) as store:
        import_files(store, files)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="database of real records (default: import "
                        "../shared/pubmed into a temporary one)")
    parser.add_argument("--speed", type=Path,
                        help="database timed (default: bench/out/big-30000-tagged.db)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = coverage(args.db or _real_db(Path(tmp)))
    for kind, label in (("conclusions", "structured, with a conclusions section"),
                        ("other", "other abstracts")):
        figures = report[kind]
        print(f"{label}: {figures['with_finding']}/{figures['abstracts']} with a finding "
              f"({figures['share']:.1%})")
    print(f"findings not verbatim: {len(report['not_verbatim'])} {report['not_verbatim'][:10]}")
    if args.speed is None:
        sys.path.insert(0, str(REPO / "bench"))
        from databases import tagged

        args.speed = tagged(30_000)
    timed = speed(args.speed, args.repeat)
    print(f"extraction alone, {timed['records']:,} records: {timed['cpu_seconds']:.2f} s CPU "
          f"({timed['cpu_ms_per_1000']:.0f} ms per 1,000), {timed['wall_seconds']:.2f} s wall")


if __name__ == "__main__":
    main()
