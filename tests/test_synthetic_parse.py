"""Both parsers on the synthetic files of tests/fixtures, field by field (no ../shared needed)."""

from __future__ import annotations

import io

import pytest

from kratomlit.errors import InputFileError
from kratomlit.parse import medline_text, pubmed_xml
from kratomlit.records import Paper

from conftest import FIXTURES, SYNTHETIC_MEDLINE, SYNTHETIC_XML


@pytest.fixture(scope="module")
def papers() -> dict[int, Paper]:
    return {r.pmid: r for r in pubmed_xml.iter_records(SYNTHETIC_XML) if isinstance(r, Paper)}


@pytest.fixture(scope="module")
def exported() -> dict[int, Paper]:
    return {p.pmid: p for p in medline_text.iter_records(SYNTHETIC_MEDLINE)}


def test_articles_book_and_deletion_are_read_in_order() -> None:
    records = list(pubmed_xml.iter_records(SYNTHETIC_XML))
    assert [(type(r).__name__, r.pmid) for r in records] == [
        *[("Paper", 999000000 + i) for i in range(1, 8)], ("Deletion", 999000012)]
    assert [r.record_type for r in records if isinstance(r, Paper)] == ["article"] * 6 + ["book"]


def test_structured_abstract_keeps_labels_and_categories(papers: dict[int, Paper]) -> None:
    paper = papers[999000001]
    assert [(s.label, s.category) for s in paper.abstract_sections] == [
        ("BACKGROUND", "BACKGROUND"), ("METHODS", "METHODS"), ("RESULTS", "RESULTS"),
        ("CONCLUSIONS", "CONCLUSIONS")]
    assert paper.abstract_sections[1].text == (
        "Forty adult volunteers were randomly assigned to kratom tea or placebo tea for two weeks.")
    assert paper.abstract.startswith("BACKGROUND: This abstract is made-up test data.")
    assert "\n\nMETHODS: Forty adult volunteers" in paper.abstract
    assert papers[999000002].abstract_sections[0].label is None  # unstructured: no label


def test_journal_pages_and_every_kind_of_date(papers: dict[int, Paper]) -> None:
    paper = papers[999000001]
    assert (paper.journal, paper.journal_iso) == ("Journal of synthetic test records",
                                                  "J Synth Test Rec")
    assert (paper.volume, paper.issue, paper.pages) == ("1", "2", "10-19")
    assert (paper.pub_date, paper.year) == ("2019-03-15", 2019)
    assert (paper.electronic_date, paper.entrez_date, paper.revised_date) == (
        "2019-03-01", "2019-03-20", "2020-01-10")
    assert (paper.languages, paper.citation_status) == (["eng"], "MEDLINE")
    # A MedlineDate range and a season stay verbatim; the year is still read from them.
    assert (papers[999000002].pub_date, papers[999000002].year) == ("2015 Nov-Dec", 2015)
    assert (papers[999000003].pub_date, papers[999000003].year) == ("2021 Summer", 2021)


def test_authors_orcid_affiliation_and_collective_name(papers: dict[int, Paper]) -> None:
    first, second, group = papers[999000001].authors
    assert (first.last_name, first.fore_name, first.initials) == ("Testperson", "Ada", "A")
    assert first.affiliation == "Department of Synthetic Data, Example University, Testville."
    assert (second.display, second.orcid, second.affiliation) == ("Testperson B",
                                                                  "0000-0000-0000-0001", None)
    assert (group.collective_name, group.last_name, group.display) == (
        "Synthetic Trial Group", None, "Synthetic Trial Group")
    assert papers[999000005].authors == []


def test_mesh_major_from_the_descriptor_or_a_qualifier(papers: dict[int, Paper]) -> None:
    mesh = {m.descriptor: m for m in papers[999000001].mesh}
    assert (mesh["Mitragyna"].major, mesh["Mitragyna"].ui) == (True, "D063506")
    assert (mesh["Affect"].major, mesh["Affect"].qualifiers) == (True, ["drug effects"])
    assert mesh["Humans"].major is False
    assert [m.descriptor for m in papers[999000001].mesh] == ["Affect", "Humans", "Mitragyna"]


def test_ids_publication_types_and_keywords(papers: dict[int, Paper]) -> None:
    paper = papers[999000001]
    assert (paper.doi, paper.pmcid, paper.pii) == ("10.0000/synthetic.0001", "PMC99900001", None)
    assert paper.publication_types == ["Journal Article", "Randomized Controlled Trial"]
    assert paper.keywords == ["kratom", "synthetic test data"]
    # Only ELocationIDs carry 999000005's DOI and PII; 999000002 has no DOI at all.
    assert (papers[999000005].doi, papers[999000005].pii) == ("10.0000/synthetic.0005",
                                                              "synthetic-e0005")
    assert papers[999000002].doi is None


def test_retraction_and_erratum_links(papers: dict[int, Paper]) -> None:
    assert {p.pmid for p in papers.values() if p.retracted} == {999000004}
    assert {p.pmid: p.errata for p in papers.values() if p.errata} == {999000006: ["999000008"]}


def test_retraction_notice_alone_marks_the_paper_retracted() -> None:
    # The CommentsCorrections link alone is enough, without the publication type.
    data = SYNTHETIC_XML.read_bytes().replace(
        b'<PublicationType UI="D016441">Retracted Publication</PublicationType>', b"")
    paper = next(p for p in pubmed_xml.iter_records(io.BytesIO(data))
                 if isinstance(p, Paper) and p.pmid == 999000004)
    assert "Retracted Publication" not in paper.publication_types
    assert paper.retracted


def test_inline_markup_is_flattened_not_cut(papers: dict[int, Paper]) -> None:
    paper = papers[999000005]
    assert paper.title == ("Synthetic record 5: Mitragyna speciosa alkaloids bind the μ-opioid "
                           "receptor with Ki values below 1 μM in vitro.")
    assert paper.abstract.endswith("Both alkaloids bound with Ki values below 1 μM; these "
                                   "numbers are invented.")


def test_book_article(papers: dict[int, Paper]) -> None:
    book = papers[999000007]
    assert book.title == "Synthetic record 7: kratom, a made-up handbook chapter."
    assert book.journal == "Synthetic handbook of test records"  # the book stands for a journal
    assert [a.display for a in book.authors] == ["Testperson H"]  # the chapter's, not editors'
    assert (book.pub_date, book.year, book.entrez_date) == ("2022-01", 2022, "2022-01-15")
    assert (book.doi, book.publication_types) == ("10.0000/synthetic.book.7", ["Review"])


def test_truncated_xml_names_the_file_and_line() -> None:
    data = SYNTHETIC_XML.read_bytes()
    with pytest.raises(InputFileError, match=r"^cut\.xml: malformed XML at line \d+"):
        list(pubmed_xml.iter_records(io.BytesIO(data[: len(data) // 2]), name="cut.xml"))


def test_an_esearch_reply_is_not_pubmed_xml() -> None:
    with pytest.raises(InputFileError, match=r"synthetic-esearch\.xml: not PubMed XML"):
        list(pubmed_xml.iter_records(FIXTURES / "synthetic-esearch.xml"))


# -- MEDLINE text ----------------------------------------------------------------------------


def test_medline_record_fields(exported: dict[int, Paper]) -> None:
    paper = exported[999000011]
    assert paper.title == ("Synthetic record 11: kratom dependence and withdrawal in a made-up "
                           "outpatient clinic, an observational study written as test data.")
    assert (paper.journal, paper.journal_iso) == ("Journal of synthetic test records",
                                                  "J Synth Test Rec")
    assert (paper.volume, paper.issue, paper.pages) == ("1", "1", "1-9")
    assert (paper.pub_date, paper.year) == ("2018-04", 2018)
    assert (paper.electronic_date, paper.entrez_date, paper.revised_date) == (
        "2018-03-01", "2018-03-05", "2019-01-15")
    assert (paper.doi, paper.pii, paper.pmcid) == ("10.0000/synthetic.0011",
                                                   "S0000-0000(18)00011-1", "PMC99900011")
    assert paper.publication_types == ["Journal Article", "Observational Study"]
    assert paper.keywords == ["kratom", "withdrawal"]


def test_medline_structured_abstract_across_continuation_lines(exported: dict[int, Paper]
                                                               ) -> None:
    sections = exported[999000011].abstract_sections
    assert [s.label for s in sections] == ["OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert sections[1].text == "Records of 64 made-up adults seen for kratom use were reviewed."
    assert sections[3].text == "None of these people exist; the text only exercises the parser."


def test_medline_authors_and_mesh(exported: dict[int, Paper]) -> None:
    kim, lou, group = exported[999000011].authors
    assert (kim.last_name, kim.fore_name, kim.initials) == ("Testperson", "Kim", "K")
    assert (kim.affiliation, kim.orcid) == (
        "Department of Synthetic Data, Example University, Testville.", "0000-0000-0000-0011")
    assert (lou.display, lou.affiliation) == ("Testperson L", None)
    assert group.collective_name == "Synthetic Clinic Group"
    # An older record has AU lines only: the initials come from after the surname.
    assert [(a.last_name, a.initials) for a in exported[999000012].authors] == [
        ("Testperson", "M")]
    mesh = {m.descriptor: m for m in exported[999000011].mesh}
    assert (mesh["Mitragyna"].major, mesh["Mitragyna"].qualifiers) == (True, ["adverse effects"])
    withdrawal = mesh["Substance Withdrawal Syndrome"]
    assert (withdrawal.major, withdrawal.qualifiers) == (True, ["diagnosis", "etiology"])
    assert mesh["Humans"].major is False


def test_medline_garbage_line_names_the_file_and_line() -> None:
    raw = SYNTHETIC_MEDLINE.read_bytes().replace(b"\nTI  - ", b"\nthis is not a tag\nTI  - ", 1)
    line = raw.split(b"\n").index(b"this is not a tag") + 1
    with pytest.raises(InputFileError, match=rf"^broken\.nbib: not MEDLINE text at line {line}:"):
        list(medline_text.iter_records(io.BytesIO(raw), name="broken.nbib"))


def test_medline_is_recognised_by_its_content() -> None:
    assert medline_text.looks_like_medline(SYNTHETIC_MEDLINE.read_bytes()[:4096])
    assert not medline_text.looks_like_medline(SYNTHETIC_XML.read_bytes()[:4096])
