"""Database exports (RIS, Web of Science, BibTeX, CSV, EndNote XML) joined to the stored
studies: one study, however many databases found it.

Every record is matched (``review.match``) against the stored papers, PubMed's first, and the
records imported before it. An automatic match (the same PMID or DOI with agreeing titles)
joins the study found before: the study keeps its metadata (PubMed's when it has it), and the
record is kept as a source record. Anything else is a new study; a fuzzy match (title, year
and first author) also becomes a duplicate candidate for ``screen duplicates`` to confirm.
Each file is one import run and so one PRISMA source, counting each study it found once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from kratomlit.parse import sniff
from kratomlit.records import Paper
from kratomlit.review import match
from kratomlit.store import SaveCounts, Store, now
from kratomlit.store.sources import CitationRow, SourceRow


@dataclass
class Export:
    """One file's records, read (and so checked) before anything is written."""

    path: Path
    format: str
    papers: list[Paper]
    source: str  # the database it came from: --source, the file's own DB field, its name


# A study: ("db", paper id) stored before, or ("new", k) the k-th record of this import.
Ref = tuple[str, int]


@dataclass
class _Plan:
    """What becomes of each record (in file order across the files)."""

    joins: dict[int, Ref] = field(default_factory=dict)  # record -> the study it joins
    how: dict[int, str] = field(default_factory=dict)  # record -> "new", "pmid", "doi"
    candidates: dict[int, tuple[Ref, str]] = field(default_factory=dict)


def read_export(path: Path, fmt: str, source: str | None,
                mapping: dict[str, str] | None) -> Export:
    parsed = sniff.read(path, mapping=mapping)
    papers = [r for r in parsed.records if isinstance(r, Paper)]
    return Export(path, fmt, papers, source or parsed.source_db or path.name)


def stored_citation(row: CitationRow) -> match.Citation:
    """What matching needs of a stored paper (a ``Store.citations`` row), as ("db", id)."""
    paper_id, pmid, doi, title, year, author, journal, types = row
    return match.Citation(("db", paper_id), pmid, doi, title or "", year, author, journal,
                          tuple(json.loads(types or "[]")))


def _stored(store: Store) -> list[match.Citation]:
    return [stored_citation(row) for row in store.citations()]


def _key(source: str | None, accession: str | None, title: str | None, year: int | None,
         author: str | None) -> tuple[object, ...]:
    """A record as its database gave it: by its accession there, else by its text."""
    if accession:
        return (source or "", accession)
    return (source or "", match.fold(title or ""), year, match.fold(author or ""))


def _plan(store: Store, records: list[Paper], sources: list[str]) -> _Plan:
    """A record a source gave before (a file imported again) joins its study as it is;
    the others are matched against the stored studies and each other."""
    plan = _Plan()
    seen = {_key(*row[:5]): row[5] for row in store.source_keys()}
    fresh = []
    for k, paper in enumerate(records):
        first = paper.authors[0].display if paper.authors else None
        again = seen.get(_key(sources[k], paper.accession, paper.title, paper.year, first))
        if again is not None:
            plan.joins[k], plan.how[k] = ("db", again), "again"
        else:
            fresh.append(match.Citation.of(("new", k), paper))
    found = {m.id: m for m in match.find([*_stored(store), *fresh])}
    for k in range(len(records)):
        m = found.get(("new", k))
        plan.how.setdefault(k, "new")
        if m is None or k in plan.joins:
            continue
        target = _root(plan, m.duplicate_of)
        if m.automatic:
            plan.joins[k], plan.how[k] = target, m.method
        else:
            plan.candidates[k] = (target, m.method)
    return plan


def _root(plan: _Plan, found: Hashable) -> Ref:
    """The study a record belongs to: a stored paper, or an earlier record of this import
    that is a new study."""
    ref = cast(Ref, found)
    while ref[0] == "new" and ref[1] in plan.joins:
        ref = plan.joins[ref[1]]
    return ref


def save_exports(store: Store, exports: Sequence[Export], run_ids: Sequence[int]
                 ) -> tuple[dict[int, SaveCounts], int]:
    """Match and save every record of ``exports`` (run ``run_ids[i]`` each), inside the
    caller's transaction: the counts per run (new studies, records that joined a study
    found before), and how many duplicate candidates it found."""
    records = [p for export in exports for p in export.papers]
    runs = [(run, export) for export, run in zip(exports, run_ids, strict=True)
            for _ in export.papers]
    plan = _plan(store, records, [export.source for _, export in runs])
    ids = _save_new(store, records, runs, plan)
    for k, ref in plan.joins.items():
        ids[k] = ids[ref[1]] if ref[0] == "new" else ref[1]
    store.adopt_pmids([(ids[k], pmid) for k in plan.joins
                       if (pmid := records[k].pmid) is not None])
    store.add_source_records([_source_row(p, ids[k], runs[k][0], runs[k][1].source,
                                          plan.how[k]) for k, p in enumerate(records)])
    for run in run_ids:
        store.record_import_hits(run, {ids[k] for k, (r, _) in enumerate(runs) if r == run})
    pairs = [(ids[k], ids[ref[1]] if ref[0] == "new" else ref[1], method)
             for k, (ref, method) in plan.candidates.items()]
    store.save_duplicates([p for p in pairs if p[0] != p[1]], False, now())
    counts = {run: SaveCounts() for run in run_ids}
    for k, (run, _) in enumerate(runs):
        if k in plan.joins:
            counts[run].joined += 1
        else:
            counts[run].new += 1
    return counts, len(pairs)


def _save_new(store: Store, records: list[Paper], runs: list[tuple[int, Export]],
              plan: _Plan) -> dict[int, int]:
    """Save the records that are new studies, each file's with its run; their ids. A PMID
    already stored, or taken by an earlier record here, stays only on the source record: a
    record the matcher kept apart from that PMID's paper is not that paper."""
    taken = store.stored_pmids()
    ids: dict[int, int] = {}
    for run, export in dict(runs).items():
        mine = [k for k, (r, _) in enumerate(runs) if r == run and k not in plan.joins]
        papers = []
        for k in mine:
            paper = records[k]
            if paper.pmid is not None and paper.pmid in taken:
                paper = dataclasses.replace(paper, pmid=None)
            if paper.pmid is not None:
                taken.add(paper.pmid)
            papers.append(dataclasses.replace(paper, source_db=export.source))
        saved = store.save_papers(papers, source=f"import:{export.path.name}", run_id=run,
                                  into={})
        ids.update(zip(mine, saved.ids, strict=True))
    return ids


def _source_row(paper: Paper, paper_id: int, run: int, source: str, how: str) -> SourceRow:
    first = paper.authors[0].display if paper.authors else None
    record = json.dumps({k: _plain(v) for k, v in vars(paper).items() if _kept(v)},
                        ensure_ascii=False, default=str)
    return (paper_id, run, source, paper.accession, paper.pmid, paper.doi, paper.title,
            paper.year, first, record, how)


def _kept(value: object) -> bool:
    return value not in (None, "", [], False)


def _plain(value: object) -> object:
    """A record's fields as JSON takes them, empty ones left out (dataclasses.asdict deep-
    copies every value, which took half of a 10,000-record import)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: v for k, v in vars(value).items() if _kept(v)}
    return value
