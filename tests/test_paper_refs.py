"""Records without a PMID are first-class, and every command that names a paper takes a PMID,
``doi:10.…`` or ``id:N``, through one resolver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.records import Author, Paper
from kratomlit.store import Store

from conftest import one_line_error

# A clearly synthetic record, as an Embase or PsycINFO export might hold one PubMed lacks.
DOI = "10.9999/kratomlit.synthetic.0001"
LOOSE = Paper(pmid=None, title="Quokkanine use among synthetic hill farmers: a cross-sectional "
              "survey", abstract_sections=[], year=2021, journal="Journal of Synthetic Records",
              authors=[Author("Testperson", "Ana", "A")], doi=DOI, accession="EMB-0001",
              source_db="Embase")


@pytest.fixture
def loose(real_db: Path) -> int:
    with Store(real_db) as store:
        return store.save_papers([LOOSE], source="import:test.ris").ids[0]


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def test_a_record_without_pmid_is_stored_beside_the_pubmed_ones(loose: int,
                                                                 real_db: Path) -> None:
    with Store(real_db) as store:
        paper = store.get_paper(loose)
        assert paper["pmid"] is None and paper["doi"] == DOI
        assert (paper["accession"], paper["source_db"]) == ("EMB-0001", "Embase")
        assert loose not in store.stored_pmids()
        again = store.save_papers([LOOSE], source="import:test.ris")
    assert again.new == 1 and again.ids[0] != loose  # without a match, a new paper


def test_each_kind_of_reference_names_the_same_paper(runner: CliRunner, loose: int) -> None:
    by_doi = json.loads(ok(runner, "show", f"doi:{DOI.upper()}", "-f", "json"))
    by_id = json.loads(ok(runner, "show", f"id:{loose}", "-f", "json"))
    assert by_doi["id"] == by_id["id"] == loose and by_doi["title"] == LOOSE.title
    text = ok(runner, "show", f"id:{loose}")
    assert f"doi:{DOI}" in text and "pubmed.ncbi" not in text and f"https://doi.org/{DOI}" in text
    assert json.loads(ok(runner, "show", "28786991", "-f", "json"))["pmid"] == 28786991


@pytest.mark.parametrize("ref", ["id:99999999", "doi:10.9999/nowhere", "12345"])
def test_an_unknown_reference_is_one_line(runner: CliRunner, real_db: Path, ref: str) -> None:
    result = runner.invoke(app, ["show", ref])
    shown = ref if ":" in ref else f"PMID {ref}"
    one_line_error(result, f"{shown} is not in the database")
    assert result.exit_code == 1


@pytest.mark.parametrize("ref", ["doi:", "doi:nonsense", "id:x", "id:0", "pmid:5", "abc"])
def test_a_malformed_reference_is_a_usage_error(runner: CliRunner, isolated_env: Path,
                                                ref: str) -> None:
    result = runner.invoke(app, ["show", ref])
    one_line_error(result, "Invalid value for 'PAPER'")
    assert result.exit_code == 2 and not isolated_env.exists()


def test_tagging_screening_and_explaining_take_references(runner: CliRunner,
                                                          loose: int) -> None:
    ok(runner, "tag", "-q")
    assert ok(runner, "tag", "set", f"doi:{DOI}", "--design", "cross-sectional", "--note",
              "checked").startswith(f"doi:{DOI}: design cross-sectional")
    assert "Quokkanine" in ok(runner, "explain", f"id:{loose}")
    assert ok(runner, "screen", "set", f"id:{loose}", "include", "--reviewer", "ana"
              ) == f"id:{loose}: include by ana\n"
    ok(runner, "screen", "set", f"doi:{DOI}", "exclude", "--reason", "wrong design",
       "--reviewer", "ben")
    conflicts = json.loads(ok(runner, "screen", "conflicts", "-f", "json"))
    assert [(c["pmid"], c["id"], c["paper"]) for c in conflicts] == [(None, loose,
                                                                      f"doi:{DOI}")]
    assert f"doi:{DOI}: resolved as include" in ok(
        runner, "screen", "resolve", f"doi:{DOI}", "include", "--reviewer", "carol")
    flow = json.loads(ok(runner, "prisma", "-f", "json"))
    assert (flow["identified"], flow["included"]) == (618, 1)


def test_tables_exports_and_search_name_it_by_doi_or_id(runner: CliRunner, loose: int) -> None:
    rows = json.loads(ok(runner, "table", "-f", "json", "--search", "quokkanine"))
    assert [(r["pmid"], r["id"], r["url"]) for r in rows] == [(None, loose,
                                                               f"https://doi.org/{DOI}")]
    piped = ok(runner, "table", "--search", "quokkanine").splitlines()
    assert piped[1].startswith(f"doi:{DOI}\t2021\t")
    shown = runner.invoke(app, ["table", "--search", "quokkanine"],
                          env={"TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"})
    assert shown.stdout.splitlines()[1].split()[:2] == [f"id:{loose}", "2021"]  # fits 8 columns
    ris = ok(runner, "export", "-f", "ris", "--search", "quokkanine")
    assert f"AN  - {loose}\n" in ris and "pubmed" not in ris
    assert f"@article{{id{loose}," in ok(runner, "export", "-f", "bibtex", "--search",
                                          "quokkanine")
    csv_rows = ok(runner, "export", "-f", "csv", "--search", "quokkanine").splitlines()
    assert csv_rows[0].lstrip("\ufeff").split(",")[-3:] == ["id", "accession",
                                                            "source_databases"]
    hits = json.loads(ok(runner, "search", "quokkanine", "-f", "json"))
    assert [(h["pmid"], h["id"]) for h in hits] == [(None, loose)]
    assert ok(runner, "search", "quokkanine").startswith(f"doi:{DOI}")
