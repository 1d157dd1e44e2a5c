"""Extraction shown: ``show``, ``explain``, the evidence table (terminal, piped, json,
``--columns``) and every export format, read back with real parsers and checked against
what the database stores."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import bibtexparser
import pytest
import rispy
from lxml import html as lxml_html
from rich.console import Console
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.report import selection
from kratomlit.report.terminal import render_table
from kratomlit.store import Store

from conftest import one_line_error

FIELDS = ("finding", "substances", "countries", "countries_inferred", "measures")
# Real records: a Chinese study of alcohol; one whose abstract names no country (the United
# States inferred from the first author's affiliation) with a measure; an Italian one with VAS.
CHINA, INFERRED, ITALY = 26702391, 18621939, 26432128


def _stored(db: Path) -> dict[int, dict]:
    with Store(db) as store:
        pairs = store.db.execute("SELECT p.pmid, p.id FROM paper_extraction e "
                                 "JOIN papers p ON p.id = e.paper_id").fetchall()
        return {pmid: store.stored_extraction(paper_id) for pmid, paper_id in pairs}


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _check_examples(stored: dict[int, dict]) -> None:
    """The examples the tests lean on really carry something, so the checks can fail."""
    assert stored[CHINA]["countries"] == ["China"] and stored[CHINA]["substances"]
    assert stored[INFERRED]["countries_inferred"] and not stored[INFERRED]["countries"]
    assert stored[INFERRED]["measures"] and stored[ITALY]["measures"]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_exports_carry_the_stored_extraction(runner: CliRunner, real_tagged_db: Path,
                                                  fmt: str) -> None:
    stored = _stored(real_tagged_db)
    _check_examples(stored)
    text = _run(runner, "export", "--format", fmt)
    records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    assert records
    for record in records:
        assert {f: record[f] for f in FIELDS} == {f: stored[record["pmid"]][f] for f in FIELDS}


def test_table_json_and_piped_tsv_carry_the_stored_extraction(runner: CliRunner,
                                                              real_tagged_db: Path) -> None:
    stored = _stored(real_tagged_db)
    for record in json.loads(_run(runner, "table", "--format", "json")):
        assert {f: record[f] for f in FIELDS} == {f: stored[record["pmid"]][f] for f in FIELDS}
    lines = _run(runner, "table").splitlines()  # CliRunner's stdout is not a terminal
    rows = list(csv.DictReader(lines, delimiter="\t"))
    assert len(rows) == len(lines) - 1
    for row in rows:
        expected = stored[int(row["pmid"])]
        assert row["finding"] == " ".join(expected["finding"].split())
        for name in FIELDS[1:]:
            assert row[name] == "; ".join(expected[name])


def test_csv_md_and_html_carry_the_extraction(runner: CliRunner, real_tagged_db: Path) -> None:
    stored = _stored(real_tagged_db)
    text = _run(runner, "export", "--format", "csv").lstrip("\ufeff")
    for row in csv.DictReader(io.StringIO(text)):
        expected = stored[int(row["pmid"])]
        assert row["finding"] == expected["finding"]
        assert row["countries_inferred"] == "; ".join(expected["countries_inferred"])
        assert row["measures"] == "; ".join(expected["measures"])

    md = _run(runner, "export", "--format", "md").splitlines()
    header = [c.strip() for c in md[0].strip("|").split("|")]
    assert header[7:12] == ["Substances", "Countries", "Measures", "Title", "Finding"]
    inferred = next(line for line in md if line.startswith(f"| {INFERRED} |"))
    cells = [c.strip() for c in inferred.strip("|").split(" | ")]
    assert cells[8] == ", ".join(f"{c} (inferred)" for c in stored[INFERRED]["countries_inferred"])
    assert cells[11] == stored[INFERRED]["finding"]

    page = lxml_html.fromstring(_run(runner, "export", "--format", "html"))
    names = [th.text_content() for th in page.xpath("//thead//th")]
    row = page.xpath(f"//tbody/tr[td[1]/a[text()='{CHINA}']]")[0]
    cell = dict(zip(names, [td.text_content() for td in row.xpath("td")], strict=True))
    assert cell["Countries"] == "China"
    assert cell["Substances"] == ", ".join(stored[CHINA]["substances"])
    assert cell["Finding"] == stored[CHINA]["finding"]


def test_ris_and_bibtex_keep_the_extraction_in_notes_and_stay_valid(
        runner: CliRunner, real_tagged_db: Path) -> None:
    stored = _stored(real_tagged_db)
    entries = {int(e["accession_number"]): e for e in rispy.loads(_run(
        runner, "export", "--format", "ris"))}
    notes = entries[INFERRED]["notes"]
    assert f"kratomlit finding: {' '.join(stored[INFERRED]['finding'].split())}" in notes
    assert ("kratomlit countries inferred from the first author's affiliation: "
            + "; ".join(stored[INFERRED]["countries_inferred"])) in notes
    assert f"kratomlit measures: {'; '.join(stored[INFERRED]['measures'])}" in notes
    assert f"kratomlit countries: {'; '.join(stored[CHINA]['countries'])}" in entries[CHINA][
        "notes"]

    library = bibtexparser.parse_string(_run(runner, "export", "--format", "bibtex"))
    assert not library.failed_blocks
    note = library.entries_dict[f"pmid{ITALY}"]["note"]
    assert f"kratomlit measures: {'; '.join(stored[ITALY]['measures'])}" in note
    assert "kratomlit finding: " in note and "kratomlit countries: Italy" in note


def _terminal_table(db: Path, width: int, columns: list[str] | None = None) -> str:
    out = io.StringIO()
    with Store(db) as store:
        rows = [r for r in selection.rows(store, selection.Filters()) if r["pmid"] == CHINA]
        render_table(Console(file=out, width=width, force_terminal=True, color_system=None),
                     rows, 1, {}, columns)
    return out.getvalue()


def test_terminal_table_shows_the_finding_when_wide_and_the_columns_chosen(
        real_tagged_db: Path) -> None:
    finding_start = " ".join(_stored(real_tagged_db)[CHINA]["finding"].split()[:3])
    assert "Finding" in _terminal_table(real_tagged_db, 180).splitlines()[0]
    assert finding_start in _terminal_table(real_tagged_db, 180)
    assert "Finding" not in _terminal_table(real_tagged_db, 120)
    chosen = _terminal_table(real_tagged_db, 100, ["pmid", "countries", "substances", "finding"])
    assert chosen.splitlines()[0].split() == ["PMID", "Countries", "Substances", "Finding"]
    assert "China" in chosen and finding_start in chosen
    assert all(len(line) <= 100 for line in chosen.splitlines())


def test_unknown_column_is_a_usage_error(runner: CliRunner, real_tagged_db: Path) -> None:
    result = runner.invoke(app, ["table", "--columns", "pmid,punchline"])
    one_line_error(result, "punchline", "finding")
    assert result.exit_code == 2


def test_show_and_explain_give_the_extraction(runner: CliRunner, real_tagged_db: Path) -> None:
    stored = _stored(real_tagged_db)[INFERRED]
    shown = json.loads(_run(runner, "show", str(INFERRED), "--format", "json"))
    assert shown["extraction"] == stored and shown["manual_extraction"] == []
    text = " ".join(_run(runner, "show", str(INFERRED)).replace("│", " ").split())
    assert "(inferred from the first author's affiliation)" in text
    assert stored["measures"][0] in text

    explained = json.loads(_run(runner, "explain", str(INFERRED), "--format", "json"))
    extraction = explained["extraction"]
    assert extraction["stored"] == stored
    assert {k: extraction["current"][k] for k in FIELDS} == {k: stored[k] for k in FIELDS}
    kinds = {(m["kind"], m["name"]) for m in extraction["matches"]}
    assert ("measures", stored["measures"][0]) in kinds
    assert ("countries_inferred", stored["countries_inferred"][0]) in kinds
    with Store(real_tagged_db) as store:
        paper = store.get_paper(store.find_paper("pmid", INFERRED))
        affiliation = paper["authors"][0]["affiliation"]
    words = {m["words"] for m in extraction["matches"] if m["kind"] == "countries_inferred"}
    assert all(w in affiliation for w in words)
    text = " ".join(_run(runner, "explain", str(CHINA)).split())
    assert "Finding now (from the abstract's closing sentences)" in text
    assert "country China: “" in text
