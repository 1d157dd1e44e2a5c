"""The gap map page in a real browser: Debian's headless Chromium driven by Playwright.

Every page is opened from its file with every request recorded and anything but the page
itself refused, and each test fails on a request, a script error or a dialog box.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.jobs.import_files import import_files
from kratomlit.records import Author, Paper
from kratomlit.report.gapmap import write_page
from kratomlit.store import Store

from conftest import retracted_record

HOSTILE = ['<script>window.pwned = 1</script>', '"><img src=x onerror="window.pwned = 2">',
           "</script><script>window.pwned = 3</script>"]


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open a page file; afterwards assert it asked for nothing else and raised nothing."""
    pages: list[tuple[Any, str, list[str], list[str]]] = []

    def opener(path: Path, width: int = 1280) -> Any:
        page = browser.new_page(viewport={"width": width, "height": 900})
        url = path.as_uri()
        requests: list[str] = []
        problems: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        # A request the page's policy blocks never leaves it, but Chromium reports it here.
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" else None)
        page.route("**/*", lambda route: route.continue_() if route.request.url == url
                   else route.abort())
        page.goto(url)
        page.wait_for_selector("html[data-drawn]", timeout=10_000)
        pages.append((page, url, requests, problems))
        return page

    yield opener
    for page, url, requests, problems in pages:
        assert requests == [url] and problems == []
        page.close()


@pytest.fixture
def tagged(real_tagged_db: Path) -> Path:
    return real_tagged_db


def gap_map(runner: CliRunner, path: Path, *args: str) -> Path:
    result = runner.invoke(app, ["map", "-f", "html", "-o", str(path), *args])
    assert result.exit_code == 0, result.output
    return path


def cli_cells(runner: CliRunner, *args: str) -> dict[tuple[str, str], int]:
    result = runner.invoke(app, ["map", "-f", "json", *args])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    return {(o, d): n for o, row in found["cells"].items() for d, n in row.items()}


def page_cells(page: Any) -> dict[tuple[str, str], int]:
    cells = page.eval_on_selector_all("td[data-outcome]", "tds => tds.map(td => "
                                      "[td.dataset.outcome, td.dataset.design, td.dataset.count])")
    return {(o, d): int(n) for o, d, n in cells if int(n)}


def drill_down(page: Any, outcome: str, design: str) -> list[int]:
    page.click(f"td[data-outcome='{outcome}'][data-design='{design}'] button")
    while page.is_visible("#more"):
        page.click("#more")
    pmids = page.eval_on_selector_all("#studies li", "lis => lis.map(li => li.dataset.pmid)")
    return [int(p) for p in pmids]


def test_grid_counts_equal_map_json(runner: CliRunner, tagged: Path, tmp_path: Path,
                                    open_page: Callable[..., Any]) -> None:
    page = open_page(gap_map(runner, tmp_path / "map.html"))
    expected = cli_cells(runner)
    assert page_cells(page) == expected and sum(expected.values()) > 617
    columns = page.eval_on_selector_all("th.design", "ths => ths.map(th => th.textContent)")
    assert "untagged" not in columns and len(columns) == 13  # empty designs stay: the gaps
    assert page.locator("td.gap").count() > 0
    assert page.text_content("#summary") == "Showing 617 studies"
    footer = page.text_content("footer")
    assert "kratomlit.db, query: all studies" in footer and "Generated on" in footer


def test_cli_filters_are_embedded_in_the_page(runner: CliRunner, tagged: Path, tmp_path: Path,
                                              open_page: Callable[..., Any]) -> None:
    args = ["--design", "cohort,rct,case-report", "--since", "2012"]
    page = open_page(gap_map(runner, tmp_path / "map.html", *args))
    assert page_cells(page) == cli_cells(runner, *args)


def test_page_filters_count_as_the_cli_filters(runner: CliRunner, tagged: Path, tmp_path: Path,
                                               open_page: Callable[..., Any]) -> None:
    with Store(tagged) as store:
        import_files(store, [_retracted_file(tmp_path)])
    table = json.loads(runner.invoke(app, ["table", "-f", "json"]).stdout)
    for row in table[:40]:
        decision = ["include", "exclude", "maybe"][row["pmid"] % 3]
        assert runner.invoke(app, ["screen", "set", str(row["pmid"]), decision, "--reviewer",
                                   "ana", "--reason", "wrong design"]).exit_code == 0
    page = open_page(gap_map(runner, tmp_path / "map.html"))
    assert page_cells(page) == cli_cells(runner)

    page.fill("#since", "2015")
    page.fill("#until", "2016")
    assert page_cells(page) == cli_cells(runner, "--since", "2015", "--until", "2016")
    page.fill("#since", "")
    page.fill("#until", "")

    page.select_option("#screening", "included")
    assert page_cells(page) == cli_cells(runner, "--included") != {}
    page.select_option("#screening", "not-excluded")
    everything, excluded = cli_cells(runner), cli_cells(runner, "--status", "excluded")
    assert excluded and page_cells(page) == {
        key: n - excluded.get(key, 0) for key, n in everything.items() if n > excluded.get(key, 0)}
    page.select_option("#screening", "all")

    page.check("#retracted")
    with_retracted = cli_cells(runner, "--include-retracted")
    assert with_retracted != everything and page_cells(page) == with_retracted
    page.uncheck("#retracted")

    page.fill("#search", " Patients  WITH")
    titled = [r for r in table if "patients" in r["title"].lower() and "with" in
              r["title"].lower()]
    assert 0 < sum(page_cells(page).values()) == sum(len(r["outcomes"] or [0]) for r in titled)
    assert page.text_content("#summary").startswith(f"Showing {len(titled)} of 616 studies")
    page.click("button[type=reset]")
    # The summary ended with "1 retracted hidden" before the reset too: wait for the redraw
    # (with a selector: the page's policy forbids the eval a string predicate would need).
    page.wait_for_selector("#summary:text-is('Showing 616 studies · 1 retracted hidden')")
    assert page_cells(page) == everything


def _retracted_file(tmp_path: Path) -> Path:
    path = tmp_path / "retracted.xml"
    path.write_bytes(retracted_record())
    return path


def test_a_cell_lists_exactly_its_studies(runner: CliRunner, tagged: Path, tmp_path: Path,
                                          open_page: Callable[..., Any]) -> None:
    page = open_page(gap_map(runner, tmp_path / "map.html"))
    for outcome, design in (("safety", "cohort"), ("no outcome", "in-vitro")):
        rows = json.loads(runner.invoke(app, ["table", "-f", "json", "--design", design]).stdout)
        expected = [r["pmid"] for r in rows if outcome in (r["outcomes"] or ["no outcome"])]
        assert len(expected) > 1
        assert drill_down(page, outcome, design) == expected
        heading = page.text_content("#cell-title")
        assert heading == f"{outcome} × {design}: {len(expected)} studies"
        first = rows[[r["pmid"] for r in rows].index(expected[0])]
        item = page.locator("#studies li").first
        assert first["title"] in item.text_content()
        assert item.locator("a").first.get_attribute("href") == first["url"]
        page.click("#close")


def test_keyboard_opens_and_closes_a_cell(runner: CliRunner, tagged: Path, tmp_path: Path,
                                          open_page: Callable[..., Any]) -> None:
    page = open_page(gap_map(runner, tmp_path / "map.html"))
    page.focus("button[type=reset]")
    page.keyboard.press("Tab")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.fullmatch(r"mood, \S+: \d+ stud(y|ies)", label)
    page.keyboard.press("Enter")
    assert page.is_visible("#cell") and page.text_content("#cell-title").startswith("mood × ")
    page.keyboard.press("Escape")
    assert not page.is_visible("#cell")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == label


def test_hostile_titles_render_as_text(runner: CliRunner, isolated_env: Path, tmp_path: Path,
                                       open_page: Callable[..., Any]) -> None:
    with Store(isolated_env) as store:
        store.save_papers([Paper(pmid=900_000 + i, title=title, year=2020, journal=title,
                                 authors=[Author(last_name=title, initials="X")])
                           for i, title in enumerate(HOSTILE)], source="test")
    page = open_page(gap_map(runner, tmp_path / "map.html"))
    assert drill_down(page, "no outcome", "untagged") == [900_002, 900_001, 900_000]
    titles = page.eval_on_selector_all("#studies .t", "ps => ps.map(p => p.textContent)")
    assert titles == HOSTILE[::-1]
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0 and page.locator("script").count() == 2


def test_optional_fields_appear_only_when_the_data_has_them(
        runner: CliRunner, tagged: Path, tmp_path: Path, open_page: Callable[..., Any]) -> None:
    # Rows without the fields (as before extraction, or an empty extraction everywhere).
    bare = tmp_path / "bare.html"
    with bare.open("w", encoding="utf-8") as out:
        write_page([{"pmid": 1, "title": "A study", "year": 2020, "design": "rct",
                     "outcomes": ["safety"], "substances": [], "finding": ""}], out,
                   query="bare", source="none")
    page = open_page(bare)
    assert not page.is_visible("#substances") and not page.is_visible("#countries")
    drill_down(page, "safety", "rct")
    assert "Key finding" not in page.text_content("#studies")

    # Synthetic studies with the fields (the real ones: test_gapmap_extraction_browser.py).
    rows = [{"pmid": i, "title": f"Synthetic study {i}", "year": 2020, "design": "cohort",
             "outcomes": ["safety"], "substances": ["mitragynine"] if i % 2 else ["kratom"],
             "countries": ["Thailand"], "finding": f"finding {i}"} for i in range(1, 8)]
    path = tmp_path / "synthetic.html"
    with path.open("w", encoding="utf-8") as out:
        write_page(rows, out, query="synthetic", source="none")
    page = open_page(path)
    assert page.is_visible("#substances") and page.is_visible("#countries")
    assert page_cells(page) == {("safety", "cohort"): 7}
    page.select_option("#substances", "mitragynine")
    assert page_cells(page) == {("safety", "cohort"): 4}
    assert drill_down(page, "safety", "cohort") == [1, 3, 5, 7]
    assert "Key finding: finding 1" in page.text_content("#studies li")


def test_phone_width_and_print(runner: CliRunner, tagged: Path, tmp_path: Path,
                               open_page: Callable[..., Any]) -> None:
    path = gap_map(runner, tmp_path / "map.html")
    page = open_page(path, width=375)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    drill_down(page, "safety", "cohort")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("document.getElementById('cell').getBoundingClientRect().right") <= 375
    pdf = open_page(path).pdf(prefer_css_page_size=True)
    assert 1 <= len(re.findall(rb"/Type\s*/Page\b", pdf)) <= 2
