"""The SQLite store, the only place that holds SQL: ``Store`` joins its parts (connection,
papers, search, runs, tags, extraction, review, selection, sources, links), each in a module of
its own.

Writes go through ``Store.transaction()``, so a batch of papers with their
authors, MeSH headings and publication types is committed whole or not at all.
Re-saving a paper never duplicates it: unchanged records are skipped, changed ones
are updated in place (keeping ``first_seen``), and the FTS index follows through
its triggers.
"""

from __future__ import annotations

from kratomlit.store.connection import BUSY_TIMEOUT_MS, now
from kratomlit.store.extraction import ExtractionQueries
from kratomlit.store.links import LinkQueries
from kratomlit.store.papers import PAPER_COLUMNS, PaperQueries, SaveCounts, paper_rows
from kratomlit.store.review import ReviewQueries
from kratomlit.store.search import fts_expression, search_expression
from kratomlit.store.selection import SelectionQueries
from kratomlit.store.sources import SourceQueries
from kratomlit.store.tags import TagQueries


class Store(SelectionQueries, PaperQueries, TagQueries, ReviewQueries, SourceQueries,
            LinkQueries, ExtractionQueries):
    """One open kratomlit database, migrated to the current schema (see ``Connection``)."""

    def __enter__(self) -> Store:
        return self


__all__ = ["BUSY_TIMEOUT_MS", "PAPER_COLUMNS", "SaveCounts", "Store", "fts_expression", "now",
           "paper_rows", "search_expression"]
