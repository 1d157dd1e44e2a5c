"""How many human participants an abstract states: "n = 2,798", "a total of 129
respondents", "Ten healthy volunteers", for the evidence table's N column.

It runs on every human study while tagging, so each step first finds something rare and
literal (a people word, a capitalised number, "we describe", "=") and only then reads the
few characters around it.
"""

from __future__ import annotations

import re
from collections.abc import Set

from kratomlit.tagging.prepared import word_set

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_WORDS = {**_UNITS, **_TENS}


_LOW_UNITS = list(_UNITS)[1:10]
# "twenty-six" (group 1) or "ten" (group 2), lower-cased.
_SPELLED = (rf"(?:((?:{'|'.join(_TENS)})(?:-(?:{'|'.join(_LOW_UNITS)}))?)|"
            rf"({'|'.join(sorted(_UNITS, key=len, reverse=True))}))(?![\w-])")
# A number spelled out where style guides spell them: opening a sentence ("Ten healthy
# volunteers ...", "Twenty-six users ...") or after the verb naming the sample ("we
# describe three patients"). Elsewhere a spelled-out number is usually a subgroup.
_CAPITALISED = [(w.capitalize(), w) for w in _WORDS if w != "zero"]
_COMPOUND = re.compile(r"-(" + "|".join(_LOW_UNITS) + r")(?![\w-])", re.IGNORECASE)
_AFTER_WE = re.compile(r"we (?:describe|report|present|studied|enrolled|recruited|included|"
                       r"interviewed|followed) " + _SPELLED)
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+)$")
_NOT_A_COUNT = re.compile(r"[ -](?:hundred|thousand|million|percent|per cent|thirds?|quarters?|"
                          r"half|fifths?|out of|of (?:the|these|those|them|all))")

_PEOPLE = ("participants respondents patients subjects volunteers individuals adults people "
           "persons users women men children adolescents students veterans workers consumers "
           "cases decedents inpatients outpatients smokers drinkers mothers infants neonates "
           "pregnancies callers caregivers carers employees athletes farmers soldiers "
           "prisoners inmates").split()
_DIGITS = r"(\d{1,3}(?:[,\u2009 ]\d{3}(?!\d))+|\d+)"  # 2,798 and 18 804
_NUMBER = _DIGITS[:-1] + "|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + ")"
# Up to three words between the number and the people ("129 current kratom users"), but
# not another number, "of" or "and": "18 eyes of 10 patients" counts the patients, and
# "sampled over 24 hours and participants rated" counts no one.
_ADJECTIVES = r"(?:(?!\d|of |and )[\w-]+ ){0,3}"
_COUNT_BEFORE = re.compile(rf"(?<![^\W_]){_DIGITS} {_ADJECTIVES}$")
_TOTAL_BEFORE = re.compile(rf"(?:total of|overall,?) {_NUMBER} {_ADJECTIVES}$")
_STATED_AFTER = re.compile(r" (?:were|was|who|completed|participated|took part|responded|"
                           r"enrolled|agreed)\b")
_EQUALS = re.compile(rf"= ?{_DIGITS}(?!\w)")
_REACH = 80  # characters before a people word where its number can be


def _value(tens_form: str | None, single: str | None) -> int:
    if single:
        return _UNITS[single.lower()]
    tens, _, unit = (tens_form or "").lower().partition("-")
    return _TENS[tens] + _UNITS.get(unit or "zero", 0)


def _spell_out(text: str, lowered: str, words: Set[str]) -> str:
    """``lowered`` with spelled-out sample sizes as digits, where authors spell them."""
    found = []
    for word, lowered_word in _CAPITALISED:  # str.find: a regex costs far more
        if lowered_word not in words:
            continue
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            compound = _COMPOUND.match(text, end) if word.lower() in _TENS else None
            if compound:
                found.append((at, compound.end(), _value(text[at:compound.end()], None)))
            elif not (end < len(text) and (text[end].isalnum() or text[end] in "_-")):
                found.append((at, end, _WORDS[word.lower()]))
            at = text.find(word, end)
    found = [f for f in found if _SENTENCE_START.search(lowered, max(0, f[0] - 3), f[0])]
    if "we " in lowered:
        for hit in _AFTER_WE.finditer(lowered):
            found.append((hit.start(1) if hit.group(1) else hit.start(2), hit.end(),
                          _value(*hit.groups())))
    pieces, last = [], 0
    for start, end, value in sorted(found):
        if start >= last and not _NOT_A_COUNT.match(lowered, end):
            pieces += [lowered[last:start], str(value)]
            last = end
    return "".join(pieces) + lowered[last:] if pieces else lowered


def _number(raw: str) -> int | None:
    number = _WORDS.get(raw)
    if number is None:
        number = int(re.sub(r"\D", "", raw))
    return number if 0 < number < 10_000_000 and not 1900 <= number <= 2100 else None


def _people_words(lowered: str, words: Set[str]) -> list[tuple[int, int]]:
    """Where the people words stand (str.find is many times faster than one big regex)."""
    found = []
    for word in _PEOPLE:
        if word not in words:
            continue
        at = lowered.find(word)
        while at >= 0:
            end = at + len(word)
            if not (at and lowered[at - 1].isalnum()) and not (
                    end < len(lowered) and (lowered[end].isalnum() or lowered[end] == "_")):
                found.append((at, end))
            at = lowered.find(word, end)
    return sorted(found)


def participants(abstract: str, words: Set[str] | None = None) -> int | None:
    """The number of human participants an abstract states, when it states one.

    A stated total wins ("a total of 129 respondents", "129 respondents completed the
    survey"; the first one); otherwise the largest "<number> <people>" or "n = <number>",
    since subgroups ("48 % (n = 94)") come smaller than the whole.

    ``words``: the abstract's lower-cased words (``\\w+``), when the caller has them: a
    people or number word that is not among them is not looked for.
    """
    lowered = abstract.lower()
    if words is None:
        words = word_set(lowered)
    lowered = _spell_out(abstract, lowered, words)
    first: list[int] = []
    counts: list[int] = []
    for start, end in _people_words(lowered, words):
        window = max(0, start - _REACH)
        total = _TOTAL_BEFORE.search(lowered, window, start)
        before = total or _COUNT_BEFORE.search(lowered, window, start)
        number = _number(before.group(1)) if before else None
        if number is None:
            continue
        if total or _STATED_AFTER.match(lowered, end):
            first.append(number)
        else:
            counts.append(number)
    for hit in _EQUALS.finditer(lowered):
        n_at = hit.start() - (2 if lowered[hit.start() - 1:hit.start()] == " " else 1)
        if n_at >= 0 and lowered[n_at] == "n" and not (n_at and lowered[n_at - 1].isalnum()):
            number = _number(hit.group(1))
            if number is not None:
                counts.append(number)
    if first:
        return first[0]
    return max(counts) if counts else None
