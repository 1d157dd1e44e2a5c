"""Does every line of the PRISMA SVG fit its box when a real browser draws it?

    python bench/prisma_svg_fit.py [--chromium /usr/bin/chromium] [--keep DIR]

Draws a crowded flow (the long default query, many files, long exclusion reasons, large
numbers, accents and wide capitals), then has headless Chromium lay it out in the fonts
the SVG asks for (Helvetica, i.e. Arial or Liberation Sans) and in DejaVu Sans (a wider
fallback), and reports every text line whose measured right edge passes its box's inner
edge, with the tightest margin found.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

from kratomlit.jobs.fetch_pubmed import default_query
from kratomlit.review.prisma import Flow, Source, svg

MEASURE = """<script>
const out = [];
let tightest = Infinity;
const rects = [...document.querySelectorAll("rect.box, rect.heading")];
for (const text of document.querySelectorAll("text:not([transform])")) {
  const box = text.getBBox();
  const home = rects.find(r => r.x.baseVal.value < box.x && box.x < r.x.baseVal.value
      + r.width.baseVal.value && r.y.baseVal.value < box.y + box.height / 2
      && box.y + box.height / 2 < r.y.baseVal.value + r.height.baseVal.value);
  const inner = home.x.baseVal.value + home.width.baseVal.value - 4;
  tightest = Math.min(tightest, inner - (box.x + box.width));
  if (box.x + box.width > inner) out.push([text.textContent, box.x + box.width - inner]);
}
document.body.setAttribute("data-result", JSON.stringify({lines: document.querySelectorAll(
  "text:not([transform])").length, overflow: out, tightest: tightest}));
</script>"""


def crowded() -> Flow:
    files = ", ".join(f"pubmed-export-{i:02d}-MWMWMW.nbib" for i in range(12))
    sources = [Source(f"PubMed: {default_query()}", "PubMed search", 123_456,
                      "2024-01-01T00:00:00Z", "2024-05-01T00:00:00Z"),
               Source(f"Files: {files}", "file import", 98_765, "2024-05-02T00:00:00Z",
                      "2024-05-02T00:00:00Z"),
               Source("File: Übersichtsarbeiten-Kratom-Österreich-WWWWWWWWWWWWWWWWWWWWWWWWWW"
                      "WWWWWWWWW.xml", "file import", 7, "2024-05-03T00:00:00Z",
                      "2024-05-03T00:00:00Z")]
    reasons = {"not about kratom": 100_000, "WRONG POPULATION (MINORS, ANIMALS, WOMEN WHO "
               "WERE PREGNANT AT ENROLMENT)": 2_345, "mmmm wwww mmmm wwww mmmm wwww mmmm wwww "
               "mmmm wwww mmmm": 1, "résumé only, no full text in English or Malay": 12}
    return Flow(sources=sources, identified=222_228, duplicates_removed=100_000,
                duplicates_across_sources=99_990, duplicate_records=10, screened=111_111,
                included=1_234, excluded=sum(reasons.values()), excluded_reasons=reasons,
                maybe=5_555, conflicts=2_222, awaiting=11_117)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--keep", type=Path, help="also write the SVG and pages here")
    args = parser.parse_args()
    drawing = svg(crowded())
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "crowded.svg").write_text(drawing, "utf-8")
        for label, family in (("Helvetica (as the SVG asks)", None),
                              ("DejaVu Sans (wider fallback)", "DejaVu Sans")):
            page_svg = drawing if family is None else re.sub(
                r'font-family="[^"]*"', f'font-family="{family}"', drawing, count=1)
            page = folder / f"page-{'dejavu' if family else 'helvetica'}.html"
            page.write_text(f"<!DOCTYPE html><html><body>{page_svg}{MEASURE}</body></html>",
                            "utf-8")
            dom = subprocess.run(
                [args.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--no-first-run", "--dump-dom",
                 page.as_uri()], capture_output=True, text=True, check=True, timeout=120).stdout
            found = re.search(r'data-result="([^"]*)"', dom)
            assert found, "Chromium returned no measurement"
            result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
            print(f"{label:<30} {result['lines']} lines, {len(result['overflow'])} overflow; "
                  f"tightest margin {result['tightest']:.1f} px")
            for text, by in result["overflow"]:
                print(f"  +{by:.1f} px: {text}")


if __name__ == "__main__":
    main()
