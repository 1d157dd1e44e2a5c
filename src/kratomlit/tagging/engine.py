"""Apply tagging rules to one paper: which rules match, where, and the tags they add up to.

Pure functions over plain values (no database), so the same code tags, explains,
evaluates and fits the weights. Every match adds its rule's weight, scaled by its zone
(title, the abstract's aims and methods, results, conclusions, elsewhere, background;
keywords, MeSH, publication types), to its tag's score; repeated matches count less and
less. The design is the highest-scoring design; an outcome is tagged when its score
reaches the outcome's threshold. Margins say how close each decision was.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from kratomlit.tagging.participants import participants
from kratomlit.tagging.rules import KEY_LENGTH, LIST_FIELDS, Alternative, Rule, Scoring, load
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, POPULATION_OF

TEXT_FIELDS = ("title", "abstract", "keywords")
MAX_MATCHES = 12  # per rule and paper: more would add little to a score (see strength)
_WORD = re.compile(r"\w+")
_KEY_STARTS = [operator.itemgetter(slice(0, n)) for n in range(3, KEY_LENGTH + 1)]
_DIGIT = re.compile(r"\d")
_COMPLETE = tuple(".?!)]\"'”")  # how a field that is not cut off ends
_SENTENCE_END = re.compile(r"[.;?!](?=\s+[A-Z(\[])")
# The background of an abstract: its labelled BACKGROUND/INTRODUCTION section, or, in an
# unstructured abstract, the sentences before the first one about this study. Outcomes
# named only there do not tag (TAXONOMY.md: a background mention does not earn the tag).
_BACKGROUND_LABEL = re.compile(r"\s*(?:BACKGROUND|INTRODUCTION|CONTEXT|IMPORTANCE|RATIONALE)"
                               r"(?: AND (?:AIMS?|OBJECTIVES?|PURPOSE))?:\s")
_SECTION_LABEL = re.compile(r"(?:^|\s)([A-Z][A-Z ,&/-]{2,40}):\s")
_THIS_STUDY = re.compile(
    r"\b(?:we|our|this (?:[\w-]+ ){0,3}?(?:study|paper|article|review|report|survey|analysis|case)|"
    r"the present|here|"
    r"aims?|aimed|objectives?|purpose|was to|were to|sought)\b")  # on lower-cased text
# The zone of a labelled section, by the first word group its label contains.
_LABEL_ZONES = (
    (("BACKGROUND", "INTRODUCTION", "CONTEXT", "IMPORTANCE", "RATIONALE"), "background"),
    (("RESULT", "FINDING"), "results"),
    (("CONCLUSION", "DISCUSSION", "INTERPRETATION", "IMPLICATION", "SIGNIFICANCE",
      "RELEVANCE", "COMMENT"), "conclusions"),
    (("OBJECTIVE", "AIM", "PURPOSE", "METHOD", "DESIGN", "SETTING", "PARTICIPANT",
      "SUBJECT", "PATIENT", "MEASURE", "INTERVENTION", "MATERIAL", "PROCEDURE", "CASE",
      "APPROACH", "SAMPLE", "HYPOTHES", "GOAL", "QUESTION", "DATA", "SOURCE", "SELECTION",
      "SEARCH", "STUDY", "EXPOSURE", "POPULATION"), "aims"),
)
# An unstructured abstract's sentence after its background, by what it says: a
# conclusion, a result (a finding verb, else a number), its aims and methods, or else.
# Whole words and a few phrases, looked up in the sentence's words (a regex over every
# abstract costs seconds on 30,000 papers).
_SENTENCE_KINDS = (
    ("conclusions", frozenset({"conclusion", "conclusions", "conclude", "concludes"}),
     ("in summary", "taken together", "these findings", "these results", "these data",
      "our findings", "our results", "suggesting that", "clinicians should",
      "further research", "further studies")),
    ("results", frozenset({"found", "showed", "shown", "revealed", "demonstrated", "observed",
                           "indicated", "significant", "significantly", "majority"}),
     ("were associated", "was associated", "most common", "most frequent")),
    ("aims", frozenset({"we", "our", "aim", "aims", "aimed", "objective", "objectives",
                        "purpose", "sought", "method", "methods", "recruited", "enrolled",
                        "conducted", "collected", "administered", "surveyed", "interviewed",
                        "designed"}),
     ("was to", "were to", "this study", "this survey", "this analysis", "this report",
      "the present study")),
)
# A meta-analysis pools a systematic review, a randomised trial randomises a controlled
# trial: their scores include the cues of the design they build on, so the design that
# adds pooling or randomisation wins when its own cues are there.
BUILDS_ON = {"meta-analysis": "systematic-review", "rct": "controlled-trial"}


def population(design: str) -> str | None:
    """The population a design implies: animal, in-vitro, human, or none (no data)."""
    return POPULATION_OF.get(design, "human")


def strength(count: int) -> float:
    """What ``count`` matches of one rule in one zone are worth: the first counts fully,
    repeats less and less (1, 1.69, 2.10, ...)."""
    return 1.0 + math.log(count)


@dataclass(frozen=True)
class Document:
    """The fields a rule can read, as the store holds them."""

    title: str = ""
    abstract: str = ""
    mesh: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


class Evidence(NamedTuple):
    """One place a rule matched (a tuple: thousands are made per second while tagging)."""

    axis: str
    value: str
    rule_id: str
    field: str
    matched: str
    weight: float  # what the rule's first match in this zone adds to the score
    negated: bool = False  # an ``unless`` pattern matched in the same sentence
    pattern: int = -1  # which of the rule's patterns matched
    zone: str = ""  # title, aims, results, conclusions, other, background, ...
    start: int = -1  # where in the field (text fields)
    end: int = -1
    covered: bool = False  # a stronger rule for the same tag matched these words

    @property
    def live(self) -> bool:
        """Neither negated nor covered by a stronger match."""
        return not (self.negated or self.covered)

    @property
    def counts(self) -> bool:
        """Whether this match adds to its tag's score."""
        return self.live and self.weight > 0

    @property
    def background(self) -> bool:
        return self.zone == "background"


class Cue(NamedTuple):
    """A rule's matches in one zone, and the points they add to its tag's score."""

    axis: str
    tag: str
    rule_id: str
    zone: str
    hits: int
    points: float


@dataclass
class TagResult:
    design: str
    design_rule: str | None  # the rule adding most to the design's score
    outcomes: list[str]
    n_participants: int | None
    population: str | None
    evidence: list[Evidence] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)  # every design and outcome
    # How clear each decision is: the design's lead over the runner-up; an outcome's
    # score minus its threshold (negative: not tagged).
    margins: dict[str, float] = field(default_factory=dict)
    cues: list[Cue] = field(default_factory=list)

    @property
    def runner_up(self) -> str:
        rest = [d for d in DESIGNS if d != self.design]
        return max(rest, key=lambda d: self.scores.get(d, 0.0))


def _sentence(doc: _Prepared, name: str, start: int, end: int) -> str:
    """The lower-cased sentence around a match (boundaries read from the original case)."""
    ends = doc.sentence_ends(name)
    i = bisect.bisect_right(ends, start)
    left = ends[i - 1] if i else 0
    right = ends[i] if i < len(ends) else len(doc.lowered[name])
    return doc.lowered[name][left:right]


class _Prepared:
    """A document's fields lower-cased once (rules are compiled lower-case)."""

    def __init__(self, doc: Document):
        self.doc = doc
        self._ends: dict[str, list[int]] = {}
        self._zones: dict[int, str] = {}
        self._sections: list[tuple[int, str]] | None = None
        self._negated: dict[tuple[str, str, int], bool] = {}
        self._unless: dict[tuple[str, str], list[Alternative]] = {}
        self._background: int | None = None
        self._turns = False  # a sentence about the study starts where the background ends
        self.texts = {"title": doc.title, "abstract": doc.abstract,
                      "keywords": "; ".join(doc.keywords)}
        self.lowered: dict[str, str] = {}
        for name in TEXT_FIELDS:
            text = self.texts[name]
            lowered = text.lower()
            # A few characters change length when lower-cased; keep offsets valid.
            self.lowered[name] = lowered if len(lowered) == len(text) else _fold(text)
        # The first three to KEY_LENGTH characters of every word: a rule alternative whose
        # literal start is missing cannot match, and is skipped without running its regex.
        self.keys: dict[str, set[str]] = {}
        self.words: dict[str, set[str]] = {}
        for name, lowered in self.lowered.items():
            words = self.words[name] = set(_WORD.findall(lowered))
            keys = self.keys[name] = set()
            for start in _KEY_STARTS:  # map: no Python bytecode per word
                keys.update(map(start, words))
        self.firsts: list[dict[str, int]] = [{} for _ in TEXT_FIELDS]  # where a prefix is

    @property
    def background_end(self) -> int:
        """Where the abstract's background ends (0 when it has none), found once."""
        if self._background is None:
            self._background, self._turns = _background_end(
                self.texts["abstract"], self.lowered["abstract"], self.sentence_ends("abstract"))
        return self._background

    def sentence_ends(self, name: str) -> list[int]:
        """Offsets where sentences end, computed once per field (long abstracts stay linear)."""
        found = self._ends.get(name)
        if found is None:
            found = self._ends[name] = [m.end() for m in _SENTENCE_END.finditer(self.texts[name])]
        return found

    def negated(self, rule: Rule, unless: _Unless, name: str, start: int, end: int) -> bool:
        """Whether one of the rule's ``unless`` patterns occurs in the match's sentence
        (once per rule and sentence)."""
        possible = self._unless.get((rule.id, name))
        if possible is None:  # those whose words the field has at all, once per rule
            keys, by_key, unkeyed = unless
            possible = self._unless[rule.id, name] = [
                alternative for key in keys & self.keys[name] for alternative in by_key[key]
                if _may_occur(alternative, self, name)] + unkeyed
        if not possible:
            return False
        key = (rule.id, name, bisect.bisect_right(self.sentence_ends(name), start))
        found = self._negated.get(key)
        if found is None:
            sentence = _sentence(self, name, start, end)
            found = self._negated[key] = any(_occurs(alternative, self, name, sentence)
                                             for alternative in possible)
        return found

    def zone(self, name: str, start: int) -> str:
        """The zone of a match starting at ``start`` in a text field."""
        if name != "abstract":
            return name
        if start < self.background_end:
            return "background"
        ends = self.sentence_ends("abstract")
        i = bisect.bisect_right(ends, start)
        found = self._zones.get(i)
        if found is None:
            found = self._zones[i] = self._sentence_zone(i, ends)
        return found

    def _sentence_zone(self, i: int, ends: list[int]) -> str:
        text = self.texts["abstract"]
        left = ends[i - 1] if i else 0
        right = ends[i] if i < len(ends) else len(text)
        if self._sections is None:
            self._sections = [(m.start(1), _label_zone(m.group(1)))
                              for m in _SECTION_LABEL.finditer(text)
                              if not m.start() or text[m.start() - 1] in ".?!:)"
                              ] if ": " in text else []
        # Labels open sentences: the last one before this sentence's end is its section.
        labelled = bisect.bisect_left(self._sections, (right, "")) - 1
        if labelled >= 0:
            zone = self._sections[labelled][1]
            # A labelled background section ends where it turns to the study itself.
            return "aims" if zone == "background" else zone
        if left <= self.background_end and self._turns:
            return "aims"  # the first sentence about the study states its aims
        sentence = self.lowered["abstract"][left:right]
        words = set(_WORD.findall(sentence))
        for zone, cues, phrases in _SENTENCE_KINDS:
            if not cues.isdisjoint(words) or any(phrase in sentence for phrase in phrases):
                return zone
        return "results" if _DIGIT.search(sentence) else "other"


@functools.lru_cache(maxsize=512)
def _label_zone(label: str) -> str:
    for words, zone in _LABEL_ZONES:
        if any(word in label for word in words):
            return zone
    return "other"


def _background_end(abstract: str, lowered: str, ends: list[int]) -> tuple[int, bool]:
    """Where the background ends, and whether a sentence about the study starts there."""
    labelled = _BACKGROUND_LABEL.match(abstract)
    if labelled:
        section = _SECTION_LABEL.search(abstract, labelled.end())
        limit = section.start() if section else len(abstract)
    elif _SECTION_LABEL.match(abstract):
        return 0, False  # structured, opening with its aims or methods
    else:
        limit = len(abstract) // 2  # an unstructured abstract is mostly about its study
    start = labelled.end() if labelled else 0
    cue = _THIS_STUDY.search(lowered, start)
    if cue:
        # The background ends where the first sentence about the study starts, if that
        # sentence starts within the background's limit.
        i = bisect.bisect_right(ends, cue.start())
        sentence = max(start, ends[i - 1] if i else 0)
        if sentence <= limit:
            return sentence, True
    # A labelled section is background to its end; an unstructured abstract that never
    # turns to "this study" (a commentary, a review, one cut short) is all content.
    return limit if labelled else 0, False


def _fold(text: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


# A (rule, pattern) pair whose start needs more than its key: the keys of the word groups
# that must follow, and the whole words of its literal start.
_Needs = tuple[int, int, tuple[tuple[frozenset[str], bool], ...], frozenset[str]]
_Index = dict[str, tuple[list[tuple[int, int]], list[_Needs]]]
_Unless = tuple[frozenset[str], dict[str, list[Alternative]], list[Alternative]]


class RuleSet:
    """Rules indexed by the literal starts of their patterns, per text field, with the
    scoring that turns their matches into tags.

    Tagging 30,000 papers must take seconds: a document only runs the patterns whose
    literal start occurs among its words (one set intersection per field), instead of
    every pattern of every rule.
    """

    def __init__(self, rules: list[Rule], scoring: Scoring | None = None):
        self.rules = list(rules)
        self.scoring = scoring or load()[1]
        # Per field, the (rule, pattern) pairs under the rarest word their literal start
        # needs: a whole word (looked up among the document's words) when it has one, else
        # the start of one (among the documents' word starts, see _Prepared.keys). Pairs
        # that need more words carry them, and are checked one by one.
        self.by_word: dict[str, _Index] = {}
        self.by_key: dict[str, _Index] = {}
        self.unkeyed: dict[str, list[tuple[int, int]]] = {}
        for name in TEXT_FIELDS:
            by_word: _Index = {}
            by_key: _Index = {}
            always: list[tuple[int, int]] = []
            for r, rule in enumerate(self.rules):
                if name not in rule.fields:
                    continue
                for a, alternative in enumerate(rule.alternatives):
                    words = alternative.words
                    if alternative.keys is None:
                        always.append((r, a))
                        continue
                    if words and len(alternative.keys) == 1:
                        entries = [(by_word, max(sorted(words), key=len))]
                        more = len(words) > 1
                    else:
                        entries = [(by_key, key) for key in alternative.keys]
                        more = bool(words)
                    for index, key in entries:
                        plain, needing = index.setdefault(key, ([], []))
                        if alternative.then or more:
                            needing.append((r, a, alternative.then, words))
                        else:
                            plain.append((r, a))
            self.by_word[name], self.by_key[name], self.unkeyed[name] = by_word, by_key, always
        self.word_sets = {name: set(index) for name, index in self.by_word.items()}
        self.key_sets = {name: set(index) for name, index in self.by_key.items()}
        self.list_rules = {name: [r for r, rule in enumerate(self.rules) if name in rule.fields]
                           for name in LIST_FIELDS}
        # MeSH terms and publication types come from a fixed vocabulary: which rules match
        # an item is worked out once per item, not once per paper.
        self._item_rules: dict[tuple[str, str], tuple[int, ...]] = {}
        self.absent_rules = [r for r, rule in enumerate(self.rules) if rule.absent]
        # Which rule counts words that several rules match: highest priority, then first.
        self.rank = {rule.id: (-rule.priority, r) for r, rule in enumerate(self.rules)}
        self.weights = {rule.id: rule.weight for rule in self.rules}
        # Each rule's unless patterns by key, and those without one.
        self.unless: list[_Unless] = []
        for rule in self.rules:
            keyed: dict[str, list[Alternative]] = {}
            for alternative in rule.unless:
                for key in alternative.keys or ():
                    keyed.setdefault(key, []).append(alternative)
            self.unless.append((frozenset(keyed), keyed,
                                [a for a in rule.unless if a.keys is None]))

    def candidates(self, doc: _Prepared) -> dict[int, list[tuple[int, int]]]:
        """Per rule, the (text field index, pattern) pairs whose literal start the document
        has, in field and pattern order (so evidence comes out in a stable order)."""
        found: dict[int, list[tuple[int, int]]] = {}
        for f, name in enumerate(TEXT_FIELDS):
            if not doc.lowered[name]:
                continue
            pairs = set(self.unkeyed[name])
            keys, words = doc.keys[name], doc.words[name]
            for index, present in ((self.by_word[name], self.word_sets[name] & words),
                                   (self.by_key[name], self.key_sets[name] & keys)):
                for key in present:
                    plain, needing = index[key]
                    pairs.update(plain)
                    for r, a, then, whole in needing:
                        if not whole <= words:
                            continue
                        for need, exact in then:
                            if need.isdisjoint(words if exact else keys):
                                break
                        else:
                            pairs.add((r, a))
            for r, a in pairs:
                found.setdefault(r, []).append((f, a))
        for listed in found.values():
            listed.sort()
        return found

    def list_matches(self, doc: Document) -> dict[int, list[Evidence]]:
        """Per rule, its matches among the paper's MeSH terms and publication types."""
        hits: dict[tuple[int, str], list[str]] = {}
        for name in ("mesh", "publication_types"):
            for item in getattr(doc, name):
                matching = self._item_rules.get((name, item))
                if matching is None:
                    lowered = item.lower()
                    matching = self._item_rules[name, item] = tuple(
                        r for r in self.list_rules[name]
                        if (pattern := self.rules[r].pattern) and pattern.match(lowered))
                for r in matching:
                    hits.setdefault((r, name), []).append(item)
        found: dict[int, list[Evidence]] = {}
        for r in sorted({r for r, _ in hits}):
            rule = self.rules[r]
            factors = self.scoring.zones[rule.axis]
            found[r] = [Evidence(rule.axis, rule.tag, rule.id, name, item,
                                 rule.weight * factors[name], zone=name)
                        for name in rule.fields for item in hits.get((r, name), ())]
        return found

    def rule_matches(self, r: int, doc: _Prepared, pairs: list[tuple[int, int]]
                     ) -> list[Evidence]:
        """Every place rule ``r`` matches, negated matches flagged (``explain`` shows them)."""
        rule = self.rules[r]
        factors = self.scoring.zones[rule.axis]
        found: list[Evidence] = []
        if rule.absent:
            # One match for the whole field: a complete text (a field cut off mid-sentence
            # may have lost the words), and none of the rule's words in it.
            for name in rule.fields:
                if doc.lowered[name].rstrip()[-1:] in _COMPLETE and not any(
                        _occurs(alternative, doc, name) for alternative in rule.absent):
                    zone = "other" if name == "abstract" else name
                    found.append(Evidence(rule.axis, rule.tag, rule.id, name, "(none of its words)",
                                          rule.weight * factors[zone], zone=zone))
            return found
        if not pairs:
            return found
        alternatives = rule.alternatives
        weight = rule.weight
        firsts = doc.firsts
        lowered_fields = doc.lowered
        for f, a in pairs:
            alternative = alternatives[a]
            name = TEXT_FIELDS[f]
            lowered = lowered_fields[name]
            prefix = alternative.prefix
            first = 0
            if prefix:
                # Patterns of many rules start alike ("patients ", "we "): find each once.
                first = firsts[f].get(prefix, -2)
                if first == -2:
                    first = firsts[f][prefix] = lowered.find(prefix)
                if first < 0:
                    continue
            for hit in alternative.regex.finditer(lowered, first):
                start, end = hit.span()
                if alternative.check_left and start and (
                        lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
                    continue
                if len(found) >= MAX_MATCHES:
                    break  # repeats add less and less: the first few tell the story
                negated = bool(rule.unless) and doc.negated(rule, self.unless[r], name, start,
                                                            end)
                zone = doc.zone(name, start)
                found.append(Evidence(rule.axis, rule.tag, rule.id, name,
                                      doc.texts[name][start:end], weight * factors[zone],
                                      negated, alternative.pattern, zone, start, end))
        return found


def _may_occur(alternative: Alternative, doc: _Prepared, name: str) -> bool:
    """Whether the field has the words a pattern needs (its key, its literal start's whole
    words, one of each group of words it needs later)."""
    keys, words = doc.keys[name], doc.words[name]
    if alternative.keys is None:
        return True
    if alternative.keys.isdisjoint(keys) or not alternative.words <= words:
        return False
    return all(not need.isdisjoint(words if exact else keys) for need, exact in alternative.then)


def _occurs(alternative: Alternative, doc: _Prepared, name: str, text: str | None = None
            ) -> bool:
    """Whether one pattern occurs (as whole words) in a text field, or in ``text``, a part
    of it."""
    if alternative.keys is not None and alternative.keys.isdisjoint(doc.keys[name]):
        return False
    lowered = doc.lowered[name] if text is None else text
    first = lowered.find(alternative.prefix) if alternative.prefix else 0
    if first < 0:
        return False
    for hit in alternative.regex.finditer(lowered, first):
        start = hit.start()
        if not (alternative.check_left and start and (
                lowered[start - 1].isalnum() or lowered[start - 1] == "_")):
            return True
    return False


def matches(doc: Document, rules: RuleSet) -> list[Evidence]:
    """Every place any rule matches the document, negated ones included."""
    prepared = _Prepared(doc)
    return _matches(prepared, rules) + [e for r in rules.absent_rules
                                        for e in rules.rule_matches(r, prepared, [])]


def _matches(prepared: _Prepared, rules: RuleSet) -> list[Evidence]:
    """Where the rules with patterns match (the ``absent`` rules aside)."""
    candidates = rules.candidates(prepared)
    doc = prepared.doc
    listed = rules.list_matches(doc) if doc.mesh or doc.publication_types else {}
    evidence: list[Evidence] = []
    for r in sorted(candidates.keys() | listed.keys()):
        evidence.extend(listed.get(r, ()))
        if r in candidates:
            evidence.extend(rules.rule_matches(r, prepared, candidates[r]))
    return _one_cue_per_place(evidence, rules)


def _one_cue_per_place(evidence: list[Evidence], rules: RuleSet) -> list[Evidence]:
    """Words that several rules of one tag match are one piece of evidence: the rule of
    highest priority counts them ("cross-sectional survey" is not also a bare "survey")."""
    rank = rules.rank
    if len({(e.value, e.field) for e in evidence if e.start >= 0}) == sum(
            e.start >= 0 for e in evidence):
        return evidence  # no tag matched twice in one field: nothing can overlap
    order = sorted(range(len(evidence)), key=lambda i: (
        evidence[i].value, evidence[i].field, rank[evidence[i].rule_id], evidence[i].start))
    taken: dict[tuple[str, str], list[tuple[int, int]]] = {}
    result = list(evidence)
    for i in order:
        item = evidence[i]
        if item.start < 0 or item.negated:
            continue
        spans = taken.setdefault((item.value, item.field), [])
        if any(item.start < end and start < item.end for start, end in spans):
            result[i] = item._replace(covered=True)
        else:
            spans.append((item.start, item.end))
    return result


def cues(evidence: list[Evidence], rules: RuleSet) -> list[Cue]:
    """The counting matches grouped by rule and zone, with the points each group adds."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for item in evidence:
        if item.counts:
            key = (item.axis, item.value, item.rule_id, item.zone)
            counts[key] = counts.get(key, 0) + 1
    weights = rules.weights
    zones = rules.scoring.zones
    return [Cue(axis, tag, rule_id, zone, n,
                weights[rule_id] * zones[axis][zone] * strength(n))
            for (axis, tag, rule_id, zone), n in counts.items()]


def _scores(found: list[Cue], scoring: Scoring) -> dict[str, float]:
    """Every design's and outcome's score: its cues' points, and a design's bias and the
    points of the design it builds on."""
    points = dict.fromkeys((*DESIGNS, *OUTCOMES), 0.0)
    for cue in found:
        points[cue.tag] += cue.points
    scores = dict(points)
    for d in DESIGNS:
        scores[d] += scoring.design_bias[d] + points.get(BUILDS_ON.get(d, ""), 0.0)
    return scores


def _top_two(found: list[Cue], scores: dict[str, float]) -> tuple[str, str]:
    if any(cue.axis == "design" for cue in found):
        ranked = sorted(DESIGNS, key=lambda d: -scores[d])  # stable: ties in taxonomy order
        return ranked[0], ranked[1]
    return "other", max(DESIGNS[:-1], key=lambda d: scores[d])


def _may_change(rule: Rule, found: list[Cue], scores: dict[str, float], scoring: Scoring
                ) -> bool:
    """Whether an ``absent`` rule (one match at most per field) could change the design,
    its runner-up or the margin between them, or an outcome's score."""
    if rule.axis != "design" or not any(cue.axis == "design" for cue in found):
        return True
    gain = rule.weight * max(scoring.zones["design"]["other" if name == "abstract" else name]
                             for name in rule.fields)
    top = _top_two(found, scores)
    raised = [rule.tag, *(d for d, base in BUILDS_ON.items() if base == rule.tag)]
    return any(d in top or scores[d] + gain >= scores[top[1]] for d in raised)


def tag_document(doc: Document, rules: RuleSet, *, complete: bool = False) -> TagResult:
    """Tag one paper: the highest-scoring design, the outcomes that reach their threshold.
    An ``absent`` rule that could not change the tags is not run unless ``complete``
    (``explain`` shows every rule that matches)."""
    prepared = _Prepared(doc)
    evidence = _matches(prepared, rules)
    found = cues(evidence, rules)
    scoring = rules.scoring
    scores = _scores(found, scoring)
    for r in rules.absent_rules:
        rule = rules.rules[r]
        if complete or _may_change(rule, found, scores, scoring):
            more = rules.rule_matches(r, prepared, [])
            if more:
                evidence += more
                found = cues(evidence, rules)
                scores = _scores(found, scoring)
    design, runner_up = _top_two(found, scores)
    margins = {"design": round(scores[design] - scores[runner_up], 3)}
    for outcome in OUTCOMES:
        margins[outcome] = round(scores[outcome] - scoring.threshold[outcome], 3)
    outcomes = [o for o in OUTCOMES if margins[o] >= 0]
    mine = [c for c in found if c.axis == "design" and c.tag in (design, BUILDS_ON.get(design))]
    who = population(design)
    n = participants(doc.abstract) if who == "human" else None
    return TagResult(design, max(mine, key=lambda c: c.points).rule_id if mine else None,
                     outcomes, n, who, evidence, {k: round(v, 3) for k, v in scores.items()},
                     margins, found)
