"""Tag the papers in a store, keep manual tags on top, and explain a paper's tags.

Automatic tags are recomputed freely (``tags`` rows with source "auto"); manual tags
(source "manual") are only written by a reviewer and never overwritten. ``paper_tags``
holds the effective result — manual where it exists, automatic otherwise — which the
evidence tables, exports and screening read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import multiprocessing
import os
import signal
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kratomlit.errors import KratomlitError, UsageError
from kratomlit.jobs.extract_papers import extract_paper, extraction_row
from kratomlit.store import Store
from kratomlit.store.extraction import ExtractionSource
from kratomlit.store.tags import ManualTag, TagSource
from kratomlit.tagging.engine import (
    Document,
    Evidence,
    RuleSet,
    TagResult,
    tag_document,
)
from kratomlit.tagging.extract import Vocabulary, load_vocabulary
from kratomlit.tagging.participants import participants
from kratomlit.tagging.rules import load_texts, rules_texts
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, population

CHUNK = 500  # papers read, tagged and written per step: flat memory on any database
# Chunks extracted by a child while the parent compiles the rules (see _tagged_chunks):
# about as many as it finishes meanwhile.
EXTRACT_AHEAD = 12
EVIDENCE_PER_TAG = 4  # matches kept per chosen tag: enough to show why, not every word

Progress = Callable[[int, int], None]  # (papers done, papers to do)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TagSummary:
    tagged: int = 0
    designs: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    manual_kept: int = 0


def document(row: dict[str, Any] | tuple[Any, ...]) -> Document:
    """A Document from (title, abstract, keywords JSON, mesh_terms, publication_types JSON)."""
    title, abstract, keywords, mesh_terms, pub_types = row
    mesh: list[str] = []
    for term in (mesh_terms or "").split("; "):
        if term:
            descriptor, *qualifiers = term.split("/")
            mesh.append(descriptor)
            mesh.extend(f"{descriptor}/{q}" for q in qualifiers)
    return Document(
        title=title or "", abstract=abstract or "", mesh=tuple(mesh),
        publication_types=tuple(json.loads(pub_types) if pub_types else ()),
        keywords=tuple(json.loads(keywords) if keywords else ()),
    )


def _ruleset(rule_files: list[Path] | None) -> RuleSet:
    return _compiled(tuple(rules_texts(rule_files)))


@functools.lru_cache(maxsize=4)
def _compiled(files: tuple[tuple[str, str], ...]) -> RuleSet:
    """The rule set of these rules texts, built once per process: building one and
    compiling its patterns takes about a second, which a process running several commands
    (a reviewer's session, the tests) need not pay again. An edited file is new text."""
    return RuleSet(*load_texts(files))


@dataclass(frozen=True)
class Effective:
    """A paper's tags once a reviewer's manual tags are applied, as ``paper_tags`` holds
    them: population and N follow the design; margins only for automatic tags."""

    design: str
    outcomes: list[str]
    source: str  # of the design: auto or manual
    n_participants: int | None
    population: str | None
    margins: dict[str, float]

    @property
    def margin(self) -> float | None:
        return min((abs(m) for m in self.margins.values()), default=None)


def effective(result: TagResult, manual: list[tuple[str, str, int]],
              abstract: Callable[[], str] = lambda: "") -> Effective:
    """The effective tags; ``abstract`` is read only when a manual design makes a paper
    human that the rules did not count participants for."""
    if not manual:  # most papers: the automatic tags as they are
        return Effective(result.design, result.outcomes, "auto", result.n_participants,
                         result.population, result.margins)
    design, source = result.design, "auto"
    outcomes = set(result.outcomes)
    margins = dict(result.margins)
    for axis, value, negated in manual:
        if axis == "design" and not negated:
            design, source = value, "manual"
            margins.pop("design", None)
        elif axis == "outcome":
            (outcomes.discard if negated else outcomes.add)(value)
            margins.pop(value, None)
    who = population(design)
    n = None
    if who == "human":
        n = result.n_participants if result.population == "human" else participants(abstract())
    return Effective(design, [o for o in OUTCOMES if o in outcomes], source, n, who, margins)


def _evidence_rows(pmid: int, result: TagResult, stamp: str) -> list[tuple[Any, ...]]:
    """The strongest live evidence behind the chosen design and outcomes: a few matches
    per tag, at most two per rule."""
    per_tag: Counter[str] = Counter()
    per_rule: Counter[str] = Counter()
    rows = []
    chosen = {result.design, *result.outcomes}
    counting = [e for e in result.evidence if e.value in chosen and e.counts]
    for item in sorted(counting, key=lambda e: -e.weight):
        if per_tag[item.value] >= EVIDENCE_PER_TAG or per_rule[item.rule_id] >= 2:
            continue
        per_tag[item.value] += 1
        per_rule[item.rule_id] += 1
        rows.append((pmid, item.axis, item.value, "auto", item.rule_id, item.field,
                     item.matched[:200], round(item.weight, 3), 0, None, stamp))
    return rows


@dataclass
class _Chunk:
    """A chunk of papers tagged: the rows to write, and what the summary counts. Rows of
    plain values are what a worker sends back: they cross the process boundary fast."""

    pmids: list[int]
    extraction: list[tuple[Any, ...]] = field(default_factory=list)
    evidence: list[tuple[Any, ...]] = field(default_factory=list)
    paper_tags: list[tuple[Any, ...]] = field(default_factory=list)
    summary: TagSummary = field(default_factory=TagSummary)


@dataclass
class _Inputs:
    """What tagging and extracting a chunk read besides the papers: read in the parent,
    which owns the store, and sent along to a worker."""

    manual: dict[int, list[ManualTag]]
    sources: dict[int, ExtractionSource]
    manual_extraction: dict[int, dict[str, Any]]


# The rules and the extraction vocabulary loaded in the parent; forked workers inherit them
# instead of compiling every pattern again.
_worker_rules: RuleSet | None = None
_worker_vocabulary: Vocabulary | None = None


def _tag_rows(rows: list[TagSource], inputs: _Inputs, stamp: str, extract: bool = True
              ) -> _Chunk:
    """A chunk tagged, and extracted unless that is done already (see _tagged_chunks)."""
    assert _worker_rules is not None
    chunk = _Chunk([row[0] for row in rows])
    summary = chunk.summary
    for row in rows:
        pmid = row[0]
        result = tag_document(document(row[1:]), _worker_rules)
        chunk.evidence.extend(_evidence_rows(pmid, result, stamp))
        manual = inputs.manual.get(pmid, [])
        tags = effective(result, manual, functools.partial(_text, row[2]))
        chunk.paper_tags.append(_paper_tags_row(pmid, tags, stamp))
        summary.manual_kept += bool(manual)
        summary.designs[tags.design] += 1
        summary.outcomes.update(tags.outcomes)
    summary.tagged = len(rows)
    if extract:
        chunk.extraction = _extract_rows(rows, inputs, stamp)
    return chunk


def _extract_rows(rows: list[TagSource], inputs: _Inputs, stamp: str) -> list[tuple[Any, ...]]:
    assert _worker_vocabulary is not None
    return [extraction_row(row[0], extract_paper(_worker_vocabulary, row,
                                                 inputs.sources.get(row[0])),
                           inputs.manual_extraction.get(row[0], {}), stamp) for row in rows]


EARLY = "kratomlit-early-extraction"  # the child's process name


def _extract_early(chunks: list[tuple[list[TagSource], _Inputs]], stamp: str,
                   receiving: Connection, sending: Connection) -> None:
    """In a child forked before the rules compile: the first chunks' extraction, sent back
    in one message, or the error that stopped it (the parent reads it when it writes the
    first chunk)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent reports Ctrl-C and ends us
    receiving.close()  # should the parent die, sending fails instead of waiting forever
    try:
        found: list[list[tuple[Any, ...]]] | str = [
            _extract_rows(rows, inputs, stamp) for rows, inputs in chunks]
    except KratomlitError as exc:
        found = str(exc)
    with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
        sending.send(found)


def _received(receiving: Connection) -> Iterator[list[tuple[Any, ...]]]:
    """The early child's extraction, chunk by chunk."""
    try:
        found = receiving.recv()
    except EOFError:  # it died without a word (an unexpected error, or killed)
        raise KratomlitError("the process extracting the first papers stopped; "
                             "nothing was written") from None
    if isinstance(found, str):
        raise KratomlitError(found)
    yield from found


def _drained(items: deque[Any]) -> Iterator[Any]:
    while items:
        yield items.popleft()  # what is sent is not kept


def _text(value: str | None) -> str:
    return value or ""


def _inputs(store: Store, rows: list[TagSource]) -> _Inputs:
    pmids = [row[0] for row in rows]
    return _Inputs(store.manual_tags(pmids), store.extraction_sources(pmids),
                   store.manual_extraction(pmids))


def _tagged_chunks(store: Store, everything: bool, rule_files: list[Path] | None,
                   workers: int, stamp: str) -> Iterator[_Chunk]:
    """Tag and extract chunk after chunk; with several workers, a few chunks run ahead in
    parallel. Extraction needs no rules, so the first chunks' is done by a child forked
    before the parent compiles the rules (half a second), on the core that would wait."""
    global _worker_rules, _worker_vocabulary
    _worker_vocabulary = load_vocabulary(rule_files)
    chunks = store.papers_to_tag(everything, CHUNK)
    if workers <= 1:
        _worker_rules = _ruleset(rule_files)
        for rows in chunks:
            yield _tag_rows(rows, _inputs(store, rows), stamp)
        return
    context = multiprocessing.get_context("fork")
    ahead = deque((rows, _inputs(store, rows)) for rows in itertools.islice(chunks, EXTRACT_AHEAD))
    early = len(ahead)
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_extract_early, name=EARLY, daemon=True,
                            args=(list(ahead), stamp, receiving, sending))
    child.start()
    sending.close()
    try:
        _worker_rules = _ruleset(rule_files)  # a bad file fails before anything is written
        early_rows = _received(receiving)
        # The workers close their copy of the pipe, so that the child's sending fails
        # should the parent die.
        with ProcessPoolExecutor(workers, mp_context=context,
                                 initializer=receiving.close) as pool:
            pending: deque[tuple[Future[_Chunk], bool]] = deque()
            later = ((rows, _inputs(store, rows)) for rows in chunks)
            for i, (rows, inputs) in enumerate(itertools.chain(_drained(ahead), later)):
                pending.append((pool.submit(_tag_rows, rows, inputs, stamp, i >= early),
                                i < early))
                if len(pending) > 2 * workers:  # bounded read-ahead: memory stays flat
                    yield _finished(*pending.popleft(), early_rows)
            while pending:
                yield _finished(*pending.popleft(), early_rows)
    finally:
        child.terminate()  # finished by now, unless something failed first
        child.join()
        receiving.close()


def _finished(tagged: Future[_Chunk], extracted_early: bool,
              early_rows: Iterator[list[tuple[Any, ...]]]) -> _Chunk:
    chunk = tagged.result()
    if extracted_early:
        chunk.extraction = next(early_rows)
    return chunk


def _workers(total: int) -> int:
    # Process start-up costs more than it saves on a few thousand papers.
    if total < 4 * CHUNK or sys.platform == "win32":
        return 1
    # The cores this process may run on (a container or taskset may allow fewer than the
    # machine has): a worker more than the cores only adds switching.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4))


def tag_store(store: Store, *, everything: bool = False, rule_files: list[Path] | None = None,
              progress: Progress | None = None) -> TagSummary:
    """Tag untagged papers (``everything``: recompute all automatic tags), in one transaction."""
    summary = TagSummary()
    stamp = _now()
    with store.transaction():
        total = store.count_to_tag(everything)
        for chunk in _tagged_chunks(store, everything, rule_files, _workers(total), stamp):
            store.replace_extraction(chunk.extraction)
            store.replace_auto_tags(chunk.pmids, chunk.evidence, chunk.paper_tags)
            summary.tagged += chunk.summary.tagged
            summary.manual_kept += chunk.summary.manual_kept
            summary.designs.update(chunk.summary.designs)
            summary.outcomes.update(chunk.summary.outcomes)
            if progress:
                progress(summary.tagged, total)
    return summary


def _paper_tags_row(pmid: int, tags: Effective, stamp: str) -> tuple[Any, ...]:
    return (pmid, tags.design, json.dumps(tags.outcomes), tags.n_participants,
            tags.population, tags.source, stamp, tags.margin,
            json.dumps(tags.margins) if tags.margins else None)


def _paper_row(store: Store, pmid: int) -> TagSource:
    return store.tag_source(pmid)


def _retag(store: Store, pmid: int, rules: RuleSet) -> None:
    """Recompute one paper's effective tags after a manual change (inside a transaction)."""
    row = _paper_row(store, pmid)
    result = tag_document(document(row[1:]), rules)
    tags = effective(result, store.manual_tags([pmid]).get(pmid, []), lambda: row[2] or "")
    stamp = _now()
    store.replace_auto_tags([pmid], _evidence_rows(pmid, result, stamp),
                            [_paper_tags_row(pmid, tags, stamp)])


def parse_outcomes(text: str) -> list[str]:
    """"mood,safety" -> ["mood", "safety"]; "none" -> [] (a reviewer says: no outcome)."""
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    if values == ["none"]:
        return []
    unknown = [v for v in values if v not in OUTCOMES]
    if unknown or not values:
        raise UsageError(f"unknown outcome {', '.join(unknown) or repr(text)} "
                         f"(use {', '.join(OUTCOMES)}, or none)")
    return values


def check_design(value: str) -> str:
    if value not in DESIGNS:
        raise UsageError(f"unknown design {value!r} (use one of: {', '.join(DESIGNS)})")
    return value


def set_manual(store: Store, pmid: int, *, design: str | None = None,
               outcomes: list[str] | None = None, note: str | None = None,
               rule_files: list[Path] | None = None) -> None:
    """A reviewer's tags: the design, and/or the complete outcome list, with a note."""
    if design is None and outcomes is None:
        raise UsageError("nothing to set: give --design and/or --outcome")
    rules = _ruleset(rule_files)
    stamp = _now()
    with store.transaction():
        _paper_row(store, pmid)
        rows = []
        if design is not None:
            store.remove_manual_tags(pmid, ["design"])
            rows.append((pmid, "design", check_design(design), 0))
        if outcomes is not None:
            store.remove_manual_tags(pmid, ["outcome"])
            rows += [(pmid, "outcome", o, int(o not in outcomes)) for o in OUTCOMES]
        store.add_manual_tags(rows, note, stamp)
        _retag(store, pmid, rules)


def clear_manual(store: Store, pmid: int, *, design: bool = True, outcomes: bool = True,
                 rule_files: list[Path] | None = None) -> list[str]:
    """Remove a reviewer's tags so the automatic ones apply again; returns the axes that
    had manual tags ("design", "outcome"). A manual outcome list is one row per outcome,
    so rows are not what a reviewer set."""
    axes = [a for a, wanted in (("design", design), ("outcome", outcomes)) if wanted]
    rules = _ruleset(rule_files)
    with store.transaction():
        _paper_row(store, pmid)
        removed = store.remove_manual_tags(pmid, axes)
        _retag(store, pmid, rules)
    return [axis for axis in axes if axis in removed]


@dataclass
class Explanation:
    pmid: int | None
    title: str
    current: TagResult
    stored: dict[str, Any] | None
    manual: list[dict[str, Any]]
    rules_fired: list[Evidence]
    thresholds: dict[str, float]  # the score each outcome needs
    paper_id: int = 0
    reference: str = ""  # how output names the paper (records.reference)


def explain(store: Store, pmid: int, rule_files: list[Path] | None = None) -> Explanation:
    """Every rule that matches the paper (``pmid``: its id) now (negated matches too), the
    stored tags, and the reviewer's manual tags."""
    with store.reading():
        row = _paper_row(store, pmid)
        rules = _ruleset(rule_files)
        result = tag_document(document(row[1:]), rules, complete=True)
        stored = store.stored_tags(pmid)
        manual = store.manual_tag_rows(pmid)
        real_pmid, reference = store.identity(pmid)
    stored_dict = stored.as_dict() if stored else None
    return Explanation(real_pmid, row[1], result, stored_dict, manual, result.evidence,
                       rules.scoring.threshold, pmid, reference)
