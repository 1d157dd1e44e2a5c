"""``map --format html``: the gap map page's file, its embedded data and bad input
(what the page does in a browser is in test_gapmap_browser.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.report.gapmap import write_page
from kratomlit.tagging.taxonomy import DESIGNS, FAMILIES

from conftest import one_line_error

HOSTILE = '</script><script>window.pwned = 1</script><!-- "><img src=x onerror=alert(1)>'


@pytest.fixture
def tagged(real_tagged_db: Path) -> Path:
    return real_tagged_db


def embedded(page: str) -> dict:
    """The page's data, each study as the dictionary the page's script makes of it."""
    (text,) = lxml_html.fromstring(page).xpath("//script[@id='data']/text()")
    data = dict(json.loads(text))
    data["studies"] = [
        {field: data["lookup"][field][value] if field in data["lookup"] else value
         for field, value in zip(data["fields"], row, strict=False) if value is not None}
        for row in data["studies"]]
    return data


def test_every_design_is_in_exactly_one_family() -> None:
    grouped = [d for _, designs in FAMILIES for d in designs]
    assert sorted(grouped) == sorted([*DESIGNS, "untagged"])


def test_hostile_text_cannot_end_the_data_block() -> None:
    out = io.StringIO()
    rows = [{"pmid": 1, "title": HOSTILE, "first_author": HOSTILE, "journal": "J & <b>",
             "design": "rct", "outcomes": ["safety"], "retracted": False}]
    assert write_page(rows, out, query=HOSTILE, source="x.db") == 1
    page = out.getvalue()
    tree = lxml_html.fromstring(page)
    assert len(tree.xpath("//script")) == 2 and not tree.xpath("//img")
    data = embedded(page)
    assert data["studies"][0]["title"] == HOSTILE and data["query"] == HOSTILE
    assert data["studies"][0]["journal"] == "J & <b>"


def test_only_shown_fields_are_embedded_and_optional_ones_pass_through() -> None:
    out = io.StringIO()
    rows = [{"pmid": 1, "title": "A", "abstract": "long text", "first_author": None,
             "journal_iso": "J", "design": "cohort", "outcomes": [], "retracted": False,
             "substances": ["mitragynine"], "finding": "more harm"}]
    write_page(rows, out, query="all studies", source="x.db")
    assert embedded(out.getvalue())["studies"] == [
        {"pmid": 1, "title": "A", "journal": "J", "design": "cohort",
         "substances": ["mitragynine"], "finding": "more harm"}]


def test_map_html_to_a_file_and_to_stdout(runner: CliRunner, tagged: Path, tmp_path: Path
                                         ) -> None:
    page = tmp_path / "map.html"
    result = runner.invoke(app, ["map", "-f", "html", "-o", str(page), "--outcome", "safety",
                                 "--since", "2010"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "Wrote the gap map of" in result.stderr
    data = embedded(page.read_text("utf-8"))
    found = json.loads(runner.invoke(app, ["map", "-f", "json", "--outcome", "safety",
                                           "--since", "2010"]).stdout)
    assert len(data["studies"]) == found["studies"] > 0
    assert all("safety" in s["outcomes"] and s["year"] >= 2010 for s in data["studies"])
    assert data["query"] == "outcome safety; published 2010–…"
    piped = runner.invoke(app, ["map", "-f", "html"])
    assert piped.exit_code == 0 and piped.stdout.startswith("<!DOCTYPE html>")
    assert len(embedded(piped.stdout)["studies"]) == 617


@pytest.mark.parametrize(("args", "fragment", "code"), [
    (["map", "-f", "csv", "-o", "map.csv"], "--output is for --format html", 2),
    (["map", "-f", "html", "-o", "missing/map.html"], "does not exist", 1),
    (["map", "-f", "html", "-o", "."], "is a folder", 1),
    (["map", "-f", "html", "-o", "map.html", "--since", "2020", "--until", "2010"],
     "after --until", 2),
    (["map", "-f", "html", "-o", "map.html", "--search", 'kratom"'], "cannot search", 2),
])
def test_bad_map_html_input_writes_nothing(runner: CliRunner, real_db: Path, tmp_path: Path,
                                           args: list[str], fragment: str, code: int) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, args)
    one_line_error(result, fragment)
    assert result.exit_code == code
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_search_prints_no_half_page(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["map", "-f", "html", "--search", 'kratom"'])
    one_line_error(result, "cannot search")
    assert result.stdout == ""


def test_every_field_a_study_can_have_is_embedded() -> None:
    # a field study() gains but FIELDS lacks would be dropped from the page without a word
    from kratomlit.report.gapmap import FIELDS, study

    full = {"pmid": 1, "title": "A", "year": 2020, "first_author": "Doe J", "journal_iso": "J",
            "design": "cohort", "outcomes": ["mood"], "n_participants": 10,
            "population": "human", "doi": "10.1/x", "screening": "include", "retracted": True,
            "substances": ["kratom"], "countries": ["Malaysia"], "finding": "It helped."}
    assert set(study(full)) == set(FIELDS) - {"id"}  # the id only when there is no PMID
    assert set(study({**full, "pmid": None, "id": 7})) == set(FIELDS) - {"pmid"}
