"""Find the records that describe the same study, however many databases found it.

Pure: records in, pairs out; no store, no I/O. Records are taken in the order given, and a
duplicate always points to an earlier record, so whoever calls this puts the preferred
records (PubMed's) first.

- **Automatic**: the same PMID, or the same DOI (case ignored), when the two titles agree
  (a shared DOI on an erratum, or on every abstract of a conference supplement as Embase has
  it, does not merge two different items on its own: those pairs become candidates).
- **Candidates**, for a reviewer to confirm: titles that agree after normalising (case,
  punctuation, accents, HTML entities, a trailing period; one record's subtitle missing),
  scored by rapidfuzz's normalised Indel similarity (0-100), at least ``THRESHOLD`` with
  years at most one apart (online and print years differ between databases) and the same
  first author. Evidence against the pair (two different DOIs, journals that are not one
  name and its abbreviation, a missing year or first author) raises the bar to ``STRICT``.
- **Kept apart** whatever the titles: a different first author, years further apart, other
  numbers in the titles ("Part 1"/"Part 2", "Phase II", "COVID-19"), a word swapped for
  another ("Thailand"/"Malaysia", "opioid"/"alcohol"), and a notice (erratum, correction,
  retraction, comment, reply) against the article it is about.
- A title shorter than 20 letters must match exactly ("Reply", "Low back pain"): a typo is
  too large a part of it.

Scale: records are blocked by their rarest title words and by year ±1, so each is compared
with the few earlier records sharing a rare word, not with all of them. A record found to
duplicate another is not itself a block member (its study is already there), which keeps
blocks short when one study comes from many sources.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.fuzz import ratio

from kratomlit.parse import fields
from kratomlit.records import Paper

THRESHOLD = 90.0  # title similarity for a candidate: room for typos and spelling variants
STRICT = 97.0  # ... when something speaks against the pair
AGREE = 60.0  # titles of a shared PMID/DOI that agree enough to merge without asking
_SHORT = 20  # shorter normalised titles must match exactly: one letter is a lot of them
_RARE = 3  # rarest title words a record is looked up by
_WORD = 70  # a word this like another is the same word misspelt ("bcak" and "back": 75)
_NON_WORD = re.compile(r"[\W_]+")
_SUBTITLE = re.compile(r"\s*(?::|\?|\s[-\u2013\u2014]\s|\.\s)\s*")
# Read on the title before folding: "Re:" is a reply, "Re-evaluating" is not.
_NOTICE_TITLE = re.compile(
    r"^[\W_]*(?:(?:erratum|errata|corrigendum|correction|retraction|retracted|notice of "
    r"retraction|expression of concern|comments? on|reply|replies|in reply|response to|"
    r"in response|authors?'? reply)\b|re\s*:)", re.IGNORECASE)
_NOTICE_TYPE = re.compile(r"errat|correct|corrigend|retract|concern|comment|repl",
                          re.IGNORECASE)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
          "x": 10, "xi": 11, "xii": 12}
_JOURNAL_STOP = {"the", "of", "and", "for", "in", "on", "de", "la", "le", "des", "du", "et",
                 "y", "der", "und", "fur"}


@dataclass(frozen=True)
class Citation:
    """What matching needs of a record; ``id`` is the caller's (a row id, an index...)."""

    id: Hashable
    pmid: int | None = None
    doi: str | None = None
    title: str = ""
    year: int | None = None
    first_author: str | None = None  # any form: "Smith JA", "Smith, John", "John Smith"
    journal: str | None = None  # full name or abbreviation
    types: tuple[str, ...] = ()  # publication or document types, when known

    @classmethod
    def of(cls, id: Hashable, paper: Paper) -> Citation:
        first = paper.authors[0] if paper.authors else None
        name = None
        if first is not None:  # "de Sá, P" (not "de Sá", which reads as a first name + name)
            name = first.collective_name or (first.last_name and f"{first.last_name}, "
                                             f"{first.fore_name or first.initials or ''}")
        return cls(id=id, pmid=paper.pmid, doi=paper.doi, title=paper.title, year=paper.year,
                   first_author=name,
                   journal=paper.journal or paper.journal_iso,
                   types=tuple(paper.publication_types))


@dataclass(frozen=True)
class Match:
    id: Hashable  # the later record
    duplicate_of: Hashable  # the earlier record it describes the same study as
    method: str  # "pmid", "doi" or "title"
    score: float  # title similarity, 0-100 (0 when a record has no title)
    automatic: bool  # True: merge without asking; False: a candidate for a reviewer


def fold(text: str) -> str:
    """Clean text (``fields.clean``) in lower case, without accents or punctuation; "&" is
    "and"."""
    text = text.replace("&", " and ")
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(sorted(int(w) if w.isdigit() else _ROMAN[w] for w in text.split()
                        if w.isdigit() or w in _ROMAN))


# Names and journals repeat across records: each is read once.
@lru_cache(maxsize=1 << 16)
def _author_key(name: str | None) -> str:
    """The surname (or group) folded, without spaces: "de Sá, P" -> "desa"."""
    author = fields.author(name)
    return fold((author.collective_name or author.last_name or "") if author else "").replace(
        " ", "")


@lru_cache(maxsize=1 << 14)
def _journal_words(journal: str | None) -> tuple[str, ...]:
    return tuple(w for w in fold(fields.clean(journal)).split() if w not in _JOURNAL_STOP)


class _Record:
    """A citation prepared once for every comparison it takes part in."""

    __slots__ = ("citation", "title", "heads", "notice", "typed_notice", "author", "journal",
                 "doi", "year", "words", "lookup")

    def __init__(self, citation: Citation):
        self.citation = citation
        title = fields.clean(citation.title)
        self.title = fold(title)
        # The title cut before each subtitle ("Kratom: a review" -> "kratom"), shortest first.
        heads = [fold(title[:m.start()]) for m in _SUBTITLE.finditer(title)]
        self.heads = [h for h in dict.fromkeys(heads) if h and h != self.title]
        self.notice = bool(_NOTICE_TITLE.match(title))
        self.typed_notice = (any(_NOTICE_TYPE.search(t) for t in citation.types)
                             if citation.types else None)
        self.author = _author_key(citation.first_author)
        self.journal = _journal_words(citation.journal)
        self.doi = fields.doi_key(citation.doi)
        self.year = citation.year
        self.words = set(self.title.split())
        # Words of the shortest head are in every shorter version of the title.
        self.lookup = [self.title, self.heads[0]] if self.heads else [self.title]


def _abbreviates(short: str, long: str) -> bool:
    """"pharmacol" -> "pharmacology", "natl" -> "national": same first letter, then the
    letters in order."""
    if short == long:
        return True
    if short[0] != long[0]:
        return False
    letters = iter(long)
    return all(c in letters for c in short)


def _within(short: Sequence[str], long: Sequence[str]) -> bool:
    words = iter(long)
    return all(any(_abbreviates(s, w) for w in words) for s in short)


def journals_agree(a: Sequence[str], b: Sequence[str]) -> bool:
    """One journal name is the other or its abbreviation ("Drug Alcohol Depend" and "Drug
    and Alcohol Dependence"), words in order; unknown journals agree with anything."""
    return not a or not b or _within(a, b) or _within(b, a)


def _authors_agree(a: str, b: str) -> bool:
    # "smith" and "johnsmith" (a name written "John Smith"), "muller" and "mueller".
    return a == b or (min(len(a), len(b)) >= 3 and (a.endswith(b) or b.endswith(a))) or \
        ratio(a, b) >= 85


def _notices_agree(a: _Record, b: _Record) -> bool:
    if a.notice != b.notice:
        return False
    return a.typed_notice is None or b.typed_notice is None or a.typed_notice == b.typed_notice


def _similarity(a: _Record, b: _Record, cutoff: float) -> tuple[float, str, str]:
    """The best title score, and the two texts it compares: the titles, or one title and
    the other cut before a subtitle (the subtitle one database dropped)."""
    best = (ratio(a.title, b.title, score_cutoff=cutoff), a.title, b.title)
    for one, others in ((a.title, b.heads), (b.title, a.heads)):
        for head in others:
            score = ratio(one, head, score_cutoff=cutoff)
            if score > best[0]:
                best = (score, one, head)
    return best


def _agree(a: _Record, b: _Record) -> bool:
    """Titles of records sharing an identifier that say they are one item."""
    if not _notices_agree(a, b):
        return False
    if not a.title or not b.title:
        return True
    score, one, other = _similarity(a, b, AGREE)
    return score >= AGREE and _numbers(one) == _numbers(other)


def _swapped_words(one: str, other: str) -> bool:
    """Each title has a word the other lacks and has nothing like ("Thailand" for
    "Malaysia", "alcohol" for "opioid"): two studies, not one spelled two ways. A word
    only added or dropped, or misspelt ("withdrawl"), is not a swap."""
    a, b = set(one.split()), set(other.split())
    only_a, only_b = a - b, b - a

    def unmatched(words: set[str], others: set[str]) -> bool:
        return any(len(w) >= 4 and not w.isdigit() and
                   not any(ratio(w, v) >= _WORD for v in others) for w in words)

    return unmatched(only_a, only_b) and unmatched(only_b, only_a)


def _candidate(a: _Record, b: _Record) -> float:
    """The title score of a fuzzy candidate pair, 0 when the pair is kept apart."""
    if not _notices_agree(a, b):
        return 0.0
    if a.author and b.author and not _authors_agree(a.author, b.author):
        return 0.0
    doubt = (a.doi and b.doi and a.doi != b.doi) or not journals_agree(a.journal, b.journal) \
        or not (a.author and b.author) or a.year is None or b.year is None
    score, one, other = _similarity(a, b, STRICT if doubt else THRESHOLD)
    if not score or _numbers(one) != _numbers(other) or _swapped_words(one, other):
        return 0.0
    if min(len(one), len(other)) < _SHORT and (score < 100 or doubt):
        return 0.0  # "Ultrasound" is "Ultrasound: an ode to ...", if nothing speaks against it
    return score


def find(citations: Iterable[Citation]) -> list[Match]:
    """Each record that duplicates an earlier one, with the earlier record it duplicates
    (the first of its study), in the order given."""
    records = [_Record(c) for c in citations]
    frequency = Counter(word for r in records for word in r.words)
    by_pmid: dict[int, int] = {}
    by_doi: dict[str, int] = {}
    root: dict[int, int] = {}  # automatic merges: record -> the first record of its study
    blocks: dict[str, dict[int | None, list[int]]] = {}
    matches: list[Match] = []
    for i, record in enumerate(records):
        match = _exact(i, record, records, by_pmid, by_doi, root)
        if match is None:
            match = _fuzzy(record, records, frequency, blocks)
        if match is None:  # a study seen first here: later records are compared with it
            for word in _keys(record, frequency, every=True):
                blocks.setdefault(word, {}).setdefault(record.year, []).append(i)
        else:
            matches.append(match)
        citation = record.citation
        if citation.pmid is not None:
            by_pmid.setdefault(citation.pmid, i)
        if record.doi:
            by_doi.setdefault(record.doi, i)
    return matches


def _exact(i: int, record: _Record, records: list[_Record], by_pmid: dict[int, int],
           by_doi: dict[str, int], root: dict[int, int]) -> Match | None:
    pmid = record.citation.pmid
    for method, earlier in (("pmid", by_pmid.get(pmid) if pmid is not None else None),
                            ("doi", by_doi.get(record.doi) if record.doi else None)):
        if earlier is None:
            continue
        first = root.get(earlier, earlier)
        automatic = _agree(record, records[first])
        if automatic:
            root[i] = first
        both = record.title and records[first].title
        score = _similarity(record, records[first], 0)[0] if both else 0.0
        return Match(record.citation.id, records[first].citation.id, method, round(score, 1),
                     automatic)
    return None


def _keys(record: _Record, frequency: Counter[str], *, every: bool = False) -> list[str]:
    """The words a record is filed under (all of them), or looked up by (its rarest ones,
    and the rarest of its shortest head, so that a dropped subtitle is found from either
    side). Words no other record has find nothing and are skipped; the start of the
    title finds records whose words are all common (or were mistyped)."""
    prefix = "^" + record.title.replace(" ", "")[:12]
    if every:
        return [prefix, *record.words]
    keys = [prefix]
    for text in record.lookup:
        shared = {w for w in text.split() if frequency[w] > 1}
        keys += sorted(shared, key=lambda w: (frequency[w], -len(w)))[:_RARE]
    return keys


def _fuzzy(record: _Record, records: list[_Record], frequency: Counter[str],
           blocks: dict[str, dict[int | None, list[int]]]) -> Match | None:
    if not record.title:
        return None
    year = record.year
    seen: set[int] = set()
    for key in _keys(record, frequency):
        block = blocks.get(key, {})
        for filed in (block if year is None else (year - 1, year, year + 1, None)):
            seen.update(block.get(filed, ()))
    best, best_score = None, 0.0
    for j in sorted(seen):
        score = _candidate(record, records[j])
        if score > best_score:
            best, best_score = j, score
    if best is None:
        return None
    return Match(record.citation.id, records[best].citation.id, "title",
                 round(best_score, 1), False)

