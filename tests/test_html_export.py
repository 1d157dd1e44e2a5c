"""``export --format html``: what made the page, DOI links, titles kept as text, and sorting
and filtering in a real browser (Debian's headless Chromium, driven by Playwright)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Paper
from kratomlit.store import Store

from conftest import PUBMED, needs_pubmed

HOSTILE = ["<script>window.pwned = 1</script>", '"><img src=x onerror="window.pwned = 2">',
           "</script><script>window.pwned = 3</script>"]


@pytest.fixture
def tagged(real_tagged_db: Path) -> Path:
    return real_tagged_db


def export(runner: CliRunner, path: Path, *args: str) -> Path:
    result = runner.invoke(app, ["export", "--format", "html", "--output", str(path), *args])
    assert result.exit_code == 0, result.output
    return path


def test_page_says_when_and_how_it_was_made(runner: CliRunner, tagged: Path, tmp_path: Path
                                             ) -> None:
    filters = ["--outcome", "safety", "--since", "2015", "--search", "randomized"]
    page = lxml_html.parse(str(export(runner, tmp_path / "t.html", *filters))).getroot()
    about = " ".join(page.find_class("about")[0].text_content().split())
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    assert re.search(rf"Generated {today} \d\d:\d\d UTC by kratomlit \S+ from kratomlit\.db\.",
                     about)
    for words in ("outcome safety", "2015", "'randomized'", "retracted papers left out"):
        assert words in about
    studies = json.loads(runner.invoke(app, ["export", "--format", "json", *filters]).stdout)
    assert len(page.xpath("//table[@id='studies']/tbody/tr")) == len(studies) > 0


def test_doi_column_links_each_doi(runner: CliRunner, tagged: Path, tmp_path: Path) -> None:
    page = lxml_html.parse(str(export(runner, tmp_path / "t.html"))).getroot()
    headers = [th.text_content() for th in page.xpath("//table[@id='studies']/thead//th")]
    column = headers.index("DOI") + 1
    studies = json.loads(runner.invoke(app, ["export", "--format", "json"]).stdout)
    rows = page.xpath("//table[@id='studies']/tbody/tr")
    assert len(rows) == len(studies)
    for row, study in zip(rows, studies, strict=True):
        links = row.xpath(f"td[{column}]/a")
        if study["doi"]:
            assert links[0].text == study["doi"]
            assert links[0].get("href") == "https://doi.org/" + study["doi"]
        else:
            assert not links


def _hostile_db(path: Path) -> None:
    """A real record saved three more times, under new PMIDs, with hostile titles."""
    real = next(p for p in iter_records(io.BytesIO((PUBMED / "pubmed-29768149.xml")
                                                  .read_bytes())) if isinstance(p, Paper))
    with Store(path) as store:
        store.save_papers([real] + [dataclasses.replace(real, pmid=900_000 + i, title=title)
                                    for i, title in enumerate(HOSTILE)], source="test")


@needs_pubmed
def test_hostile_titles_stay_text(runner: CliRunner, isolated_env: Path, tmp_path: Path
                                  ) -> None:
    _hostile_db(isolated_env)
    page = lxml_html.parse(str(export(runner, tmp_path / "t.html"))).getroot()
    assert len(page.xpath("//script")) == 1 and not page.xpath("//img")
    titles = page.xpath("//table[@id='studies']/tbody/tr/td[9]")
    assert {t.text_content() for t in titles} >= set(HOSTILE)


# -- in the browser ----------------------------------------------------------------------


def _open(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The page, and what went wrong in it: script errors, dialogs, requests for anything
    but the page itself (refused)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    url = path.as_uri()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("request", lambda request: problems.append(request.url)
            if request.url != url else None)
    page.route("**/*", lambda route: route.continue_() if route.request.url == url
               else route.abort())
    page.goto(url)
    return page, problems


def _column(page: Any, name: str) -> list[str]:
    index = page.eval_on_selector_all("#studies thead th", "hs => hs.map(h => h.textContent)"
                                      ).index(name)
    return page.eval_on_selector_all("#studies tbody tr", f"rs => rs.map(r => "
                                     f"r.cells[{index}].textContent)")


def _click(page: Any, name: str) -> tuple[str | None, str]:
    """Click a column's header; its aria-sort and the indicator drawn after its label."""
    button = page.locator("#studies thead th button", has_text=re.compile(f"^{name}$"))
    button.click()
    sort = button.evaluate("b => b.parentNode.getAttribute('aria-sort')")
    return sort, button.evaluate("b => getComputedStyle(b, '::after').content")


@needs_pubmed
def test_sorting_in_the_browser(runner: CliRunner, tagged: Path, tmp_path: Path,
                                browser: Any) -> None:
    page, problems = _open(browser, export(runner, tmp_path / "t.html"))
    total = len(json.loads(runner.invoke(app, ["export", "--format", "json"]).stdout))
    assert page.text_content("#count") == f"{total} of {total} studies, the first 500 shown"
    assert page.locator("#studies tbody tr").count() == 500
    page.click("#all")
    assert page.locator("#studies tbody tr").count() == total
    assert page.eval_on_selector_all("#studies th[aria-sort]", "hs => hs.length") == 0

    assert page.get_by_role("button", name="Year", exact=True).count() == 1  # arrows unread
    sort, arrow = _click(page, "Year")
    assert sort == "ascending" and "▲" in arrow
    years = _column(page, "Year")
    known = [int(y) for y in years if y]
    assert known == sorted(known) and years[len(known):] == [""] * (len(years) - len(known))
    sort, arrow = _click(page, "Year")
    assert sort == "descending" and "▼" in arrow
    years = _column(page, "Year")
    known = [int(y) for y in years if y]
    assert known == sorted(known, reverse=True) and not any(years[len(known):])

    from kratomlit.tagging.rules import DESIGNS

    assert _click(page, "Design")[0] == "ascending"  # strongest design first
    ranks = [DESIGNS.index(d) if d in DESIGNS else len(DESIGNS) for d in _column(page, "Design")]
    assert ranks == sorted(ranks)
    assert page.eval_on_selector_all("#studies th[aria-sort]", "hs => hs.length") == 1

    _click(page, "N")
    sizes = [int(n) for n in _column(page, "N") if n]
    assert sizes == sorted(sizes) and sizes
    page.fill("#filter", "tuberculosis")
    shown = page.locator("#studies tbody tr").count()
    assert page.text_content("#count") == f"{shown} of {total} studies"
    assert 0 < shown < total and all("tuberculosis" in t.lower() for t in page.eval_on_selector_all(
        "#studies tbody tr", "rs => rs.map(r => r.textContent)"))
    assert problems == []


@needs_pubmed
def test_hostile_titles_stay_inert_in_the_browser(runner: CliRunner, isolated_env: Path,
                                                  tmp_path: Path, browser: Any) -> None:
    _hostile_db(isolated_env)
    page, problems = _open(browser, export(runner, tmp_path / "t.html"))
    _click(page, "Title")
    assert set(HOSTILE) <= set(_column(page, "Title"))
    assert page.evaluate("window.pwned") is None and page.locator("img").count() == 0
    assert problems == []
