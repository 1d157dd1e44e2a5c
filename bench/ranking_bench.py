"""Screening prioritisation speed: features, cache, and retrain + rank after each decision.

    python bench/ranking_bench.py [--records 3000,30000] [--decisions 200] [--model nb]

On copies of bench/out/big-N-tagged.db (the real records repeated), it builds the TF-IDF
features with no cache, loads them again from the cache (what a screening session pays
at start), then plays a reviewer who includes the papers the tagger calls RCTs or
controlled trials: after every decision the model is retrained on all decisions so far
and the unscreened papers re-ranked (``Ranker.rank`` and ``screen_view``, what the screen
will do between a keypress and the next paper). Wall time per decision (median, 95th
percentile, max) and the process's CPU time, since other work on the machine slows the
wall clock.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kratomlit.review import ranking  # noqa: E402
from kratomlit.store import Store  # noqa: E402

from databases import tagged  # noqa: E402


def bench(records: int, decisions: int, model: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        shutil.copy(tagged(records), db)
        with sqlite3.connect(db) as conn:
            relevant = {row[0] for row in conn.execute(
                "SELECT paper_id FROM paper_tags WHERE design IN ('rct', 'controlled-trial')")}
        cache = ranking.cache_path(db)
        timings = {}
        for label in ("build (no cache)", "load (cached)"):
            start = time.perf_counter()
            with Store(db) as store:
                rows = list(store.texts())
            features = ranking.cached_features(cache, rows)
            timings[label] = time.perf_counter() - start
        queue = [int(p) for p in features.pmids]
        first_in = next(p for p in queue if p in relevant)
        first_out = next(p for p in queue if p not in relevant)
        made = {first_in: "include", first_out: "exclude"}
        history = list(made.values())
        queue = [p for p in queue if p not in made]
        ranker = ranking.Ranker(features, model)
        walls, cpus = [], []
        for _ in range(decisions):
            wall, cpu = time.perf_counter(), time.process_time()
            ranked = ranker.rank(made, queue)
            assert ranked is not None
            ranking.screen_view(ranked, ranked.pmids[0], history, len(queue))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            chosen = ranked.pmids[0]
            made[chosen] = "include" if chosen in relevant else "exclude"
            history.append(made[chosen])
            queue.remove(chosen)
    walls.sort()
    print(f"{records:,} records ({model}, cache {cache.name}): features built in "
          f"{timings['build (no cache)']:.2f} s, loaded from the cache in "
          f"{timings['load (cached)']:.2f} s")
    print(f"  retrain + rank + screen view, {decisions} decisions "
          f"({sum(v == 'include' for v in history)} includes): "
          f"median {statistics.median(walls) * 1000:.0f} ms, "
          f"95th percentile {walls[int(len(walls) * 0.95)] * 1000:.0f} ms, "
          f"max {walls[-1] * 1000:.0f} ms wall; CPU median "
          f"{statistics.median(cpus) * 1000:.0f} ms, max {max(cpus) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", default="3000,30000")
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--model", default=ranking.DEFAULT_MODEL)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for records in map(int, args.records.split(",")):
        bench(records, args.decisions, args.model)


if __name__ == "__main__":
    main()
