"""Tagging rules as data: loading, validating and compiling rules files (TOML).

A rule reads some fields of a paper and matches where one of its patterns matches,
unless one of its ``unless`` patterns matches in the same sentence (the negations
that matter: "non-randomized", "no randomized trials were found"), or one of its
``unless_title`` patterns matches the title (a paper about easing another drug's
withdrawal: its withdrawal words are that drug's). Each match adds the
rule's weight, scaled by where it stands (the [scoring] zones), to its tag's score. The
shipped rules live in ``rules.toml`` beside this module; users add their own files, whose
rules replace shipped rules with the same id and add the others.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kratomlit.errors import InputFileError

# KEY_LENGTH, literal_keys, literal_prefix, lower_pattern and _top_level_split stay
# importable from here, where they were first (extract.py and the tests read them).
from kratomlit.tagging.patterns import KEY_LENGTH as KEY_LENGTH
from kratomlit.tagging.patterns import Alternative, alternatives
from kratomlit.tagging.patterns import _top_level_split as _top_level_split
from kratomlit.tagging.patterns import literal_keys as literal_keys
from kratomlit.tagging.patterns import literal_prefix as literal_prefix
from kratomlit.tagging.patterns import lower_pattern as lower_pattern
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, POPULATIONS

FIELDS = ("title", "abstract", "mesh", "publication_types", "keywords")
# Where a match stands: the title, the abstract's parts, keywords and NLM's lists.
ZONES = ("title", "aims", "results", "conclusions", "other", "background", "keywords", "mesh",
         "publication_types")
AXES = {"design": DESIGNS, "outcome": OUTCOMES, "population": POPULATIONS}
LIST_FIELDS = {"mesh", "publication_types"}


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
    # Patterns that, found in the title, cancel every match of the rule in the paper.
    unless_title: tuple[Alternative, ...] = ()


def prior_weight(priority: int) -> float:
    """The weight a rule without a fitted one gets from its priority (60 -> 2.5)."""
    return round(max(0.25, (priority - 35) / 10), 2)


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
    unless_title = strings("unless_title", raw.get("unless_title") or [])
    priority = raw.get("priority", 70)  # a rule written without one is a clear cue
    if not isinstance(priority, int):
        raise InputFileError(f"{where}: priority must be a whole number")
    weight = raw.get("weight", prior_weight(priority))
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
        raise InputFileError(f"{where}: weight must be a number of at least 0")
    return Rule(
        id=rule_id, axis=axis, tag=tag, fields=tuple(str(f) for f in fields),
        pattern=_compile(patterns, where, True) if whole else None,
        unless=alternatives(unless, where),
        priority=priority, weight=float(weight), description=str(raw.get("description", "")),
        alternatives=alternatives(patterns, where) if set(fields) - LIST_FIELDS else (),
        absent=alternatives(absent, where, spell=True),  # tried in the file's order
        unless_title=alternatives(unless_title, where),
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


def term_words(terms: Terms, name: str, where: str, within: tuple[str, ...] = ()) -> list[str]:
    """The words of the term list ``name``. A list may include another: a word that is
    just "{other}" stands for that list's words, and one within a word is spelled out as a
    group of them."""
    words = terms.get(name)
    if words is None:
        raise InputFileError(f"{where}: unknown term list {{{name}}} "
                             f"(defined: {', '.join(sorted(terms)) or 'none'})")
    if name in within:
        raise InputFileError(f"{where}: term list {{{name}}} includes itself "
                             f"(through {' -> '.join(within)})")
    found: list[str] = []
    for word in words:
        included = _TERM.fullmatch(word)
        if included:
            found += term_words(terms, included.group(1), where, (*within, name))
        else:
            found.append(spell_terms(word, terms, where, (*within, name)))
    return found


def spell_terms(pattern: str, terms: Terms, where: str, within: tuple[str, ...] = ()) -> str:
    """A pattern with each {name} spelled out as a group of the list's words:
    "{kratom} withdrawal" becomes "(?:kratom|ketum|biak|...) withdrawal". ``within``: the
    lists being spelled out already (a word of one of them may name another)."""
    return _TERM.sub(lambda m: "(?:" + "|".join(term_words(terms, m.group(1), where, within))
                     + ")", pattern)


def _expand(raw: dict[str, object], terms: Terms, where: str) -> dict[str, object]:
    """A rule's patterns with their {name}s spelled out from [terms]. In its negations, an
    entry that is just "{name}" stands for that list's patterns, one by one (rules that share
    a list of negations name it once; each keeps its own literal start)."""
    expanded = dict(raw)
    for key in ("patterns", "unless", "unless_title", "absent"):
        value = raw.get(key)
        if isinstance(value, list):
            expanded[key] = [spelled for p in value for spelled in _spelled(p, key, terms, where)]
    return expanded


def _spelled(pattern: object, key: str, terms: Terms, where: str) -> list[object]:
    if not isinstance(pattern, str):
        return [pattern]  # refused with its key's message when the rule is read
    whole = _TERM.fullmatch(pattern)
    if whole and key.startswith("unless"):
        return list(term_words(terms, whole.group(1), where))
    return [spell_terms(pattern, terms, where)]


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
    return load_texts(rules_texts(extra))


def load_texts(files: Sequence[tuple[str, str]]) -> tuple[list[Rule], Scoring]:
    """The rules and scoring of these (name, text) rules files, as ``load`` reads them."""
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
