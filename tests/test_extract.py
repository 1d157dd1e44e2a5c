"""Extraction: a paper's finding, substances, countries and measures.

No real record in ../shared/pubmed is about kratom, so the kratom vocabulary is tried on
short sentences written for the purpose; findings are also checked on every real record.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from kratomlit.errors import InputFileError
from kratomlit.records import AbstractSection
from kratomlit.tagging.extract import Vocabulary, load_vocabulary
from kratomlit.tagging.finding import FINDING_LIMIT, finding
from kratomlit.tagging.rules import merged_terms, rules_texts

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from extract_report import coverage  # noqa: E402


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def S(text: str, label: str | None = None, category: str | None = None) -> AbstractSection:
    return AbstractSection(text=text, label=label, category=category)


def extract(vocabulary: Vocabulary, abstract: str = "", title: str = "", **kw):  # type: ignore[no-untyped-def]
    return vocabulary.extract(title, [S(abstract)] if abstract else [], **kw)


# --- the finding ----------------------------------------------------------------------------

def test_finding_is_the_conclusions_section() -> None:
    sections = [S("Kratom is used widely.", "BACKGROUND", "BACKGROUND"),
                S("We surveyed 200 users.", "METHODS", "METHODS"),
                S("Most used it daily.", "RESULTS", "RESULTS"),
                S("Daily use was common. Dependence was rare.", "CONCLUSIONS", "CONCLUSIONS"),
                S("NCT0000.", "TRIAL REGISTRATION", "BACKGROUND")]
    assert finding(sections) == "Daily use was common. Dependence was rare."


def test_a_long_conclusion_is_cut_at_a_sentence_and_marked() -> None:
    first = "Daily kratom use was common among the respondents of this survey. "
    second = "It was mostly used to manage pain, fatigue and withdrawal from opioids. "
    text = first + second + "Respondents " + "rarely reported harms of any kind " * 8 + "."
    found = finding([S(text, "CONCLUSIONS", "CONCLUSIONS")])
    assert found == first + second + "…"
    assert len(found) <= FINDING_LIMIT + 1 and text.startswith(found.removesuffix("…"))


def test_one_long_sentence_is_cut_after_a_word() -> None:
    text = "Kratom " + "and its alkaloids " * 30 + "were studied."
    found = finding([S(text, "CONCLUSION", "CONCLUSIONS")])
    assert found.endswith("…") and len(found) <= FINDING_LIMIT + 1
    assert text.startswith(found.removesuffix("…")) and text[len(found) - 1] == " "


def test_unstructured_abstract_from_its_conclusion_without_calls_for_research() -> None:
    text = ("Kratom is a plant from Southeast Asia. We surveyed 300 adults who use it. Most "
            "used it for pain, e.g. back pain, and few reported harms. These results suggest "
            "that kratom is mostly used to self-treat pain. Further studies are needed to "
            "confirm this.")
    assert finding([S(text)]) == ("These results suggest that kratom is mostly used to "
                                  "self-treat pain.")


def test_no_finding_without_a_result() -> None:
    assert finding([]) == ""  # a title-only record
    cut_off = "We surveyed 300 adults who use kratom. Most of them used it for pain and"
    assert finding([S(cut_off)]) == ""
    review = ("Kratom is a plant from Southeast Asia. Its leaves contain mitragynine. This "
              "review summarizes its pharmacology and toxicology.")
    assert finding([S(review)]) == ""
    only_research = "Little is known about kratom. More research is needed."
    assert finding([S(only_research)]) == ""


def test_a_case_report_states_its_case() -> None:
    text = ("Kratom is sold in the United States. We present a 35-year-old man who developed "
            "cholestatic liver injury after two months of daily kratom use.")
    assert finding([S(text)]).startswith("We present a 35-year-old man")


def test_an_editors_note_is_not_the_authors_finding() -> None:
    text = ("We loaded cells with nanoparticles. These data suggest that magnetic delivery "
            "works. From the Clinical Editor: The authors show that it works well.")
    assert finding([S(text)]) == "These data suggest that magnetic delivery works."


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = ("Users were compared with non-users. In conclusion, users in the U.S. and "
            "Malaysia vs. Thailand differed, e.g. in dose.")
    assert finding([S(text)]) == ("In conclusion, users in the U.S. and Malaysia vs. Thailand "
                                  "differed, e.g. in dose.")


def test_every_real_finding_is_verbatim_and_most_abstracts_have_one(
        real_db_template: Path, vocabulary: Vocabulary) -> None:
    report = coverage(real_db_template, vocabulary)
    assert report["not_verbatim"] == []
    assert report["conclusions"]["abstracts"] > 150 and report["other"]["abstracts"] > 250
    assert report["conclusions"]["share"] >= 0.95
    assert report["other"]["share"] >= 0.85


# --- substances -------------------------------------------------------------------------------

def test_kratom_forms_and_alkaloids(vocabulary: Vocabulary) -> None:
    found = extract(vocabulary, "Participants drank kratom tea; a methanolic extract of "
                    "M. speciosa, 7-OH-mitragynine and mitragynine pseudoindoxyl were tested.")
    assert found.substances == ("kratom", "kratom tea", "kratom extract",
                                "7-hydroxymitragynine", "mitragynine pseudoindoxyl")


def test_kratom_pharmacology_is_not_an_opioid_taken(vocabulary: Vocabulary) -> None:
    found = extract(vocabulary, "Mitragynine is a partial agonist at mu-opioid receptors with "
                    "opioid-like effects and is an atypical opioid.")
    assert found.substances == ("mitragynine",)
    used = extract(vocabulary, "Half used kratom to manage opioid withdrawal; some also used "
                   "heroin, buprenorphine, cannabis, alprazolam and methamphetamine.")
    assert used.substances == ("kratom", "opioids", "buprenorphine", "cannabis",
                               "benzodiazepines", "stimulants")


def test_alcohol_the_drink_not_a_solvent(vocabulary: Vocabulary) -> None:
    chemistry = ("An alcoholic extract, polyvinyl alcohol and alcohol dehydrogenase were used "
                 "in patients with non-alcoholic fatty liver disease.")
    assert extract(vocabulary, chemistry).substances == ()
    assert extract(vocabulary, "Kratom use with alcohol was common.").substances == (
        "kratom", "alcohol")


def _sample(term: str) -> str:
    """Plain text a term pattern matches: lookarounds and optional parts dropped, the first
    choice of a group taken."""
    text = re.sub(r"\(\?<?[!=][^()]*\)", "", term)
    text = re.sub(r"\(\?:[^()]*\)\?", "", text)
    text = re.sub(r"[^()\\]\?", "", text)
    text = re.sub(r"\(\?:([^|()]*)[^()]*\)", r"\1", text)
    text = text.replace("\\.", ".")
    assert re.fullmatch(r"[\w .'-]+", text), (term, text)
    return text


KRATOM_LISTS = ("kratom", "alkaloid")
CO_EXPOSURES = {"opioid": "opioids", "buprenorphine": "buprenorphine", "naloxone": "naloxone",
                "cannabis": "cannabis", "alcohol": "alcohol", "benzodiazepine": "benzodiazepines",
                "stimulant": "stimulants"}


def test_every_term_of_the_rules_names_a_substance(vocabulary: Vocabulary) -> None:
    terms = merged_terms(rules_texts())
    for name in (*KRATOM_LISTS, *CO_EXPOSURES):
        for term in terms[name]:
            found = extract(vocabulary, f"Participants used {_sample(term)} daily.").substances
            expected = CO_EXPOSURES.get(name)
            assert found and (expected in found if expected else
                              set(found) <= {"kratom", "kratom tea", "kratom extract",
                                             "kratom leaf", "kratom product", "mitragynine",
                                             "7-hydroxymitragynine", "speciogynine",
                                             "speciociliatine", "paynantheine", "mitraphylline",
                                             "corynantheidine", "mitragynine pseudoindoxyl"}), term


def test_substances_from_mesh_and_keywords_but_not_the_background(
        vocabulary: Vocabulary) -> None:
    sections = [S("Kratom is used to self-treat opioid withdrawal.", "BACKGROUND", "BACKGROUND"),
                S("We measured mitragynine in 20 blood samples.", "METHODS", "METHODS")]
    found = vocabulary.extract("", sections, keywords=["cannabis"], mesh=["Buprenorphine"])
    assert found.substances == ("mitragynine", "buprenorphine", "cannabis")


def test_a_users_term_reaches_the_substances(tmp_path: Path) -> None:
    mine = tmp_path / "kratomlit-rules.toml"
    mine.write_text('[terms]\nkratom = ["kutum"]\n', "utf-8")
    assert extract(load_vocabulary(), "Users chewed kutum leaves.").substances == ()
    assert extract(load_vocabulary([mine]), "Users chewed kutum leaves.").substances == (
        "kratom", "kratom leaf")


# --- measures ---------------------------------------------------------------------------------

def test_acronyms_match_as_written(vocabulary: Vocabulary) -> None:
    assert extract(vocabulary, "An audit of the farm's cows.").measures == ()
    assert extract(vocabulary, "Withdrawal was rated with the COWS, drinking with the "
                   "AUDIT and depression with the PHQ9.").measures == ("PHQ-9", "COWS", "AUDIT")
    assert extract(vocabulary, "The beck depression inventory was used.").measures == ("BDI",)


def test_of_two_overlapping_measures_the_longer_counts(vocabulary: Vocabulary) -> None:
    found = extract(vocabulary, "We used the PTSD Checklist for DSM-5, the AUDIT-C and the "
                    "Kessler Psychological Distress Scale (K6).")
    assert found.measures == ("K6", "AUDIT-C", "PCL-5")


def test_ambiguous_acronyms_count_only_by_name(vocabulary: Vocabulary) -> None:
    assert extract(vocabulary, "Proteins were separated by SDS-PAGE.").measures == ()
    assert extract(vocabulary, "Dependence was measured with the Severity of Dependence "
                   "Scale (SDS).").measures == ("SDS",)


def test_a_user_adds_a_measure(tmp_path: Path) -> None:
    mine = tmp_path / "kratomlit-rules.toml"
    mine.write_text('[measures]\n"Kratom Dependence Scale" = ["KDS|Kratom Dependence Scale"]\n',
                    "utf-8")
    vocabulary = load_vocabulary([mine])
    found = extract(vocabulary, "Dependence was rated on the KDS and PHQ-9.")
    assert found.measures == ("PHQ-9", "Kratom Dependence Scale")
    named = extract(vocabulary, "We used the kratom dependence scale.")
    assert named.measures == ("Kratom Dependence Scale",)


# --- countries --------------------------------------------------------------------------------

def test_demonyms_name_a_country_only_before_people(vocabulary: Vocabulary) -> None:
    assert extract(vocabulary, "We surveyed Malaysian kratom users and Thai adults."
                   ).countries == ("Malaysia", "Thailand")
    assert extract(vocabulary, "Chinese hamster ovary cells, Swiss mice and Red Thai kratom "
                   "were used.").countries == ()


def test_phrases_that_name_no_place(vocabulary: Vocabulary) -> None:
    text = ("New Zealand White rabbits, Guinea pigs and India ink were used; American Indian "
            "adults in NYHA (New York Heart Association) class II took part.")
    assert extract(vocabulary, text).countries == ()


def test_states_provinces_and_the_us(vocabulary: Vocabulary) -> None:
    assert extract(vocabulary, "Users in Penang and in Texas took part.").countries == (
        "Malaysia", "United States")
    assert extract(vocabulary, "Kratom sales in the US rose.").countries == ("United States",)
    assert extract(vocabulary, "US adults took part.").countries == ("United States",)
    assert extract(vocabulary, "Ultrasonography (US) showed a mass; US was repeated."
                   ).countries == ()


def test_names_shared_by_two_places(vocabulary: Vocabulary) -> None:
    assert extract(vocabulary, "Clinics in Atlanta, Georgia took part.").countries == (
        "United States",)
    assert extract(vocabulary, "Clinics in Tbilisi took part.").countries == ("Georgia",)
    assert extract(vocabulary, "Clinics in Georgia took part.").countries == ()
    assert extract(vocabulary, "Samples from Amman, Jordan and the Jordan Valley in Israel."
                   ).countries == ("Jordan", "Israel")


def test_names_in_their_case_and_joined_words(vocabulary: Vocabulary) -> None:
    assert extract(vocabulary, "Wild turkey and china plates.").countries == ()
    assert extract(vocabulary, "Plants used in Afyonkarahisar-Turkey.").countries == ("Turkey",)
    assert extract(vocabulary, "Non-Malaysian users took part.").countries == ()


def test_background_and_disclosures_are_not_the_setting(vocabulary: Vocabulary) -> None:
    sections = [S("Kratom is banned in Thailand.", "BACKGROUND", "BACKGROUND"),
                S("We surveyed 500 US adults.", "METHODS", "METHODS"),
                S("Dr X holds a patent filed in New York, USA.", "FINANCIAL DISCLOSURE",
                  "BACKGROUND")]
    assert vocabulary.extract("", sections).countries == ("United States",)
    unlabelled = ("Kratom is banned in Thailand. We interviewed 30 users in Selangor. Most "
                  "used it daily.")
    assert extract(vocabulary, unlabelled).countries == ("Malaysia",)


def test_the_affiliation_only_when_the_record_names_no_country(
        vocabulary: Vocabulary) -> None:
    affiliation = "Centre for Drug Research, Universiti Sains Malaysia, Penang, Malaysia."
    found = extract(vocabulary, "We surveyed 300 kratom users.", affiliation=affiliation)
    assert (found.countries, found.countries_inferred) == ((), ("Malaysia",))
    stated = extract(vocabulary, "We surveyed 300 users in Thailand.", affiliation=affiliation)
    assert (stated.countries, stated.countries_inferred) == (("Thailand",), ())


def test_mesh_names_no_setting(vocabulary: Vocabulary) -> None:
    found = vocabulary.extract("Kratom use", [], mesh=["Malaysia", "Mitragyna"])
    assert (found.countries, found.substances) == ((), ("kratom",))


# --- the vocabulary ---------------------------------------------------------------------------

def test_every_shipped_pattern_is_keyed(vocabulary: Vocabulary) -> None:
    # A pattern without a word to look for is tried on every paper (slow): none ships so.
    assert vocabulary.always == []


@pytest.mark.parametrize(("content", "message"), [
    ('[measures]\nX = "PHQ"\n', "[measures] must map names to lists of strings"),
    ('[measures]\nX = ["PHQ("]\n', "invalid pattern"),
    ('[substances]\nx = ["{nothing} tea"]\n', "unknown term list {nothing}"),
    ('[countries]\nnames = 3\n', "[countries.names] must map names to lists of strings"),
    ("[measures\n", "not valid TOML"),
])
def test_a_bad_user_file_is_named_in_one_error(tmp_path: Path, content: str,
                                               message: str) -> None:
    mine = tmp_path / "kratomlit-rules.toml"
    mine.write_text(content, "utf-8")
    with pytest.raises(InputFileError, match=re.escape(message)) as error:
        load_vocabulary([mine])
    assert str(mine) in str(error.value)
