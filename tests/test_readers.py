"""The readers of other databases' exports, on made-up records written in each database's
export layout (tests/fixtures/exports/): every field value as the file gives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kratomlit.parse import sniff
from kratomlit.records import Paper

from conftest import FIXTURES

EXPORTS = FIXTURES / "exports"
# The one made-up study that every fixture file holds, as each database writes it.
TITLE = "Kratom (Mitragyna speciosa) use among fixture adults: a synthetic cross-sectional survey"
DOI = "10.99999/jktr.2021.0001"


def _read(name: str) -> sniff.Parsed:
    return sniff.read(EXPORTS / name)


def _first(name: str) -> Paper:
    record = _read(name).records[0]
    assert isinstance(record, Paper)
    return record


def _names(paper: Paper) -> list[tuple[str | None, str | None, str | None]]:
    return [(a.last_name or a.collective_name, a.fore_name, a.initials) for a in paper.authors]


# file, format, database it names, PMID, accession, PMCID
SOURCES = [
    ("embase-ovid.ris", "ris", "Embase", None, "2039990001", None),
    ("scopus.ris", "ris", "Scopus", 999000101, "2-s2.0-85999000001", None),
    ("wos.ris", "ris", "Web of Science", None, "WOS:000999000000001", None),
    ("wos.txt", "wos", "Web of Science", 999000101, "WOS:000999000000001", None),
    ("psycinfo-ebsco.ris", "ris", "APA PsycInfo", None, "2021-99999-001", None),
    ("cochrane-central.ris", "ris", "Cochrane CENTRAL", 999000101, "CN-02999001", None),
    ("zotero.ris", "ris", "PubMed", 999000101, None, "PMC9990001"),
    ("endnote.ris", "ris", "PubMed", 999000101, None, "PMC9990001"),
    ("endnote.xml", "endnote-xml", "PubMed", 999000101, None, "PMC9990001"),
    ("scopus.csv", "csv", "Scopus", 999000101, "2-s2.0-85999000001", None),
    ("wos.tsv", "csv", "Web of Science", 999000101, "WOS:000999000000001", None),
    ("rayyan.csv", "csv", None, 999000101, None, None),
    ("pubmed.csv", "csv", "PubMed", 999000101, None, "PMC9990001"),
    ("zotero.bib", "bibtex", None, 999000101, None, "PMC9990001"),
]


@pytest.mark.parametrize(("name", "fmt", "database", "pmid", "accession", "pmcid"), SOURCES)
def test_each_database_export_gives_the_same_study(name: str, fmt: str, database: str | None,
                                                   pmid: int | None, accession: str | None,
                                                   pmcid: str | None) -> None:
    parsed = _read(name)
    paper = _first(name)
    assert parsed.format == fmt
    assert parsed.source_db == database
    assert paper.title.rstrip(".").lower() == TITLE.lower()
    assert paper.doi is not None and paper.doi.lower() == DOI
    assert (paper.pmid, paper.accession, paper.pmcid) == (pmid, accession, pmcid)
    assert paper.year == 2021
    assert paper.authors[0].last_name == "Testperson"
    assert paper.authors[0].initials == "A"


def test_embase_via_ovid() -> None:
    first, abstract = _read("embase-ovid.ris").records
    assert isinstance(first, Paper) and isinstance(abstract, Paper)
    assert first.doi == "10.99999/JKTR.2021.0001"  # "http://dx.doi.org/" gone, case kept
    assert first.title == TITLE  # T1
    assert (first.journal, first.journal_iso) == ("Journal of Kratom Test Records",
                                                  "J. Kratom Test Rec.")  # JF, JA
    assert (first.volume, first.issue, first.pages) == ("12", "3", "101-109")
    assert _names(first) == [("Testperson", None, "A"), ("Fixture", None, "BC"),
                             ("Müller-Beispiel", None, "C")]  # A1, "&uuml;" decoded
    assert first.abstract == ("Made-up abstract for the tests: Mitragyna speciosa use in 120 "
                              "synthetic adults.")  # N2, escaped <i> markup gone
    assert first.keywords == ["kratom", "Mitragyna speciosa", "adult", "human"]  # "*" gone
    assert first.publication_types == ["Article"]  # M3
    assert first.languages == ["English"]
    assert (first.pub_date, first.record_type) == ("2021", "article")  # Y1 "2021//"
    assert (abstract.doi, abstract.year, abstract.issue) == (None, 2022, "Supplement 1")
    assert abstract.publication_types == ["Conference Abstract"]


def test_scopus_ris() -> None:
    first, review = _read("scopus.ris").records
    assert isinstance(first, Paper) and isinstance(review, Paper)
    assert first.pmid == 999000101  # C2 holds the PubMed ID in Scopus' RIS
    assert (first.journal, first.journal_iso) == ("Journal of Kratom Test Records",
                                                  "J. Kratom Test Rec.")  # T2, J2
    assert _names(first)[2] == ("Müller-Beispiel", "C.", "C")
    assert first.keywords == ["Kratom", "Mitragynine", "Survey"]
    assert review.pmid is None and review.accession == "2-s2.0-85999000002"  # from UR's eid
    assert review.publication_types == ["Review"]


def test_web_of_science_ris_and_plain_text() -> None:
    ris = _first("wos.ris")
    assert ris.journal == "JOURNAL OF KRATOM TEST RECORDS"
    assert ris.journal_iso == "J. Kratom Test Rec."  # JI
    assert ris.pub_date == "2021"  # DA "JUN" has no year: PY gives it
    text, review = _read("wos.txt").records
    assert isinstance(text, Paper) and isinstance(review, Paper)
    assert text.title == TITLE  # continuation line joined
    assert text.abstract.endswith("in 120 synthetic adults.")
    assert _names(text) == [("Testperson", "Alice", "A"), ("Fixture", "Bob C.", "BC"),
                            ("Muller-Beispiel", "Clara", "C")]  # AF over AU
    assert text.keywords == ["Kratom", "Mitragynine", "Survey"]
    assert review.pages == "e0042"  # an article number stands in for pages
    assert review.publication_types == ["Review", "Early Access"]
    assert review.authors[-1].collective_name == "Kratom Fixture Study Group"  # CA


def test_psycinfo_via_ebsco() -> None:
    paper = _first("psycinfo-ebsco.ris")
    assert paper.source_db == "APA PsycInfo"  # DB "psyh", EBSCOhost's code
    assert paper.accession == "2021-99999-001"  # only in N1's "Accession Number:"
    assert paper.pub_date == "2021-06"  # Y1 "2021/06//"
    assert paper.journal == "Journal of Kratom Test Records"
    assert paper.journal_iso is None  # JO repeats JF: no abbreviation
    assert _names(paper)[0] == ("Testperson", "Alice", "A")


def test_cochrane_central() -> None:
    first, trial = _read("cochrane-central.ris").records
    assert isinstance(first, Paper) and isinstance(trial, Paper)
    assert first.pmid == 999000101  # AN "PUBMED 999000101"
    assert first.accession == "CN-02999001"  # ID, not the Embase cross-reference
    assert first.pages == "101-109"  # SP holds the whole range
    assert first.keywords == ["Adult", "Humans", "Mitragyna", "Surveys and Questionnaires"]
    assert trial.title == "Made-up randomised trial of kratom tea for chronic pain [phase II]"
    assert (trial.doi, trial.pmid, trial.accession) == (None, None, "CN-02999002")


def test_zotero_ris() -> None:
    article, book = _read("zotero.ris").records
    assert isinstance(article, Paper) and isinstance(book, Paper)
    assert article.pub_date == "2021-06-15"  # DA, not Y2 (when it was saved)
    assert (article.journal, article.journal_iso) == ("Journal of Kratom Test Records",
                                                      "J Kratom Test Rec")
    assert book.record_type == "book" and book.year == 2019
    assert book.source_db == "Library of Congress ISBN"  # each record's own catalogue


def test_endnote_ris_with_continued_lines() -> None:
    paper = _first("endnote.ris")
    assert paper.keywords == ["Adult", "Humans", "Mitragyna"]  # one KW, three lines
    assert paper.pages == "101-9"
    assert paper.accession is None  # AN was the PMID (DB PubMed)
    assert _names(paper)[1] == ("Fixture", "B. C.", "BC")
    assert paper.pub_date == "2021"  # DA "Jun" alone is no date


def test_endnote_xml() -> None:
    article, embase = _read("endnote.xml").records
    assert isinstance(article, Paper) and isinstance(embase, Paper)
    assert article.title == TITLE  # three <style> runs, italics among them
    assert (article.journal, article.journal_iso) == ("Journal of Kratom Test Records",
                                                      "J Kratom Test Rec")
    assert _names(article)[2] == ("Müller-Beispiel", "Clara", "C")  # "&#252;"
    assert article.keywords == ["Adult", "Humans", "Mitragyna"]
    assert article.publication_types == ["Journal Article"]
    assert (article.volume, article.issue, article.pages) == ("12", "3", "101-109")
    assert embase.pmid is None and embase.accession == "2019999003"
    assert embase.source_db == "Embase"
    assert embase.abstract == "Made-up abstract: 40 synthetic vendors & their customers."


def test_scopus_csv() -> None:
    first, review = _read("scopus.csv").records
    assert isinstance(first, Paper) and isinstance(review, Paper)
    assert _names(first) == [("Testperson", "Alice", "A"), ("Fixture", "Bob C.", "BC"),
                             ("Müller-Beispiel", "Clara", "C")]  # full names, ids dropped
    assert (first.journal, first.journal_iso) == ("Journal of Kratom Test Records",
                                                  "J. Kratom Test Rec.")
    assert first.pages == "101-109"  # Page start + Page end
    assert first.abstract == ("Made-up abstract for the tests: Mitragyna speciosa use in 120 "
                              "synthetic adults. © 2021 Fixture Press")  # a line break inside
    assert first.keywords == ["Kratom", "Mitragynine", "Survey"]  # Author Keywords
    assert first.languages == ["English"]
    assert (review.pages, review.issue, review.pmid) == ("e0042", None, None)  # Art. No.


def test_web_of_science_tab_delimited() -> None:
    first, second = _read("wos.tsv").records
    assert isinstance(first, Paper) and isinstance(second, Paper)
    assert first.journal_iso == "J. Kratom Test Rec."  # JI before J9
    assert first.keywords == ["Kratom", "Mitragynine", "Survey"]  # DE, not ID
    # Web of Science quotes nothing: a title that starts with '"' is read as it is.
    assert second.title == '"Kratom is tea": a made-up qualitative study of vendor claims'
    assert second.doi == "10.99999/jktr.2022.0107"


def test_rayyan_and_pubmed_csv() -> None:
    rayyan, trial = _read("rayyan.csv").records
    assert isinstance(rayyan, Paper) and isinstance(trial, Paper)
    assert rayyan.pmid == 999000101  # from the PubMed link in "url"
    assert _names(rayyan)[1] == ("Fixture", "Bob C.", "BC")  # "... and ..."
    assert rayyan.keywords == ["Kratom", "Mitragynine"]
    assert (trial.doi, trial.pmid) == (None, None)
    pubmed = _first("pubmed.csv")
    assert _names(pubmed) == [("Testperson", None, "A"), ("Fixture", None, "BC"),
                              ("Müller-Beispiel", None, "C")]  # "Smith J, Doe JA."
    assert pubmed.journal == "J Kratom Test Rec"


def test_web_of_science_excel_export_saved_as_csv(tmp_path: Path) -> None:
    # Web of Science's Excel export names its columns in words; saved from Excel as CSV.
    path = tmp_path / "savedrecs.csv"
    path.write_text(
        "Publication Type,Authors,Author Full Names,Article Title,Source Title,Language,"
        "Document Type,Author Keywords,Abstract,Journal Abbreviation,Journal ISO Abbreviation,"
        "Publication Year,Volume,Issue,Start Page,End Page,Article Number,DOI,Pubmed Id,"
        "UT (Unique WOS ID)\n"
        f'J,"Testperson, A; Fixture, BC","Testperson, Alice; Fixture, Bob C.","{TITLE}",'
        "JOURNAL OF KRATOM TEST RECORDS,English,Article,Kratom; Survey,Made-up.,"
        "J KRATOM TEST REC,J. Kratom Test Rec.,2021,12,3,101,109,,10.99999/jktr.2021.0001,"
        "999000101,WOS:000999000000001\n", encoding="utf-8-sig")
    paper = sniff.read(path).records[0]
    assert isinstance(paper, Paper)
    assert (paper.title, paper.year, paper.pmid, paper.doi) == (TITLE, 2021, 999000101, DOI)
    assert (paper.accession, paper.source_db) == ("WOS:000999000000001", "Web of Science")
    assert (paper.journal_iso, paper.pages) == ("J. Kratom Test Rec.", "101-109")
    assert _names(paper)[1] == ("Fixture", "Bob C.", "BC")


def test_zotero_bibtex() -> None:
    article, book, paper = _read("zotero.bib").records
    assert isinstance(article, Paper) and isinstance(book, Paper) and isinstance(paper, Paper)
    assert article.title == TITLE  # {Mitragyna} braces gone
    assert article.abstract.endswith("50% used it daily & 10% weekly.")
    assert _names(article) == [("Testperson", "Alice", "A"), ("Fixture", "Bob C.", "BC"),
                               ("Müller-Beispiel", "Clara", "C"),
                               ("Kratom Fixture Study Group", None, None)]
    assert article.authors[3].collective_name == "Kratom Fixture Study Group"
    assert (article.pmid, article.pmcid) == (999000101, "PMC9990001")  # from the note
    assert article.pages == "101-109"  # "--"
    assert article.keywords == ["Kratom", "Mitragynine", "Surveys"]
    assert (book.record_type, book.year, book.journal) == ("book", 2019, None)
    assert paper.title == "Synthetic conference paper on études of mitragynine withdrawal"
    assert paper.journal == "Proceedings of the Fixture Conference on Kratom"
    assert _names(paper) == [("Fixture", "Bob C.", "BC")]  # "First Last"


@pytest.mark.parametrize("name", [p.name for p in sorted(EXPORTS.iterdir())])
def test_format_is_told_by_content_not_name(name: str, tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((EXPORTS / name).read_bytes())
    assert sniff.sniff(renamed) == sniff.sniff(EXPORTS / name)


def test_pubmed_formats_are_recognised(tmp_path: Path) -> None:
    from conftest import SYNTHETIC_MEDLINE, SYNTHETIC_XML

    assert sniff.sniff(SYNTHETIC_XML) == "pubmed-xml"
    assert sniff.sniff(SYNTHETIC_MEDLINE) == "medline"
    parsed = sniff.read(SYNTHETIC_MEDLINE)
    assert parsed.records and all(isinstance(r, Paper) and r.pmid for r in parsed.records)
    import gzip

    packed = tmp_path / "records.gz"
    packed.write_bytes(gzip.compress((EXPORTS / "scopus.ris").read_bytes()))
    assert sniff.read(packed).records[0].accession == "2-s2.0-85999000001"  # type: ignore[union-attr]
