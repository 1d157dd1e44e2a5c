"""Apply tagging rules to one paper: which rules match, where, and the tags they add up to.

Pure functions over plain values (no database), so the same code tags, explains,
evaluates and fits the weights. Every match adds its rule's weight, scaled by its zone
(title, the abstract's aims and methods, results, conclusions, elsewhere, background;
keywords, MeSH, publication types), to its tag's score; repeated matches count less and
less. The design is the highest-scoring design; an outcome is tagged when its score
reaches the outcome's threshold. Margins say how close each decision was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple

from kratomlit.tagging.participants import participants
from kratomlit.tagging.patterns import Alternative
from kratomlit.tagging.prepared import (
    COMPLETE,
    TEXT_FIELDS,
    Candidate,
    Index,
    Prepared,
    Unless,
    WordKeys,
    absent_index,
    field_index,
    numbering,
    occurs,
    word_starts,
)
from kratomlit.tagging.rules import LIST_FIELDS, Rule, Scoring, load
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, population

MAX_MATCHES = 12  # per rule and paper: more would add little to a score (see strength)
# A meta-analysis pools a systematic review, a randomised trial randomises a controlled
# trial: their scores include the cues of the design they build on, so the design that
# adds pooling or randomisation wins when its own cues are there.
BUILDS_ON = {"meta-analysis": "systematic-review", "rct": "controlled-trial"}


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
    # Every design's and outcome's score (rounded when read: most papers never show theirs).
    exact_scores: dict[str, float] = field(default_factory=dict)
    # How clear each decision is: the design's lead over the runner-up; an outcome's
    # score minus its threshold (negative: not tagged).
    margins: dict[str, float] = field(default_factory=dict)
    cues: list[Cue] = field(default_factory=list)

    @property
    def scores(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.exact_scores.items()}

    @property
    def runner_up(self) -> str:
        scores = self.scores
        return max((d for d in DESIGNS if d != self.design), key=lambda d: scores.get(d, 0.0))


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
        # Per field, the candidates by the words they need (see field_index).
        self.by_word: dict[str, Index] = {}
        self.by_key: dict[str, Index] = {}
        self.unkeyed: dict[str, list[Candidate]] = {}
        for name in TEXT_FIELDS:
            self.by_word[name], self.by_key[name], self.unkeyed[name] = field_index(
                self.rules, name)
        # What each candidate runs: its rule, field (index, name), and its pattern's literal
        # start, alternative (its regex compiled on first use), and index among the rule's
        # patterns.
        number = numbering(self.rules)
        self.run = {number(r, f, a): (r, f, name, alternative.prefix, alternative,
                                      alternative.pattern)
                    for r, rule in enumerate(self.rules)
                    for f, name in enumerate(TEXT_FIELDS) if name in rule.fields
                    for a, alternative in enumerate(rule.alternatives)}
        self.word_sets = {name: set(index) for name, index in self.by_word.items()}
        self.key_sets = {name: set(index) for name, index in self.by_key.items()}
        self.list_rules = {name: [r for r, rule in enumerate(self.rules) if name in rule.fields]
                           for name in LIST_FIELDS}
        # MeSH terms and publication types come from a fixed vocabulary: which rules match
        # an item is worked out once per item, not once per paper.
        self._item_rules: dict[tuple[str, str], tuple[int, ...]] = {}
        self.absent_words = absent_index(self.rules)
        # An absent design rule's greatest gain, and the designs whose scores it raises.
        self.absent_reach = {r: (rule.weight * max(self.scoring.zones["design"][
            "other" if name == "abstract" else name] for name in rule.fields), (
            rule.tag, *(d for d, base in BUILDS_ON.items() if base == rule.tag)))
            for r in self.absent_words if (rule := self.rules[r]).axis == "design"}
        # Which rule counts words that several rules match: highest priority, then first.
        self.rank = {rule.id: (-rule.priority, r) for r, rule in enumerate(self.rules)}
        self.weights = {rule.id: rule.weight for rule in self.rules}
        # Each rule's unless patterns by key, and those without one.
        self.unless: list[Unless] = []
        for rule in self.rules:
            keyed: dict[str, list[Alternative]] = {}
            for alternative in rule.unless:
                for key in alternative.keys or ():
                    keyed.setdefault(key, []).append(alternative)
            self.unless.append((frozenset(keyed), keyed,
                                [a for a in rule.unless if a.keys is None]))
        # Every key a document's words are looked up by: patterns', unless and absent
        # patterns', and those of the words patterns need further on.
        self.word_keys = WordKeys(
            key for rule in self.rules
            for alternative in (*rule.alternatives, *rule.unless, *rule.unless_title,
                                *rule.absent)
            for key in chain(alternative.keys or (), *(
                need for need, exact in alternative.then if not exact)))

    def candidates(self, doc: Prepared) -> list[Candidate]:
        """The patterns, per text field, whose literal start the document has, sorted by
        rule, field and pattern (so evidence comes out in a stable order)."""
        found: set[Candidate] = set()
        for name in TEXT_FIELDS:
            if not doc.lowered[name]:
                continue
            found.update(self.unkeyed[name])
            keys, words = doc.keys[name], doc.words[name]
            for index, present in ((self.by_word[name], self.word_sets[name] & words),
                                   (self.by_key[name], self.key_sets[name] & keys)):
                for key in present:
                    plain, needing = index[key]
                    found.update(plain)
                    for candidate, then, whole in needing:
                        if candidate in found or not whole <= words:
                            continue  # (filed under several words, it may be in already)
                        for need, exact in then:
                            if need.isdisjoint(words if exact else keys):
                                break
                        else:
                            found.add(candidate)
        return sorted(found)

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

    def absent_matches(self, r: int, doc: Prepared) -> list[Evidence]:
        """Where an ``absent`` rule matches: once for a whole field, a complete text (a
        field cut off mid-sentence may have lost the words) without any of its words."""
        rule = self.rules[r]
        factors = self.scoring.zones[rule.axis]
        spelled, others = self.absent_words[r]
        found = []
        for name in rule.fields:
            if doc.lowered[name].rstrip()[-1:] in COMPLETE and spelled.isdisjoint(
                    doc.words[name]) and not any(occurs(a, doc, name) for a in others):
                zone = "other" if name == "abstract" else name
                found.append(Evidence(rule.axis, rule.tag, rule.id, name, "(none of its words)",
                                      rule.weight * factors[zone], zone=zone))
        return found

    def text_matches(self, doc: Prepared, candidates: list[Candidate],
                     listed: dict[int, list[Evidence]]) -> list[Evidence]:
        """Every place the candidates match, negated matches flagged, at most MAX_MATCHES
        per rule; in rule order, each rule's ``listed`` matches (MeSH, publication types)
        first. Runs for every paper: kept lean."""
        found: list[Evidence] = []
        pending = sorted(listed, reverse=True)
        firsts, lowered_fields, texts = doc.firsts, doc.lowered, doc.texts
        current, count, cancelled = -1, 0, False
        run = self.run
        for candidate in candidates:
            r, f, name, prefix, alternative, pattern = run[candidate]
            if r != current:
                while pending and pending[-1] <= r:
                    found.extend(listed[pending.pop()])
                current, count, rule = r, 0, self.rules[r]
                factors, unless = self.scoring.zones[rule.axis], self.unless[r]
                cancelled = bool(rule.unless_title) and any(
                    occurs(alternative, doc, "title") for alternative in rule.unless_title)
            elif count >= MAX_MATCHES:
                continue  # repeats add less and less: the first few tell the story
            lowered = lowered_fields[name]
            first = 0
            if prefix:
                # Patterns of many rules start alike ("patients ", "we "): find each once.
                first = firsts[f].get(prefix, -2)
                if first == -2:
                    first = firsts[f][prefix] = lowered.find(prefix)
                if first < 0:
                    continue
            regex = alternative.regex
            found_at = regex.search(lowered, first)  # most fail here, with no generator made
            if found_at is None:
                continue
            for hit in word_starts(regex, lowered, found_at):
                if count >= MAX_MATCHES:
                    break
                start, end = hit.span()
                count += 1
                negated = cancelled or bool(rule.unless) and doc.negated(rule, unless, name,
                                                                         start, end)
                zone = doc.zone(name, start)
                found.append(Evidence(rule.axis, rule.tag, rule.id, name, texts[name][start:end],
                                      rule.weight * factors[zone], negated, pattern, zone,
                                      start, end))
        while pending:
            found.extend(listed[pending.pop()])
        return found


def matches(doc: Document, rules: RuleSet) -> list[Evidence]:
    """Every place any rule matches the document, negated ones included."""
    prepared = Prepared(doc, rules.word_keys)
    return _matches(prepared, rules) + [e for r in rules.absent_words
                                        for e in rules.absent_matches(r, prepared)]


def _matches(prepared: Prepared, rules: RuleSet) -> list[Evidence]:
    """Where the rules with patterns match (the ``absent`` rules aside)."""
    doc = prepared.doc
    listed = rules.list_matches(doc) if doc.mesh or doc.publication_types else {}
    return _one_cue_per_place(rules.text_matches(prepared, rules.candidates(prepared), listed),
                              rules)


def _one_cue_per_place(evidence: list[Evidence], rules: RuleSet) -> list[Evidence]:
    """Words that several rules of one tag match are one piece of evidence: the rule of
    highest priority counts them ("cross-sectional survey" is not also a bare "survey")."""
    places: dict[tuple[str, str], list[int]] = {}
    for i, item in enumerate(evidence):
        if item.start >= 0 and not item.negated:
            places.setdefault((item.value, item.field), []).append(i)
    rank = rules.rank
    result = evidence
    for found in places.values():
        if len(found) < 2:
            continue  # a tag matched once in a field: nothing to overlap
        found.sort(key=lambda i: (rank[evidence[i].rule_id], evidence[i].start))
        spans: list[tuple[int, int]] = []
        for i in found:
            item = evidence[i]
            if any(item.start < end and start < item.end for start, end in spans):
                if result is evidence:
                    result = list(evidence)
                result[i] = item._replace(covered=True)
            else:
                spans.append((item.start, item.end))
    return result


def cues(evidence: list[Evidence], rules: RuleSet) -> list[Cue]:
    """The counting matches grouped by rule and zone, with the points each group adds."""
    counts: dict[tuple[str, str, str, str], int] = {}
    for item in evidence:
        if item.weight > 0 and not (item.negated or item.covered):  # item.counts, inlined
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
        first = max(DESIGNS, key=scores.__getitem__)  # the first of equals: taxonomy order
        return first, max((d for d in DESIGNS if d != first), key=scores.__getitem__)
    return "other", max(DESIGNS[:-1], key=scores.__getitem__)


def tag_document(doc: Document, rules: RuleSet, *, complete: bool = False) -> TagResult:
    """Tag one paper: the highest-scoring design, the outcomes that reach their threshold.
    An ``absent`` rule that could not change the tags is not run unless ``complete``
    (``explain`` shows every rule that matches)."""
    prepared = Prepared(doc, rules.word_keys)
    evidence = _matches(prepared, rules)
    found = cues(evidence, rules)
    scoring = rules.scoring
    scores = _scores(found, scoring)
    top, designed = _top_two(found, scores), any(cue.axis == "design" for cue in found)
    for r in rules.absent_words:
        # An absent design rule (one match at most per field) is run only when it could
        # change the design, its runner-up or the margin between them.
        gain, raised = rules.absent_reach.get(r, (0.0, ()))
        if complete or not raised or not designed or any(
                d in top or scores[d] + gain >= scores[top[1]] for d in raised):
            more = rules.absent_matches(r, prepared)
            if more:
                evidence += more
                found = cues(evidence, rules)
                scores = _scores(found, scoring)
                top, designed = _top_two(found, scores), designed or bool(raised)
    design, runner_up = top
    margins = {"design": round(scores[design] - scores[runner_up], 3), **{
        o: round(scores[o] - scoring.threshold[o], 3) for o in OUTCOMES}}
    outcomes = [o for o in OUTCOMES if margins[o] >= 0]
    mine = [c for c in found if c.axis == "design" and c.tag in (design, BUILDS_ON.get(design))]
    who = population(design)
    n = participants(doc.abstract, prepared.words["abstract"]) if who == "human" else None
    return TagResult(design, max(mine, key=lambda c: c.points).rule_id if mine else None,
                     outcomes, n, who, evidence, scores, margins, found)
