"""Apply tagging rules to one paper: which rules fire, on which words, and the result.

Pure functions over plain values (no database), so the same code tags, explains and
evaluates. The design is the firing design rule with the highest priority (ties go to
the taxonomy's order); outcomes are every outcome whose rules fire often enough.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from kratomlit.tagging.participants import participants
from kratomlit.tagging.rules import KEY_LENGTH, LIST_FIELDS, Rule
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, POPULATION_OF

_DESIGN_ORDER = {design: i for i, design in enumerate(DESIGNS)}
TEXT_FIELDS = ("title", "abstract", "keywords")
_WORD = re.compile(r"\w+")
_KEY_SIZES = range(3, KEY_LENGTH + 1)
_SENTENCE_END = re.compile(r"[.;?!](?=\s+[A-Z(\[])")
# The background of an abstract: its labelled BACKGROUND/INTRODUCTION section, or, in an
# unstructured abstract, the sentences before the first one about this study. Outcomes
# named only there do not tag (TAXONOMY.md: a background mention does not earn the tag).
_BACKGROUND_LABEL = re.compile(r"\s*(?:BACKGROUND|INTRODUCTION|CONTEXT|IMPORTANCE|RATIONALE)"
                               r"(?: AND (?:AIMS?|OBJECTIVES?|PURPOSE))?:\s")
_SECTION_LABEL = re.compile(r"(?:^|\s)[A-Z][A-Z ,&/-]{2,40}:\s")
_THIS_STUDY = re.compile(
    r"\b(?:we|our|this (?:[\w-]+ ){0,3}?(?:study|paper|article|review|report|survey|analysis|case)|"
    r"the present|here|"
    r"aims?|aimed|objectives?|purpose|was to|were to|sought)\b", re.IGNORECASE)

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
    confidence: float
    negated: bool = False  # an ``unless`` pattern matched in the same sentence
    pattern: int = -1  # which of the rule's patterns matched (distinct hits for min_hits)
    background: bool = False  # in the abstract's background: shown, but does not count

    @property
    def counts(self) -> bool:
        """Whether this match counts towards its rule firing (and is stored as evidence)."""
        return not (self.negated or self.background)


@dataclass
class TagResult:
    design: str
    design_rule: str | None
    outcomes: list[str]
    n_participants: int | None
    population: str | None
    evidence: list[Evidence] = field(default_factory=list)


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
        self._background: int | None = None
        self.texts = {"title": doc.title, "abstract": doc.abstract,
                      "keywords": "; ".join(doc.keywords)}
        self.lowered: dict[str, str] = {}
        for name in TEXT_FIELDS:
            text = self.texts[name]
            lowered = text.lower()
            # A few characters change length when lower-cased; keep offsets valid.
            self.lowered[name] = lowered if len(lowered) == len(text) else _fold(text)
        # First three to KEY_LENGTH characters of every word: a rule alternative whose literal
        # start is missing cannot match, and is skipped without running its regex.
        self.keys: dict[str, set[str]] = {}
        for name, lowered in self.lowered.items():
            keys: set[str] = set()
            add = keys.add
            for word in set(_WORD.findall(lowered)):
                for n in _KEY_SIZES:
                    add(word[:n])
            self.keys[name] = keys
        self.items: dict[str, list[tuple[str, str]]] = {
            name: [(item.lower(), item) for item in getattr(doc, name)]
            for name in LIST_FIELDS
        }

    @property
    def background_end(self) -> int:
        """Where the abstract's background ends (0 when it has none), found once."""
        if self._background is None:
            self._background = _background_end(self.texts["abstract"],
                                               self.sentence_ends("abstract"))
        return self._background

    def sentence_ends(self, name: str) -> list[int]:
        """Offsets where sentences end, computed once per field (long abstracts stay linear)."""
        found = self._ends.get(name)
        if found is None:
            found = self._ends[name] = [m.end() for m in _SENTENCE_END.finditer(self.texts[name])]
        return found


def _background_end(abstract: str, ends: list[int]) -> int:
    labelled = _BACKGROUND_LABEL.match(abstract)
    if labelled:
        section = _SECTION_LABEL.search(abstract, labelled.end())
        limit = section.start() if section else len(abstract)
    elif _SECTION_LABEL.match(abstract):
        return 0  # structured, opening with its aims or methods
    else:
        limit = len(abstract) // 2  # an unstructured abstract is mostly about its study
    start = labelled.end() if labelled else 0
    for end in [*ends, len(abstract)]:
        if end <= start:
            continue
        if _THIS_STUDY.search(abstract, start, end):
            return start
        if end > limit:
            # A labelled section is background to its end; an unstructured abstract that
            # never turns to "this study" (a commentary, a review) is all content.
            return limit if labelled else 0
        start = end
    return limit if labelled else 0


def _fold(text: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class RuleSet:
    """Rules indexed by the literal starts of their patterns, per text field.

    Tagging 30,000 papers must take seconds: a document only runs the patterns whose
    literal start occurs among its words (one set intersection per field), instead of
    every pattern of every rule.
    """

    def __init__(self, rules: list[Rule]):
        self.rules = list(rules)
        self.by_key: dict[str, dict[str, list[tuple[int, int]]]] = {}
        self.unkeyed: dict[str, list[tuple[int, int]]] = {}
        for name in TEXT_FIELDS:
            index: dict[str, list[tuple[int, int]]] = {}
            always: list[tuple[int, int]] = []
            for r, rule in enumerate(self.rules):
                if name not in rule.fields:
                    continue
                for a, alternative in enumerate(rule.alternatives):
                    if alternative.keys is None:
                        always.append((r, a))
                    for key in alternative.keys or ():
                        index.setdefault(key, []).append((r, a))
            self.by_key[name], self.unkeyed[name] = index, always
        self.key_sets = {name: set(index) for name, index in self.by_key.items()}
        self.list_rules = {r for r, rule in enumerate(self.rules)
                           if any(f in LIST_FIELDS for f in rule.fields)}

        # Evaluation order: the first firing design rule in this order is the design
        # (highest priority, then the taxonomy's order), so the rest can be skipped.
        self.order = sorted(range(len(self.rules)), key=lambda r: (
            self.rules[r].axis != "design", -self.rules[r].priority,
            _DESIGN_ORDER.get(self.rules[r].tag, 99), r))

    def candidates(self, doc: _Prepared) -> dict[int, list[tuple[int, int]]]:
        """Per rule, the (text field index, pattern) pairs whose literal start the document
        has, in field and pattern order (so evidence comes out in a stable order)."""
        found: dict[int, list[tuple[int, int]]] = {}
        for f, name in enumerate(TEXT_FIELDS):
            if not doc.lowered[name]:
                continue
            pairs = set(self.unkeyed[name])
            index = self.by_key[name]
            for key in self.key_sets[name] & doc.keys[name]:
                pairs.update(index[key])
            for r, a in sorted(pairs):
                found.setdefault(r, []).append((f, a))
        return found

    def rule_matches(self, r: int, doc: _Prepared, pairs: list[tuple[int, int]]
                     ) -> list[Evidence]:
        """Every place rule ``r`` matches, negated matches flagged (``explain`` shows them)."""
        rule = self.rules[r]
        found: list[Evidence] = []
        for name in rule.fields:
            if name in LIST_FIELDS:
                for lowered, item in doc.items[name]:
                    if rule.pattern.search(lowered):
                        found.append(Evidence(rule.axis, rule.tag, rule.id, name, item,
                                              rule.confidence))
        for f, a in pairs:
            name = TEXT_FIELDS[f]
            alternative = rule.alternatives[a]
            lowered = doc.lowered[name]
            first = lowered.find(alternative.prefix) if alternative.prefix else 0
            if first < 0:
                continue
            text = doc.texts[name]
            for hit in alternative.regex.finditer(lowered, first):
                start, end = hit.span()
                if alternative.check_left and start and (
                        lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
                    continue
                negated = bool(rule.unless and rule.unless.search(
                    _sentence(doc, name, start, end)))
                # Outcomes only: a design named in the background ("earlier surveys
                # found ...") is rarer and is already guarded by the rules' unless.
                background = (rule.axis == "outcome" and name == "abstract"
                              and start < doc.background_end)
                found.append(Evidence(rule.axis, rule.tag, rule.id, name, text[start:end],
                                      rule.confidence, negated, alternative.pattern, background))
        return found


def _fires(rule: Rule, evidence: list[Evidence]) -> bool:
    live = [e for e in evidence if e.counts]
    if any(e.field != "abstract" for e in live):
        return True
    return len({e.pattern for e in live}) >= rule.min_hits


def tag_document(doc: Document, rules: RuleSet, *, everything: bool = False) -> TagResult:
    """Tag one paper. Rules that cannot change the result are skipped, unless
    ``everything`` (``explain`` shows every rule that matches)."""
    prepared = _Prepared(doc)
    candidates = rules.candidates(prepared)
    # Rules reading MeSH or publication types run only when the paper has some.
    has_list = rules.list_rules if (doc.mesh or doc.publication_types) else set()
    evidence: list[Evidence] = []
    design, design_rule = "other", None
    outcomes: set[str] = set()
    for r in rules.order:
        rule = rules.rules[r]
        decided = design_rule is not None if rule.axis == "design" else rule.tag in outcomes
        if (decided and not everything) or (r not in candidates and r not in has_list):
            continue
        found = rules.rule_matches(r, prepared, candidates.get(r, []))
        if not found:
            continue
        evidence.extend(found)
        if decided or not _fires(rule, found):
            continue
        if rule.axis == "design":
            design, design_rule = rule.tag, rule.id
        elif rule.axis == "outcome":
            outcomes.add(rule.tag)
    population = POPULATION_OF.get(design, "human")
    n = participants(doc.abstract) if population == "human" else None
    return TagResult(design, design_rule, [o for o in OUTCOMES if o in outcomes], n,
                     population, evidence)
