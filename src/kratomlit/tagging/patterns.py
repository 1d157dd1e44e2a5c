"""Rule patterns compiled for speed: each pattern split into alternatives that start with a
literal (re searches a literal start fast, and tries every position without one), with the
word keys and further words a paper must have before the regex runs at all.

Pure: rules.py reads and validates rules files and builds rules from these.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kratomlit.errors import InputFileError

_QUANTIFIERS = set("?*+{")
# Rules are indexed by the first characters of their literal start: longer keys are
# rarer in documents ("interv" against "inte"), so fewer patterns run per paper.
KEY_LENGTH = 6
_PLAIN = set("abcdefghijklmnopqrstuvwxyz0123456789 -'")


_SPECIAL = re.compile(r"\\.|[()\[\]|]", re.DOTALL)  # an escape, or what nests or splits
# Within a group only what nests counts (a split does not): an escape, a class, a group.
_NESTED = re.compile(r"\\.|[()\[\]]", re.DOTALL)


@functools.lru_cache(maxsize=8192)  # a pattern is read by several of the functions below
def _outside(source: str) -> tuple[tuple[int, str], ...]:
    """(index, character) of the "(", ")" and "|" of a regular expression that are outside
    groups and classes (a group's own parentheses are outside it). Inside a class ("[^)]")
    only its closing bracket counts."""
    found = []
    depth, in_class, at = 0, False, 0
    while special := (_SPECIAL if depth == 0 else _NESTED).search(source, at):
        char, at = special.group(), special.end()
        if len(char) == 2 or in_class and char != "]":
            continue
        if char in ")]":
            depth -= 1
            in_class = False
        if depth == 0 and char in "()|":
            found.append((special.start(), char))
        if char in "([":
            depth += 1
            in_class = char == "["
    return tuple(found)


@functools.lru_cache(maxsize=8192)  # the parts of a pattern split up share their groups
def _top_level_split(source: str) -> tuple[str, ...]:
    """Branches of ``source`` separated by "|" outside groups and classes."""
    if "|" not in source:
        return (source,)  # most patterns: no need to read them character by character
    cuts = [i for i, char in _outside(source) if char == "|"]
    bounds = [-1, *cuts, len(source)]
    return tuple(source[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False))


def _top_groups(source: str) -> list[tuple[int, int]]:
    """(index of "(", index of its ")") of every group outside groups and classes."""
    spans, opened = [], -1
    for i, char in _outside(source):
        if char == "(":
            opened = i
        elif char == ")" and opened >= 0:
            spans.append((opened, i))
            opened = -1
    return spans


def _closing(source: str) -> int:
    """Index of the ")" closing the group that opens ``source``."""
    return next((i for i, char in _outside(source) if char == ")"), -1)


@functools.lru_cache(maxsize=8192)  # alternatives share their parts: analysed once each
def literal_keys(alternative: str) -> frozenset[str] | None:
    """The literal starts (first word-part, at most KEY_LENGTH characters) that a lower-cased
    pattern can begin with: "randomi" for "randomi[sz]ed", {"perf", "cond"} for
    "(?:performed|conducted) a ...". None when the start is not literal. A document
    containing no word that starts with a key cannot match, so the pattern is skipped."""
    branches = _top_level_split(alternative)
    if len(branches) > 1:
        keys: set[str] = set()
        for branch in branches:
            found = literal_keys(branch)
            if found is None:
                return None
            keys |= found
        return frozenset(keys)
    if alternative.startswith("(?:"):
        end = _closing(alternative)
        after = alternative[end + 1 : end + 2]
        if end < 0:
            return None
        if after in ("?", "*"):
            # An optional leading group ending in a separator ("(?:healthy )?volunteers"):
            # the rest still starts a word, and must occur.
            inner = alternative[3:end]
            return literal_keys(alternative[end + 2 :]) if inner[-1:] in " -" else None
        if after and after in _QUANTIFIERS:
            return None
        return literal_keys(alternative[3:end])
    prefix, cut = _literal_start(alternative)
    # Every word of a literal prefix must occur; the longest is the rarest key. Documents
    # are indexed by the first three to KEY_LENGTH characters of their words (a shorter
    # word by itself), so a word cut short by the end of the prefix keys as it is ("theme"
    # for "themes?"), and one shorter than three cannot.
    words = [w for w in re.split(r"[ '\-./]+", prefix) if w]
    if words and cut and len(words[-1]) < 3 and prefix[-1:] not in " '-./":
        words.pop()
    if not words:
        return None
    return frozenset([max(words, key=len)[:KEY_LENGTH]])


@functools.lru_cache(maxsize=8192)
def _literal_start(alternative: str) -> tuple[str, bool]:
    """The literal text a lower-cased pattern starts with ("randomi" for "randomi[sz]ed",
    "e. coli" for "e\\. coli"), and whether it stops inside a word (cut short)."""
    prefix: list[str] = []
    chars = iter(enumerate(alternative))
    for i, char in chars:
        following = alternative[i + 1 : i + 2]
        if char == "\\" and following in (".", "-", "/", " ", "'"):
            if alternative[i + 2 : i + 3] in _QUANTIFIERS:
                return "".join(prefix), True  # an optional separator ("\\.?") may be absent
            prefix.append(following)  # an escaped separator ends a word
            next(chars, None)
            continue
        if char not in _PLAIN:
            return "".join(prefix), True
        if following and following in _QUANTIFIERS:
            # A quantified character may be absent: a letter cuts its word short, and so
            # does a separator ("cd-?1" also matches the one word "cd1").
            return "".join(prefix), True
        prefix.append(char)
    return "".join(prefix), False


def literal_prefix(alternative: str) -> str:
    """The literal text every match of a lower-cased pattern starts with ("" if none)."""
    return _literal_start(alternative)[0]


@dataclass(frozen=True)
class Alternative:
    """One pattern of a rule, compiled so that a literal start uses re's fast search."""

    keys: frozenset[str] | None
    # The regular expression, compiled on first use (see ``regex``). The word boundary
    # before a match is checked by hand (prepared.word_starts): a leading
    # \b or lookbehind would disable re's fast search for a literal start or a first
    # character class, and cost several times more.
    source: str
    pattern: int  # which of the rule's patterns this comes from
    prefix: str = ""  # literal text every match starts with: str.find rules it out fast
    # Every word the pattern can match when it matches single words only ("patients?" ->
    # patient, patients): looked up among a paper's words, no regex needed (``absent``).
    spelled: frozenset[str] | None = None
    # Further words the pattern needs, each a choice of keys ("were (?:recruited|enrolled)"
    # needs "recrui" or "enroll" too): a common first word alone does not run the regex.
    then: tuple[tuple[frozenset[str], bool], ...] = ()  # (words or keys, exact words)
    words: frozenset[str] = frozenset()  # whole words the literal start has

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source)


# A reference to a group by number or name, or a conditional: split into parts, a pattern
# would renumber its groups or refer to one another part has.
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _branches(lowered: str, limit: int = 128) -> list[str]:
    """A pattern that opens with a group of choices, as one pattern per choice:
    "(?:patients|subjects) with" -> "patients with", "subjects with". Each then starts
    with a literal (fast to search) and has its own key (skipped when absent)."""
    if not lowered.startswith("(?:") or _GROUP_REFERENCE.search(lowered):
        return [lowered]
    end = _closing(lowered)
    if end < 0:
        return [lowered]
    choices = _top_level_split(lowered[3:end])
    rest = lowered[end + 2 :]
    if (lowered[end + 1 : end + 2] == "?" and rest and rest[0] not in _QUANTIFIERS
            and all(choice[-1:] in (" ", "-") for choice in choices)):
        # An optional leading group of whole words ("(?:amazon )?mechanical turk") only
        # lengthens what a match shows: without it the pattern finds the same places, and
        # starts with a literal (without a literal start, re tries every position).
        return _branches(rest, limit)
    if lowered[end + 1 : end + 2] in _QUANTIFIERS:
        return [lowered]
    rest = lowered[end + 1 :]
    expanded = [text for choice in choices for text in _branches(choice + rest, limit)]
    return expanded if len(expanded) <= limit else [lowered]


_AFTER_OPTIONAL_WORDS = re.compile(r"[ '\-/]\)(?:[?*+]|\{\d*,?\d*\})\??$")


def _first_words(choices: tuple[str, ...]) -> frozenset[str] | None:
    """The whole first word of every choice ("recruited", "enrolled"), or None when one
    starts with part of a word or with no literal."""
    words = set()
    for choice in choices:
        prefix, cut = _literal_start(choice)
        word = re.match(r"[a-z0-9]+", prefix)
        if not word or (word.end() == len(prefix) and (cut or len(prefix) < len(choice))):
            return None
        words.add(word.group())
    return frozenset(words)


def _then_keys(lowered: str) -> tuple[tuple[frozenset[str], bool], ...]:
    """For each group of choices the pattern needs beyond its start, and that starts a
    word, the words its choices start with (exact: True), else their keys: "the
    (?:patient|case) (?:was|had)" needs one of {"patient", "case"} and of {"was", "had"}."""
    if len(_top_level_split(lowered)) > 1:
        return ()
    found = []
    for i, end in _top_groups(lowered):
        if not i or not lowered.startswith("(?:", i) or lowered[end + 1 : end + 2] in _QUANTIFIERS:
            continue
        before = lowered[:i]
        if before[-1] in " '-/" or _AFTER_OPTIONAL_WORDS.search(before):
            inner = lowered[i + 3 : end]
            # Whole words only when nothing after the group can lengthen them ("(?:a|b)s?").
            ends_word = lowered[end + 1 : end + 2] in ("", " ", "'", "-", "/")
            words = _first_words(_top_level_split(inner)) if ends_word else None
            keys = words or literal_keys(inner)
            if keys:
                found.append((keys, words is not None))
    return tuple(found) + _later_words(lowered)


_SEPARATORS = " '-/"
_LETTERS = set("abcdefghijklmnopqrstuvwxyz0123456789")
_LETTER_RUN = re.compile("[a-z0-9]+")


def _later_words(lowered: str) -> tuple[tuple[frozenset[str], bool], ...]:
    """Words outside groups after the literal start that every match has, each as one
    needed word (exact: True) or key: "was (?:then )?randomi[sz]ed" needs a word starting
    with "random", "patients (?:who )?underwent" the word "underwent". A word counts only
    where it surely starts one: after a separator, or after an optional group of words
    that itself follows a separator."""
    found = []
    depth, opened, i = 0, -1, len(literal_prefix(lowered))
    while i < len(lowered):
        if depth:  # inside a group only its nesting counts: skip to what changes it
            nesting = _NESTED.search(lowered, i)
            if nesting is None:
                break
            i = nesting.start()
        char = lowered[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(lowered, i) + 1
            continue
        if char == "(":
            depth += 1
            opened = i if depth == 1 else opened
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in _LETTERS and lowered[i - 1] not in _LETTERS:
            run = _LETTER_RUN.match(lowered, i)
            end = run.end() if run else i + 1
            if _starts_word(lowered, i, opened):
                word, following = lowered[i:end], lowered[end : end + 1]
                quantified = following in _QUANTIFIERS
                if quantified:
                    word = word[:-1]
                if (not following or following in _SEPARATORS) and lowered[
                        end + 1 : end + 2] not in _QUANTIFIERS:
                    found.append((frozenset([word]), True))
                elif len(word) >= 3:
                    found.append((frozenset([word[:KEY_LENGTH]]), False))
            i = end
            continue
        i += 1
    return tuple(found)


def _starts_word(lowered: str, i: int, opened: int) -> bool:
    """Whether a match has a word start at ``i``: a separator (not an escape's letter, not
    optional) before it, or an optional group of words after a separator."""
    before = lowered[:i]
    if before[-1:] in tuple(_SEPARATORS) and before[-2:-1] != "\\":
        return True
    return (_AFTER_OPTIONAL_WORDS.search(before) is not None and 0 < opened
            and lowered[opened - 1] in _SEPARATORS and lowered[opened - 2 : opened - 1] != "\\")


def _class_end(lowered: str, i: int) -> int:
    """Index of the "]" closing the class that opens at ``i``."""
    j = i + 1
    while j < len(lowered) and lowered[j] != "]":
        j += 2 if lowered[j] == "\\" else 1
    return j


def alternatives(patterns: list[str], where: str, *, spell: bool = False
                 ) -> tuple[Alternative, ...]:
    """A rule's patterns as alternatives. A pattern split into several is compiled whole
    here, so that a bad rules file is one clear error before anything runs (its parts are
    then valid too: see _branches), and each part only when a paper first needs it: most
    parts ("paynantheine-induced …") are rare, and compiling them all up front took half
    the time of loading the rules."""
    compiled = []
    for index, pattern in enumerate(patterns):
        lowered = lower_pattern(pattern)
        found = [_alternative(branch, index, spell) for branch in _branches(lowered)]
        try:
            if len(found) == 1:
                found[0].regex  # noqa: B018 (compiled now: one part runs as often as its rule)
            else:
                re.compile(lowered)
        except re.error as exc:
            raise InputFileError(f"{where}: invalid pattern {pattern!r} ({exc})") from None
        compiled.extend(found)
    return tuple(compiled)


def _alternative(lowered: str, index: int, spell: bool) -> Alternative:
    keys = literal_keys(lowered)
    prefix, cut = _literal_start(lowered)
    words = re.findall(r"\w+", prefix)
    if cut and words and prefix[-1:].isalnum():
        words.pop()  # a word cut short by the end of the literal start
    return Alternative(keys, f"(?:{lowered})(?!\\w)", index, prefix,
                       _spelled(lowered) if spell else None, _then_keys(lowered),
                       frozenset(words))


def _spelled(lowered: str, limit: int = 256) -> frozenset[str] | None:
    """The single words a pattern of letters, optional letters and groups of choices
    matches ("tumou?rs?", "therap(?:y|ies)"), or None for any other pattern."""

    def sequence(i: int) -> tuple[set[str], int]:
        found = {""}
        while i < len(lowered) and lowered[i] not in "|)":
            if lowered.startswith("(?:", i):
                choices, i = set(), i + 3
                while True:
                    part, i = sequence(i)
                    choices |= part
                    if i >= len(lowered):
                        raise ValueError(lowered)
                    i += 1
                    if lowered[i - 1] == ")":
                        break
            elif lowered[i].isalnum() and lowered[i].isascii():
                choices, i = {lowered[i]}, i + 1
            else:
                raise ValueError(lowered)
            if lowered[i:i + 1] == "?":
                choices, i = choices | {""}, i + 1
            found = {a + b for a in found for b in choices}
            if len(found) > limit:
                raise ValueError(lowered)
        return found, i

    try:
        words, end = sequence(0)
    except ValueError:
        return None
    return frozenset(words) if end == len(lowered) and "" not in words else None


def lower_pattern(source: str) -> str:
    """Lower-case a regular expression's letters but not its escapes (\\D stays \\D).

    Rules match lower-cased text without re.IGNORECASE, which is several times faster.
    """
    out = []
    chars = iter(source)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        else:
            out.append(char.lower())
    return "".join(out)
