"""The tagging engine and rules: real records against the hand labels, negations, rule files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kratomlit.errors import InputFileError
from kratomlit.jobs.tag_papers import document, tag_store
from kratomlit.store import Store
from kratomlit.tagging.engine import Document, RuleSet, matches, tag_document
from kratomlit.tagging.evaluate import evaluate, read_labels
from kratomlit.tagging.rules import DESIGNS, builtin_rules, load_rules, parse_rules

from conftest import LABELS

# One real record per design (and some with outcomes), whose hand label the rules must match.
REPRESENTATIVE = [22508830, 25020153, 22892811, 23415808, 26411977, 25636559, 25855685,
                  26056739, 26095044, 26702254, 28786991, 20501835, 9997, 2930949, 26297645]


@pytest.fixture(scope="module")
def labels() -> dict[int, dict]:
    path = LABELS
    return {int(row["pmid"]): row for row in map(json.loads, path.read_text().splitlines())}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet(load_rules())


def _doc(store: Store, pmid: int) -> Document:
    row = store.db.execute("SELECT title, abstract, keywords, mesh_terms, publication_types "
                           "FROM papers WHERE pmid = ?", [pmid]).fetchone()
    return document(row)


def test_representative_real_records_match_their_hand_labels(
        real_db: Path, labels: dict[int, dict], rules: RuleSet) -> None:
    with Store(real_db) as store:
        for pmid in REPRESENTATIVE:
            result = tag_document(_doc(store, pmid), rules)
            label = labels[pmid]
            assert result.design == label["design"], pmid
            assert sorted(result.outcomes) == sorted(label["outcomes"]), pmid
    covered = {labels[p]["design"] for p in REPRESENTATIVE}
    assert covered == set(DESIGNS)


def test_whole_development_set_stays_above_its_floor(real_db: Path) -> None:
    # A regression guard below today's figures (design 0.87, outcome micro-F1 0.83: one
    # clear outcome cue tags, which costs precision on these general-PubMed labels and
    # gains recall on the kratom literature); the measured figures are reported by
    # `kratomlit evaluate` and bench/fit_weights.py, not asserted here.
    with Store(real_db) as store:
        tag_store(store)
        predicted = {pmid: (design, json.loads(outcomes)) for pmid, design, outcomes in
                     store.db.execute("SELECT p.pmid, design, outcomes FROM paper_tags "
                                      "JOIN papers p ON p.id = paper_id")}
    result = evaluate(read_labels(LABELS), predicted)
    assert result.compared == 617 and not result.missing
    assert result.design_accuracy >= 0.85
    assert result.outcome_micro_f1 >= 0.82


class _EveryPattern(RuleSet):
    """The same rules without the literal-key index: every pattern runs on every field,
    and every ``absent`` pattern as a regex (not looked up among the paper's words)."""

    def __init__(self, rules):  # type: ignore[no-untyped-def]
        super().__init__(rules)
        self.absent_words = {r: (frozenset(), list(self.rules[r].absent))
                             for r in self.absent_words}

    def candidates(self, doc):  # type: ignore[no-untyped-def]
        return sorted(candidate for candidate, (_, _, name, *_) in self.run.items()
                      if doc.lowered[name])


def test_the_rule_index_skips_only_patterns_that_cannot_match(real_db_template: Path) -> None:
    # Skipping patterns whose literal start is absent is what makes tagging fast; it
    # must never lose a match, on any real record.
    indexed, exhaustive = RuleSet(load_rules()), _EveryPattern(load_rules())
    with Store(real_db_template) as store:
        rows = store.db.execute("SELECT title, abstract, keywords, mesh_terms, "
                                "publication_types FROM papers").fetchall()
    assert len(rows) > 600
    for row in rows:
        doc = document(row)
        fast = tag_document(doc, indexed, complete=True)
        slow = tag_document(doc, exhaustive, complete=True)
        assert (fast.design, fast.outcomes) == (slow.design, slow.outcomes), row[0]
        assert sorted(fast.evidence) == sorted(slow.evidence), row[0]


def test_publication_type_is_evidence_beside_the_text(real_db: Path, rules: RuleSet) -> None:
    with Store(real_db) as store:
        result = tag_document(_doc(store, 22508830), rules)
    assert result.design == "rct"
    assert any(e.field == "publication_types" and e.matched == "Randomized Controlled Trial"
               for e in result.evidence)
    rct = {c.rule_id for c in result.cues if c.tag == "rct"}
    assert {"design.rct.pubtype", "design.rct.text"} <= rct


def test_negated_randomisation_does_not_make_a_trial(rules: RuleSet) -> None:
    review = Document(abstract="We searched PubMed, Embase and PsycINFO for studies of kratom "
                      "use. No randomized controlled trials were found. Twelve studies were "
                      "included.")
    result = tag_document(review, rules)
    assert result.design == "systematic-review"
    assert any(e.rule_id == "design.rct.text" and e.negated for e in result.evidence)
    open_label = Document(title="A non-randomized open-label study of kratom tea in volunteers")
    assert tag_document(open_label, rules).design == "controlled-trial"


def test_one_background_mention_does_not_earn_an_outcome(rules: RuleSet) -> None:
    once = Document(abstract="Kratom is used for pain. We measured alkaloid content of "
                    "commercial products by LC-MS/MS. Anxiety was not studied.")
    assert "mood" not in tag_document(once, rules).outcomes
    twice = Document(abstract="Users reported less anxiety and improved mood after kratom use.")
    assert "mood" in tag_document(twice, rules).outcomes


def test_an_outcome_named_only_in_the_background_does_not_tag(real_db: Path, rules: RuleSet
                                                               ) -> None:
    # A real μ-opioid receptor chemistry paper whose first sentence motivates it with
    # "analgesics with fewer side effects": safety is background, not a finding.
    with Store(real_db) as store:
        result = tag_document(_doc(store, 26347990), rules)
    assert "safety" not in result.outcomes
    side_effects = [e for e in result.evidence if e.matched == "side effects"]
    assert side_effects and all(e.background for e in side_effects)
    # The same words after the background count.
    structured = Document(abstract="BACKGROUND: Kratom is sold as a supplement. Kratom has been "
                          "linked to hepatotoxicity. METHODS: We surveyed 500 users. RESULTS: "
                          "Adverse effects were reported by 12% of users.")
    tagged = tag_document(structured, rules)
    assert "safety" in tagged.outcomes
    assert {e.matched: e.background for e in tagged.evidence
            if e.rule_id == "outcome.safety.text"} == {"hepatotoxicity": True,
                                                       "Adverse effects": False}
    assert not any(e.counts for e in tagged.evidence if e.axis == "outcome" and e.background)


def test_a_case_reports_opening_context_is_background(rules: RuleSet) -> None:
    # What is known comes before the patient ("A 15-year-old ..."): no outcome from it.
    doc = Document(abstract="Kratom is sold to minors without age restrictions in many states. "
                   "A 15-year-old girl presented with vomiting and restlessness two days "
                   "after she stopped taking kratom daily.")
    tagged = tag_document(doc, rules)
    assert "legal" not in tagged.outcomes
    legal = [e for e in tagged.evidence if e.value == "legal"]
    assert legal and all(e.background for e in legal)
    # A case the background cites is no turn to the study's own patient.
    cited = Document(abstract="Kratom is sold without age restrictions in many states. A "
                     "25-year-old man died in 2016 after kratom use. We surveyed 400 adults who "
                     "had used kratom in the past year about where they bought it, how often "
                     "they used it and what they paid for it.")
    harms = [e for e in tag_document(cited, rules).evidence if e.value == "safety"]
    assert harms and all(e.background for e in harms)


@pytest.mark.parametrize("label", ["ETHNOPHARMACOLOGICAL RELEVANCE", "ETHNOBOTANICAL RELEVANCE",
                                   "BACKGROUND & AIMS", "BACKGROUND/AIMS",
                                   "BACKGROUND AND STUDY AIMS"])
def test_journal_background_labels_are_background(rules: RuleSet, label: str) -> None:
    # Labels NLM files as background in journals kratom studies appear in (the Journal of
    # Ethnopharmacology; hepatology journals): their withdrawal and social words are context.
    doc = Document(abstract=f"{label}: In village medicine the leaf is taken for opioid "
                   "withdrawal and served at social gatherings. AIM OF THE STUDY: To quantify "
                   "indole alkaloids in leaf extracts. MATERIALS AND METHODS: Extracts were "
                   "analysed by LC-MS/MS.")
    result = tag_document(doc, rules)
    context = [e for e in result.evidence
               if e.matched in {"opioid withdrawal", "social gatherings"}]
    assert context and all(e.background for e in context)
    assert not {"safety", "social"} & set(result.outcomes)


@pytest.mark.parametrize("labels", [("INTRODUCTION", "CASE PRESENTATION"),
                                    ("Introduction", "Case presentations"),
                                    ("Background", "Materials and Methods")])
def test_labels_as_journals_print_them_open_sections(rules: RuleSet,
                                                     labels: tuple[str, str]) -> None:
    # The PubMed website and journals print "Background:"; NLM files "BACKGROUND:". Either
    # way the opening section is background, and the next label ends it.
    opening, rest = labels
    doc = Document(abstract=f"{opening}: Stigma shapes how people who use drugs seek care. "
                   f"{rest}: A 50-year-old man who drank kratom daily had deep jaundice.")
    result = tag_document(doc, rules)
    stigma = [e for e in result.evidence if e.matched == "Stigma"]
    assert stigma and all(e.background for e in stigma)
    assert "social" not in result.outcomes
    assert "safety" in result.outcomes  # the case, after the background, still counts
    # A label the list lacks still ends the background before it.
    course_label = "CLINICAL COURSE" if opening.isupper() else "Clinical course"
    course = tag_document(Document(abstract=f"{opening}: Kratom is sold in Texas. {course_label}"
                                   ": The man reported severe anxiety after he stopped "
                                   "drinking kratom."), rules)
    assert "mood" in course.outcomes
    # A capital word before a colon in running text is no label.
    themes = tag_document(Document(abstract="We interviewed 30 adults who use kratom. Three "
                                   "themes emerged: stigma, cost and access."), rules)
    assert "social" in themes.outcomes


def test_an_objectives_section_opening_with_what_is_known_is_background(
        real_db: Path, rules: RuleSet) -> None:
    # A real cohort whose OBJECTIVES open with "Animal studies suggest that exposure to
    # pesticides may alter thyroid function; ..." before "We evaluated ...".
    with Store(real_db) as store:
        result = tag_document(_doc(store, 28775130), rules)
    known = [e for e in result.evidence if e.matched == "Animal studies suggest"]
    assert known and all(e.background for e in known)
    assert not any(e.background for e in result.evidence if e.matched == "Self-reported")
    # An objectives section that opens with the aim has no background.
    aim = tag_document(Document(abstract="OBJECTIVE: To determine whether kratom users report "
                                "adverse effects. METHODS: We surveyed 500 users."), rules)
    assert not any(e.background for e in aim.evidence)


def test_kratom_vocabulary_tags_local_names_and_alkaloids(rules: RuleSet) -> None:
    ketum = Document(title="Ketum dependence among rural users in northern Malaysia")
    assert "safety" in tag_document(ketum, rules).outcomes
    products = Document(title="Mitragynine content of kratom products sold online",
                        abstract="Forty kratom products purchased from online vendors were "
                        "analysed by UPLC-MS/MS.")
    assert tag_document(products, rules).design == "in-vitro"
    reward = Document(title="Speciociliatine produces conditioned place preference in rats")
    result = tag_document(reward, rules)
    assert (result.design, result.outcomes) == ("animal", ["safety"])


def test_a_user_term_extends_every_shipped_rule_that_uses_it(tmp_path: Path) -> None:
    extra = tmp_path / "kratomlit-rules.toml"
    extra.write_text('[terms]\nkratom = ["purik"]\n')
    doc = Document(title="Purik withdrawal in a fishing community")
    assert "safety" not in tag_document(doc, RuleSet(load_rules())).outcomes
    assert "safety" in tag_document(doc, RuleSet(load_rules([extra]))).outcomes
    extra.write_text("[[rule]]\nid = 'x'\naxis = 'outcome'\ntag = 'mood'\n"
                     "fields = ['title']\npatterns = ['{herbs} calm']\n")
    with pytest.raises(InputFileError, match=r"unknown term list \{herbs\}") as caught:
        load_rules([extra])
    assert str(caught.value).startswith(str(extra))


def test_a_term_list_may_include_another_but_not_itself() -> None:
    rule = ("[[rule]]\nid = 'x'\naxis = 'outcome'\ntag = 'safety'\nfields = ['title']\n"
            "patterns = ['{harm} after']\n")
    [parsed] = parse_rules("[terms]\nfits = ['seizures?']\nharm = ['coma', '{fits}']\n" + rule,
                           "mine.toml")
    found = [e.matched for e in matches(Document(title="Seizures after kratom; coma after"),
                                        RuleSet([parsed]))]
    assert sorted(found) == ["Seizures after", "coma after"]
    # Within a word, the other list is spelled out as a group of its words.
    [parsed] = parse_rules("[terms]\nfits = ['seizures?', 'fits']\nharm = ['late {fits}']\n"
                           + rule, "mine.toml")
    found = [e.matched for e in matches(Document(title="Late fits after kratom; seizures after"),
                                        RuleSet([parsed]))]
    assert found == ["Late fits after"]
    with pytest.raises(InputFileError, match=r"\{harm\} includes itself"):
        parse_rules("[terms]\nharm = ['coma', '{fits}']\nfits = ['{harm}']\n" + rule,
                    "mine.toml")
    with pytest.raises(InputFileError, match=r"\{harm\} includes itself"):
        parse_rules("[terms]\nharm = ['coma', 'late {fits}']\nfits = ['early {harm}']\n" + rule,
                    "mine.toml")


def test_shipped_rules_are_valid_and_cover_every_tag() -> None:
    rules = builtin_rules()
    assert {r.tag for r in rules if r.axis == "design"} == set(DESIGNS)
    assert {r.tag for r in rules if r.axis == "outcome"} == {"mood", "social", "safety", "legal"}
    assert len({r.id for r in rules}) == len(rules)


def test_a_pattern_that_refers_to_its_own_groups_is_matched_whole() -> None:
    # Split into parts, "ketum tea \1" would refer to a group only the other part has.
    [rule] = parse_rules("[[rule]]\nid = 'x'\naxis = 'outcome'\ntag = 'social'\n"
                         "fields = ['title']\npatterns = ['(?:(kratom)|ketum) tea \\1']\n",
                         "mine.toml")
    rules = RuleSet([rule])
    assert [e.matched for e in matches(Document(title="Kratom tea kratom"), rules)] == [
        "Kratom tea kratom"]
    assert matches(Document(title="Ketum tea ketum"), rules) == []


def test_no_shipped_pattern_opens_with_a_lookbehind() -> None:
    # Without a literal start a regex tries every position of a paper's text (ten times the
    # cost); a lookbehind can follow the word it guards instead ("cohort(?<!-cohort)").
    opening = [(rule.id, a.source) for rule in builtin_rules()
               for a in (*rule.alternatives, *rule.unless)
               if a.source.startswith("(?:(?<")]
    assert opening == []


def test_the_word_boundary_before_a_match_is_checked_as_a_lookbehind_would() -> None:
    # Patterns are compiled without a leading lookbehind (re searches a literal start or a
    # first character class fast); the boundary is checked by hand. A match starting
    # inside a word ("a3 ...") is refused, and the search goes on from the next character,
    # so a match starting inside the refused one ("4 prompts") is still found.
    [rule] = parse_rules("[[rule]]\nid = 'x'\naxis = 'design'\ntag = 'other'\n"
                         "fields = ['title']\n"
                         "patterns = ['re:', '\\d (?:[\\w-]+ ){0,2}?prompts']\n", "mine.toml")
    short = rule.alternatives[0]
    assert short.keys is None and short.prefix == "re"  # too short a word to key by
    assert not any(a.source.startswith("(?<") for a in rule.alternatives)
    rules = RuleSet([rule])
    assert [e.matched for e in matches(Document(title="Re: kratom and the liver"), rules)] == [
        "Re:"]
    assert matches(Document(title="Kratom in primary care: where are we?"), rules) == []
    assert [e.matched for e in matches(Document(title="Kratom a3 or 4 prompts"), rules)] == [
        "4 prompts"]


@pytest.mark.timeout(30)
def test_a_pattern_that_can_match_nothing_ends_at_the_end_of_a_field() -> None:
    # A user's "z?" matches the empty text after the last word, inside that word; searching
    # on from the next character must stop at the field's end (it once went round forever).
    [rule] = parse_rules("[[rule]]\nid = 'x'\naxis = 'design'\ntag = 'other'\n"
                         "fields = ['title']\npatterns = ['z?']\n", "mine.toml")
    assert matches(Document(title="a b"), RuleSet([rule])) == []


@pytest.mark.parametrize(("text", "message"), [
    ("[[rule]]\nid = 'x'\naxis = 'design'\ntag = 'rct'\nfields = ['title']\n"
     "patterns = ['(unclosed']\n", "invalid pattern"),
    ("[[rule]]\nid = 'x'\naxis = 'design'\ntag = 'trial'\nfields = ['title']\n"
     "patterns = ['a']\n", "unknown design tag 'trial'"),
    ("[[rule]]\nid = 'x'\naxis = 'outcome'\ntag = 'mood'\nfields = ['body']\n"
     "patterns = ['a']\n", "fields must be"),
    ("[[rule]\nid = 'x'", "not valid TOML"),
])
def test_bad_rules_files_are_refused_with_the_file_name(text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message) as caught:
        parse_rules(text, "my-rules.toml")
    assert str(caught.value).startswith("my-rules.toml")


def test_user_rule_replaces_a_shipped_rule_with_the_same_id(tmp_path: Path) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text("[[rule]]\nid = 'design.rct.pubtype'\naxis = 'design'\ntag = 'cohort'\n"
                     "fields = ['publication_types']\npatterns = ['Randomized Controlled Trial']\n"
                     "priority = 99\n")
    rules = {r.id: r for r in load_rules([extra])}
    assert rules["design.rct.pubtype"].tag == "cohort"
    assert len(rules) == len(builtin_rules())


def test_a_title_pattern_cancels_its_rule_in_the_whole_paper() -> None:
    [rule] = parse_rules("[[rule]]\nid = 'x'\naxis = 'outcome'\ntag = 'safety'\n"
                         "fields = ['title', 'abstract']\npatterns = ['withdrawal signs']\n"
                         "unless_title = ['in (?:mice|rats)']\n", "t.toml")
    rules = RuleSet([rule])
    abstract = "Withdrawal signs were counted. Later, withdrawal signs were counted again."
    in_mice = matches(Document(title="An extract and morphine in mice", abstract=abstract),
                      rules)
    in_people = matches(Document(title="An extract and morphine", abstract=abstract), rules)
    assert [e.negated for e in in_mice] == [True, True]
    assert [e.negated for e in in_people] == [False, False]


def test_a_term_named_alone_among_negations_stands_for_each_of_its_patterns() -> None:
    [rule] = parse_rules("[terms]\nasides = ['in the background', 'as a reason']\n"
                         "[[rule]]\nid = 'x'\naxis = 'outcome'\ntag = 'mood'\n"
                         "fields = ['abstract']\npatterns = ['anxiety']\n"
                         "unless = ['{asides}', 'was excluded']\n", "t.toml")
    assert len(rule.unless) == 3
    found = matches(Document(abstract="Anxiety was common, as a reason for use. Anxiety fell."),
                    RuleSet([rule]))
    assert [e.negated for e in found] == [True, False]
