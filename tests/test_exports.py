"""Every export format parsed back with a real parser, checked against the database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bibtexparser
import pytest
import rispy
from lxml import html as lxml_html
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.store import Store

from conftest import paper_id

# A real record with a DOI, a PMCID, many authors and an accented/structured abstract.
PMID = 28786991


@pytest.fixture
def tagged(runner: CliRunner, real_tagged_db: Path) -> Path:
    runner.invoke(app, ["screen", "set", str(PMID), "exclude", "--reason", "wrong population",
                        "--reviewer", "ana"])
    return real_tagged_db


def _export(runner: CliRunner, fmt: str, *args: str) -> str:
    result = runner.invoke(app, ["export", "--format", fmt, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _truth(db: Path, pmid: int = PMID) -> dict:
    with Store(db) as store:
        paper = store.get_paper(paper_id(store, pmid))
        tags = store.db.execute("SELECT design, outcomes FROM paper_tags WHERE paper_id = ?",
                                [paper["id"]]).fetchone()
    paper["design"], paper["outcomes"] = tags[0], json.loads(tags[1])
    return paper


def _visible(db: Path) -> int:
    with Store(db) as store:
        return store.db.execute("SELECT count(*) FROM papers WHERE deleted = 0 AND retracted = 0"
                                ).fetchone()[0]


def test_json_and_jsonl(runner: CliRunner, tagged: Path) -> None:
    data = json.loads(_export(runner, "json"))
    lines = [json.loads(line) for line in _export(runner, "jsonl").splitlines()]
    assert len(data) == len(lines) == _visible(tagged)
    record = next(r for r in data if r["pmid"] == PMID)
    truth = _truth(tagged)
    assert record["title"] == truth["title"] and record["doi"] == truth["doi"]
    assert record["pmcid"] == "PMC5546677"
    assert record["authors"][0] == "Malekinejad, Mohsen"
    assert len(record["authors"]) == len(truth["authors"])
    assert record["design"] == truth["design"] and record["outcomes"] == truth["outcomes"]
    assert record["url"] == f"https://pubmed.ncbi.nlm.nih.gov/{PMID}/"
    assert (record["screening"], record["screening_reason"]) == ("exclude", "wrong population")
    assert {"abstract", "year", "journal", "n_participants", "population", "retracted"} <= set(
        record)


def test_csv_opens_as_utf8_with_lists_joined(runner: CliRunner, tagged: Path) -> None:
    text = _export(runner, "csv")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == _visible(tagged)
    row = next(r for r in rows if r["pmid"] == str(PMID))
    truth = _truth(tagged)
    assert row["title"] == truth["title"]
    assert row["authors"].split("; ")[:2] == ["Malekinejad, Mohsen", "Parriott, Andrea"]
    assert row["abstract"] == truth["abstract"]


def test_ris_imports_with_rispy(runner: CliRunner, tagged: Path) -> None:
    entries = rispy.loads(_export(runner, "ris"))
    assert len(entries) == _visible(tagged)
    entry = next(e for e in entries if e.get("accession_number") == str(PMID))
    truth = _truth(tagged)
    assert entry["type_of_reference"] == "JOUR"
    assert entry["title"] == truth["title"]
    assert entry["doi"] == truth["doi"]
    assert entry["authors"][0] == "Malekinejad, Mohsen"
    assert f"design: {truth['design']}" in entry["keywords"]
    assert any("kratomlit screening: exclude (wrong population)" in n for n in entry["notes"])


def test_bibtex_parses_with_bibtexparser(runner: CliRunner, tagged: Path) -> None:
    library = bibtexparser.parse_string(_export(runner, "bibtex"))
    assert not library.failed_blocks
    assert len(library.entries) == _visible(tagged)
    entry = library.entries_dict[f"pmid{PMID}"]
    truth = _truth(tagged)
    assert entry["doi"] == truth["doi"]
    assert entry["title"] == truth["title"]
    assert entry["author"].split(" and ")[0] == "Malekinejad, Mohsen"
    assert r"95\% CI" in entry["abstract"]  # special characters escaped, still parseable
    assert f"design: {truth['design']}" in entry["keywords"]


def test_markdown_table_has_one_row_per_study(runner: CliRunner, tagged: Path) -> None:
    lines = _export(runner, "md", "--outcome", "safety").splitlines()
    assert lines[1].startswith("|---")
    body = [line for line in lines[2:] if line.startswith("| ")]
    with Store(tagged) as store:
        expected = store.db.execute(
            "SELECT count(*) FROM paper_tags t JOIN papers p ON p.id = t.paper_id "
            "WHERE p.retracted = 0 "
            "AND t.outcomes LIKE '%\"safety\"%'").fetchone()[0]
    assert len(body) == expected
    # pipes in titles and findings are escaped
    assert all(line.count(" | ") == lines[0].count(" | ") for line in body)


def test_html_is_self_contained_and_complete(runner: CliRunner, tagged: Path) -> None:
    page = _export(runner, "html")
    tree = lxml_html.fromstring(page)
    assert len(tree.xpath("//table[@id='studies']/tbody/tr")) == _visible(tagged)
    assert not tree.xpath("//script[@src] | //link[@href]")
    titles = tree.xpath("//table[@id='studies']/tbody/tr/td[9]/text()")
    assert _truth(tagged)["title"] in titles


def test_output_file_and_unwritable_path(runner: CliRunner, tagged: Path, tmp_path: Path
                                         ) -> None:
    target = tmp_path / "studies.ris"
    result = runner.invoke(app, ["export", "--format", "ris", "--output", str(target),
                                 "--design", "rct"])
    assert result.exit_code == 0, result.output
    assert len(rispy.loads(target.read_text())) == int(result.stderr.split()[1])
    missing = runner.invoke(app, ["export", "--format", "csv", "-o",
                                  str(tmp_path / "no" / "such" / "x.csv")])
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")
    assert "does not exist" in missing.stderr and "Traceback" not in missing.output
    bad = runner.invoke(app, ["export", "--format", "docx"])
    assert bad.exit_code == 2 and "unknown --format" in bad.stderr
