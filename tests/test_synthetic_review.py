"""Tagging, exports, screening and the PRISMA flow on the synthetic records (no ../shared
needed). Each synthetic record was written to exercise particular rules; see its text in
tests/fixtures/synthetic-pubmed.xml and synthetic-medline.nbib."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import bibtexparser
import pytest
import rispy
from lxml import etree
from lxml import html as lxml_html
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.parse import medline_text, pubmed_xml
from kratomlit.records import Paper

from conftest import SYNTHETIC_MEDLINE, SYNTHETIC_XML, one_line_error

# What a reviewer reads in each record (TAXONOMY.md), and so what the rules must give.
EXPECTED_TAGS = {
    999000001: ("rct", ["mood"]),  # Randomized Controlled Trial; depressive symptoms, anxiety
    999000002: ("review", ["legal"]),  # narrative review of bans, scheduling, enforcement
    999000003: ("case-report", ["safety"]),  # Case Reports; seizures, withdrawal symptoms
    999000004: ("cross-sectional", ["social"]),  # online survey; stigma, social support
    999000005: ("in-vitro", []),  # receptor binding in HEK293 cells, no harm studied
    999000006: ("cohort", ["safety", "social"]),  # prospective cohort; withdrawal, functioning
    999000007: ("review", []),  # a book chapter summarising findings
    999000011: ("cross-sectional", ["safety"]),  # records reviewed; dependence, withdrawal
}
RETRACTED, WITHDRAWN = 999000004, 999000012


def _sources() -> dict[int, Paper]:
    """The synthetic records as the parsers read them: the truth exports are checked against."""
    found = [r for r in pubmed_xml.iter_records(SYNTHETIC_XML) if isinstance(r, Paper)]
    return {p.pmid: p for p in [*found, *medline_text.iter_records(SYNTHETIC_MEDLINE)]}


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def tagged(runner: CliRunner, synthetic_db: Path) -> Path:
    _ok(runner, "tag", "-q")
    return synthetic_db


def test_each_record_gets_the_design_and_outcomes_it_was_written_for(tagged: Path) -> None:
    found = {pmid: (design, sorted(json.loads(outcomes))) for pmid, design, outcomes in
             _rows(tagged, "SELECT p.pmid, design, outcomes FROM paper_tags "
                                 "JOIN papers p ON p.id = paper_id")}
    assert found == EXPECTED_TAGS  # the withdrawn record is not tagged


def test_a_manual_tag_survives_retagging_and_clearing_restores_the_rules(
        runner: CliRunner, tagged: Path) -> None:
    _ok(runner, "tag", "set", "999000007", "--design", "other", "--outcome", "none")
    _ok(runner, "tag", "--all", "-q")
    query = ("SELECT design, outcomes, design_source FROM paper_tags "
             "WHERE paper_id = (SELECT id FROM papers WHERE pmid = 999000007)")
    assert _rows(tagged, query) == [("other", "[]", "manual")]
    _ok(runner, "tag", "clear", "999000007")
    assert _rows(tagged, query)[0][:2] == ("review", "[]")


# -- exports -------------------------------------------------------------------------------------

VISIBLE = sorted(set(EXPECTED_TAGS) - {RETRACTED})  # retracted papers are left out by default


def test_json_and_jsonl_carry_the_stored_fields(runner: CliRunner, tagged: Path) -> None:
    data = json.loads(_ok(runner, "export", "--format", "json"))
    lines = [json.loads(line) for line in _ok(runner, "export", "-f", "jsonl").splitlines()]
    assert data == lines
    assert sorted(r["pmid"] for r in data) == VISIBLE
    record = next(r for r in data if r["pmid"] == 999000001)
    source = _sources()[999000001]
    assert (record["title"], record["abstract"], record["doi"], record["pmcid"]) == (
        source.title, source.abstract, source.doi, source.pmcid)
    assert record["authors"] == ["Testperson, Ada", "Testperson, Bo", "Synthetic Trial Group"]
    assert (record["year"], record["journal"], record["pages"]) == (2019, source.journal, "10-19")
    assert (record["design"], record["outcomes"]) == EXPECTED_TAGS[999000001]
    assert record["url"] == "https://pubmed.ncbi.nlm.nih.gov/999000001/"
    shown = json.loads(_ok(runner, "export", "-f", "json", "--include-retracted"))
    assert [r["retracted"] for r in shown if r["pmid"] == RETRACTED] == [True]


def test_csv_reads_back_as_utf8_with_lists_joined(runner: CliRunner, tagged: Path) -> None:
    text = _ok(runner, "export", "--format", "csv")
    assert text.startswith("\ufeff")  # so Excel reads μ as μ
    rows = {int(r["pmid"]): r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert sorted(rows) == VISIBLE
    sources = _sources()
    assert rows[999000005]["title"] == sources[999000005].title
    assert rows[999000001]["abstract"] == sources[999000001].abstract  # newlines survive
    assert rows[999000011]["authors"] == "Testperson, Kim; Testperson, Lou; Synthetic Clinic Group"
    assert rows[999000006]["outcomes"] == "social; safety"


def test_ris_reads_back_with_rispy(runner: CliRunner, tagged: Path) -> None:
    _ok(runner, "screen", "set", "999000003", "exclude", "--reason", "wrong design",
        "--reviewer", "ana")
    entries = {int(e["accession_number"]): e for e in rispy.loads(_ok(runner, "export", "-f",
                                                                      "ris"))}
    assert sorted(entries) == VISIBLE
    entry, source = entries[999000003], _sources()[999000003]
    assert (entry["title"], entry["doi"]) == (source.title, source.doi)
    assert entry["authors"] == ["Testperson, Dee"]
    assert {"design: case-report", "outcome: safety"} <= set(entry["keywords"])
    assert any("kratomlit screening: exclude (wrong design)" in n for n in entry["notes"])


def test_bibtex_reads_back_with_bibtexparser(runner: CliRunner, tagged: Path) -> None:
    library = bibtexparser.parse_string(_ok(runner, "export", "-f", "bibtex"))
    assert not library.failed_blocks
    assert sorted(int(e["pmid"]) for e in library.entries) == VISIBLE
    entry, source = library.entries_dict["pmid999000001"], _sources()[999000001]
    assert (entry["title"], entry["doi"]) == (source.title, source.doi)
    assert entry["author"] == "Testperson, Ada and Testperson, Bo and Synthetic Trial Group"
    assert "design: rct" in entry["keywords"]


def test_markdown_and_html_have_one_row_per_study(runner: CliRunner, tagged: Path) -> None:
    lines = _ok(runner, "export", "-f", "md", "--outcome", "safety").splitlines()
    body = [line for line in lines[2:] if line.startswith("| ")]
    safety = [p for p, (_, outcomes) in EXPECTED_TAGS.items() if "safety" in outcomes]
    assert sorted(int(line.split(" | ")[0].strip("| ")) for line in body) == sorted(safety)
    assert all(line.count(" | ") == lines[0].count(" | ") for line in body)  # no split cells
    tree = lxml_html.fromstring(_ok(runner, "export", "-f", "html"))
    assert len(tree.xpath("//table[@id='studies']/tbody/tr")) == len(VISIBLE)
    assert not tree.xpath("//script[@src] | //link[@href]")  # self-contained


# -- screening and PRISMA ------------------------------------------------------------------------


def _screen(runner: CliRunner, *decisions: tuple[str, ...]) -> None:
    for args in decisions:
        _ok(runner, "screen", "set", *args)


def test_two_reviewers_conflict_agree_and_resolve(runner: CliRunner, tagged: Path) -> None:
    _screen(runner,
            ("999000001", "include", "--reviewer", "ana"),
            ("999000002", "include", "--reviewer", "ana"),
            ("999000003", "exclude", "--reason", "wrong design", "--reviewer", "ana"),
            ("999000006", "include", "--reviewer", "ana"),
            ("999000001", "include", "--reviewer", "ben"),
            ("999000002", "exclude", "--reason", "wrong outcome", "--reviewer", "ben"),
            ("999000003", "exclude", "--reason", "wrong design", "--reviewer", "ben"),
            ("999000006", "include", "--reviewer", "ben"))
    conflicts = json.loads(_ok(runner, "screen", "conflicts", "-f", "json"))
    assert [(c["pmid"], {who: v["decision"] for who, v in c["votes"].items()},
             c["votes"]["ben"]["reason"]) for c in conflicts] == [
        (999000002, {"ana": "include", "ben": "exclude"}, "wrong outcome")]
    # By hand: 3 of 4 agree (p_o = 0.75); ana includes 3/4, ben 2/4, so
    # p_e = 3/4 * 2/4 + 1/4 * 2/4 = 0.5 and kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5.
    agreement = json.loads(_ok(runner, "screen", "agreement", "-f", "json"))
    assert agreement == [{"reviewers": ["ana", "ben"], "both_screened": 4, "agreed": 3,
                          "kappa": 0.5}]
    _ok(runner, "screen", "resolve", "999000002", "exclude", "--reason", "wrong outcome",
        "--reviewer", "chair")
    assert json.loads(_ok(runner, "screen", "conflicts", "-f", "json")) == []
    included = _ok(runner, "export", "-f", "jsonl", "--included")
    assert sorted(json.loads(line)["pmid"] for line in included.splitlines()) == [999000001,
                                                                                  999000006]


def test_bad_screening_input_is_one_line_and_changes_nothing(runner: CliRunner, tagged: Path
                                                             ) -> None:
    for args, fragment in ((["999000003", "exclude", "--reviewer", "ana"], "needs a reason"),
                           (["999000099", "include", "--reviewer", "ana"], "PMID 999000099"),
                           (["999000003", "perhaps", "--reviewer", "ana"], "perhaps"),
                           (["999000003", "include"], "who is screening")):
        one_line_error(runner.invoke(app, ["screen", "set", *args]), fragment)
    assert _rows(tagged, "SELECT count(*) FROM screening") == [(0,)]


def test_prisma_flow_adds_up(runner: CliRunner, tagged: Path, tmp_path: Path) -> None:
    # The first record again under another PMID, as PubMed occasionally lists an article twice.
    text = SYNTHETIC_XML.read_text(encoding="utf-8")
    article = re.search(r"<PubmedArticle>.*?</PubmedArticle>", text, re.S).group(0)  # type: ignore[union-attr]
    twin = tmp_path / "twin.xml"
    twin.write_text("<PubmedArticleSet>" + article.replace(">999000001<", ">999000021<")
                    + "</PubmedArticleSet>", encoding="utf-8")
    _ok(runner, "import", str(twin))
    listed = _ok(runner, "screen", "duplicates", "--confirm-all")
    assert listed.splitlines()[0] == "999000021 duplicates 999000001 (doi, confirmed)"
    assert [line.split(":")[0].strip() for line in listed.splitlines()[1:]] == [
        "999000021", "999000001"]  # each record with its title
    _screen(runner,
            ("999000001", "include", "--reviewer", "ana"),
            ("999000006", "include", "--reviewer", "ana"),
            ("999000002", "exclude", "--reason", "wrong outcome", "--reviewer", "ana"),
            ("999000003", "exclude", "--reason", "wrong design", "--reviewer", "ana"),
            ("999000011", "exclude", "--reason", "wrong design", "--reviewer", "ana"),
            ("999000005", "maybe", "--reviewer", "ana"),
            ("999000007", "include", "--reviewer", "ana"),
            ("999000007", "exclude", "--reason", "not primary research", "--reviewer", "ben"))
    svg = tmp_path / "flow.svg"
    flow = json.loads(_ok(runner, "prisma", "-f", "json", "--svg", str(svg)))
    # 8 imported records + the twin; the withdrawn one is not counted at all.
    # Screened counts only records with a decision: 2 included, 3 excluded, 1 maybe, 1 conflict.
    assert (flow["identified"], flow["duplicates_removed"], flow["screened"]) == (9, 1, 7)
    assert (flow["included"], flow["excluded"], flow["maybe"], flow["conflicts"],
            flow["awaiting"]) == (2, 3, 1, 1, 1)  # 999000004 awaits screening
    assert flow["excluded_reasons"] == {"wrong design": 2, "wrong outcome": 1}
    assert flow["identified"] - flow["duplicates_removed"] == flow["screened"] + flow["awaiting"]
    assert flow["screened"] == (flow["included"] + flow["excluded"] + flow["maybe"]
                                + flow["conflicts"])
    assert sum(source["records"] for source in flow["sources"]) == flow["identified"]
    drawing = etree.fromstring(svg.read_bytes())
    texts = " ".join(drawing.itertext())
    assert "Records identified (n = 9)" in texts and "Studies included in review (n = 2)" in texts
    markdown = _ok(runner, "prisma", "-f", "md")
    assert "| Records screened | 7 |" in markdown and "| — wrong design | 2 |" in markdown
