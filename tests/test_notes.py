"""Reviewers' notes are readable: ``show`` lists every screening decision with its reason
and note and the manual tags with theirs; every export format carries the screening notes."""

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

PMID = 28786991  # a real systematic review
NOTES = ("dose [unclear] — à vérifier", "研究対象外", "agreed at the {consensus} meeting")


@pytest.fixture
def noted(runner: CliRunner, real_db: Path) -> Path:
    for args in (["maybe", "--reviewer", "ana", "--note", NOTES[0]],
                 ["exclude", "--reason", "wrong population", "--reviewer", "ana",
                  "--note", NOTES[1]],
                 ["include", "--reviewer", "ben"]):
        assert runner.invoke(app, ["screen", "set", str(PMID), *args]).exit_code == 0
    resolved = runner.invoke(app, ["screen", "resolve", str(PMID), "exclude", "--reason",
                                   "wrong population", "--reviewer", "chair", "--note",
                                   NOTES[2]])
    assert resolved.exit_code == 0
    tagged = runner.invoke(app, ["tag", "set", str(PMID), "--design", "cohort", "--outcome",
                                 "mood", "--note", "a cohort, [not] a review"])
    assert tagged.exit_code == 0, tagged.output
    return real_db


def _export(runner: CliRunner, fmt: str) -> str:
    result = runner.invoke(app, ["export", "--format", fmt, "--status", "screened"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_show_json_lists_decisions_notes_and_manual_tags(runner: CliRunner, noted: Path
                                                        ) -> None:
    data = json.loads(runner.invoke(app, ["show", str(PMID), "-f", "json"]).stdout)
    got = [(d["reviewer"], d["decision"], d["reason"], d["note"], d["final"], d["superseded"])
           for d in data["screening"]]
    assert got == [("ana", "maybe", None, NOTES[0], False, True),
                   ("ana", "exclude", "wrong population", NOTES[1], False, False),
                   ("ben", "include", None, None, False, False),
                   ("chair", "exclude", "wrong population", NOTES[2], True, False)]
    assert [(m["axis"], m["values"], m["note"]) for m in data["manual_tags"]] == [
        ("design", ["cohort"], "a cohort, [not] a review"),
        ("outcome", ["mood"], "a cohort, [not] a review")]


def test_show_text_has_every_note_verbatim(runner: CliRunner, noted: Path) -> None:
    result = runner.invoke(app, ["show", str(PMID)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    text = " ".join(" ".join(line.strip("│ ").split()) for line in lines)
    for note in (*NOTES, "a cohort, [not] a review"):
        assert note in text, note
    assert "ana: maybe — note: " + NOTES[0] in text and "(superseded)" in text
    assert "ana: exclude (wrong population) — note: 研究対象外" in text
    assert "chair (resolution): exclude (wrong population)" in text
    assert "design cohort — note: a cohort, [not] a review" in text
    narrow = runner.invoke(app, ["show", str(PMID)], env={"COLUMNS": "80"})
    assert all(len(line) <= 80 for line in narrow.stdout.splitlines())


def test_a_paper_without_decisions_shows_none(runner: CliRunner, real_db: Path) -> None:
    data = json.loads(runner.invoke(app, ["show", str(PMID), "-f", "json"]).stdout)
    assert data["screening"] == [] and data["manual_tags"] == []
    assert "Screening" not in runner.invoke(app, ["show", str(PMID)]).stdout


def test_json_and_csv_carry_the_notes(runner: CliRunner, noted: Path) -> None:
    expected = [f"ana: {NOTES[0]}", f"ana: {NOTES[1]}", f"chair: {NOTES[2]}"]
    record = json.loads(_export(runner, "json"))[0]
    assert record["pmid"] == PMID and record["screening_notes"] == expected
    line = json.loads(_export(runner, "jsonl").splitlines()[0])
    assert line["screening_notes"] == expected
    rows = list(csv.DictReader(io.StringIO(_export(runner, "csv").lstrip("\ufeff"))))
    assert rows[0]["screening_notes"] == "; ".join(expected)


def test_ris_and_bibtex_carry_the_notes_and_stay_valid(runner: CliRunner, noted: Path
                                                       ) -> None:
    entry = rispy.loads(_export(runner, "ris"))[0]
    assert entry["notes"] == ["kratomlit screening: exclude (wrong population)",
                              f"kratomlit screening note, ana: {NOTES[0]}",
                              f"kratomlit screening note, ana: {NOTES[1]}",
                              f"kratomlit screening note, chair: {NOTES[2]}"]
    library = bibtexparser.parse_string(_export(runner, "bibtex"))
    assert not library.failed_blocks
    note = library.entries_dict[f"pmid{PMID}"]["note"]
    assert NOTES[1] in note and NOTES[0] in note
    assert r"agreed at the \{consensus\} meeting" in note  # braces escaped, still parseable


def test_markdown_and_html_show_the_notes(runner: CliRunner, noted: Path) -> None:
    rows = [line for line in _export(runner, "md").splitlines() if line.startswith(f"| {PMID}")]
    assert len(rows) == 1 and rows[0].endswith(
        f"| exclude (wrong population) — ana: {NOTES[0]}; ana: {NOTES[1]}; "
        f"chair: {NOTES[2]} |")
    page = lxml_html.fromstring(_export(runner, "html"))
    cells = page.xpath("//table[@id='studies']/tbody/tr/td[last()]/text()")
    assert cells == [f"exclude (wrong population) — ana: {NOTES[0]}; ana: {NOTES[1]}; "
                     f"chair: {NOTES[2]}"]
