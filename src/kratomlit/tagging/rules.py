"""Tagging rules as data: loading, validating and compiling rules files (TOML).

A rule reads some fields of a paper and matches where one of its patterns matches,
unless one of its ``unless`` patterns matches in the same sentence (the negations
that matter: "non-randomized", "no randomized trials were found"). Each match adds the
rule's weight, scaled by where it stands (the [scoring] zones), to its tag's score. The
shipped rules live in ``rules.toml`` beside this module; users add their own files, whose
rules replace shipped rules with the same id and add the others.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kratomlit.errors import InputFileError
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, POPULATIONS

FIELDS = ("title", "abstract", "mesh", "publication_types", "keywords")
# Where a match stands: the title, the abstract's parts, keywords and NLM's lists.
ZONES = ("title", "aims", "results", "conclusions", "other", "background", "keywords", "mesh",
         "publication_types")
AXES = {"design": DESIGNS, "outcome": OUTCOMES, "population": POPULATIONS}
LIST_FIELDS = {"mesh", "publication_types"}


_QUANTIFIERS = set("?*+{")
# Rules are indexed by the first characters of their literal start: longer keys are
# rarer in documents ("interv" against "inte"), so fewer patterns run per paper.
KEY_LENGTH = 6
_PLAIN = set("abcdefghijklmnopqrstuvwxyz0123456789 -'")


def _scan(source: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, nesting depth) for the characters of a regular expression that
    are not escaped; depth counts open groups and classes. Inside a class ("[^)]") only
    its closing bracket counts."""
    depth, escaped, in_class = 0, False, False
    for i, char in enumerate(source):
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
            continue
        if in_class and char != "]":
            continue
        if char in ")]":
            depth -= 1
            in_class = False
        yield i, char, depth
        if char in "([":
            depth += 1
            in_class = char == "["


def _top_level_split(source: str) -> list[str]:
    """Branches of ``source`` separated by "|" outside groups and classes."""
    cuts = [i for i, char, depth in _scan(source) if char == "|" and depth == 0]
    bounds = [-1, *cuts, len(source)]
    return [source[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _closing(source: str) -> int:
    """Index of the ")" closing the group that opens ``source``."""
    return next((i for i, char, depth in _scan(source) if char == ")" and depth == 0), -1)


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


def _literal_start(alternative: str) -> tuple[str, bool]:
    """The literal text a lower-cased pattern starts with ("randomi" for "randomi[sz]ed",
    "e. coli" for "e\\. coli"), and whether it stops inside a word (cut short)."""
    prefix: list[str] = []
    chars = iter(enumerate(alternative))
    for i, char in chars:
        following = alternative[i + 1 : i + 2]
        if char == "\\" and following in (".", "-", "/", " ", "'"):
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
    regex: re.Pattern[str]
    check_left: bool  # the word boundary before the match is checked by hand
    pattern: int  # which of the rule's patterns this comes from
    prefix: str = ""  # literal text every match starts with: str.find rules it out fast
    # Further words the pattern needs, each a choice of keys ("were (?:recruited|enrolled)"
    # needs "recrui" or "enroll" too): a common first word alone does not run the regex.
    then: tuple[tuple[frozenset[str], bool], ...] = ()  # (words or keys, exact words)
    words: frozenset[str] = frozenset()  # whole words the literal start has


def _branches(lowered: str, limit: int = 64) -> list[str]:
    """A pattern that opens with a group of choices, as one pattern per choice:
    "(?:patients|subjects) with" -> "patients with", "subjects with". Each then starts
    with a literal (fast to search) and has its own key (skipped when absent)."""
    if not lowered.startswith("(?:"):
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


def _first_words(choices: list[str]) -> frozenset[str] | None:
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
    for i, char, depth in _scan(lowered):
        if char != "(" or depth or not i or not lowered.startswith("(?:", i):
            continue
        end = i + _closing(lowered[i:])
        if end < i or lowered[end + 1 : end + 2] in _QUANTIFIERS:
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
    return tuple(found)


def _alternatives(patterns: list[str], where: str) -> tuple[Alternative, ...]:
    compiled = []
    for index, pattern in enumerate(patterns):
        for lowered in _branches(lower_pattern(pattern)):
            keys = literal_keys(lowered)
            # A leading \b (or lookbehind) disables re's literal-prefix search and costs
            # ten times more, so the left boundary is checked in Python when possible.
            source = f"(?:{lowered})(?!\\w)" if keys else f"(?<!\\w)(?:{lowered})(?!\\w)"
            try:
                regex = re.compile(source)
            except re.error as exc:
                raise InputFileError(f"{where}: invalid pattern {pattern!r} ({exc})") from None
            prefix, cut = _literal_start(lowered) if keys else ("", False)
            words = re.findall(r"\w+", prefix)
            if cut and words and prefix[-1:].isalnum():
                words.pop()  # a word cut short by the end of the literal start
            compiled.append(Alternative(keys, regex, bool(keys), index, prefix,
                                        _then_keys(lowered) if keys else (),
                                        frozenset(words)))
    return tuple(compiled)


@dataclass(frozen=True)
class Rule:
    id: str
    axis: str
    tag: str
    fields: tuple[str, ...]
    pattern: re.Pattern[str] | None  # for MeSH and publication types (text uses alternatives)
    unless: tuple[Alternative, ...]  # compiled like patterns: most are ruled out by keys
    priority: int  # the author's strength of the cue, 0-100: the prior of its weight
    weight: float  # what one match adds to its tag's score (fitted: bench/fit_weights.py)
    description: str = ""
    alternatives: tuple[Alternative, ...] = ()
    # A rule that matches a field with text in which none of these patterns occur
    # (an abstract that never describes a study of its own), instead of patterns.
    absent: tuple[Alternative, ...] = ()


def prior_weight(priority: int) -> float:
    """The weight a rule without a fitted one gets from its priority (60 -> 2.5)."""
    return round(max(0.25, (priority - 35) / 10), 2)


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


def _compile(patterns: list[str], where: str, whole_item: bool) -> re.Pattern[str]:
    if whole_item:  # list fields: a pattern must match a whole item (a MeSH term, a type),
        # one item per line
        joined = "|".join(f"(?:{p})" for p in patterns)
        source = f"(?m)^(?:{joined})$"
    else:
        source = "|".join(f"(?:{p})" for p in patterns)
        source = rf"\b(?:{source})\b"
    try:
        return re.compile(lower_pattern(source))
    except re.error as exc:
        raise InputFileError(f"{where}: invalid pattern ({exc})") from None


def _rule(raw: dict[str, object], where: str) -> Rule:
    def need(key: str) -> object:
        if key not in raw:
            raise InputFileError(f"{where}: missing '{key}'")
        return raw[key]

    rule_id = str(need("id"))
    where = f"{where} ({rule_id})"
    axis = str(need("axis"))
    if axis == "population":
        raise InputFileError(f"{where}: population rules are not applied (a paper's "
                             "population follows from its design): use axis design or outcome")
    if axis not in AXES:
        raise InputFileError(f"{where}: axis must be one of {', '.join(AXES)}")
    tag = str(need("tag"))
    if tag not in AXES[axis]:
        raise InputFileError(f"{where}: unknown {axis} tag '{tag}' "
                             f"(one of {', '.join(AXES[axis])})")
    fields = need("fields")
    if not isinstance(fields, list) or not fields or any(f not in FIELDS for f in fields):
        raise InputFileError(f"{where}: fields must be a list of {', '.join(FIELDS)}")
    def strings(key: str, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise InputFileError(f"{where}: {key} must be a list of strings")
        return [str(p) for p in value]

    absent = strings("absent", raw.get("absent") or [])
    patterns = strings("patterns", raw.get("patterns", []) if absent else need("patterns"))
    if absent and (patterns or any(f in LIST_FIELDS for f in fields)):
        raise InputFileError(f"{where}: a rule with 'absent' has no patterns and reads only "
                             "title, abstract or keywords")
    whole = any(f in LIST_FIELDS for f in fields)
    unless = strings("unless", raw.get("unless") or [])
    priority = raw.get("priority", 70)  # a rule written without one is a clear cue
    if not isinstance(priority, int):
        raise InputFileError(f"{where}: priority must be a whole number")
    weight = raw.get("weight", prior_weight(priority))
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
        raise InputFileError(f"{where}: weight must be a number of at least 0")
    return Rule(
        id=rule_id, axis=axis, tag=tag, fields=tuple(str(f) for f in fields),
        pattern=_compile(patterns, where, True) if whole else None,
        unless=_alternatives(unless, where),
        priority=priority, weight=float(weight), description=str(raw.get("description", "")),
        alternatives=_alternatives(patterns, where) if set(fields) - LIST_FIELDS else (),
        absent=_alternatives(absent, where),  # tried in the file's order
    )


_TERM = re.compile(r"\{([a-z_]+)\}")
Terms = dict[str, list[str]]


@dataclass(frozen=True)
class Scoring:
    """How matches become scores ([scoring], fitted with the weights by
    bench/fit_weights.py): a factor per zone for each axis, a bias per design, and the
    score each outcome needs."""

    zones: dict[str, dict[str, float]]  # axis -> zone -> factor
    design_bias: dict[str, float]
    threshold: dict[str, float]  # outcome -> score needed


_SCORING_KEYS = {"design_zones": ZONES, "outcome_zones": ZONES, "design_bias": DESIGNS,
                 "outcome_threshold": OUTCOMES}


def _scoring(data: dict[str, object], where: str) -> dict[str, dict[str, float]]:
    scoring = data.get("scoring", {})
    if not isinstance(scoring, dict):
        raise InputFileError(f"{where}: [scoring] must be a table")
    for key, table in scoring.items():
        names = _SCORING_KEYS.get(key)
        if names is None:
            raise InputFileError(f"{where}: unknown [scoring] table '{key}' "
                                 f"(one of {', '.join(_SCORING_KEYS)})")
        if not isinstance(table, dict) or not all(
                name in names and isinstance(value, int | float)
                and not isinstance(value, bool) for name, value in table.items()):
            raise InputFileError(f"{where}: [scoring.{key}] must map {', '.join(names)} "
                                 "to numbers")
    return scoring


def _read(text: str, where: str
          ) -> tuple[Terms, list[dict[str, object]], dict[str, dict[str, float]]]:
    """A rules file's named term lists ([terms]), raw [[rule]] tables and [scoring]."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{where}: not valid TOML ({exc})") from None
    terms = data.get("terms", {})
    if not isinstance(terms, dict) or not all(
            _TERM.fullmatch("{" + name + "}") and isinstance(words, list)
            and all(isinstance(w, str) for w in words) for name, words in terms.items()):
        raise InputFileError(f"{where}: [terms] must map lower-case names to lists of strings")
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        raise InputFileError(f"{where}: rules must be [[rule]] tables")
    return terms, entries, _scoring(data, where)


def _expand(raw: dict[str, object], terms: Terms, where: str) -> dict[str, object]:
    """Patterns with {name} spelled out from [terms]: "{kratom} withdrawal" becomes
    "(?:kratom|ketum|biak|...) withdrawal"."""
    def spell(pattern: object) -> object:
        if not isinstance(pattern, str):
            return pattern

        def one(match: re.Match[str]) -> str:
            words = terms.get(match.group(1))
            if words is None:
                raise InputFileError(f"{where}: unknown term list {{{match.group(1)}}} "
                                     f"(defined: {', '.join(sorted(terms)) or 'none'})")
            return "(?:" + "|".join(words) + ")"
        return _TERM.sub(one, pattern)

    expanded = dict(raw)
    for key in ("patterns", "unless", "absent"):
        value = raw.get(key)
        if isinstance(value, list):
            expanded[key] = [spell(p) for p in value]
    return expanded


def _build(entries: list[dict[str, object]], terms: Terms, where: str) -> list[Rule]:
    rules = []
    for i, entry in enumerate(entries, 1):
        at = f"{where}: rule {i}"
        if not isinstance(entry, dict):
            raise InputFileError(f"{at}: not a table")
        rules.append(_rule(_expand(entry, terms, f"{at} ({entry.get('id')})"), at))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise InputFileError(f"{where}: rule id '{rule.id}' appears twice")
        seen.add(rule.id)
    return rules


def _merge(*lists: Terms) -> Terms:
    """Term lists of several files: a name defined again adds its words."""
    merged: Terms = {}
    for terms in lists:
        for name, words in terms.items():
            merged.setdefault(name, []).extend(words)
    return merged


def parse_rules(text: str, where: str, terms: Terms | None = None) -> list[Rule]:
    """The rules of one file; its own [terms] add to ``terms``."""
    own, entries, _ = _read(text, where)
    return _build(entries, _merge(terms or {}, own), where)


def _builtin_text() -> str:
    return resources.files("kratomlit.tagging").joinpath("rules.toml").read_text("utf-8")


def builtin_rules() -> list[Rule]:
    return parse_rules(_builtin_text(), "built-in rules.toml")


def load_rules(extra: list[Path] | None = None) -> list[Rule]:
    return load(extra)[0]


def load(extra: list[Path] | None = None) -> tuple[list[Rule], Scoring]:
    """The shipped rules, then each user file's rules (same id replaces, new id adds), and
    the scoring (a user file's [scoring] values replace the shipped ones they name).

    Term lists are merged first, so a user file that adds a word to a shipped list
    ("kratom = ['kratom daun']") extends every shipped rule that uses it.
    """
    files = rules_texts(extra)
    read = [(where, *_read(text, where)) for where, text in files]
    terms = _merge(*(own for _, own, _, _ in read))
    rules: dict[str, Rule] = {}
    scoring: dict[str, dict[str, float]] = {key: {} for key in _SCORING_KEYS}
    for where, _, entries, tables in read:
        for rule in _build(entries, terms, where):
            rules[rule.id] = rule
        for key, table in tables.items():
            scoring[key].update(table)
    zones = {axis: {zone: float(scoring[f"{axis}_zones"].get(zone, 1.0)) for zone in ZONES}
             for axis in ("design", "outcome")}
    return list(rules.values()), Scoring(
        zones, {d: float(scoring["design_bias"].get(d, 0.0)) for d in DESIGNS},
        {o: float(scoring["outcome_threshold"].get(o, 1.0)) for o in OUTCOMES})


def rules_texts(extra: list[Path] | None = None) -> list[tuple[str, str]]:
    """(name, text) of the shipped rules file, then of each user file."""
    files = [("built-in rules.toml", _builtin_text())]
    for path in extra or []:
        try:
            files.append((str(path), path.read_text("utf-8")))
        except FileNotFoundError:
            raise InputFileError(f"{path}: no such rules file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot read rules file ({exc})") from None
    return files


def merged_terms(files: list[tuple[str, str]]) -> Terms:
    """The [terms] lists of these rules files, merged as the rules see them."""
    return _merge(*(_read(text, where)[0] for where, text in files))
