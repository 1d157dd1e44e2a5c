"""Select the studies an evidence table, map, digest or export shows: the store's selection,
with the screening-status filter worked out and each row made ready to show.

All filtering, ordering and limiting happens in SQL (``kratomlit.store.selection``), so a
table of 50 rows costs the same on 2,000 papers as on 100,000, and exports stream row by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kratomlit.records import reference
from kratomlit.store import Store
from kratomlit.store.selection import Filters
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, UNTAGGED

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
DOI_URL = "https://doi.org/{doi}"


def _screened(store: Store, filters: Filters) -> set[int] | None:
    """The papers (ids) a screening-status filter keeps (None: no such filter), worked out after the
    other filters are checked, so the first bad one is the one reported."""
    status = filters.check().screening
    if not status:
        return None
    if filters.search:
        store.matching_pmids(filters.search)
    from kratomlit.review.screening import pmids_with_status

    return pmids_with_status(store, status) or set()


def count(store: Store, filters: Filters) -> int:
    return store.count_selected(filters, _screened(store, filters))


def design_counts(store: Store, filters: Filters) -> dict[str, int]:
    """Studies per design under the filters (ignoring --limit), strongest design first."""
    return store.design_counts(filters, _screened(store, filters))


def pmids(store: Store, filters: Filters) -> list[int]:
    """Only the paper ids of the selected studies, in table order (cheap on any database)."""
    return store.selected_pmids(filters, _screened(store, filters))


def rows(store: Store, filters: Filters, *, only: list[int] | None = None
         ) -> Iterator[dict[str, Any]]:
    """The selected studies, strongest design first then newest, as plain dicts
    (``only``: just these paper ids), each with the ``reference`` output names it by."""
    for row in store.selected_rows(filters, _screened(store, filters), only):
        row["design"] = row["design"] or UNTAGGED
        row["retracted"] = bool(row["retracted"])
        row["reference"] = reference(row["pmid"], row["doi"], row["id"])
        row["url"] = (PUBMED_URL.format(pmid=row["pmid"]) if row["pmid"]
                      else DOI_URL.format(doi=row["doi"]) if row["doi"] else None)
        if row["duplicate_of"] is not None:  # named as output names papers
            kept = store.references([row["duplicate_of"]])[row["duplicate_of"]]
            row["duplicate_of"] = int(kept) if kept.isdigit() else kept
        yield row


def with_details(store: Store, selected: Iterator[dict[str, Any]], *, batch: int = 500
                 ) -> Iterator[dict[str, Any]]:
    """Add authors, screening decisions and notes to rows, a batch at a time (for exports)."""
    from kratomlit.review.screening import effective_decisions, notes

    decisions = effective_decisions(store)
    noted = notes(store)
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        authors = store.author_lists([r["id"] for r in pending])
        databases = store.source_databases(r["id"] for r in pending)
        for row in pending:
            row["authors"] = authors.get(row["id"], [])
            decision = decisions.get(row["id"])
            row["screening"] = decision.decision if decision else None
            row["screening_reason"] = decision.reason if decision else None
            row["screening_notes"] = noted.get(row["id"], [])
            row["source_databases"] = databases.get(row["id"], [])
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
    by: str = "outcome"  # or "country", "substance": what the rows are

    def as_dict(self) -> dict[str, Any]:
        if self.by != "outcome":
            return {"by": self.by, "designs": self.designs, BY[self.by]: self.outcomes,
                    "cells": self.cells, "studies": self.studies}
        return {"designs": self.designs, "outcomes": self.outcomes, "cells": self.cells,
                "studies": self.studies,
                "years": {o: {str(y): n for y, n in ys.items()} for o, ys in self.years.items()}}


def evidence_map(store: Store, filters: Filters) -> EvidenceMap:
    """Outcomes x designs counts, and studies per year for each outcome."""
    cells: dict[str, dict[str, int]] = {}
    years: dict[str, dict[int, int]] = {}
    for design, outcome, year, n in store.map_counts(filters, NO_OUTCOME,
                                                     _screened(store, filters)):
        row = cells.setdefault(outcome, {})
        row[design] = row.get(design, 0) + n
        if year is not None:
            per_year = years.setdefault(outcome, {})
            per_year[year] = per_year.get(year, 0) + n
    designs_present = {d for row in cells.values() for d in row}
    designs = [d for d in (*DESIGNS, UNTAGGED) if d in designs_present]
    outcomes = [o for o in (*OUTCOMES, NO_OUTCOME) if o in cells]
    return EvidenceMap(designs, outcomes, cells, count(store, filters),
                       {o: dict(sorted(years[o].items())) for o in outcomes if o in years})


# map --by: what each row is, and the extraction's column it comes from.
BY = {"country": "countries", "substance": "substances"}


def none_named(by: str) -> str:
    return f"no {by} named"


def extraction_map(store: Store, filters: Filters, by: str) -> EvidenceMap:
    """Countries (or substances) x designs counts, most studied first; a study naming two
    countries counts under each, one naming none under "no country named"."""
    none = none_named(by)
    cells: dict[str, dict[str, int]] = {}
    for design, name, n in store.extraction_counts(filters, BY[by], none,
                                                   _screened(store, filters)):
        cells.setdefault(name, {})[design] = n
    present = {d for row in cells.values() for d in row}
    designs = [d for d in (*DESIGNS, UNTAGGED) if d in present]
    names = sorted(cells, key=lambda name: (name == none, -sum(cells[name].values()), name))
    return EvidenceMap(designs, names, cells, count(store, filters), {}, by)


__all__ = ["BY", "NO_OUTCOME", "PUBMED_URL", "EvidenceMap", "Filters", "count", "design_counts",
           "evidence_map", "extraction_map", "none_named", "pmids", "rows", "with_details"]
