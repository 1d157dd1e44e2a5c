"""The study selection that tables, maps, digests, exports and the screening queue read.

All filtering, ordering and limiting happens in SQL, so a table of 50 rows costs the same on
2,000 papers as on 100,000, and rows stream a batch at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kratomlit.errors import UsageError
from kratomlit.store.connection import Connection
from kratomlit.store.extraction import decoded
from kratomlit.store.review import DUPLICATE_OF, LIVE, NOT_DUPLICATE
from kratomlit.store.runs import RunQueries
from kratomlit.store.search import SearchQueries
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES, UNTAGGED

_DESIGN_RANK = " ".join(f"WHEN '{d}' THEN {i}" for i, d in enumerate(DESIGNS))
ORDER_BY = (f"CASE t.design {_DESIGN_RANK} ELSE {len(DESIGNS)} END, "
            "p.year IS NULL, p.year DESC, p.pmid DESC, p.id DESC")
_FROM = ("FROM papers p LEFT JOIN paper_tags t ON t.paper_id = p.id "
         "LEFT JOIN paper_extraction e ON e.paper_id = p.id")
COLUMNS = ("p.id, p.pmid, p.accession, p.source_db, p.year, p.first_author, p.journal, "
           "p.journal_iso, p.volume, p.issue, p.pages, p.title, p.abstract, p.doi, p.pmcid, "
           "p.retracted, p.first_seen, p.pub_date, t.design, t.outcomes, t.n_participants, "
           "t.population, e.finding, e.substances, e.countries, e.countries_inferred, "
           "e.measures")
_NAMES = [c.strip().split(".")[1] for c in COLUMNS.split(",")] + ["duplicate_of"]
_IN_JSON = "IN (SELECT value FROM json_each(?))"
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
    added_since: dt.date | None = None  # first seen on or after this day (digests)
    include_retracted: bool = False
    include_duplicates: bool = False  # confirmed duplicates, marked with duplicate_of
    screening: str | None = None  # included | excluded | maybe | conflict | screened | unscreened
    limit: int | None = None
    uncertain: bool = False  # automatic tags a reviewer should check, least certain first
    # Names as the extraction stores them (any one of each list); countries: those the
    # record names, not those inferred from an affiliation.
    substances: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)

    def order_by(self) -> str:
        return f"t.margin, {ORDER_BY}" if self.uncertain else ORDER_BY

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
        if self.limit is not None and self.limit < 1:
            raise UsageError("--limit must be at least 1")
        return self


class SelectionQueries(SearchQueries, RunQueries, Connection):
    """``screened``: the paper ids a screening-status filter keeps (the review layer works them
    out), or None for no such filter."""

    def _where(self, filters: Filters, screened: set[int] | None
               ) -> tuple[list[str], list[Any]]:
        clauses: list[str] = [LIVE]
        params: list[Any] = []
        if not filters.include_retracted:
            clauses.append("p.retracted = 0")
        if not filters.include_duplicates:
            clauses.append(NOT_DUPLICATE)
        if filters.designs:
            named = [d for d in filters.designs if d != UNTAGGED]
            parts = []
            if named:
                parts.append(f"t.design {_IN_JSON}")
                params.append(json.dumps(named))
            if UNTAGGED in filters.designs:
                parts.append("t.design IS NULL")
            clauses.append("(" + " OR ".join(parts) + ")")
        if filters.outcomes:
            clauses.append(f"EXISTS (SELECT 1 FROM json_each(t.outcomes) WHERE value {_IN_JSON})")
            params.append(json.dumps(filters.outcomes))
        for clause, value in (("p.year >= ?", filters.since), ("p.year <= ?", filters.until)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if filters.search:
            self.matching_pmids(filters.search)  # a bad expression fails here, in one line
            clause, values = self.match_clause(filters.search)
            clauses.append(clause)
            params.extend(values)
        if filters.new:
            clauses.append(f"p.id {_IN_JSON}")
            params.append(json.dumps(sorted(self.last_run_pmids()[1])))
        if filters.added_since:
            # first_seen is an ISO timestamp, so it sorts as text against an ISO date.
            clauses.append("p.first_seen >= ?")
            params.append(filters.added_since.isoformat())
        if filters.uncertain:
            clauses.append("t.margin < ?")
            params.append(UNCERTAIN_MARGIN)
        for column, names in (("e.substances", filters.substances),
                              ("e.countries", filters.countries),
                              ("e.measures", filters.measures)):
            if names:
                clauses.append(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value "
                               f"{_IN_JSON})")
                params.append(json.dumps(names))
        if screened is not None:
            clauses.append(f"p.id {_IN_JSON}")
            params.append(json.dumps(sorted(screened)))
        return clauses, params

    def count_selected(self, filters: Filters, screened: set[int] | None = None) -> int:
        clauses, params = self._where(filters.check(), screened)
        with self.reading() as db:
            return int(db.execute(f"SELECT count(*) {_FROM} WHERE {' AND '.join(clauses)}",
                                  params).fetchone()[0])

    def design_counts(self, filters: Filters, screened: set[int] | None = None
                      ) -> dict[str, int]:
        """Studies per design under the filters (ignoring --limit), strongest design first."""
        clauses, params = self._where(filters.check(), screened)
        sql = (f"SELECT coalesce(t.design, '{UNTAGGED}'), count(*) {_FROM} WHERE "
               f"{' AND '.join(clauses)} GROUP BY 1")
        with self.reading() as db:
            found = dict(db.execute(sql, params).fetchall())
        return {d: found[d] for d in (*DESIGNS, UNTAGGED) if d in found}

    def selected_pmids(self, filters: Filters, screened: set[int] | None = None) -> list[int]:
        """Only the paper ids of the selected studies (the name is older than records
        without PMIDs), in table order (cheap on any database)."""
        clauses, params = self._where(filters.check(), screened)
        sql = (f"SELECT p.id {_FROM} WHERE {' AND '.join(clauses)} "
               f"ORDER BY {filters.order_by()}")
        with self.reading() as db:
            return [row[0] for row in db.execute(sql, params)]

    def selected_rows(self, filters: Filters, screened: set[int] | None = None,
                      only: Sequence[int] | None = None) -> Iterator[dict[str, Any]]:
        """The selected studies, strongest design first then newest, as dicts of COLUMNS and
        duplicate_of (``only``: just these paper ids), outcomes decoded."""
        clauses, params = self._where(filters.check(), screened)
        if only is not None:
            clauses.append(f"p.id {_IN_JSON}")
            params.append(json.dumps(list(only)))
        duplicate_of = DUPLICATE_OF if filters.include_duplicates else "NULL"
        sql = (f"SELECT {COLUMNS}, {duplicate_of} {_FROM} WHERE {' AND '.join(clauses)} "
               f"ORDER BY {filters.order_by()}")
        if filters.limit:
            sql += f" LIMIT {int(filters.limit)}"
        with self.reading() as db:
            cursor = db.execute(sql, params)
            while batch := cursor.fetchmany(500):
                for values in batch:
                    row = dict(zip(_NAMES, values, strict=True))
                    row["outcomes"] = json.loads(row["outcomes"]) if row["outcomes"] else []
                    yield decoded(row)

    def author_lists(self, paper_ids: Sequence[int]) -> dict[int, list[str]]:
        """paper id -> its authors as "Last, Fore" (or the collective name), in order."""
        authors: dict[int, list[str]] = {}
        sql = ("SELECT paper_id, last_name, fore_name, initials, collective_name FROM authors "
               f"WHERE paper_id {_IN_JSON} ORDER BY paper_id, position")
        with self.reading() as db:
            for paper_id, last, fore, initials, collective in db.execute(sql, [json.dumps(
                    list(paper_ids))]):
                name = collective or ", ".join(p for p in (last, fore or initials) if p)
                authors.setdefault(paper_id, []).append(name)
        return authors

    def map_counts(self, filters: Filters, no_outcome: str, screened: set[int] | None = None
                   ) -> Iterator[tuple[str, str, int | None, int]]:
        """(design, outcome, year, studies) under the filters; ``no_outcome`` names the
        outcome of studies that have none."""
        clauses, params = self._where(filters.check(), screened)
        sql = (f"SELECT coalesce(t.design, '{UNTAGGED}'), coalesce(o.value, ?), p.year, "
               f"count(*) {_FROM} LEFT JOIN json_each(CASE WHEN json_array_length(t.outcomes) "
               f"> 0 THEN t.outcomes END) o WHERE {' AND '.join(clauses)} GROUP BY 1, 2, 3")
        with self.reading() as db:
            yield from db.execute(sql, [no_outcome, *params])

    def extraction_counts(self, filters: Filters, column: str, none: str,
                          screened: set[int] | None = None
                          ) -> Iterator[tuple[str, str, int]]:
        """(design, name, studies) under the filters, for each name of the extraction's
        ``column`` (substances, countries or measures); ``none`` names studies with none."""
        if column not in ("substances", "countries", "measures"):
            raise ValueError(column)
        clauses, params = self._where(filters.check(), screened)
        sql = (f"SELECT coalesce(t.design, '{UNTAGGED}'), coalesce(x.value, ?), count(*) "
               f"{_FROM} LEFT JOIN json_each(CASE WHEN json_array_length(e.{column}) > 0 "
               f"THEN e.{column} END) x WHERE {' AND '.join(clauses)} GROUP BY 1, 2")
        with self.reading() as db:
            yield from db.execute(sql, [none, *params])
