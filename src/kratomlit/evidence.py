"""Select the studies an evidence table, map, digest or export shows.

All filtering, ordering and limiting happens in SQL, so a table of 50 rows costs the
same on 2,000 papers as on 100,000, and exports stream row by row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kratomlit.errors import UsageError
from kratomlit.store import Store
from kratomlit.tagging.rules import DESIGNS, OUTCOMES

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
_DESIGN_RANK = " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(DESIGNS))
ORDER_BY = (f"CASE t.design {_DESIGN_RANK} ELSE {len(DESIGNS)} END, "
            "p.year IS NULL, p.year DESC, p.pmid DESC")
_DATE = re.compile(r"^\d{4}(?:[/-]\d{1,2}(?:[/-]\d{1,2})?)?$")
# An automatic tag whose decision was closer than this (score points between the design
# and its runner-up, or between an outcome's score and its threshold) is uncertain.
UNCERTAIN_MARGIN = 1.0


@dataclass
class Filters:
    outcomes: list[str] = field(default_factory=list)
    designs: list[str] = field(default_factory=list)
    since: int | None = None  # publication year, inclusive
    until: int | None = None
    search: str | None = None
    new: bool = False  # added by the last fetch or import
    added_since: str | None = None  # first seen on or after this date (digests)
    include_retracted: bool = False
    screening: str | None = None  # included | excluded | maybe | conflict | screened | unscreened
    limit: int | None = None
    uncertain: bool = False  # automatic tags a reviewer should check, least certain first

    def check(self) -> Filters:
        for outcome in self.outcomes:
            if outcome not in OUTCOMES:
                raise UsageError(f"unknown outcome {outcome!r} (use {', '.join(OUTCOMES)})")
        for design in self.designs:
            if design not in DESIGNS and design != "untagged":
                raise UsageError(f"unknown design {design!r} (use {', '.join(DESIGNS)}, or "
                                 "untagged)")
        for name, year in (("--since", self.since), ("--until", self.until)):
            if year is not None and not 1800 <= year <= 2200:
                raise UsageError(f"{name} wants a publication year such as 2015 (got {year})")
        if self.since and self.until and self.since > self.until:
            raise UsageError(f"--since {self.since} is after --until {self.until}")
        if self.added_since is not None and not _DATE.match(self.added_since):
            raise UsageError(f"invalid date {self.added_since!r} (use YYYY, YYYY-MM or "
                             "YYYY-MM-DD)")
        if self.limit is not None and self.limit < 1:
            raise UsageError("--limit must be at least 1")
        return self


COLUMNS = ("p.pmid, p.year, p.first_author, p.journal, p.journal_iso, p.volume, p.issue, "
           "p.pages, p.title, p.abstract, p.doi, p.pmcid, p.retracted, p.first_seen, "
           "p.publication_types, p.keywords, p.languages, p.pub_date, t.design, t.outcomes, "
           "t.n_participants, t.population")


def _where(store: Store, filters: Filters) -> tuple[list[str], list[Any]]:
    clauses: list[str] = ["p.deleted = 0"]
    params: list[Any] = []
    if not filters.include_retracted:
        clauses.append("p.retracted = 0")
    if filters.designs:
        named = [d for d in filters.designs if d != "untagged"]
        parts = []
        if named:
            parts.append("t.design IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(named))
        if "untagged" in filters.designs:
            parts.append("t.design IS NULL")
        clauses.append("(" + " OR ".join(parts) + ")")
    if filters.outcomes:
        clauses.append("EXISTS (SELECT 1 FROM json_each(t.outcomes) WHERE value IN "
                       "(SELECT value FROM json_each(?)))")
        params.append(json.dumps(filters.outcomes))
    if filters.since is not None:
        clauses.append("p.year >= ?")
        params.append(filters.since)
    if filters.until is not None:
        clauses.append("p.year <= ?")
        params.append(filters.until)
    if filters.search:
        from kratomlit.store import fts_expression

        store.matching_pmids(filters.search)  # a bad expression fails here, in one line
        clauses.append("p.rowid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
        params.append(fts_expression(filters.search))
    if filters.new:
        _, pmids = store.last_run_pmids()
        clauses.append("p.pmid IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(pmids)))
    if filters.added_since:
        clauses.append("p.first_seen >= ?")
        params.append(filters.added_since.replace("/", "-"))
    if filters.uncertain:
        clauses.append("t.margin < ?")
        params.append(UNCERTAIN_MARGIN)
    if filters.screening:
        from kratomlit.screening import pmids_with_status

        wanted = pmids_with_status(store, filters.screening)
        clauses.append("p.pmid IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(wanted or ())))
    return clauses, params


def count(store: Store, filters: Filters) -> int:
    clauses, params = _where(store, filters.check())
    sql = ("SELECT count(*) FROM papers p LEFT JOIN paper_tags t ON t.pmid = p.pmid WHERE "
           + " AND ".join(clauses))
    with store.reading() as db:
        return int(db.execute(sql, params).fetchone()[0])


def design_counts(store: Store, filters: Filters) -> dict[str, int]:
    """Studies per design under the filters (ignoring --limit), strongest design first."""
    clauses, params = _where(store, filters.check())
    sql = ("SELECT coalesce(t.design, 'untagged'), count(*) FROM papers p LEFT JOIN paper_tags t "
           "ON t.pmid = p.pmid WHERE " + " AND ".join(clauses) + " GROUP BY 1")
    with store.reading() as db:
        found = dict(db.execute(sql, params).fetchall())
    order = [*DESIGNS, "untagged"]
    return {d: found[d] for d in order if d in found}


def pmids(store: Store, filters: Filters) -> list[int]:
    """Only the PMIDs of the selected studies, in table order (cheap on any database)."""
    clauses, params = _where(store, filters.check())
    sql = (f"SELECT p.pmid FROM papers p LEFT JOIN paper_tags t ON t.pmid = p.pmid "
           f"WHERE {' AND '.join(clauses)} ORDER BY {ORDER_BY}")
    with store.reading() as db:
        return [row[0] for row in db.execute(sql, params)]


def rows(store: Store, filters: Filters, *, only: list[int] | None = None
         ) -> Iterator[dict[str, Any]]:
    """The selected studies, strongest design first then newest, as plain dicts
    (``only``: just these PMIDs)."""
    clauses, params = _where(store, filters.check())
    if only is not None:
        clauses.append("p.pmid IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(only))
    order = f"t.margin, {ORDER_BY}" if filters.uncertain else ORDER_BY
    sql = (f"SELECT {COLUMNS} FROM papers p LEFT JOIN paper_tags t ON t.pmid = p.pmid "
           f"WHERE {' AND '.join(clauses)} ORDER BY {order}")
    if filters.limit:
        sql += f" LIMIT {int(filters.limit)}"
    names = [c.strip().split(".")[1] for c in COLUMNS.split(",")]
    with store.reading() as db:
        cursor = db.execute(sql, params)
        while batch := cursor.fetchmany(500):
            for values in batch:
                row = dict(zip(names, values, strict=True))
                row["outcomes"] = json.loads(row["outcomes"]) if row["outcomes"] else []
                for key in ("publication_types", "keywords", "languages"):
                    row[key] = json.loads(row[key]) if row[key] else []
                row["design"] = row["design"] or "untagged"
                row["retracted"] = bool(row["retracted"])
                row["url"] = PUBMED_URL.format(pmid=row["pmid"])
                yield row


def with_details(store: Store, selected: Iterator[dict[str, Any]], *, batch: int = 500
                 ) -> Iterator[dict[str, Any]]:
    """Add authors and screening decisions to rows, a batch at a time (for exports)."""
    from kratomlit.screening import effective_decisions

    decisions = effective_decisions(store)
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        authors: dict[int, list[str]] = {}
        sql = ("SELECT pmid, last_name, fore_name, initials, collective_name FROM authors "
               "WHERE pmid IN (SELECT value FROM json_each(?)) ORDER BY pmid, position")
        with store.reading() as db:
            for pmid, last, fore, initials, collective in db.execute(
                    sql, [json.dumps([r["pmid"] for r in pending])]):
                name = collective or ", ".join(p for p in (last, fore or initials) if p)
                authors.setdefault(pmid, []).append(name)
        for row in pending:
            row["authors"] = authors.get(row["pmid"], [])
            decision = decisions.get(row["pmid"])
            row["screening"] = decision.decision if decision else None
            row["screening_reason"] = decision.reason if decision else None
            yield row

    for row in selected:
        pending.append(row)
        if len(pending) >= batch:
            yield from flush()
            pending = []
    if pending:
        yield from flush()


NO_OUTCOME = "no outcome"


@dataclass
class EvidenceMap:
    designs: list[str]
    outcomes: list[str]
    cells: dict[str, dict[str, int]]  # outcome -> design -> studies
    studies: int  # distinct studies (a study with two outcomes counts once here)
    years: dict[str, dict[int, int]]  # outcome -> year -> studies

    def as_dict(self) -> dict[str, Any]:
        return {"designs": self.designs, "outcomes": self.outcomes, "cells": self.cells,
                "studies": self.studies,
                "years": {o: {str(y): n for y, n in ys.items()} for o, ys in self.years.items()}}


def evidence_map(store: Store, filters: Filters) -> EvidenceMap:
    """Outcomes x designs counts, and studies per year for each outcome."""
    clauses, params = _where(store, filters.check())
    sql = ("SELECT coalesce(t.design, 'untagged'), coalesce(o.value, ?), p.year, count(*) "
           "FROM papers p LEFT JOIN paper_tags t ON t.pmid = p.pmid "
           "LEFT JOIN json_each(CASE WHEN json_array_length(t.outcomes) > 0 THEN t.outcomes "
           "END) o WHERE " + " AND ".join(clauses) + " GROUP BY 1, 2, 3")
    cells: dict[str, dict[str, int]] = {}
    years: dict[str, dict[int, int]] = {}
    with store.reading() as db:
        for design, outcome, year, n in db.execute(sql, [NO_OUTCOME, *params]):
            row = cells.setdefault(outcome, {})
            row[design] = row.get(design, 0) + n
            if year is not None:
                per_year = years.setdefault(outcome, {})
                per_year[year] = per_year.get(year, 0) + n
    designs_present = {d for row in cells.values() for d in row}
    designs = [d for d in (*DESIGNS, "untagged") if d in designs_present]
    outcomes = [o for o in (*OUTCOMES, NO_OUTCOME) if o in cells]
    return EvidenceMap(designs, outcomes, cells, count(store, filters),
                       {o: dict(sorted(years[o].items())) for o in outcomes if o in years})
