"""A paper's text made ready for the rules: its fields lower-cased once, the word keys that
rule patterns out before their regex runs, its sentences, and the zone of every place a
rule matches (title, the abstract's background, aims and methods, results, conclusions,
elsewhere; keywords).

Pure (no database); engine.py runs the rules over it.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, filterfalse
from typing import TYPE_CHECKING

from kratomlit.tagging.patterns import KEY_LENGTH, Alternative
from kratomlit.tagging.rules import Rule

if TYPE_CHECKING:
    from kratomlit.tagging.engine import Document

TEXT_FIELDS = ("title", "abstract", "keywords")
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
COMPLETE = tuple(".?!)]\"'”")  # how a field that is not cut off ends
_SENTENCE_END = re.compile(r"[.;?!](?=\s+[A-Z(\[])")
# An objectives section may open with what is known ("OBJECTIVES: Animal studies suggest
# ...; few studies have examined this. We evaluated ..."): background until it turns to
# the study, unless it opens with the aim itself ("To determine ...").
_AIMS_LABEL = re.compile(
    r"\s*(?:OBJECTIVES?|AIMS?|PURPOSE|Objectives?|Aims?|Purpose):\s+(?![Tt]o )")
# Section labels as NLM files them (upper case), and as journals and the PubMed website
# print them ("Background:", "Materials and methods:"): a closed list, so that a capital
# word before a colon in running text is not taken for one.
_SECTION_WORDS = (
    "background", "introduction", "context", "importance", "rationale", "objectives?", "aims?",
    "purpose(?: of (?:the )?review)?", "hypothes[ie]s", "methods?", "methodology", "materials",
    "design", "settings?", "participants", "patients", "subjects", "animals", "procedures?",
    "interventions?", "exposures?", "measurements", "main outcomes?(?: measures?)?",
    "outcomes?(?: measures?)?", "measures", "analysis", "experimental approach",
    "data (?:sources|extraction|synthesis)", "study selection",
    "evidence (?:acquisition|synthesis)", "results", "findings", "key findings", "main findings",
    "recent findings", "conclusions?", "discussion", "summary", "interpretation", "implications",
    "significance", "relevance", "clinical relevance", "cases?",
    "case (?:presentations?|reports?|descriptions?|summary|series)", "limitations",
    "study design", "ethnopharmacological relevance", "aims? of the study", "patient",
    "patient concerns", "clinical (?:case|presentation|findings)", "presentation of (?:the )?case",
    "observations?", "samples?", "study objectives?", "statistical analys[ie]s",
    "primary outcomes?", "key results", "main results", "principal findings",
    "evidence review", "areas covered", "expert opinion", "goals?", "populations?",
    "search (?:methods|strategy)", "selection criteria", "authors' conclusions", "diagnos[ie]s",
    "lessons?", "trial registration", "registration", "funding")
_TITLE_CASE_LABEL = r"(?:{})(?:\(s\))?(?:(?:,? and |, | & |/)(?i:{})(?:\(s\))?){{0,3}}".format(
    "|".join(letter + "(?i:" + "|".join(w[1:] for w in _SECTION_WORDS if w[0] == letter.lower())
             + ")" for letter in sorted({w[0].upper() for w in _SECTION_WORDS})),
    "|".join(_SECTION_WORDS))
_LABEL = r"([A-Z][A-Z ,&/-]{2,40}|" + _TITLE_CASE_LABEL + r"):\s"
# Where a section printed in title case may start though its label is not in the list
# ("Clinical course:"): it ends an opening background section all the same.
_ANY_TITLE_CASE_LABEL = re.compile(
    r"(?<=[.?!])\s+[A-Z][A-Za-z'’]+(?:[ ,/&-]+[A-Za-z'’()]+){0,4}:\s")
_SECTION_LABEL = re.compile(r"(?:^|\s)" + _LABEL)
_THIS_STUDY = re.compile(
    r"\b(?:we|our|this (?:[\w-]+ ){0,3}?(?:study|paper|article|review|report|survey|analysis|case)|"
    r"the present|here|"
    r"aims?|aimed|objectives?|purpose|was to|were to|sought)\b")  # on lower-cased text
# An unstructured case report turns from what is known to its patient at a sentence that
# opens "A 16-year-old boy was referred ..." (not "A 25-year-old man died in 2016 ...", a
# case the background cites).
_PATIENT = re.compile(
    r"\s*an? (?:\d+|[a-z]+(?:-[a-z]+)?)[- ](?:year|month|week|day)s?[- ]old "
    r"(?:[\w-]+ ){0,2}?(?:man|woman|boy|girl|male|female|patient|infant|neonate|newborn|child|"
    r"adolescent|teenager|veteran|mother)\b(?:[^.?!]*? )?(?:presented|presenting|was (?:admitted|"
    r"brought|referred|seen|evaluated|transferred)|came|arrived|attended|developed|reported|"
    r"complained|sought)\b")  # on lower-cased text
# The zone of a labelled section, by the first word group its label contains.
_LABEL_ZONES = (
    # The Journal of Ethnopharmacology opens with ETHNOPHARMACOLOGICAL RELEVANCE (NLM files
    # it as background), before RELEVANCE below would make it a conclusion.
    (("BACKGROUND", "INTRODUCTION", "CONTEXT", "IMPORTANCE", "RATIONALE", "ETHNO"),
     "background"),
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
# A pattern to run in a text field: (rule, field, pattern) numbered in that order, see
# numbering (sorting numbers is faster than sorting triples).
Candidate = int
# A candidate whose start needs more than its key: the keys of the word groups that must
# follow, and the whole words of its literal start.
Needs = tuple[Candidate, tuple[tuple[frozenset[str], bool], ...], frozenset[str]]
Index = dict[str, tuple[list[Candidate], list[Needs]]]
Unless = tuple[frozenset[str], dict[str, list[Alternative]], list[Alternative]]


def _sentence(doc: Prepared, name: str, start: int, end: int) -> str:
    """The lower-cased sentence around a match (boundaries read from the original case)."""
    ends = doc.sentence_ends(name)
    i = bisect.bisect_right(ends, start)
    left = ends[i - 1] if i else 0
    right = ends[i] if i < len(ends) else len(doc.lowered[name])
    return doc.lowered[name][left:right]


# Bytes that are not part of a \w word become spaces: ASCII ones, exactly; the bytes of
# other characters stay, and the runs holding them are split by the regex after.
_NOT_WORD = bytes(b if b >= 128 or chr(b).isalnum() or chr(b) == "_" else 32
                  for b in range(256))


def word_set(text: str) -> set[str]:
    """The ``\\w+`` words of a text, split at bytes by bytes.translate (a regex making
    every word costs twice as much); only runs with other than ASCII characters in them
    (a "±", "naïve") go through the regex."""
    runs = text.encode().translate(_NOT_WORD).decode().split()
    if text.isascii():
        return set(runs)
    words = set(filter(str.isascii, runs))
    for run in filterfalse(str.isascii, runs):
        words.update(_WORD.findall(run))
    return words


class WordKeys:
    """The keys of a rule set (see patterns.literal_keys) that words start with: their
    first three to KEY_LENGTH characters, where a rule has such a key.

    Worked out once per distinct word and remembered: the words of a literature recur,
    and four slices of every word of every paper cost more than the rest of reading it.
    """

    LIMIT = 500_000  # distinct words remembered; then it starts again (memory stays flat)

    def __init__(self, keys: Iterable[str]):
        self.wanted = frozenset(keys)
        self._known: dict[str, tuple[str, ...]] = {}

    def __call__(self, words: set[str]) -> set[str]:
        known = self._known
        if len(known) > self.LIMIT:
            known.clear()
        for word in filterfalse(known.__contains__, words):
            known[word] = tuple({word[:n] for n in range(3, KEY_LENGTH + 1)} & self.wanted)
        return set(chain.from_iterable(map(known.__getitem__, words)))


class Prepared:
    """A document's fields lower-cased once (rules are compiled lower-case)."""

    def __init__(self, doc: Document, word_keys: WordKeys):
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
            lowered = lowered if len(lowered) == len(text) else _fold(text)
            if not lowered.isascii():
                # Typeset hyphens ("case–control", "cross‐sectional") read as the hyphen
                # the patterns spell: one character for one, so offsets hold. (replace, not
                # translate: a hundred times faster on a whole abstract)
                for hyphen in _HYPHENS:
                    if hyphen in lowered:
                        lowered = lowered.replace(hyphen, "-")
            self.lowered[name] = lowered
        # The rules' keys that the field's words start with: a rule alternative whose
        # literal start is missing cannot match, and is skipped without running its regex.
        self.keys: dict[str, set[str]] = {}
        self.words: dict[str, set[str]] = {}
        for name, lowered in self.lowered.items():
            words = self.words[name] = word_set(lowered)
            self.keys[name] = word_keys(words)
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

    def negated(self, rule: Rule, unless: Unless, name: str, start: int, end: int) -> bool:
        """Whether one of the rule's ``unless`` patterns occurs in the match's sentence
        (once per rule and sentence)."""
        possible = self._unless.get((rule.id, name))
        if possible is None:  # those whose words the field has at all, once per rule
            possible = self._unless[rule.id, name] = self._possible(unless, name)
        if not possible:
            return False
        key = (rule.id, name, bisect.bisect_right(self.sentence_ends(name), start))
        found = self._negated.get(key)
        if found is None:
            sentence = _sentence(self, name, start, end)
            found = self._negated[key] = any(_in_text(alternative, sentence)
                                             for alternative in possible)
        return found

    def _possible(self, unless: Unless, name: str) -> list[Alternative]:
        """The unless patterns whose words the field has (each once, though several of its
        keys may be there)."""
        keys, by_key, unkeyed = unless
        doc_keys, words = self.keys[name], self.words[name]
        found: dict[int, Alternative] = {}
        for alternative in chain(chain.from_iterable(map(by_key.__getitem__, keys & doc_keys)),
                                 unkeyed):
            if alternative.words <= words and _has_needed(alternative, words, doc_keys):
                found[id(alternative)] = alternative
        return list(found.values())

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
                              for m in _section_labels(text)
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
        words = word_set(sentence)
        for zone, cues, phrases in _SENTENCE_KINDS:
            if not cues.isdisjoint(words) or any(map(sentence.__contains__, phrases)):
                return zone
        return "results" if _DIGIT.search(sentence) else "other"


# _SECTION_LABEL in two parts: after a space (re skips fast to a space, not to "^ or a
# space"), and at the very start.
_LABEL_AFTER_SPACE = re.compile(r"\s" + _LABEL)
_LABEL_AT_START = re.compile(_LABEL)


def _section_labels(text: str) -> list[re.Match[str]]:
    """What ``_SECTION_LABEL.finditer(text)`` finds, twice as fast."""
    first = _LABEL_AT_START.match(text)
    found = [first] if first else []
    found.extend(_LABEL_AFTER_SPACE.finditer(text, first.end() if first else 0))
    return found


@functools.lru_cache(maxsize=512)
def _label_zone(label: str) -> str:
    label = label.upper()
    for words, zone in _LABEL_ZONES:
        if any(word in label for word in words):
            return zone
    return "other"


def _background_end(abstract: str, lowered: str, ends: list[int]) -> tuple[int, bool]:
    """Where the background ends, and whether a sentence about the study starts there.

    The background is the abstract's opening section when its label is in the background
    zone (BACKGROUND, INTRODUCTION, ...), or, in an unstructured abstract, the sentences
    before the first one about this study. Outcomes named only there do not tag
    (TAXONOMY.md: a background mention does not earn the tag)."""
    first = _LABEL_AT_START.match(abstract)
    labelled = first if first and _label_zone(first.group(1)) == "background" else None
    aims = None if labelled else _AIMS_LABEL.match(abstract)
    opened = labelled or aims
    if opened:
        section = _LABEL_AFTER_SPACE.search(abstract, opened.end())  # not at 0
        limit = section.start() if section else len(abstract)
        if not opened.group().isupper():
            unlisted = _ANY_TITLE_CASE_LABEL.search(abstract, opened.end(), limit)
            limit = unlisted.start() if unlisted else limit
    elif _SECTION_LABEL.match(abstract):
        return 0, False  # structured, opening with its aims or methods
    else:
        limit = len(abstract) // 2  # an unstructured abstract is mostly about its study
    start = opened.end() if opened else 0
    cue = _THIS_STUDY.search(lowered, start)
    if not opened:  # tried at each sentence start before the cue (a regex search is slow)
        before = cue.start() if cue else len(lowered)
        cue = next(filter(None, (_PATIENT.match(lowered, at) for at in chain((0,), ends)
                                 if at < before)), cue)
    if cue:
        # The background ends where the first sentence about the study starts, if that
        # sentence starts within the background's limit (an objectives section that
        # opens with the study has none).
        i = bisect.bisect_right(ends, cue.start())
        sentence = max(start, ends[i - 1] if i else 0)
        if sentence <= limit and not (aims and sentence == start):
            return sentence, True
    # A labelled section is background to its end; an unstructured abstract that never
    # turns to "this study" (a commentary, a review, one cut short) is all content.
    return limit if labelled else 0, False


_HYPHENS = "\u2010\u2011\u2012\u2013\u2212"


def _fold(text: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def occurs(alternative: Alternative, doc: Prepared, name: str) -> bool:
    """Whether one pattern occurs (as whole words) in a text field; its regex runs only
    where the field has the words it needs (most patterns without a literal start try
    every position)."""
    keys = doc.keys[name]
    if alternative.keys is not None and alternative.keys.isdisjoint(keys) or not _has_needed(
            alternative, doc.words[name], keys):
        return False
    return _in_text(alternative, doc.lowered[name])


def _has_needed(alternative: Alternative, words: set[str], keys: set[str]) -> bool:
    """Whether a field has the words (or word starts) a pattern needs after its start."""
    return all(not need.isdisjoint(words if exact else keys)
               for need, exact in alternative.then)


def _in_text(alternative: Alternative, lowered: str) -> bool:
    """Whether one pattern occurs (as whole words) in a lower-cased text."""
    first = lowered.find(alternative.prefix) if alternative.prefix else 0
    if first < 0:
        return False
    regex = alternative.regex
    found_at = regex.search(lowered, first)
    return found_at is not None and any(word_starts(regex, lowered, found_at))


def word_starts(regex: re.Pattern[str], lowered: str, hit: re.Match[str] | None
                ) -> Iterator[re.Match[str]]:
    """The matches from ``hit`` on that start a word, as a leading lookbehind would find
    them. Patterns carry none (see patterns.Alternative.source), so the boundary is checked
    here: a match refused for starting inside a word may hide one starting inside it, so
    the search goes on from the next character; after an accepted one, from its end (one
    further if it was empty, as finditer does)."""
    while hit is not None:
        start, end = hit.span()
        if start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
            after = start + 1
        else:
            yield hit
            after = end if end > start else end + 1
        hit = regex.search(lowered, after) if after <= len(lowered) else None


def numbering(rules: list[Rule]) -> Callable[[int, int, int], Candidate]:
    """The number of each (rule, text field, pattern) triple: numbers sort as the triples
    do."""
    stride = 1 + max((len(rule.alternatives) for rule in rules), default=0)
    return lambda r, f, a: (r * len(TEXT_FIELDS) + f) * stride + a


def absent_index(rules: list[Rule]) -> dict[int, tuple[frozenset[str], list[Alternative]]]:
    """Per rule with ``absent`` patterns, the words its single-word patterns match (one
    set lookup among a paper's words) and its other patterns (run one by one)."""
    return {r: (frozenset().union(*(a.spelled for a in rule.absent if a.spelled)),
                [a for a in rule.absent if not a.spelled])
            for r, rule in enumerate(rules) if rule.absent}


def field_index(rules: list[Rule], name: str) -> tuple[Index, Index, list[Candidate]]:
    """One text field's candidates under the rarest word their literal start needs: a
    whole word (looked up among a document's words) when it has one, else the start of one
    (among its word starts, see Prepared.keys); and those without a literal start.
    Candidates that need more words carry them, and are checked one by one."""
    by_word: Index = {}
    by_key: Index = {}
    always: list[Candidate] = []
    f = TEXT_FIELDS.index(name)
    number = numbering(rules)
    for r, rule in enumerate(rules):
        if name not in rule.fields:
            continue
        for a, alternative in enumerate(rule.alternatives):
            words = alternative.words
            candidate = number(r, f, a)
            later = _rarest(alternative.then)
            under_later = [(by_word if later[1] else by_key, key)
                           for key in sorted(later[0])] if later else []
            if alternative.keys is None:
                # No literal start, but maybe words further on that every match has ("re-?
                # established contact with"): under the rarest, the regex (which tries every
                # position) runs only on papers that have it.
                if not under_later:
                    always.append(candidate)
                    continue
                entries, more = under_later, True
            elif words and len(alternative.keys) == 1:
                # Under the longer, so rarer, of its longest whole word and its key (a word
                # start: "editor" against "to" and "the" in "to the editor"); the whole
                # words stay required.
                word, key = max(sorted(words), key=len), next(iter(alternative.keys))
                if len(key) > len(word):
                    entries, more = [(by_key, key)], True
                else:
                    entries, more = [(by_word, word)], len(words) > 1
                # A later word may be rarer than the words it starts with ("is ... safe"):
                # filed under it, the candidate is looked at only when a paper has it (the
                # words it starts with stay required).
                if later and min(map(len, later[0])) > len(entries[0][1]):
                    entries, more = under_later, True
            else:
                entries = [(by_key, key) for key in alternative.keys]
                more = bool(words)
            for index, key in entries:
                plain, needing = index.setdefault(key, ([], []))
                if alternative.then or more:
                    needing.append((candidate, alternative.then, words))
                else:
                    plain.append(candidate)
    return by_word, by_key, always


def _rarest(then: tuple[tuple[frozenset[str], bool], ...]) -> tuple[frozenset[str], bool] | None:
    """Of the words a pattern needs further on, the choice whose shortest word is longest
    (the longer a word, the rarer)."""
    return max(then, key=lambda need: min(map(len, need[0])), default=None)
