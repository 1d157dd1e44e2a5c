"""Time a sort click in `kratomlit export --format html` of 30,000 records, in headless Chromium.

    python bench/html_bench.py [--records 30000] [--repeat 3] [--chromium /usr/bin/chromium]

Needs `pip install playwright` (it drives the Chromium already installed; it never downloads a
browser). A click is timed from the click to the first frame painted after it (a
requestAnimationFrame, then a task), so the sort, the re-layout and the paint all count.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from databases import OUT, tagged  # noqa: E402

CLICK = """async (name) => {
  const th = [...document.querySelectorAll("#studies thead th")]
    .find(h => h.textContent.trim().startsWith(name));
  const start = performance.now();
  (th.querySelector("button") || th).click();
  await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now() - start;
}"""
TYPE = """async (text) => {
  const box = document.getElementById("filter"), start = performance.now();
  box.value = text;
  box.dispatchEvent(new Event("input"));
  await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now() - start;
}"""
COLUMNS = ["Year", "Title", "Design", "N", "PMID"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--page", type=Path, help="time this page instead of a fresh export "
                        "(e.g. one written by an older kratomlit, for a before/after figure)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    page_file = args.page.resolve() if args.page else OUT / f"studies-{args.records}.html"
    if not args.page:
        db = tagged(args.records)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kratomlit", "export", "--format", "html",
                        "--output", str(page_file), "--db", str(db)], check=True)
        print(f"export --format html: {time.perf_counter() - start:.2f} s, "
              f"{page_file.stat().st_size / 1e6:.1f} MB")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        start = time.perf_counter()
        page.goto(page_file.as_uri(), wait_until="load", timeout=600_000)
        print(f"page load: {time.perf_counter() - start:.2f} s")
        print("shown:", page.evaluate("document.getElementById('count')?.textContent ?? "
                                      "document.querySelectorAll('#studies tbody tr').length"))
        for name in COLUMNS:
            report(f"sort by {name}", [page.evaluate(CLICK, name) for _ in range(args.repeat)])
        if page.query_selector("#filter"):
            report("filter 'kratom'", [page.evaluate(TYPE, text) for text in
                                       ("kratom", "", "kratom", "")][::2])
        browser.close()


def report(what: str, times_ms: list[float]) -> None:
    times = sorted(t / 1000 for t in times_ms)
    print(f"{what:<16} to paint: median {times[len(times) // 2]:.3f} s  max {times[-1]:.3f} s")


if __name__ == "__main__":
    main()
