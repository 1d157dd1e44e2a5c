"""What a study found and about what: its finding, substances, countries and measures.

Pure functions over a paper's text, run beside tagging; no store, and no I/O but reading
the vocabulary (extract.toml, countries.toml, the [terms] of rules.toml, and the user's
rules files, which may extend all of them).

The finding is always the abstract's own words: its CONCLUSION(S)/INTERPRETATION section,
or else its concluding sentences that state a result, at most about 300 characters (cut at
a sentence and marked "…" when shortened), and empty when there is none. Substances,
measures and countries are names from the vocabulary, never free text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from kratomlit.errors import InputFileError
from kratomlit.records import AbstractSection
from kratomlit.tagging.finding import _lower, _role, finding
from kratomlit.tagging.rules import (
    Terms,
    _top_level_split,
    literal_prefix,
    lower_pattern,
    merged_terms,
    rules_texts,
    spell_terms,
    term_words,
)


@dataclass(frozen=True)
class Extraction:
    finding: str = ""
    substances: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # named in the title, abstract or keywords
    # From the first author's affiliation, only when the record itself names no country.
    countries_inferred: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()


# --- substances, measures, countries --------------------------------------------------------

class _Pattern(NamedTuple):
    kind: str  # "substances", "measures" or "countries"
    value: str | None  # what a match names; None for a phrase that names nothing
    regex: re.Pattern[str]
    any_case: bool  # matched in the lower-cased text
    prefix: str  # lower-case text every match starts with: str.find rules a paper out fast
    demonym: bool = False  # counts only before a word for people ("Thai adults")
    also: bytes = b""  # a second word the paper must have


class _Hit(NamedTuple):
    start: int
    end: int
    value: str | None


# Bytes that are not part of a word become spaces; UTF-8 bytes of letters like ô stay.
_NOT_WORD = bytes(b if chr(b).isalnum() and chr(b).islower() or chr(b).isdigit() or b >= 128
                  else 32 for b in range(256))


def _word_keys(literal: str, complete: bool) -> list[bytes]:
    """Words a paper must have for a match starting with ``literal`` (lower case) to be
    possible: its two longest whole words (the longer, the rarer). ``complete`` says the
    literal's last word is whole ("phq" of "phq-9"; not "opiat" of "opiates?")."""
    words = literal.encode().translate(_NOT_WORD).split()
    if words and not complete and literal[-1:].isalnum():
        words.pop()
    return sorted(set(words), key=lambda w: (-len(w), w))[:2]


# After a literal, what ends its last word: the end, a lookahead, or punctuation, even an
# optional part that starts with it ("(?:-biak)?", ",? "); but not "-?", which may join
# the next word to it ("PHQ-?9" is also "PHQ9").
_WORD_ENDS = re.compile(r"$|\(\?[!=]|(?:\(\?:|\[)?(?:[ ,;:'/.)]|\\[ .]|-(?![?*]))")


_PLACE_BEFORE = re.compile(r"(?<![\w-])[A-Z][a-z]+$")


class Vocabulary:
    """The compiled substances, measures and countries, found in a paper's text.

    Tagging 30,000 papers must stay within seconds, and most papers name none of these
    things: a pattern is only tried when the words it needs are among the paper's words (one
    set intersection), and then from where its literal start first occurs.
    """

    def __init__(self, substances: dict[str, list[str]], measures: dict[str, list[str]],
                 countries: dict[str, dict[str, list[str]]], people: list[str],
                 not_places: list[str]):
        self.rank: dict[tuple[str, str], int] = {}
        self._known = {"substances": list(substances), "measures": list(measures),
                       "countries": sorted({v for names in countries.values() for v in names})}
        self._aliases = {kind: {name.lower(): name for name in names}
                         for kind, names in self._known.items()}
        for value, spelled in countries.get("names", {}).items():  # "USA", "the US"
            self._aliases["countries"].update(
                {s.lower().removeprefix("the "): value for s in spelled})
        self.by_key: dict[bytes, list[_Pattern]] = {}
        self.always: list[_Pattern] = []
        for kind, table in (("substances", substances), ("measures", measures)):
            for value, patterns in table.items():
                self.rank[kind, value] = len(self.rank)
                for pattern in patterns:
                    self._add_pattern(kind, value, pattern)
        # At most three words between ("Chinese breast cancer patients").
        words = "|".join(re.escape(w) for w in people)
        self.people = re.compile(rf" (?:[\w'-]+ ){{0,3}}?(?:{words})\b", re.IGNORECASE)
        for table_name, names in countries.items():
            for value, spelled in names.items():
                for name in spelled:
                    self._add_name(value, name, table_name == "demonyms")
        for phrase in not_places:
            self._add_name(None, phrase, False)
        # Every word a pattern needs: the paper's words are looked up here once.
        self.keys = set(self.by_key) | {p.also for ps in self.by_key.values() for p in ps if p.also}
        # An affiliation is read for its countries only: it runs their patterns alone.
        self.country_by_key = {key: [p for p in ps if p.kind == "countries"]
                               for key, ps in self.by_key.items()}
        self.country_always = [p for p in self.always if p.kind == "countries"]

    def known(self, kind: str) -> list[str]:
        """Every name of a kind ("substances", "measures", "countries")."""
        return self._known[kind]

    def name_for(self, kind: str, given: str) -> str | None:
        """The name a user means, in any case ("usa": "United States"), or None."""
        return self._aliases[kind].get(given.strip().lower())

    def _add(self, keys: list[bytes], pattern: _Pattern) -> None:
        if keys:
            pattern = pattern._replace(also=keys[1] if len(keys) > 1 else b"")
            self.by_key.setdefault(keys[0], []).append(pattern)
        else:
            self.always.append(pattern)

    def _add_pattern(self, kind: str, value: str, source: str) -> None:
        # Acronyms are written in capitals: "AUDIT" is the test, "an audit" is not.
        any_case = bool(re.search(r"[a-z]", re.sub(r"\\.", "", source)))
        for branch in _top_level_split(source):  # "a|b": each has its own literal start
            lowered = lower_pattern(branch)
            regex = re.compile(f"(?:{lowered if any_case else branch})(?!\\w)")
            prefix = literal_prefix(lowered)
            complete = lowered.startswith(prefix) and bool(
                _WORD_ENDS.match(lowered, len(prefix)))
            self._add(_word_keys(prefix, complete),
                      _Pattern(kind, value, regex, any_case, prefix))

    def _add_name(self, value: str | None, name: str, demonym: bool) -> None:
        # Words in lower case before a name are context it needs ("the US"): the match
        # starts at the name itself.
        context, _, rest = name.rpartition(" ") if name[:1].islower() else ("", "", name)
        behind = "|".join(f"(?<={re.escape(c)} )" for c in (context, context.capitalize()))
        behind = f"(?:{behind})" if context else ""
        regex = re.compile(behind + re.escape(rest) + r"(?!\w)")
        self._add(_word_keys(rest.lower(), True),
                  _Pattern("countries", value, regex, False, _lower(rest), demonym))

    def hits(self, text: str, lowered: str, *, countries_only: bool = False
             ) -> dict[str, list[_Hit]]:
        """Every match in ``text`` (``lowered`` is the same text lower-cased), per kind
        (``countries_only``: of countries only, the other kinds left empty)."""
        found: dict[str, list[_Hit]] = {"substances": [], "measures": [], "countries": []}
        by_key, always = ((self.country_by_key, self.country_always) if countries_only
                          else (self.by_key, self.always))
        present = self.keys.intersection(lowered.encode().translate(_NOT_WORD).split())
        patterns = [p for key in present for p in by_key.get(key, ())
                    if not p.also or p.also in present]
        firsts: dict[str, int] = {}  # patterns often share their literal start
        for pattern in patterns + always:
            first = firsts.get(pattern.prefix)
            if first is None:
                first = firsts[pattern.prefix] = lowered.find(pattern.prefix)
            if first < 0:
                continue
            for m in pattern.regex.finditer(lowered if pattern.any_case else text, first):
                start = m.start()
                before = lowered[start - 1] if start else " "
                # Inside a word ("focus" is not "US"); after a hyphen, part of another word
                # ("non-Malaysian", "7-OH-mitragynine"), unless a country's name follows a
                # place's ("Afyonkarahisar-Turkey").
                if before.isalnum() or before == "_" or before == "-" and not (
                        pattern.kind == "countries" and not pattern.demonym
                        and _PLACE_BEFORE.search(text, 0, start - 1)):
                    continue
                if pattern.demonym and not self.people.match(text, m.end()):
                    continue
                found[pattern.kind].append(_Hit(start, m.end(), pattern.value))
        return found

    def names(self, kind: str, hits: list[_Hit], region: int | None = None) -> list[str]:
        """What the hits name, each once: substances in vocabulary order; measures too, and
        countries in order of first mention, where of two overlapping hits only the longer
        counts ("PTSD Checklist for DSM-5" is the PCL-5, not the DSM-5 too)."""
        kept: list[str] = []
        reach = -1
        # Ties broken by name: the hits come in an order that varies from run to run.
        for hit in sorted(hits, key=lambda h: (h.start, -h.end, h.value or "")):
            if region is not None and hit.start >= region:
                break
            if kind != "substances":
                if hit.start < reach:
                    continue
                reach = hit.end
            if hit.value is not None and hit.value not in kept:
                kept.append(hit.value)
        return kept if kind == "countries" else sorted(kept, key=lambda v: self.rank[kind, v])

    def extract(self, title: str, sections: Sequence[AbstractSection],
                keywords: Sequence[str] = (), mesh: Sequence[str] = (),
                affiliation: str | None = None) -> Extraction:
        """Finding, substances, countries and measures of one paper. ``affiliation`` is the
        first author's: its countries are kept apart, and only used when the title, abstract
        and keywords name none."""
        parts = [title, *(s.text for s in sections), "; ".join(keywords), "; ".join(mesh)]
        text = "\n".join(parts)
        lowered = _lower(text)
        hits = self.hits(text, lowered)
        found = any(hits.values())
        aside = _aside(sections, lowered, len(title) + 1, hits) if found else []
        mesh_start = len(text) - len(parts[-1])  # MeSH names substances, not the setting

        def names(kind: str, end: int = len(text)) -> list[str]:
            return self.names(kind, [h for h in hits[kind] if h.start < end and not any(
                start <= h.start < stop for start, stop in aside)]) if hits[kind] else []

        countries = names("countries", mesh_start)
        inferred: list[str] = []
        if not countries and affiliation:
            inferred = self.names("countries", self.hits(
                affiliation, _lower(affiliation), countries_only=True)["countries"])
        return Extraction(finding(sections), tuple(names("substances")), tuple(countries),
                          tuple(inferred), tuple(names("measures")))

    def matches(self, title: str, sections: Sequence[AbstractSection],
                keywords: Sequence[str] = (), mesh: Sequence[str] = (),
                affiliation: str | None = None) -> list[tuple[str, str, str]]:
        """(kind, name, words) for each name ``extract`` gives: the words of its first match
        that counts, in the text's order (kind "countries_inferred": in the affiliation)."""
        found = self.extract(title, sections, keywords, mesh, affiliation)
        text = "\n".join([title, *(s.text for s in sections), "; ".join(keywords),
                          "; ".join(mesh)])
        hits = self.hits(text, _lower(text))
        aside = _aside(sections, _lower(text), len(title) + 1, hits)
        where = {kind: (text, hits[kind], aside) for kind in hits}
        if found.countries_inferred and affiliation:
            where["countries_inferred"] = (affiliation, self.hits(
                affiliation, _lower(affiliation), countries_only=True)["countries"], [])
        words = []
        for kind in ("substances", "countries", "countries_inferred", "measures"):
            source, found_hits, spans = where[kind] if kind in where else ("", [], [])
            for name in getattr(found, kind):
                hit = min((h for h in found_hits if h.value == name and not any(
                    start <= h.start < stop for start, stop in spans)),
                    key=lambda h: (h.start, -h.end), default=None)
                if hit:
                    words.append((kind, name, source[hit.start:hit.end]))
        return words


# Where a paper says what was known before it, or who paid for it, it names places and
# substances that are not its own: the labelled BACKGROUND (or funding, disclosure)
# sections, and in an unlabelled abstract the sentences before the first about the study.
_THIS_STUDY = re.compile(
    r"\b(?:we|our|here|this (?:[\w-]+ ){0,3}?(?:study|paper|article|review|report|survey|"
    r"analysis|case|trial|work)|the present|aims?|aimed|objectives?|purpose|sought)\b")


def _aside(sections: Sequence[AbstractSection], lowered: str, offset: int,
           hits: dict[str, list[_Hit]]) -> list[tuple[int, int]]:
    """Spans of a paper's text (title, sections, ... joined by newlines, here lower-cased;
    the first section at ``offset``) that are background or administration, not the study."""
    spans = []
    starts = sorted(h.start for found in hits.values() for h in found)
    for section in sections:
        start, end = offset, offset + len(section.text)
        offset = end + 1
        role = _role(section.label, section.category)
        if role in ("admin", "background"):
            spans.append((start, end))
        elif role == "opening" and any(start <= h < start + len(section.text) // 2
                                       for h in starts):
            # Only worked out when something was found in the section's first half.
            study = _THIS_STUDY.search(lowered, start, start + len(section.text) // 2)
            if study:
                stop = lowered.rfind(". ", start, study.start())
                if stop >= 0:
                    spans.append((start, stop + 1))
    return spans


# --- loading ------------------------------------------------------------------------------

_SHIPPED = ("extract.toml", "countries.toml")
_COUNTRY_TABLES = ("names", "places", "demonyms")


def _named_lists(table: object, where: str, name: str) -> dict[str, list[str]]:
    if table is None:
        return {}
    if not isinstance(table, dict) or not all(
            isinstance(v, list) and all(isinstance(w, str) for w in v) for v in table.values()):
        raise InputFileError(f"{where}: [{name}] must map names to lists of strings")
    return table


def _expand(pattern: str, terms: Terms, where: str) -> list[str]:
    """A pattern with its {name}s spelled out from the [terms] lists: one pattern per word
    of a list it starts with, so each starts with a literal word of its own ("{kratom} tea":
    "kratom tea", "ketum tea", ...); later ones as alternatives ("extract of (?:kratom|..)")."""
    lead = re.match(r"\{([a-z_]+)\}", pattern)
    rest = spell_terms(pattern[lead.end():] if lead else pattern, terms, where)
    heads = term_words(terms, lead.group(1), where) if lead else [""]
    return [head + rest for head in heads]


def _checked(patterns: list[str], where: str) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputFileError(f"{where}: invalid pattern {pattern!r} ({exc})") from None
    return patterns


def load_vocabulary(extra: list[Path] | None = None) -> Vocabulary:
    """The shipped vocabulary, extended by the user's rules files (``config.rule_files``):
    their [substances], [measures] and [countries.*] tables add names and patterns, and
    their [terms] add words to the lists that substances use."""
    files = rules_texts(extra)
    terms = merged_terms(files)
    package = resources.files("kratomlit.tagging")
    sources = [(f"built-in {name}", package.joinpath(name).read_text("utf-8"))
               for name in _SHIPPED] + files[1:]
    substances: dict[str, list[str]] = {}
    measures: dict[str, list[str]] = {}
    countries: dict[str, dict[str, list[str]]] = {name: {} for name in _COUNTRY_TABLES}
    people: list[str] = []
    not_places: list[str] = []
    for where, text in sources:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputFileError(f"{where}: not valid TOML ({exc})") from None
        for name, patterns in _named_lists(data.get("substances"), where, "substances").items():
            substances.setdefault(name, []).extend(_checked(
                [p for pattern in patterns for p in _expand(pattern, terms, where)], where))
        for name, patterns in _named_lists(data.get("measures"), where, "measures").items():
            measures.setdefault(name, []).extend(_checked(patterns, where))
        country = data.get("countries", {})
        if not isinstance(country, dict):
            raise InputFileError(f"{where}: [countries] must be tables")
        for table in _COUNTRY_TABLES:
            for name, spelled in _named_lists(country.get(table), where,
                                              f"countries.{table}").items():
                countries[table].setdefault(name, []).extend(spelled)
        people += _named_lists(country.get("people"), where, "countries.people").get("words", [])
        not_places += _named_lists(country.get("not_places"), where,
                                   "countries.not_places").get("phrases", [])
    return Vocabulary(substances, measures, countries, people, not_places)
