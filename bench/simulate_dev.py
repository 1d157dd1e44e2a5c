"""Simulated screening on the hand labels of ../shared/labels/dev.jsonl, through the CLI.

    python bench/simulate_dev.py [--runs 10] [--seed 0] [--models nb,lr]
                                 [--questions rct,mood,safety]

Imports the real records into a temporary database, writes one labels file per inclusion
question taken from the hand labels, runs `kratomlit screen simulate` on each (JSON out,
SVG recall curves into bench/out/), and prints WSS@95 and RRF@10 (min / median / max over
the runs) for the model against random order.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from make_big import REPO

SHARED = REPO.parent / "shared"
PUBMED = SHARED / "pubmed"
RECORDS = [PUBMED / "medline16n0902.xml.gz", PUBMED / "test_current_medline.xml.gz",
           PUBMED / "pubmed-29768149.xml", *sorted(PUBMED.glob("efetch-pubmed*.xml"))]
QUESTIONS = {
    "rct": ("design is rct or controlled-trial",
            lambda row: row["design"] in ("rct", "controlled-trial")),
    "mood": ("outcome mood", lambda row: "mood" in row["outcomes"]),
    "safety": ("outcome safety", lambda row: "safety" in row["outcomes"]),
}


def kratomlit(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "kratomlit", *args], check=True,
                          capture_output=True, text=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default="10")
    parser.add_argument("--seed", default="0")
    parser.add_argument("--models", default="nb,lr")
    parser.add_argument("--questions", default=",".join(QUESTIONS))
    args = parser.parse_args()
    rows = [json.loads(line) for line in (SHARED / "labels" / "dev.jsonl").open()]
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "dev.db"
        kratomlit("import", *map(str, RECORDS), "--db", str(db), "--quiet")
        print(f"{'question':34} {'model':5} {'WSS@95 % min/med/max':>22} "
              f"{'RRF@10 % min/med/max':>22}  time")
        for slug in args.questions.split(","):
            question, included = QUESTIONS[slug]
            labels = Path(tmp) / "labels.jsonl"
            labels.write_text("".join(json.dumps({"pmid": int(r["pmid"]),
                                                  "included": included(r)}) + "\n"
                                      for r in rows))
            for model in args.models.split(","):
                start = time.perf_counter()
                found = json.loads(kratomlit(
                    "screen", "simulate", str(labels), "--db", str(db), "--runs", args.runs,
                    "--seed", args.seed, "--model", model, "--format", "json",
                    "--plot", str(out / f"recall-{slug}-{model}.svg")))
                took = time.perf_counter() - start
                for order in ("ranked", "random"):
                    wss, rrf = found[order]["wss95"], found[order]["rrf10"]
                    name = model if order == "ranked" else "rand"
                    print(f"{question if order == 'ranked' else '':34} {name:5} "
                          f"{wss['min']:6.1f} {wss['median']:6.1f} {wss['max']:6.1f}    "
                          f"{rrf['min']:6.1f} {rrf['median']:6.1f} {rrf['max']:6.1f}"
                          + (f"  {took:.0f} s" if order == "ranked" else ""))
            print(f"{'':34} ({found['relevant']} relevant of {found['records']} after the "
                  f"priors; {found['runs']} runs, seed {found['seed']})")


if __name__ == "__main__":
    main()
