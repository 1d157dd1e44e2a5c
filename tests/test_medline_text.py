"""MEDLINE text exports from the PubMed website, checked against the real export files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import InputFileError
from kratomlit.parse.medline_text import iter_records, looks_like_medline
from kratomlit.records import Paper
from kratomlit.store import Store

from conftest import PUBMED, needs_pubmed, paper_id

pytestmark = needs_pubmed

EXPORTS = sorted(PUBMED.glob("medline-pubmed_result*.txt"))


@pytest.fixture(scope="module")
def exported() -> dict[int, Paper]:
    return {p.pmid: p for path in EXPORTS for p in iter_records(path)}


def test_every_record_of_every_export_is_read(exported: dict[int, Paper]) -> None:
    pmid_lines = sum(path.read_text().count("\nPMID- ") + path.read_text().startswith("PMID- ")
                     for path in EXPORTS)
    assert len(exported) == pmid_lines == 6


def test_journal_author_and_mesh_fields(exported: dict[int, Paper]) -> None:
    paper = exported[12230038]
    assert paper.title == "The Bio* toolkits--a brief overview."
    assert paper.journal_iso == "Brief Bioinform"
    assert paper.journal == "Briefings in bioinformatics"
    assert (paper.volume, paper.issue, paper.pages) == ("3", "3", "296-302")
    assert (paper.year, paper.pub_date) == (2002, "2002-09")
    author = paper.authors[0]
    assert (author.last_name, author.fore_name, author.initials) == ("Mangalam", "Harry", "H")
    assert author.affiliation == "tacg Informatics, Irvine, CA 92612, USA. hjm@tacgi.com"
    majors = {m.descriptor for m in paper.mesh if m.major}
    assert majors == {"Computational Biology", "Programming Languages", "Software"}
    assert paper.abstract.startswith("Bioinformatics research is often difficult")
    assert paper.abstract.endswith("beginning biologist programmer.")  # continuation lines joined


def test_ids_and_electronic_dates(exported: dict[int, Paper]) -> None:
    paper = exported[16403221]
    assert paper.doi == "10.1186/1471-2105-7-10"
    assert paper.pii == "1471-2105-7-10"
    assert paper.pmcid == "PMC1373603"
    assert paper.electronic_date == "2006-01-10"
    assert exported[16377612].pub_date == "2006-03-01"


def test_structured_abstract_keeps_its_labels(exported: dict[int, Paper]) -> None:
    sections = exported[23039619].abstract_sections
    assert [s.label for s in sections] == ["PURPOSE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert sections[0].text.startswith("High-intensity focused ultrasound is a promising method")


def test_mesh_qualifiers_and_major_flag_on_a_qualifier(exported: dict[int, Paper]) -> None:
    heading = next(m for m in exported[23039619].mesh
                   if m.descriptor == "High-Intensity Focused Ultrasound Ablation")
    assert heading.major
    assert heading.qualifiers == ["adverse effects", "instrumentation", "methods"]


def test_non_utf8_bytes_are_decoded_not_refused() -> None:
    raw = (EXPORTS[0].read_bytes().replace(b"Mangalam, Harry", b"M\xe9ndez, Jos\xe9"))
    paper = next(iter_records(io.BytesIO(raw), name="latin1.txt"))
    assert paper.authors[0].last_name == "Méndez"
    assert paper.authors[0].fore_name == "José"


def test_garbage_line_names_the_file_and_line() -> None:
    raw = EXPORTS[0].read_bytes().replace(b"\nTI  - ", b"\nthis is not a tag\nTI  - ", 1)
    with pytest.raises(InputFileError, match=r"broken\.txt: not MEDLINE text at line 13"):
        list(iter_records(io.BytesIO(raw), name="broken.txt"))


def test_sniffing() -> None:
    assert looks_like_medline(EXPORTS[0].read_bytes()[:4096])
    assert not looks_like_medline(b"pmid,title\n1,Kratom\n")


def test_import_command_reads_txt_and_nbib(runner: CliRunner, isolated_env: Path,
                                           tmp_path: Path) -> None:
    nbib = tmp_path / "citations.nbib"
    nbib.write_bytes(EXPORTS[1].read_bytes())
    result = runner.invoke(app, ["import", str(EXPORTS[0]), str(nbib)])
    assert result.exit_code == 0, result.output
    with Store(isolated_env) as store:
        paper = store.get_paper(paper_id(store, 12230038))
        assert paper["journal_iso"] == "Brief Bioinform"
        assert [h["pmid"] for h in store.search("toolkits")] == [12230038]
