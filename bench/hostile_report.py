"""Hostile and fuzzed inputs: how many were tried, stored, rejected cleanly, or crashed.

    python bench/hostile_report.py [--fuzz 500] [--seed 1]

Each input is a file built from the real records in ../shared/pubmed (hostile DTDs and
entities, or a random mutation: truncation, dropped/duplicated elements, odd characters,
very long fields, bad dates, random bytes in MEDLINE text). Each is imported with
`kratomlit import` in a fresh database, as a subprocess, and classified:
  stored   - exit 0, the records are in the database, integrity_check ok
  rejected - exit 1/2 with exactly one "Error: ..." line, the database unchanged
  crashed  - anything else (a traceback, another exit code, a damaged database)
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PUBMED = REPO.parent / "shared" / "pubmed"
XML = (PUBMED / "efetch-pubmed1.xml").read_bytes()
ONE = (PUBMED / "pubmed-29768149.xml").read_text("utf-8")
MEDLINE = (PUBMED / "medline-pubmed_result2.txt").read_bytes()
ELEMENTS = [b"ArticleTitle", b"AbstractText", b"PMID", b"Author", b"PubDate", b"Year",
            b"Month", b"Day", b"Journal", b"MeshHeading", b"ArticleId", b"MedlineCitation"]
ODD = ["\x00", "\x01", "\x0b", "\u202e", "\ufeff", "\U0001f9ea", "&", "<", "]]>", "é", "\u2028"]


def hostile() -> list[tuple[str, bytes, str]]:
    body = ONE[ONE.index("<PubmedArticleSet>"):]

    def doc(prolog: str, title: str) -> bytes:
        text = body.replace("<ArticleTitle>", f"<ArticleTitle>{title} ", 1)
        return ('<?xml version="1.0"?>\n' + prolog + "\n" + text).encode()

    laughs = "".join(['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)])
    return [
        ("billion laughs", doc(f"<!DOCTYPE PubmedArticleSet [{laughs}]>", "&l9;"), ".xml"),
        ("XXE /etc/passwd", doc('<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM '
                                '"file:///etc/passwd">]>', "&x;"), ".xml"),
        ("external DTD", doc('<!DOCTYPE PubmedArticleSet SYSTEM "http://127.0.0.1:9/x.dtd">',
                             ""), ".xml"),
        ("parameter entity", doc('<!DOCTYPE PubmedArticleSet [<!ENTITY % p SYSTEM '
                                 '"http://127.0.0.1:9/p.dtd"> %p;]>', ""), ".xml"),
        ("quadratic blowup", doc('<!DOCTYPE PubmedArticleSet [<!ENTITY a "' + "x" * 50_000 +
                                 '">]>', "&a;" * 200), ".xml"),
        ("not XML at all", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), ".xml"),
        ("empty file", b"", ".xml"),
        ("gzip of garbage", b"\x1f\x8b" + os.urandom(500), ".xml.gz"),
    ]


def mutate(rng: random.Random) -> tuple[str, bytes, str]:
    kind = rng.choice(["truncate", "drop", "duplicate", "odd", "long", "date", "medline"])
    data = XML
    if kind == "truncate":
        return kind, data[:rng.randrange(1, len(data))], ".xml"
    if kind in ("drop", "duplicate"):
        tag = rng.choice(ELEMENTS)
        start = data.find(b"<" + tag, rng.randrange(len(data)))
        end = data.find(b"</" + tag + b">", start)
        if start < 0 or end < 0:
            return kind, data, ".xml"
        piece = data[start:end + len(tag) + 3]
        out = data[:start] + (piece * 2 if kind == "duplicate" else b"") + data[
            end + len(tag) + 3:]
        return kind, out, ".xml"
    if kind in ("odd", "long"):
        spot = data.find(b">", rng.randrange(len(data)))
        text = rng.choice(ODD) if kind == "odd" else "kratom " * rng.randrange(2_000, 40_000)
        return kind, data[:spot + 1] + text.encode() + data[spot + 1:], ".xml"
    if kind == "date":
        bad = rng.choice([b"<Year>20x5</Year>", b"<Month>13</Month>", b"<Day>45</Day>",
                          b"<Year></Year>"])
        tag = bad.split(b">")[0] + b">"
        start = data.find(tag)
        end = data.find(b"</" + tag[1:], start)
        return kind, data[:start] + bad + data[end + len(tag) + 1:], ".xml"
    cut = rng.randrange(len(MEDLINE))
    return kind, MEDLINE[:cut] + os.urandom(rng.randrange(1, 9)) + MEDLINE[cut:], ".txt"


def classify(payload: bytes, suffix: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(payload)
        db = Path(tmp) / "k.db"
        result = subprocess.run([sys.executable, "-m", "kratomlit", "import", str(path), "-q"],
                                env={**os.environ, "KRATOMLIT_DB": str(db)},
                                capture_output=True, text=True, timeout=120)
        papers, healthy = 0, True
        if db.exists():
            with sqlite3.connect(db) as conn:
                healthy = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        lines = result.stderr.strip().splitlines()
        if "Traceback" in result.stderr or not healthy:
            return "crashed"
        if result.returncode == 0 and papers > 0:
            return "stored"
        if result.returncode in (1, 2) and len(lines) == 1 and lines[0].startswith("Error: ") \
                and papers == 0:
            return "rejected"
        return "crashed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fuzz", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    totals: Counter[str] = Counter()
    for name, payload, suffix in hostile():
        outcome = classify(payload, suffix)
        totals[f"hostile {outcome}"] += 1
        print(f"hostile  {name:<18} {outcome}")
    kinds: Counter[tuple[str, str]] = Counter()
    for _ in range(args.fuzz):
        kind, payload, suffix = mutate(rng)
        outcome = classify(payload, suffix)
        kinds[(kind, outcome)] += 1
        totals[f"fuzz {outcome}"] += 1
    for (kind, outcome), n in sorted(kinds.items()):
        print(f"fuzz     {kind:<18} {outcome:<9} {n}")
    for group in ("hostile", "fuzz"):
        tried = sum(n for k, n in totals.items() if k.startswith(group))
        print(f"{group}: {tried} tried, {totals[group + ' stored']} stored, "
              f"{totals[group + ' rejected']} rejected cleanly, "
              f"{totals[group + ' crashed']} crashed")


if __name__ == "__main__":
    main()
