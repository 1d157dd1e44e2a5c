"""The matcher: one study however many databases found it, and different studies with
similar titles kept apart."""

from __future__ import annotations

import pytest

from kratomlit.parse import fields, sniff
from kratomlit.records import Paper
from kratomlit.review.match import Citation, Match, find, fold, journals_agree

from conftest import FIXTURES

TITLE = "Kratom use and opioid withdrawal: a cross-sectional survey of adults in Thailand."
BASE = {"title": TITLE, "year": 2021, "first_author": "Testperson AB",
        "journal": "Drug and Alcohol Dependence"}


def _pair(other: dict, first: dict | None = None) -> list[Match]:
    return find([Citation(id="a", **{**BASE, **(first or {})}),
                 Citation(id="b", **{**BASE, **other})])


def _candidate(other: dict, first: dict | None = None) -> Match:
    matches = _pair(other, first)
    assert len(matches) == 1, matches
    match = matches[0]
    assert (match.id, match.duplicate_of, match.method, match.automatic) == ("b", "a",
                                                                            "title", False)
    return match


@pytest.mark.parametrize("other", [
    {"title": TITLE.upper()},
    {"title": TITLE.lower().rstrip(".")},
    {"title": "Kratom-use and opioid withdrawal - a cross sectional survey of adults in "
              "Thailand"},
    {"title": "Kratom use &amp; opioid withdrawal: a cross-sectional survey of adults in "
              "<i>Thailand</i>."},
    {"title": "Kratom use & opioid withdrawal: a cross-sectional survey of adults in Thailand"},
    {"title": "Kratom use and opioid withdrawal"},  # the subtitle dropped
    {"title": "Kratom use and opioid withdrawl: a cross-sectional survey of adults in "
              "Thailand."},  # a typo
    {"title": "Kratom use and opioid withdrawal: a cross-sectional survey of adults in "
              "Thaïland."},  # an accent
    {"journal": "Drug Alcohol Depend"},
    {"journal": "DRUG AND ALCOHOL DEPENDENCE"},
    {"first_author": "Testperson, Anna B."},
    {"first_author": "Anna B. Testperson"},
    {"first_author": "Téstperson A"},
    {"year": 2020},  # online a year before print
    {"year": 2022},
])
def test_the_same_study_written_differently_is_a_candidate(other: dict) -> None:
    assert _candidate(other).score >= 90


def test_a_dropped_subtitle_is_found_whichever_record_comes_first() -> None:
    _candidate({"title": TITLE}, first={"title": "Kratom use and opioid withdrawal"})
    short = {"title": "Ultrasound", "year": 2015}
    assert _candidate({"title": "Ultrasound: an ode to a made-up fixture", "year": 2015},
                      first=short).score == 100


@pytest.mark.parametrize("other", [
    {"year": 2023},  # two years apart
    {"first_author": "Otherperson AB"},
    {"title": TITLE.replace("survey", "survey (part 2)")},
    {"title": "Erratum: " + TITLE},
    {"title": "Comment on: " + TITLE},
    {"title": "Reply to: " + TITLE},
    {"title": "Re: " + TITLE},
    {"title": "Kratom use and opioid withdrawal: a cross-sectional survey of adults in "
              "Malaysia."},
    {"title": "Kratom use and alcohol withdrawal: a cross-sectional survey of adults in "
              "Thailand."},
    {"title": "Kratom use and opioid withdrawal: a cross-sectional survey of adults in "
              "Thailand, 2019."},
])
def test_different_studies_with_similar_titles_stay_apart(other: dict) -> None:
    assert _pair(other) == []


def test_a_notice_typed_as_one_stays_apart_from_its_article() -> None:
    # PubMed titles some errata exactly as the article they correct.
    article = {"types": ("Journal Article",)}
    assert _pair({"types": ("Published Erratum",)}, first=article) == []
    assert _pair({"types": ("Comment", "Letter")}, first=article) == []
    _candidate({"types": ("Article",)}, first=article)
    _candidate({"types": ()}, first=article)  # a database that gives no types


@pytest.mark.parametrize(("first", "second"), [
    ("Kratom tea for chronic pain: part 1", "Kratom tea for chronic pain: part 2"),
    ("Kratom tea for chronic pain: part I", "Kratom tea for chronic pain: part II"),
    ("A phase II trial of mitragynine for opioid withdrawal",
     "A phase III trial of mitragynine for opioid withdrawal"),
    ("Mitragynine for opioid withdrawal: the KRATOM-1 randomised trial",
     "Mitragynine for opioid withdrawal: the KRATOM-2 randomised trial"),
])
def test_numbered_parts_and_trials_stay_apart(first: str, second: str) -> None:
    assert _pair({"title": second}, first={"title": first}) == []
    assert len(_pair({"title": first.upper()}, first={"title": first})) == 1


def test_evidence_against_a_pair_asks_for_a_closer_title() -> None:
    typo = {"title": TITLE.replace("Kratom", "Kartom").replace("withdrawal", "withdrawl")
            .replace("survey", "sruvey").replace("adults", "adlts")}
    assert 90 <= _candidate(typo).score < 97
    # Two different DOIs, unrelated journals, no first author or no year: only a title
    # nearly identical is a candidate.
    for doubt in ({"doi": "10.99999/b"}, {"journal": "Journal of Ethnopharmacology"},
                  {"first_author": None}, {"year": None}):
        assert _pair({**typo, **doubt}, first={"doi": "10.99999/a"}) == []
        _candidate({"title": TITLE.upper(), **doubt}, first={"doi": "10.99999/a"})


def test_hyphens_and_multi_word_surnames() -> None:
    # "Re-" starts a title, not a reply ("Re: ..."); "de Sá" is one surname, however written.
    title = "Re-evaluating kratom dependence in a made-up cohort of adults"
    _candidate({"title": "Reevaluating kratom dependence in a made-up cohort of adults"},
               first={"title": title})
    papers = [Paper(title=TITLE, year=2021, authors=[fields.author("de Sá, Pablo H C G")]),
              Paper(title=TITLE.upper(), year=2021, authors=[fields.author("de Sá PHCG")])]
    assert [(m.id, m.duplicate_of) for m in find([Citation.of(i, p)
                                                  for i, p in enumerate(papers)])] == [(1, 0)]


def test_short_titles_must_match_exactly() -> None:
    assert _pair({"title": "Kratom"}, first={"title": "Kratom."}) != []
    assert _pair({"title": "Kratoms"}, first={"title": "Kratom"}) == []


def test_identifiers_merge_automatically_when_the_titles_agree() -> None:
    matches = find([
        Citation(id=1, pmid=999000101, doi="10.99999/ABC.1", **BASE),
        Citation(id=2, doi="https://doi.org/10.99999/abc.1", **{**BASE, "title": TITLE.upper()}),
        Citation(id=3, pmid=999000101, **{**BASE, "year": 2019, "first_author": None}),
    ])
    assert [(m.id, m.duplicate_of, m.method, m.automatic) for m in matches] == [
        (2, 1, "doi", True), (3, 1, "pmid", True)]


def test_a_shared_doi_on_different_items_is_only_a_candidate() -> None:
    # Embase gives every abstract of a conference supplement the supplement's DOI, and
    # notices sometimes carry the DOI of the article they correct.
    supplement = "10.99999/dad.2022.supplement"
    matches = find([
        Citation(id=1, doi=supplement, **BASE),
        Citation(id=2, doi=supplement, **{**BASE, "title": "Mitragynine pharmacokinetics in "
                                                             "a made-up cohort of rats"}),
        Citation(id=3, doi=supplement, **{**BASE, "title": "Erratum: " + TITLE}),
    ])
    assert [(m.id, m.duplicate_of, m.method, m.automatic) for m in matches] == [
        (2, 1, "doi", False), (3, 1, "doi", False)]


def test_duplicates_point_to_the_first_record_of_their_study() -> None:
    matches = find([
        Citation(id="pubmed", pmid=999000101, doi="10.99999/x", **BASE),
        Citation(id="scopus", pmid=999000101, **BASE),
        Citation(id="embase", doi="10.99999/X", **{**BASE, "title": TITLE.lower()}),
        Citation(id="psycinfo", **{**BASE, "title": TITLE.rstrip(".")}),
        Citation(id="other", **{**BASE, "title": "A made-up review of kratom pharmacology"}),
    ])
    assert {m.id: (m.duplicate_of, m.automatic) for m in matches} == {
        "scopus": ("pubmed", True), "embase": ("pubmed", True), "psycinfo": ("pubmed", False)}


def test_records_without_titles_match_only_by_identifier() -> None:
    matches = find([Citation(id=1, doi="10.99999/a", year=2020),
                    Citation(id=2, doi="10.99999/A", year=2020),
                    Citation(id=3, year=2020)])
    assert [(m.id, m.duplicate_of, m.automatic, m.score) for m in matches] == [
        (2, 1, True, 0.0)]


@pytest.mark.parametrize(("a", "b", "agree"), [
    ("Drug and Alcohol Dependence", "Drug Alcohol Depend", True),
    ("The International journal on drug policy", "Int J Drug Policy", True),
    ("Journal of ethnopharmacology", "J. Ethnopharmacol.", True),
    ("Journal of psychoactive drugs", "J Psychoactive Drugs", True),
    ("BMJ (Clinical research ed.)", "BMJ", True),
    ("Journal of the National Medical Association", "J Natl Med Assoc", True),
    ("Journal of Ethnopharmacology", "Journal of Psychopharmacology", False),
    ("Drug and Alcohol Review", "Drug and Alcohol Dependence", False),
])
def test_journal_names_and_abbreviations(a: str, b: str, agree: bool) -> None:
    assert journals_agree(*[[w for w in fold(x).split() if w not in {"the", "of", "and", "on"}]
                            for x in (a, b)]) is agree


def test_one_study_from_every_database_export() -> None:
    papers = [r for path in sorted((FIXTURES / "exports").iterdir())
              for r in sniff.read(path).records if isinstance(r, Paper)]
    citations = [Citation.of(i, p) for i, p in enumerate(papers)]
    matches = {m.id: m for m in find(citations)}
    study = [i for i, p in enumerate(papers)
             if p.doi and p.doi.lower() == "10.99999/jktr.2021.0001"]
    first = study[0]
    assert len(study) == 14  # every file holds it
    assert all(matches[i].duplicate_of == first for i in study[1:])
    review = [i for i, p in enumerate(papers) if p.title == "A made-up review of kratom "
              "pharmacology"]
    assert len(review) == 3 and all(matches[i].duplicate_of == review[0] for i in review[1:])
    trial = [i for i, p in enumerate(papers) if p.title.startswith("Made-up randomised trial")]
    assert [(matches[i].duplicate_of, matches[i].method) for i in trial[1:]] == [
        (trial[0], "title")]
    book = [i for i, p in enumerate(papers) if p.record_type == "book"]  # Zotero: RIS, BibTeX
    assert [(matches[i].duplicate_of, matches[i].method) for i in book[1:]] == [
        (book[0], "title")]
    others = set(range(len(papers))) - set(study) - set(review) - set(trial) - set(book)
    assert others and not others & set(matches)  # every other record stands alone
