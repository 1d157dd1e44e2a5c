"""The gap map page with the real records' extraction embedded: its country and substance
filters count as the CLI's, and a study's key finding is the stored one (Chromium)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kratomlit.report.gapmap import OPTIONAL
from test_gapmap import embedded
from test_gapmap_browser import cli_cells, drill_down, gap_map, open_page, page_cells

__all__ = ["open_page"]  # the fixture, shared with test_gapmap_browser.py


def test_embedded_fields_are_only_those_the_page_shows(runner: CliRunner, real_tagged_db: Path,
                                                       tmp_path: Path) -> None:
    data = embedded(gap_map(runner, tmp_path / "map.html").read_text("utf-8"))
    keys = {key for study in data["studies"] for key in study}
    assert set(OPTIONAL) <= keys
    assert not keys & {"countries_inferred", "measures", "abstract"}


def test_country_and_substance_filters_count_as_the_cli(
        runner: CliRunner, real_tagged_db: Path, tmp_path: Path,
        open_page: Callable[..., Any]) -> None:
    page = open_page(gap_map(runner, tmp_path / "map.html"))
    assert page.is_visible("#countries") and page.is_visible("#substances")
    page.select_option("#countries", "Italy")
    assert page_cells(page) == cli_cells(runner, "--country", "Italy")
    page.select_option("#countries", "")
    page.select_option("#substances", "alcohol")
    assert page_cells(page) == cli_cells(runner, "--substance", "alcohol")

    with sqlite3.connect(real_tagged_db) as conn:
        pmid, finding = conn.execute(
            "SELECT p.pmid, e.finding FROM paper_extraction e JOIN paper_tags t "
            "USING (paper_id) JOIN papers p ON p.id = paper_id WHERE e.substances LIKE "
            "'%\"alcohol\"%' AND t.design = 'cohort' AND p.retracted = 0 AND e.finding <> '' "
            "ORDER BY p.pmid LIMIT 1").fetchone()
    outcome = next(o for (o, d) in page_cells(page) if d == "cohort")
    assert pmid in drill_down(page, outcome, "cohort")
    item = page.locator(f"#studies li[data-pmid='{pmid}']")
    assert f"Key finding: {finding}" in " ".join(item.text_content().split())
