"""Source records: every record a database export (or a PubMed file) contributed, as received,
and the study it joined; what matching an import against the stored studies reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kratomlit.store.connection import Connection

# (paper id, run id, source database, accession, pmid, doi, title, year, first author,
#  record JSON, how it joined) of one source record.
SourceRow = tuple[int, int, str | None, str | None, int | None, str | None, str | None,
                  int | None, str | None, str | None, str]
# (paper id, pmid, doi, title, year, first author, journal, publication types JSON).
CitationRow = tuple[int, int | None, str | None, str, int | None, str | None, str | None,
                    str | None]


class SourceQueries(Connection):

    def citations(self) -> Iterator[CitationRow]:
        """What matching needs of every paper not withdrawn; PubMed's records first (by
        PMID), so a duplicate always points to the PubMed record when there is one."""
        with self.reading() as db:
            yield from db.execute(
                "SELECT id, pmid, doi, title, year, first_author, coalesce(journal, "
                "journal_iso), publication_types FROM papers WHERE deleted = 0 "
                "ORDER BY pmid IS NULL, pmid, id")

    def source_keys(self) -> list[tuple[Any, ...]]:
        """(database, accession, title, year, first author, paper id) of every source record
        whose study is not withdrawn: what tells a record imported again."""
        with self.reading() as db:
            return db.execute(
                "SELECT s.source_db, s.accession, s.title, s.year, s.first_author, s.paper_id "
                "FROM source_records s JOIN papers p ON p.id = s.paper_id WHERE p.deleted = 0"
            ).fetchall()

    def doi_only(self, dois: Iterable[str]) -> list[CitationRow]:
        """As ``citations``, the papers not withdrawn that have one of these DOIs (any case)
        and no PMID: studies another database gave, which PubMed's record may join."""
        with self.reading() as db:
            return db.execute(
                "SELECT id, pmid, doi, title, year, first_author, coalesce(journal, "
                "journal_iso), publication_types FROM papers WHERE pmid IS NULL AND "
                "deleted = 0 AND lower(doi) IN (SELECT lower(value) FROM json_each(?))",
                [json.dumps(sorted(set(dois)))]).fetchall()

    def add_source_records(self, rows: Sequence[SourceRow]) -> None:
        """Inside the caller's transaction."""
        self.db.conn.executemany(
            "INSERT INTO source_records (paper_id, run_id, source_db, accession, pmid, doi, "
            "title, year, first_author, record, matched_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows)

    def source_databases(self, paper_ids: Iterable[int]) -> dict[int, list[str]]:
        """paper id -> every database that found it: PubMed when a PubMed search returned
        it, and the database of each source record."""
        ids = json.dumps(sorted(set(paper_ids)))
        found: dict[int, set[str]] = {}
        with self.reading() as db:
            for paper_id, name in db.execute(
                    "SELECT paper_id, source_db FROM source_records WHERE source_db IS NOT "
                    "NULL AND paper_id IN (SELECT value FROM json_each(?)) UNION "
                    "SELECT p.id, 'PubMed' FROM papers p JOIN query_hits h ON h.pmid = p.pmid "
                    "WHERE p.id IN (SELECT value FROM json_each(?))", [ids, ids]):
                found.setdefault(paper_id, set()).add(name)
        return {paper_id: sorted(names) for paper_id, names in found.items()}

    def sources_of(self, paper_id: int) -> list[dict[str, Any]]:
        """The source records of one paper, oldest first: database, accession, the run,
        how it joined the study, and the file it came from."""
        with self.reading() as db:
            cursor = db.execute(
                "SELECT s.source_db, s.accession, s.pmid, s.doi, s.run_id, s.matched_by, "
                "r.options FROM source_records s LEFT JOIN fetch_runs r ON r.id = s.run_id "
                "WHERE s.paper_id = ? ORDER BY s.id", [paper_id])
            names = [c[0] for c in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor]
        for row in rows:
            files = json.loads(row.pop("options") or "{}").get("files", [])
            row["file"] = files[0] if len(files) == 1 else None
        return rows

    def move_source_records(self, from_id: int, to_id: int) -> None:
        """A confirmed duplicate's source records join the study kept (inside the caller's
        transaction); its own row, decisions and import hits stay, for the audit trail."""
        self.db.execute("UPDATE source_records SET paper_id = ?, matched_by = 'duplicate' "
                        "WHERE paper_id = ?", [to_id, from_id])
