"""Study size for the evidence table: the sample an abstract states, not a subgroup."""

from __future__ import annotations

from pathlib import Path

import pytest

from kratomlit.store import Store
from kratomlit.tagging.participants import participants


def test_participants_from_the_issue_phrasings_and_a_real_abstract(real_db: Path) -> None:
    assert participants("Participants (n = 2,798) completed the survey.") == 2798
    assert participants("A total of 129 respondents reported kratom use.") == 129
    assert participants("We studied 8 healthy volunteers after a single dose.") == 8
    with Store(real_db) as store:
        abstract = store.db.execute("SELECT abstract FROM papers WHERE pmid = 25020153"
                                    ).fetchone()[0]
    assert "855 American adults" in abstract
    assert participants(abstract) == 855


@pytest.mark.parametrize(("pmid", "phrase", "count"), [
    (26498039, "RESULTS: Forty patients were enrolled", 40),  # spelled out, opening a sentence
    (26702301, "METHODS: Twenty-six patients with acute", 26),
    (26432127, "181 eyes of 167 patients", 167),  # eyes are not participants
    (26432129, "18 804 patients", 18804),  # a space as thousands separator
    (26702360, "Fifty percent of the volume-expanded patients", 194),  # a share, not a count
])
def test_participants_in_real_abstracts(real_db: Path, pmid: int, phrase: str, count: int
                                        ) -> None:
    with Store(real_db) as store:
        abstract = store.db.execute("SELECT abstract FROM papers WHERE pmid = ?", [pmid]
                                    ).fetchone()[0]
    assert phrase in abstract
    assert participants(abstract) == count


def test_spelled_out_numbers_count_only_where_authors_spell_a_sample() -> None:
    assert participants("Ten healthy male volunteers received kratom tea.") == 10
    assert participants("We describe three patients who developed seizures.") == 3
    # Mid-sentence, a spelled-out number is a subgroup; a share is not a count.
    assert participants("Symptoms included vomiting; two children required intubation.") is None
    assert participants("One third of patients reported nausea.") is None
    assert participants("In Tennessee, 40 patients were seen.") == 40


def test_a_number_joined_to_the_people_by_and_is_not_their_count() -> None:
    abstract = ("Ten healthy volunteers drank kratom tea. Blood was sampled over 24 hours and "
                "participants rated its effects.")
    assert participants(abstract) == 10
