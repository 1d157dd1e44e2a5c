"""Field values as databases write them, made uniform: DOIs, PMIDs, years, pages, names,
text with HTML in it."""

from __future__ import annotations

import pytest

from kratomlit.parse import fields


@pytest.mark.parametrize(("value", "expected"), [
    ("10.1016/j.drugalcdep.2020.107846", "10.1016/j.drugalcdep.2020.107846"),
    ("https://doi.org/10.1016/J.DRUGALCDEP.2020.107846", "10.1016/J.DRUGALCDEP.2020.107846"),
    ("http://dx.doi.org/10.1016/j.x.2020.1", "10.1016/j.x.2020.1"),
    ("doi: 10.1016/j.x.2020.1.", "10.1016/j.x.2020.1"),
    ("DOI 10.1002/(SICI)1097-0258(19980815/30)17:15/16<1661::AID-SIM968>3.0.CO;2-2",
     "10.1002/(SICI)1097-0258(19980815/30)17:15/16<1661::AID-SIM968>3.0.CO;2-2"),
    ("10.1016%2Fj.x.2020.1", "10.1016/j.x.2020.1"),
    ("not a doi", None), ("", None), (None, None),
])
def test_doi(value: str | None, expected: str | None) -> None:
    assert fields.doi(value) == expected
    assert fields.doi_key(value) == (expected.lower() if expected else None)


@pytest.mark.parametrize(("value", "expected"), [
    ("32035366", 32035366), (" PMID: 32035366 ", 32035366), ("32035366 [pmid]", 32035366),
    (32035366, 32035366), ("0", None), ("9223372036854775808", None), ("PMC123", None),
    ("12a", None), ("", None), (None, None),
])
def test_pmid(value: str | int | None, expected: int | None) -> None:
    assert fields.pmid(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2020", 2020), ("2020//", 2020), ("2020/03/01/", 2020), ("Mar 2020", 2020),
    ("2019-11-02", 2019), ("in press", None), ("1492", None), (None, None),
])
def test_year(value: str | None, expected: int | None) -> None:
    assert fields.year(value) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("107", "110", "107-110"), ("107-110", None, "107-110"), ("107\u2013110", None, "107-110"),
    ("61--76", None, "61-76"), ("e107846", None, "e107846"), ("107", "107", "107"),
    ("", "", None), (None, None, None),
])
def test_pages(start: str | None, end: str | None, expected: str | None) -> None:
    assert fields.pages(start, end) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("Kratom &amp; <i>Mitragyna speciosa</i>", "Kratom & Mitragyna speciosa"),
    ("&lt;i&gt;Mitragyna&lt;/i&gt; use", "Mitragyna use"),  # escaped markup
    ("Kratom &amp;amp; kava", "Kratom & kava"),  # escaped twice
    ("CO<sub>2</sub> and p &lt; 0.05", "CO2 and p < 0.05"),
    ("First.<br/>Second", "First. Second"),
    ("<jats:p>Made-up <jats:italic>text</jats:italic></jats:p>", "Made-up text"),
    ("  spaced\n  out\u00a0text ", "spaced out text"),
    ("Age <18 years and >65", "Age <18 years and >65"),
])
def test_clean(value: str, expected: str) -> None:
    assert fields.clean(value) == expected


@pytest.mark.parametrize(("name", "last", "fore", "initials", "group"), [
    ("Smith, John A.", "Smith", "John A.", "JA", None),
    ("Smith, J.A.", "Smith", "J.A.", "JA", None),
    ("Smith, JA", "Smith", "JA", "JA", None),
    ("Smith JA", "Smith", None, "JA", None),
    ("Garcia-Romeu A.", "Garcia-Romeu", None, "A", None),
    ("van der Berg J. A.", "van der Berg", None, "JA", None),
    ("de Sá PHCG", "de Sá", None, "PHCG", None),  # PubMed gives up to four initials
    ("Öztürk Ş", "Öztürk", None, "Ş", None),
    ("John A. Smith", "Smith", "John A.", "JA", None),
    ("Anna van der Berg", "van der Berg", "Anna", "A", None),
    ("Jean-Pierre Dupont", "Dupont", "Jean-Pierre", "JP", None),
    ("Smith, John, Jr.", "Smith", "John", "J", None),
    ("Testperson, Alice (59999000001)", "Testperson", "Alice", "A", None),  # Scopus ids
    ("M&uuml;ller, Clara", "Müller", "Clara", "C", None),
    ("Smith", "Smith", None, None, None),
    ("Kratom Study Group", None, None, None, "Kratom Study Group"),
    ("Gruppo Tecnico PASSI", None, None, None, "Gruppo Tecnico PASSI"),
    ("World Health Organization", None, None, None, "World Health Organization"),
])
def test_author_forms(name: str, last: str | None, fore: str | None, initials: str | None,
                      group: str | None) -> None:
    author = fields.author(name)
    assert author is not None
    assert (author.last_name, author.fore_name, author.initials, author.collective_name) == (
        last, fore, initials, group)


@pytest.mark.parametrize(("value", "names"), [
    ("Smith J.; Doe J.A.", ["Smith J.", "Doe J.A."]),  # Scopus, Web of Science
    ("Smith, John; Doe, Jane", ["Smith, John", "Doe, Jane"]),  # Zotero, Covidence
    ("Smith, John and Doe, Jane", ["Smith, John", "Doe, Jane"]),  # Rayyan
    ("Smith J, Doe JA, Lee K.", ["Smith J", "Doe JA", "Lee K."]),  # PubMed's CSV
    ("Smith, John", ["Smith, John"]),  # one author, not two
    ("", []),
])
def test_split_names(value: str, names: list[str]) -> None:
    assert fields.split_names(value) == names


def test_keywords_split_and_lose_embase_stars() -> None:
    assert fields.keywords(["*kratom", "adult; human", "kratom", ""]) == [
        "kratom", "adult", "human"]


def test_identifiers_in_notes_and_links() -> None:
    found = fields.ids_in_text([
        "Export Date: 1 May 2024; PubMed ID: 32035366",
        "PMCID: PMC7000001",
        "https://www.scopus.com/inward/record.uri?eid=2-s2.0-85079000000&doi=10.1016%2fj.x",
        "https://doi.org/10.1016/j.x.2020.1",
    ])
    assert found == {"pmid": "32035366", "pmcid": "PMC7000001", "eid": "2-s2.0-85079000000",
                     "doi": "10.1016/j.x.2020.1"}
    assert fields.ids_in_text(["https://pubmed.ncbi.nlm.nih.gov/32035366/"])["pmid"] == \
        "32035366"
    assert fields.ids_in_text(["Indexed in 2020 by PubMed"]) == {}
