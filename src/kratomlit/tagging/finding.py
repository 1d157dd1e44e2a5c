"""What a study found, in the abstract's own words: its CONCLUSION(S)/INTERPRETATION section,
or else its concluding sentences that state a result, at most about 300 characters (cut at a
sentence and marked "…" when shortened), and empty when there is none.

Pure: plain text in, plain text out (``extract`` runs it beside the vocabulary matches).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from kratomlit.records import AbstractSection

FINDING_LIMIT = 300  # characters: a table cell's worth, as Trialstreamer's punchlines
TAIL = 1000  # characters at the end of an unstructured abstract read for its conclusion

_CONCLUSION_LABEL = re.compile(r"CONCLU|INTERPRETATION", re.IGNORECASE)
# NLM files some labels that are no finding under CONCLUSIONS.
_NOT_A_CONCLUSION = re.compile(r"LIMITATION|COMPARISON|METHOD", re.IGNORECASE)
# Sections about the paper rather than the study: registration, funding, disclosures.
_ADMIN_LABEL = re.compile(r"REGISTRATION|FUNDING|DISCLOSURE|AVAILABILITY|SUPPLEMENTARY|CONTACT|"
                          r"KEY ?WORDS|LEVEL OF EVIDENCE|CONFLICT|COPYRIGHT", re.IGNORECASE)
# What was known before the study: a section all background, or one that also states aims.
_BACKGROUND_LABEL = re.compile(r"BACKGROUND|INTRODUCTION|CONTEXT|RATIONALE|IMPORTANCE",
                               re.IGNORECASE)
_AIM_LABEL = re.compile(r"AIM|OBJECTIVE|PURPOSE|HYPOTHES", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def _role(label: str | None, category: str | None) -> str:
    """What an abstract section is, from its label: "conclusions" ("conclusions?" when
    only NLM's category says so), "admin", "background", "opening" (unlabelled, or
    background with aims: its first sentences may be background), or "content"."""
    if not label or label == "UNLABELLED":
        return "opening"
    if _CONCLUSION_LABEL.search(label):
        return "conclusions"
    if _ADMIN_LABEL.search(label):
        return "admin"
    if _BACKGROUND_LABEL.search(label):
        return "opening" if _AIM_LABEL.search(label) else "background"
    if category == "CONCLUSIONS" and not _NOT_A_CONCLUSION.search(label):
        return "conclusions?"
    return "content"


# A sentence ends at . ? or ! (and any closing quote or bracket) before the next one's
# capital, digit or bracket, unless the full stop ends an abbreviation ("e.g.", "U.S.").
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "ca.", "approx.", "Dr.", "Drs.",
                  "Prof.", "Fig.", "Figs.", "No.", "St.", "Mr.", "Mrs.", "Ms.", "Jr.", "Sr.",
                  "Ref.", "Vol.", "Eq.", "resp.", "viz.")
_SENTENCE_END = re.compile(
    r"[.?!](?=[\"'”’)\]]*\s+[\"'“‘(\[]?[A-Z0-9])"  # first, as it rules out "0.05" at once
    + "".join(rf"(?<!\b{re.escape(a)})" for a in _ABBREVIATIONS)
    + r"(?<!\b[A-Z]\.[A-Z]\.)[\"'”’)\]]*\s+")
_COMPLETE = re.compile(r"[.?!][\"'”’)\]]*$")
# Sentences that open the conclusion of an unstructured abstract ("These results suggest",
# "This case shows"; not "The results show" or "We found", as often one result among others).
_CONCLUDES = re.compile(
    r"(?:In (?:conclusion|summary|sum|short|total)|To (?:conclude|summari[sz]e)|Taken together|"
    r"Collectively|Overall|Altogether|Together,|In aggregate|Thus|Therefore|Hence|Consequently|"
    r"We (?:conclude|concluded|propose|suggest|argue|demonstrate|demonstrated|provide)|"
    r"It (?:is|was) concluded|This (?:represents|shows|demonstrates|suggests|indicates|"
    r"establishes|provides)|(?:These|Our|The present|This|Such|Both|All) "
    r"(?:[\w-]+ ){0,3}?(?:results?|findings?|data|observations?|studies|study|work|analys[ie]s|"
    r"experiments?|evidence|review|survey|trial|report|case) (?:[\w-]+ ){0,2}?"
    r"(?:suggests?|indicates?|shows?|showed|demonstrates?|demonstrated|reveals?|revealed|supports?|"
    r"provides?|confirms?|highlights?|establish(?:es)?|identif(?:y|ies)|impl(?:y|ies)|points?|"
    r"underscores?|underlines?|emphasi[sz]es?|argues?|adds?|documents?))\b")
# A review saying what it covers ("This paper reviews ...", "Herein we will discuss ..."): when
# that is how its abstract ends, what came before was background, and there is no result.
# (A case report's "We present a patient who ..." is its result.)
_CONTENTS = re.compile(
    r"(?:(?:here|herein|furthermore|finally|in addition|also),? )?(?:we|this (?:review|article|"
    r"paper|chapter|report|overview|commentary)|in this (?:review|article|paper|chapter),? we) "
    r"(?:also |will |\w+ly )*(?:discuss|review|summari[sz]e|outline|highlight|address|consider|"
    r"focus|provide an? (?:overview|summary|update))(?:e?s)?\b")
# What a paper sets out to do, or what it lists: not what it found. (These and the next
# patterns read lower-cased text: without re.IGNORECASE they run several times faster.)
_AIMS_OR_LISTS = re.compile(
    r"\b(?:aim(?:s|ed)? (?:to|of|was|is|were|are)|aimed|objectives? (?:of|was|is|were)|"
    r"purpose (?:of|was|is)|(?:was|were) to (?:determine|assess|evaluate|investigate|examine|"
    r"describe|compare|explore|characteri[sz]e|identify|estimate)|sought to)\b|"
    r"(?:are|is|were|was) (?:also |then |briefly )?(?:noted|discussed|reviewed|described|presented|"
    r"summari[sz]ed|outlined|provided|highlighted|addressed|considered|proposed)"
    r"(?: (?:here|herein|in this (?:review|article|paper|chapter)|through this (?:paper|article)))?"
    r"\W*$")
_AIMS_WORDS = ("aim", "objective", "purpose", "was to", "were to", "sought", "noted", "discussed",
               "reviewed", "described", "presented", "summari", "outlined", "provided",
               "highlighted", "addressed", "considered", "proposed")
# "Further research is needed", "little is known" and their kin: no result, skipped when a
# result comes before.
_FURTHER_RESEARCH = re.compile(
    r"\b(?:(?:further|future|more|additional|larger|longer|well-designed|prospective|rigorous|"
    r"high-quality|definitive|confirmatory|multicent(?:er|re)) (?:[\w-]+ ){0,4}?"
    r"(?:research|stud(?:y|ies)|trials?|investigations?|work|evaluations?|data|analys[ie]s|"
    r"experiments?|evidence)|research|studies|trials) (?:is|are|will be|would be|may be|might be|"
    r"should be|seem|seems|appear|appears|remain|remains)? ?(?:still |urgently |clearly |also )?"
    r"(?:needed|required|warranted|necessary|indicated|essential|called for)|"
    r"\b(?:remains?|remained) to be (?:determined|established|elucidated|clarified|investigated|"
    r"explored|seen|confirmed|defined)|\b(?:warrants?|deserves?|merits?|requires?|needs?) "
    r"further|\bfuture (?:research|studies|work|trials|investigations) "
    r"(?:should|will|could|may|might|must)|"
    r"\b(?:must|should|needs? to|will need to) be (?:further )?(?:evaluated|investigated|explored|"
    r"studied|examined|assessed|validated|confirmed|determined|tested|elucidated|clarified)|"
    r"\bwill need to\b|\b(?:little|less|nothing) is known\b|"
    r"\b(?:remains?|is|are) (?:still |largely )?(?:unclear|unknown|poorly understood)\b|"
    r"\bha(?:s|ve) not (?:yet )?been (?:studied|investigated|examined|reported|described)\b")
_FURTHER_WORDS = ("need", "requir", "warrant", "necessar", "indicated", "essential", "called for",
                  "remain", "deserv", "merit", "future", "must be", "should be", "known",
                  "unclear", "unknown", "understood", "not been", "not yet been")
_BOILERPLATE = ("©", "copyright", "(c) 1", "(c) 2", "all rights reserved", "published by",
                "wiley", "elsevier", "clinicaltrials.gov", "trial registration",
                "abstract truncated", "doi:", "please visit", "for further resources",
                "graphical abstract", "this corrects", "this article corrects")
# Some journals append an editor's summary to the authors' abstract.
_EDITOR_NOTE = re.compile(r"From the (?:[Cc]linical )?[Ee]ditor\b|FROM THE (?:CLINICAL )?EDITOR\b")


def sentences(text: str, after: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (of those that start after ``after``),
    surrounding spaces (and a stray opening bracket at the very end, as NLM sometimes
    leaves one) left out."""
    text = text.rstrip(" \t\n([")
    spans = []
    start = -1 if after else 0  # a sentence cut by ``after`` is no sentence
    for match in _SENTENCE_END.finditer(text, after):
        if start >= 0:
            spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    if 0 <= start < len(text):
        spans.append((start, len(text)))
    return spans


def _clip(text: str, spans: list[tuple[int, int]], first: int, last: int) -> str:
    """Sentences ``first``..``last`` of ``text``, shortened to about FINDING_LIMIT
    characters at a sentence (or, for one long sentence, a word) and marked "…" if so."""
    start = spans[first][0]
    end = spans[last][1]
    if end - start <= FINDING_LIMIT:
        return text[start:end]
    for i in range(last - 1, first - 1, -1):
        if spans[i][1] - start <= FINDING_LIMIT:
            cut = spans[i][1]
            return text[start:cut] + (" " if text[cut:cut + 1] == " " else "") + "…"
    # One sentence longer than the limit: cut after a word, past a clause if one is near.
    window = text[start:start + FINDING_LIMIT]
    clause = max(window.rfind("; "), window.rfind(", "))
    cut = clause + 1 if clause > FINDING_LIMIT * 2 // 3 else window.rfind(" ")
    return window[:cut].rstrip() + "…"


def _concluding(text: str) -> str:
    """The concluding sentences of an unstructured text that state a result: from the last
    sentence that opens a conclusion ("These results suggest", "In conclusion") among the
    final three, or else the last sentence; further-research sentences at the end are
    skipped. Empty when the text is cut off or states no result."""
    editor = _EDITOR_NOTE.search(text)
    body = text[:editor.start()] if editor else text
    # Its end is read first: the last few sentences are usually enough.
    tail = max(0, len(body) - TAIL)
    spans = sentences(body, tail)
    if tail and len(spans) < 4:
        spans, tail = sentences(body), 0
    if not spans or not _COMPLETE.search(text, spans[-1][0], spans[-1][1]):
        return ""  # a cut-off abstract: its concluding sentences are missing
    lowered = _lower(text)
    last = len(spans) - 1
    while last >= 0 and _skipped(lowered, *spans[last]):
        last -= 1
    if last < 0 and tail:
        return _concluding(body[:spans[0][0]].rstrip())  # all skipped: read further back
    if last < 0 or _CONTENTS.match(lowered, spans[last][0]):
        return ""
    first = last
    for i in range(last, max(last - 3, -1), -1):
        start, end = spans[i]
        if _CONCLUDES.match(text, start) and not _aims_or_lists(lowered[start:end]):
            first = i
    return _clip(text, spans, first, last)


def _aims_or_lists(sentence: str) -> bool:
    # The pattern only runs where a word it needs occurs (several times faster).
    return any(map(sentence.__contains__, _AIMS_WORDS)) and bool(
        _AIMS_OR_LISTS.search(sentence))


def _skipped(lowered: str, start: int, end: int) -> bool:
    """Whether the sentence at ``start:end`` of a lower-cased text is boilerplate, what the
    paper sets out to do or lists, or mainly a call for more research (one that comes early:
    "Further studies are needed", not "X rose, but more studies are needed")."""
    sentence = lowered[start:end]
    if any(map(sentence.__contains__, _BOILERPLATE)) or _aims_or_lists(sentence):
        return True
    further = any(map(sentence.__contains__, _FURTHER_WORDS)) and _FURTHER_RESEARCH.search(
        sentence)
    return bool(further and further.start() < 0.4 * len(sentence))


def finding(sections: Sequence[AbstractSection]) -> str:
    """The study's main result in the abstract's own words ("" when it states none)."""
    texts = [(s, _role(s.label, s.category)) for s in sections if s.text.strip()]
    conclusions = [s for s, role in texts if role == "conclusions"] or [
        s for s, role in texts if role == "conclusions?"]
    if conclusions:
        text = conclusions[0].text
        spans = sentences(text)
        if spans and not _COMPLETE.search(text[spans[-1][0]:spans[-1][1]]):
            spans = spans[:-1]  # a section cut off mid-sentence keeps its whole sentences
        return _clip(text, spans, 0, len(spans) - 1) if spans else ""
    content = [s for s, role in texts if role != "admin"]
    return _concluding(content[-1].text) if content else ""


def _lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters grow when lower-cased (İ); keep offsets those of the text.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
