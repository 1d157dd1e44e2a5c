"""Duplicates across sources: precision, recall and speed of kratomlit.review.match.

    python bench/dedupe_bench.py [--seed 0] [--speed 30000 100000] [--show 10]

(The same copies are then imported through `kratomlit import` as a second source beside the
real records: merges, candidates, misses and wrong merges as the database records them.)

Precision and recall. Every real record of ../shared/pubmed is exported to RIS as
`kratomlit export --format ris` writes it, then once more with the damage another database's
export has: no PMID (always), no DOI (half), title in capitals (a third) or lower case (a
third), journal name and abbreviation swapped (always), subtitle dropped (half of the titles
that have one), trailing period dropped (half), one typo (a third: two letters swapped),
first author as "Smith J" instead of "Smith, John" (half). Both files are read with the RIS
reader and matched together, originals first. A damaged copy matched to its own original is
a true positive, matched to another record a false positive, unmatched a false negative.
Pairs found among the originals themselves (PubMed's own duplicates, or false alarms) are
counted apart and listed.

Speed. The real records repeated with fresh ids up to N, each copy's title changed a little
(capitals, lower case, trailing period, two letters swapped: it is a duplicate of the first
copy), then again with every copy moved to its own years (no duplicates: every record starts
a study); the time of `review.match.find` alone (the Citations are built beforehand).
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kratomlit.parse import ris  # noqa: E402
from kratomlit.records import Paper  # noqa: E402
from kratomlit.report.exports import write_ris  # noqa: E402
from kratomlit.review.match import Citation, find  # noqa: E402

from databases import export_rows, real  # noqa: E402


def _typo(title: str, rng: random.Random) -> str:
    words = [i for i, w in enumerate(title.split(" ")) if len(w) >= 4 and w.isalpha()]
    if not words:
        return title
    parts = title.split(" ")
    word = parts[rng.choice(words)]
    at = rng.randrange(len(word) - 1)
    parts[parts.index(word)] = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return " ".join(parts)


def damage(row: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], list[str]]:
    """The record as another database exports it, and the damage done."""
    row, done = dict(row), ["no PMID", "journal swapped"]
    row["journal"], row["journal_iso"] = row.get("journal_iso"), row.get("journal")
    if row.get("doi") and rng.random() < 0.5:
        row["doi"] = None
        done.append("no DOI")
    title = row.get("title") or ""
    if ":" in title and rng.random() < 0.5:
        title = title.split(":")[0]
        done.append("subtitle dropped")
    if title.endswith(".") and rng.random() < 0.5:
        title = title[:-1]
        done.append("no trailing period")
    case = rng.random()
    if case < 1 / 3:
        title = title.upper()
        done.append("capitals")
    elif case < 2 / 3:
        title = title.lower()
        done.append("lower case")
    if rng.random() < 1 / 3:
        title = _typo(title, rng)
        done.append("typo")
    row["title"] = title
    authors = list(row.get("authors") or [])
    if authors and "," in authors[0] and rng.random() < 0.5:
        last, _, fore = authors[0].partition(",")
        authors[0] = f"{last} {''.join(w[0] for w in fore.split() if w[:1].isalpha())}"
        done.append("initials")
    row["authors"] = authors
    return row, done


def ris_papers(rows: list[dict[str, Any]], *, keep_pmid: bool) -> list[Paper]:
    out = io.StringIO()
    write_ris(rows, out)
    text = out.getvalue()
    if not keep_pmid:  # kratomlit writes the PMID in AN and in the PubMed link
        text = re.sub(r"^(AN|UR)  - .*\n", "", text, flags=re.MULTILINE)
    return list(ris.iter_records(io.BytesIO(text.encode()), name="export.ris"))


def quality(seed: int, show: int) -> None:
    rows = export_rows(real())
    rng = random.Random(seed)
    damaged, damages = [], []
    for row in rows:
        copy, done = damage(row, rng)
        damaged.append(copy)
        damages.append(done)
    originals = ris_papers(rows, keep_pmid=True)
    copies = ris_papers(damaged, keep_pmid=False)
    citations = [Citation.of(("o", i), p) for i, p in enumerate(originals)]
    citations += [Citation.of(("d", i), p) for i, p in enumerate(copies)]
    start = time.perf_counter()
    matches = {m.id: m for m in find(citations)}
    elapsed = time.perf_counter() - start
    tp_auto = tp_candidate = fp = fn = 0
    missed: Counter[str] = Counter()
    wrong, lost = [], []
    for i in range(len(copies)):
        match = matches.get(("d", i))
        if match is None:
            fn += 1
            missed.update(damages[i])
            lost.append(i)
        elif match.duplicate_of in (("o", i), ("d", i)):
            tp_auto += match.automatic
            tp_candidate += not match.automatic
        else:
            fp += 1
            wrong.append((i, match))
    within = [m for m in matches.values() if m.id[0] == "o"]
    tp = tp_auto + tp_candidate
    print(f"{len(originals)} real records and {len(copies)} damaged copies "
          f"(damage: {dict(Counter(d for done in damages for d in done))})")
    print(f"true positives {tp} ({tp_auto} by DOI, merged; {tp_candidate} by title, "
          f"candidates) | false positives {fp} | false negatives {fn}")
    print(f"precision {tp / max(tp + fp, 1):.4f}  recall {tp / max(tp + fn, 1):.4f}  "
          f"({elapsed:.2f} s)")
    print(f"damage on the false negatives: {dict(missed)}")
    for i in lost[:show]:
        print(f"  missed: {copies[i].title[:70]!r} ({', '.join(damages[i])})\n"
              f"          {originals[i].title[:70]!r}")
    for i, match in wrong[:show]:
        print(f"  wrong: {copies[i].title[:70]!r} -> {match.duplicate_of}")
    print(f"pairs among the originals themselves: {len(within)}")
    for match in within[:show]:
        a, b = originals[match.id[1]], originals[match.duplicate_of[1]]
        print(f"  {match.method} {match.score}: PMID {a.pmid} {a.title[:60]!r}\n"
              f"  {' ' * len(match.method)} {' ' * len(str(match.score))}  PMID {b.pmid} "
              f"{b.title[:60]!r}")


def through_import(seed: int) -> None:
    """The same damaged copies through `kratomlit import`: the real records imported from
    their PubMed files, then the damaged copies as a second source (one RIS file). Each copy
    joined to its own original is an automatic merge, a new study with a candidate pair to
    its original a candidate; joined or paired with another paper is wrong; neither, missed."""
    import sqlite3
    import tempfile

    from kratomlit.jobs.import_files import import_files
    from kratomlit.store import Store

    from databases import REAL_FILES

    rows = export_rows(real())
    rng = random.Random(seed)
    damaged = [damage(row, rng)[0] for row in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path, export = Path(tmp) / "k.db", Path(tmp) / "damaged.ris"
        out = io.StringIO()
        write_ris(damaged, out)
        export.write_text(re.sub(r"^(AN|UR)  - .*\n", "", out.getvalue(), flags=re.M), "utf-8")
        with Store(path) as store:
            import_files(store, REAL_FILES)
            start = time.perf_counter()
            result = import_files(store, [export], source="Damaged copies")
            elapsed = time.perf_counter() - start
            original = store.ids_by_pmid(row["pmid"] for row in rows)
        with sqlite3.connect(path) as conn:
            joined = conn.execute("SELECT paper_id, matched_by FROM source_records WHERE "
                                  "run_id = ? ORDER BY id", [result.run_id]).fetchall()
            pairs = dict(conn.execute("SELECT paper_id, duplicate_of FROM duplicates"))
    counts: Counter[str] = Counter()
    for row, (paper_id, how) in zip(rows, joined, strict=True):
        mine = original[row["pmid"]]
        if how != "new":
            counts["merged" if paper_id == mine else "wrong merge"] += 1
        elif paper_id in pairs:
            counts["candidate" if pairs[paper_id] == mine else "wrong candidate"] += 1
        else:
            counts["missed"] += 1
    tp = counts["merged"] + counts["candidate"]
    fp = counts["wrong merge"] + counts["wrong candidate"]
    print(f"through import ({len(rows)} damaged copies as a second source, {elapsed:.2f} s): "
          f"{counts['merged']} merged automatically, {counts['candidate']} candidates, "
          f"{counts['missed']} missed, {counts['wrong merge']} wrong merges, "
          f"{counts['wrong candidate']} wrong candidates; precision {tp / max(tp + fp, 1):.4f}"
          f" recall {tp / max(len(rows), 1):.4f}")


def _mutate(title: str, copy: int) -> str:
    kind = copy % 4
    if kind == 1:
        return title.upper()
    if kind == 2:
        return title.lower().rstrip(".")
    if kind == 3 and len(title) > 10:
        middle = len(title) // 2
        return title[:middle] + title[middle + 1] + title[middle] + title[middle + 2:]
    return title


def speed(sizes: list[int]) -> None:
    papers = ris_papers(export_rows(real()), keep_pmid=True)
    base = [Citation.of(0, p) for p in papers]
    for size in sizes:
        for label, moved in (("nearly all duplicates", False), ("no duplicates", True)):
            citations = []
            for i in range(size):
                copy, c = divmod(i, len(base))
                original = base[c]
                year = original.year
                if moved and year is not None:
                    year += 3 * copy  # three years apart: never in the same block
                citations.append(Citation(
                    id=i, pmid=None if copy else original.pmid, doi=None if copy else
                    original.doi, title=_mutate(original.title, copy), year=year,
                    first_author=original.first_author, journal=original.journal,
                    types=original.types))
            start = time.perf_counter()
            found = find(citations)
            elapsed = time.perf_counter() - start
            print(f"{size:>7,} records, {label:<22} {elapsed:6.2f} s  "
                  f"({len(found):,} duplicates found)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=int, nargs="*", default=[30_000, 100_000])
    parser.add_argument("--show", type=int, default=10, help="misses and pairs to list")
    args = parser.parse_args()
    quality(args.seed, args.show)
    through_import(args.seed)
    speed(args.speed)


if __name__ == "__main__":
    main()
