"""Build a large, realistic PubMed XML file by repeating real records with fresh PMIDs.

    python bench/make_big.py [--records 30000] [--output bench/out/big.xml.gz]

The text of every record is real (the 604 citations of ../shared/pubmed/medline16n0902.xml.gz);
only the PMID changes, so parsers and taggers see the real mix of lengths and structures.
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared" / "pubmed" / "medline16n0902.xml.gz"
FIRST_PMID = 90_000_000


def real_citations(source: Path = SOURCE) -> list[str]:
    text = gzip.open(source, "rt", encoding="utf-8").read()
    return re.findall(r"<MedlineCitation .*?</MedlineCitation>", text, flags=re.S)


def build(records: int, output: Path, source: Path = SOURCE) -> Path:
    citations = real_citations(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    pmid_tag = re.compile(r"<PMID Version=\"1\">\d+</PMID>")
    with gzip.open(output, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<MedlineCitationSet>\n')
        for i in range(records):
            citation = citations[i % len(citations)]
            # Only the record's own PMID (the first one) changes; cited PMIDs stay real.
            out.write(pmid_tag.sub(f'<PMID Version="1">{FIRST_PMID + i}</PMID>', citation, 1))
            out.write("\n")
        out.write("</MedlineCitationSet>\n")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "out" / "big.xml.gz")
    args = parser.parse_args()
    path = build(args.records, args.output)
    print(f"{args.records} records -> {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
