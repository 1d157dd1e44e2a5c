"""The gap map page for a 30,000-record database: file size, build time, and how long
headless Chromium takes to open it and draw the grid.

    python bench/gapmap_bench.py [--records 30000] [--repeat 5] [--db PATH]
    python bench/gapmap_bench.py --db real.db --screenshot docs/gapmap.png

"drawn" is the page's own mark (performance.now() once the grid and chart are built,
counted from the start of navigation: reading 8 MB of HTML and its JSON included);
"first frame" is a frame painted after it, asked for once the driver saw the mark (so an
upper bound). "redraw" is one filter change (a title search). Needs Playwright and
Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import OUT, tagged  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
FRAME = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => " \
        "r(performance.now()))))"
REDRAW = """() => {
  const search = document.getElementById("search"), start = performance.now();
  search.value = "kratom";
  search.dispatchEvent(new Event("input", {bubbles: true}));
  return performance.now() - start;
}"""


def build(db: Path, page: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kratomlit", "map", "--format", "html", "--output",
                    str(page), "--db", str(db)], check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a database to use instead of the benchmark's")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the page here")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    db = args.db or tagged(args.records)
    OUT.mkdir(parents=True, exist_ok=True)
    page_file = OUT / f"gapmap-{db.stem}.html"
    built = build(db, page_file)
    size = page_file.stat().st_size
    drawn, frames, redraws, studies = [], [], [], 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        for _ in range(args.repeat):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_file.as_uri())
            page.wait_for_selector("html[data-drawn]")
            drawn.append(float(page.evaluate("document.documentElement.dataset.drawn")))
            frames.append(page.evaluate(FRAME))
            redraws.append(page.evaluate(REDRAW))
            studies = page.evaluate("studies.length")
            page.close()
        if args.screenshot:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(page_file.as_uri())
            page.wait_for_selector("html[data-drawn]")
            page.screenshot(path=str(args.screenshot), full_page=True)
        browser.close()

    def median(values: list[float]) -> str:
        return f"{sorted(values)[len(values) // 2] / 1000:.3f} s"

    print(f"{db.name}: {studies:,} studies, page {size / 1e6:.1f} MB, built in {built:.2f} s")
    print(f"headless Chromium, median of {args.repeat}: drawn {median(drawn)}, "
          f"first frame {median(frames)}, redraw after a title search {median(redraws)} "
          f"(max drawn {max(drawn) / 1000:.3f} s)")


if __name__ == "__main__":
    main()
