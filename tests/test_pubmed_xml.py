"""Parser tests: real field values from the real PubMed files in ../shared/pubmed."""

from __future__ import annotations

import gzip
import io

import pytest

from kratomlit.errors import InputFileError
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Deletion, Paper

from conftest import PUBMED, needs_pubmed, retracted_record


def _parse(name: str) -> list[Paper | Deletion]:
    path = PUBMED / name
    source = gzip.open(path) if name.endswith(".gz") else path
    return list(iter_records(source, name=name))


@pytest.fixture(scope="module")
def medline2016() -> dict[int, Paper]:
    return {r.pmid: r for r in _parse("medline16n0902.xml.gz") if isinstance(r, Paper)}


@pytest.fixture(scope="module")
def current() -> dict[int, Paper]:
    return {r.pmid: r for r in _parse("test_current_medline.xml.gz") if isinstance(r, Paper)}


@needs_pubmed
def test_old_medline_set_yields_every_citation_and_the_deletion() -> None:
    records = _parse("medline16n0902.xml.gz")
    papers = [r for r in records if isinstance(r, Paper)]
    assert len(papers) == 604
    assert len({p.pmid for p in papers}) == 604
    assert [r for r in records if isinstance(r, Deletion)] == [Deletion(26432306)]


@needs_pubmed
def test_structured_abstract_keeps_labels_and_categories(medline2016: dict[int, Paper]) -> None:
    paper = medline2016[17942999]
    assert [s.label for s in paper.abstract_sections] == [
        "PURPOSE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert paper.abstract_sections[0].category == "OBJECTIVE"
    assert paper.abstract_sections[1].text.startswith("Mismatch negativity (MMN) responses")
    assert paper.abstract.startswith("PURPOSE: An auditory electrophysiological study")
    assert "\n\nMETHODS: Mismatch negativity" in paper.abstract


@needs_pubmed
def test_old_format_journal_authors_and_pmcid(medline2016: dict[int, Paper]) -> None:
    paper = medline2016[17942999]
    assert paper.title.startswith("Neuroplasticity in the processing of pitch dimensions")
    assert paper.journal == "Restorative neurology and neuroscience"
    assert paper.journal_iso == "Restor. Neurol. Neurosci."
    assert (paper.volume, paper.issue, paper.pages) == ("25", "3-4", "195-210")
    assert paper.year == 2007 and paper.pub_date == "2007"
    assert paper.authors[1].last_name == "Gandour"
    assert paper.authors[1].fore_name == "Jackson T"
    assert paper.authors[1].initials == "JT"
    assert paper.authors[0].affiliation.startswith("Department of Speech Language & Hearing")
    assert paper.pmcid == "PMC4380289"
    assert paper.citation_status == "MEDLINE"
    assert paper.revised_date == "2015-12-26"
    assert paper.languages == ["eng"]
    assert "Journal Article" in paper.publication_types


@needs_pubmed
def test_medline_date_range_gives_year_not_an_impossible_date(
    medline2016: dict[int, Paper],
) -> None:
    paper = medline2016[18621939]
    assert paper.pub_date == "2008 Jul-Aug"
    assert paper.year == 2008


@needs_pubmed
def test_collective_author_in_both_formats(medline2016: dict[int, Paper]) -> None:
    names = [a.collective_name for a in medline2016[25345997].authors if a.collective_name]
    assert names == ["Movement Disorder Group"]
    paper = next(r for r in _parse("efetch-pubmed7.xml") if isinstance(r, Paper))
    assert paper.authors[-1].collective_name == "Canadian Respiratory Research Network"
    assert paper.authors[-1].last_name is None
    assert paper.authors[-1].display == "Canadian Respiratory Research Network"


@needs_pubmed
def test_mesh_major_flag_from_descriptor_or_qualifier(current: dict[int, Paper]) -> None:
    mesh = {m.descriptor: m for m in current[36400559].mesh}
    assert mesh["Low Back Pain"].major is True
    assert mesh["Low Back Pain"].qualifiers == ["diagnosis", "etiology", "therapy"]
    assert mesh["Humans"].major is False
    assert mesh["Humans"].ui == "D006801"
    back_pain = {m.descriptor: m for m in current[11446611].mesh}["Back Pain"]
    assert back_pain.major is True  # only its qualifier "diagnosis" is major


@needs_pubmed
def test_current_format_ids_dates_and_keywords(current: dict[int, Paper]) -> None:
    paper = current[36400559]
    assert paper.doi == "10.1016/j.ncl.2022.07.002"
    assert paper.pii == "S0733-8619(22)00058-5"
    assert paper.pub_date == "2023-02" and paper.year == 2023
    assert paper.electronic_date == "2022-10-29"
    assert paper.entrez_date == "2022-11-18"
    assert paper.keywords == ["Back pain", "Diagnosis", "Management", "Outpatient"]
    assert paper.journal_iso == "Neurol Clin"
    assert paper.pages == "61-76"


@needs_pubmed
def test_doi_never_comes_from_the_reference_list(current: dict[int, Paper]) -> None:
    # 2930949 has a long ReferenceList but no DOI of its own.
    assert current[2930949].doi is None
    assert current[2930949].pmcid == "PMC1306303"
    # 28786991 cites DOIs in its references; its own DOI is in its ArticleIdList.
    assert current[28786991].doi == "10.1371/journal.pone.0180707"
    assert current[28786991].pmcid == "PMC5546677"
    assert current[28786991].authors[0].orcid == "0000-0002-5721-6764"


@needs_pubmed
def test_season_is_kept_verbatim(current: dict[int, Paper]) -> None:
    assert current[11446611].pub_date == "2001 May-Jun"
    assert current[11446611].year == 2001
    paper = next(r for r in _parse("efetch-pubmed1.xml") if isinstance(r, Paper))
    assert paper.pmid == 12091962 and paper.pub_date == "1990 Spring" and paper.year == 1990


@needs_pubmed
def test_inline_markup_is_flattened_not_cut() -> None:
    paper = next(r for r in _parse("pubmed-29768149.xml") if isinstance(r, Paper))
    assert paper.doi == "10.1056/NEJMoa1715274"
    background = paper.abstract_sections[0]
    assert background.label == "BACKGROUND"
    # The abstract has "β<sub>2</sub>-agonist": the text after the <sub> must survive.
    assert "fast-acting β 2-agonist may be an alternative" in background.text


@needs_pubmed
def test_erratum_links_are_recorded(medline2016: dict[int, Paper]) -> None:
    with_errata = {p.pmid: p.errata for p in medline2016.values() if p.errata}
    assert with_errata == {26702309: ["26705261"]}


@needs_pubmed
def test_retraction_from_comments_and_publication_type() -> None:
    base = (PUBMED / "pubmed-29768149.xml").read_bytes()
    assert [p.retracted for p in iter_records(io.BytesIO(retracted_record()))] == [True]
    assert [p.retracted for p in iter_records(io.BytesIO(base))] == [False]


@needs_pubmed
def test_unknown_elements_do_not_crash() -> None:
    base = (PUBMED / "pubmed-29768149.xml").read_bytes()
    odd = base.replace(b"<ArticleTitle>", b"<ArticleTitle><FancyNewTag a='1'>New</FancyNewTag> ", 1)
    paper = next(iter_records(io.BytesIO(odd)))
    assert paper.title.startswith("New Inhaled Combined Budesonide-Formoterol")


@needs_pubmed
def test_truncated_xml_names_file_and_line() -> None:
    data = (PUBMED / "pubmed-29768149.xml").read_bytes()
    with pytest.raises(InputFileError, match=r"cut\.xml: malformed XML at line \d+"):
        list(iter_records(io.BytesIO(data[: len(data) // 2]), name="cut.xml"))


@needs_pubmed
def test_not_pubmed_xml_is_refused() -> None:
    with pytest.raises(InputFileError, match="not PubMed XML"):
        list(iter_records(PUBMED / "esearch1.xml"))


def test_entities_are_not_expanded() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
            b"<ArticleTitle>&b;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
            b"</PubmedArticleSet>")
    papers = list(iter_records(io.BytesIO(bomb)))
    assert "aaaaaaaaaa" not in papers[0].title
