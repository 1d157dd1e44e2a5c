"""Database exports imported beside PubMed: one study however many sources found it, each
file one PRISMA source, PubMed's metadata kept, fuzzy matches left to a reviewer."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.sources import eutils

from conftest import FIXTURES, one_line_error
from fake_eutils import FakeEutils, real_articles

EXPORTS = FIXTURES / "exports"
SYNTHETIC_DOI = "10.99999/jktr.2021.0001"  # in embase-ovid.ris and scopus.csv both


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eutils, "INTERVAL_NO_KEY", 0.0)


@pytest.fixture
def served(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeEutils:
    server = FakeEutils(real_articles())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    return server


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _embase_of_pubmed(runner: CliRunner, n: int) -> tuple[str, list[int]]:
    """``n`` PubMed records with a DOI as Embase exports them: kratomlit's own RIS export
    without the PMID (AN) and PubMed link, with Embase's DB field, the title in capitals."""
    blocks = ok(runner, "export", "-f", "ris").split("\n\n")
    chosen = [b for b in blocks if "\nDO  - " in b][:n]
    pmids = [int(re.search(r"^AN  - (\d+)$", b, re.M).group(1)) for b in chosen]  # type: ignore[union-attr]
    damaged = []
    for block in chosen:
        lines = [line for line in block.splitlines() if not line.startswith(("AN  -", "UR  -"))]
        lines.insert(1, "DB  - Embase")
        damaged.append("\n".join(line.upper() if line.startswith("TI  -") else line
                                 for line in lines))
    return "\n\n".join(damaged) + "\n\n", pmids


def _flow(runner: CliRunner) -> dict:
    return json.loads(ok(runner, "prisma", "-f", "json"))


def test_prisma_counts_three_sources_exactly(runner: CliRunner, served: FakeEutils,
                                              isolated_env: Path, tmp_path: Path) -> None:
    ok(runner, "fetch", "--quiet")  # PubMed: the 13 real records
    embase = tmp_path / "embase.ris"
    real, pmids = _embase_of_pubmed(runner, 3)
    embase.write_text(real + (EXPORTS / "embase-ovid.ris").read_text("utf-8"), "utf-8")
    ok(runner, "import", str(embase), "--quiet")  # 3 of PubMed's by DOI + 2 PubMed lacks
    ok(runner, "import", str(EXPORTS / "scopus.csv"), "--quiet")  # 1 of Embase's + 1 new
    flow = _flow(runner)
    sources = [(s["name"].split(":")[0], s["records"]) for s in flow["sources"]]
    assert sources == [("PubMed", 13), ("Embase (file", 5), ("Scopus (file", 2)]
    assert (flow["identified"], flow["duplicates_removed"], flow["awaiting"]) == (20, 4, 16)
    assert flow["duplicates_across_sources"] == 4 and flow["duplicate_records"] == 0
    # The studies PubMed has keep PubMed's title (not Embase's capitals) and list both.
    rows = {r["pmid"]: r for r in json.loads(ok(runner, "export", "-f", "json"))}
    for pmid in pmids:
        assert rows[pmid]["title"] != rows[pmid]["title"].upper()
        assert rows[pmid]["source_databases"] == ["Embase", "PubMed"]
    both = next(r for r in rows.values() if (r["doi"] or "").lower() == SYNTHETIC_DOI)
    assert both["source_databases"] == ["Embase", "Scopus"]
    assert both["pmid"] == 999000101  # Scopus knew its PMID, Embase did not
    # Screening counts each study once; the identities hold.
    ok(runner, "screen", "set", str(pmids[0]), "include", "--reviewer", "ana")
    ok(runner, "screen", "set", f"doi:{SYNTHETIC_DOI}", "exclude", "--reason", "wrong design",
       "--reviewer", "ana")
    flow = _flow(runner)
    assert (flow["screened"], flow["included"], flow["excluded"], flow["awaiting"]) == (
        2, 1, 1, 14)
    assert flow["identified"] - flow["duplicates_removed"] == flow["screened"] + flow["awaiting"]


RIS = """TY  - JOUR
DB  - PsycINFO
AN  - 2099-00001-001
TI  - {title}
AU  - Testperson, Ana
PY  - {year}
JO  - Journal of Synthetic Records
ER  -

"""
TITLE = "Kratom use &amp; withdrawal in synthetic farmers: a cross-sectional survey"


@pytest.mark.parametrize("variant", [
    "KRATOM USE & WITHDRAWAL IN SYNTHETIC FARMERS: A CROSS-SECTIONAL SURVEY",  # case
    "Kratom use and withdrawal in synthetic farmers - a cross sectional survey.",  # punctuation
    "Kratom use &amp; withdrawal in synthetic farmers",  # the subtitle dropped
])
def test_a_fuzzy_match_is_a_candidate_that_confirming_merges(
        runner: CliRunner, isolated_env: Path, tmp_path: Path, variant: str) -> None:
    first, second = tmp_path / "psycinfo.ris", tmp_path / "thai.ris"
    first.write_text(RIS.format(title=TITLE, year=2020), "utf-8")
    second.write_text(RIS.format(title=variant, year=2021).replace("PsycINFO", "ThaiJO"), "utf-8")
    ok(runner, "import", str(first), "--quiet")
    result = runner.invoke(app, ["import", str(second)])
    assert "1 possible duplicate" in result.stderr
    ok(runner, "screen", "set", "id:2", "include", "--reviewer", "ana")  # decided before
    listed = ok(runner, "screen", "duplicates")
    assert listed.splitlines()[0] == "id:2 duplicates id:1 (title, candidate)"
    assert "[ThaiJO]" in listed and "[PsycINFO]" in listed and "withdrawal" in listed
    before = _flow(runner)
    assert (before["identified"], before["duplicates_removed"], before["screened"]) == (2, 0, 1)
    ok(runner, "screen", "duplicates", "--confirm", "id:2")
    after = _flow(runner)
    assert (after["identified"], after["duplicates_removed"], after["screened"],
            after["awaiting"]) == (2, 1, 0, 1)
    kept = json.loads(ok(runner, "show", "id:1", "-f", "json"))
    assert [s["source_db"] for s in kept["sources"]] == ["PsycINFO", "ThaiJO"]
    removed = json.loads(ok(runner, "show", "id:2", "-f", "json"))
    assert [d["decision"] for d in removed["screening"]] == ["include"]  # its audit trail


def test_similar_titles_of_two_studies_stay_apart(runner: CliRunner, isolated_env: Path,
                                                  tmp_path: Path) -> None:
    one, two = tmp_path / "one.ris", tmp_path / "two.ris"
    one.write_text(RIS.format(title="Kratom use in synthetic farmers: part 1", year=2020))
    two.write_text(RIS.format(title="Kratom use in synthetic farmers: part 2", year=2020))
    ok(runner, "import", str(one), str(two), "--quiet")
    assert _flow(runner)["duplicates_removed"] == 0
    assert ok(runner, "screen", "duplicates") == ""


def test_source_map_and_a_bad_file_change_nothing(runner: CliRunner, isolated_env: Path,
                                                  tmp_path: Path) -> None:
    odd = tmp_path / "regional.csv"
    odd.write_text("Judul,Tahun,DOI\nKratom di Kalimantan: survei sintetis,2022,"
                   "10.99999/synthetic.id.1\n", "utf-8")
    broken = tmp_path / "broken.bib"
    broken.write_text("@article{a,\n  title = {Unclosed\n", "utf-8")
    result = runner.invoke(app, ["import", str(EXPORTS / "zotero.ris"), str(broken)])
    line = one_line_error(result, "broken.bib")
    assert result.exit_code == 1 and "line" in line
    assert not isolated_env.exists() or sqlite3.connect(isolated_env).execute(
        "SELECT count(*) FROM papers").fetchone() == (0,)
    one_line_error(runner.invoke(app, ["import", str(odd)]), "no title column")
    ok(runner, "import", str(odd), "--map", "title=Judul", "--map", "year=Tahun",
       "--source", "Garuda", "--quiet")
    flow = _flow(runner)
    assert [(s["name"], s["records"]) for s in flow["sources"]] == [
        ("Garuda (file: regional.csv)", 1)]


def test_a_fetched_record_replaces_an_imported_ones_metadata(
        runner: CliRunner, served: FakeEutils, isolated_env: Path, tmp_path: Path) -> None:
    record = next(r for r in served.records if r.pmid == 29768149)
    ris = tmp_path / "scopus.ris"
    ris.write_text(f"TY  - JOUR\nDB  - Scopus\nTI  - Budesonide-formoterol in mild asthma "
                   f"(as Scopus has it)\nPY  - 2018\nC2  - {record.pmid}\nER  -\n\n", "utf-8")
    ok(runner, "import", str(ris), "--quiet")
    ok(runner, "fetch", "--quiet")
    shown = json.loads(ok(runner, "show", "29768149", "-f", "json"))
    assert shown["title"].startswith("Inhaled Combined Budesonide-Formoterol")
    assert json.loads(ok(runner, "status", "-f", "json"))["papers"] == 13


def _with_doi(served: FakeEutils, n: int) -> list[tuple[int, str, str]]:
    """(PMID, DOI, title) of ``n`` of the real records that have a DOI."""
    found = []
    for record in served.records:
        doi = re.search(r'<ArticleId IdType="doi">([^<]+)<', record.xml)
        title = re.search(r"<ArticleTitle>([^<]+)</ArticleTitle>", record.xml)
        if doi and title:
            found.append((record.pmid, doi.group(1), title.group(1)))
    return found[:n]


def test_a_fetch_joins_the_study_another_database_gave_by_doi(
        runner: CliRunner, served: FakeEutils, isolated_env: Path, tmp_path: Path) -> None:
    [(pmid, doi, title)] = _with_doi(served, 1)
    ris = tmp_path / "embase.ris"
    ris.write_text(f"TY  - JOUR\nDB  - Embase\nTI  - {title.upper()}\nDO  - {doi}\nER  -\n",
                   "utf-8")
    ok(runner, "import", str(ris), "--quiet")
    ok(runner, "fetch", "--quiet")
    shown = json.loads(ok(runner, "show", str(pmid), "-f", "json"))
    assert (shown["title"], shown["source_databases"]) == (title, ["Embase", "PubMed"])
    flow = _flow(runner)
    assert (flow["identified"], flow["duplicates_removed"], flow["awaiting"]) == (14, 1, 13)


def test_match_dois_gives_imported_studies_pubmeds_record(
        runner: CliRunner, served: FakeEutils, isolated_env: Path, tmp_path: Path) -> None:
    with_doi = _with_doi(served, 2)
    ris = tmp_path / "embase.ris"
    ris.write_text("".join(f"TY  - JOUR\nDB  - Embase\nTI  - {title.upper()}\n"
                           f"DO  - {doi.upper()}\nER  -\n\n" for _, doi, title in with_doi)
                   + RIS.format(title="A study PubMed lacks", year=2020).replace(
                       "ER  -", "DO  - 10.99999/not.in.pubmed\nER  -"), "utf-8")
    ok(runner, "import", str(ris), "--quiet")
    result = runner.invoke(app, ["fetch", "--match-dois"])
    assert result.exit_code == 0, result.output
    assert "3 studies with a DOI and no PMID; 2 found in PubMed" in result.stderr
    assert len(served.calls("esearch")) == 1  # the DOIs go in one request
    for pmid, doi, title in with_doi:
        shown = json.loads(ok(runner, "show", f"doi:{doi}", "-f", "json"))
        assert shown["pmid"] == pmid and shown["title"] == title  # not Embase's capitals
        assert shown["publication_types"] and shown["source_databases"] == ["Embase"]
    lacking = json.loads(ok(runner, "show", "doi:10.99999/not.in.pubmed", "-f", "json"))
    assert lacking["pmid"] is None
    assert json.loads(ok(runner, "status", "-f", "json"))["papers"] == 3
    again = runner.invoke(app, ["fetch", "--match-dois"])
    assert "1 study with a DOI and no PMID; 0 found" in again.stderr
    bad = runner.invoke(app, ["fetch", "--match-dois", "--query", "kratom"])
    one_line_error(bad, "--match-dois takes no query")
    assert bad.exit_code == 2


def test_an_export_imported_again_adds_no_study(runner: CliRunner, isolated_env: Path) -> None:
    files = [str(EXPORTS / name) for name in ("zotero.ris", "rayyan.csv", "endnote.xml")]
    ok(runner, "import", *files, "--quiet")
    studies = json.loads(ok(runner, "status", "-f", "json"))["papers"]
    again = runner.invoke(app, ["import", *files])
    assert again.exit_code == 0 and " 0 new," in again.stderr
    assert "possible duplicate" not in again.stderr
    assert json.loads(ok(runner, "status", "-f", "json"))["papers"] == studies
    flow = _flow(runner)  # each import is a source and counts in full, as PubMed files do
    assert flow["identified"] - flow["duplicates_removed"] == studies


def test_piped_progress_names_each_export(runner: CliRunner, isolated_env: Path) -> None:
    result = runner.invoke(app, ["import", str(EXPORTS / "zotero.ris"),
                                 str(EXPORTS / "wos.txt")])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[:2] == ["zotero.ris: 100%", "wos.txt: 100%"]
