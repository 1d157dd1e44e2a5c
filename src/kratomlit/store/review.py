"""Review: screening decisions (one row each, never updated in place), duplicate pairs, and
the counts the PRISMA flow is built from. The rules that read them are in ``kratomlit.review``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kratomlit.errors import NotFoundError
from kratomlit.records import reference
from kratomlit.store.connection import Connection

# SQL about a paper ``p``: the confirmed duplicate pairs it is the removed record of. While
# the record kept is withdrawn by NLM, its duplicate stands in for it, so the article still
# counts once. Tables, exports, screening queues and the PRISMA flow all use these.
_CONFIRMED = ("FROM duplicates d JOIN papers kept ON kept.id = d.duplicate_of AND "
              "kept.deleted = 0 WHERE d.paper_id = p.id AND d.status = 'confirmed'")
NOT_DUPLICATE = f"NOT EXISTS (SELECT 1 {_CONFIRMED})"
DUPLICATE_OF = f"(SELECT min(d.duplicate_of) {_CONFIRMED})"  # NULL: not a duplicate
# A paper NLM has not withdrawn.
LIVE = "p.deleted = 0"

# (paper_id, reviewer, decision, reason, is_final) of one screening row.
DecisionRow = tuple[int, str, str, str | None, int]
# (paper_id, doi, title, year, first author) of a paper that could be a duplicate.
Identity = tuple[int, str | None, str | None, int | None, str | None]
# (query, records, first started, last finished, first run id) of a PubMed search.
SearchRow = tuple[str, int, str | None, str | None, int | None]
# (the files imported, records, started, finished, run id, the database named) of an
# import run.
ImportRow = tuple[list[str], int, str | None, str | None, int, str | None]


class ReviewQueries(Connection):
    # -- screening ---------------------------------------------------------------------

    def require_paper(self, paper_id: int) -> None:
        with self.reading() as db:
            missing = db.execute("SELECT 1 FROM papers WHERE id = ?", [paper_id]).fetchone() is None
        if missing:
            raise NotFoundError(f"id:{paper_id} is not in the database {self.path}")

    def screened_by_anyone(self, paper_id: int) -> bool:
        """Whether a reviewer (not a resolution) has decided on this paper."""
        return self.db.execute("SELECT 1 FROM screening WHERE paper_id = ? AND is_final = 0 "
                               "LIMIT 1", [paper_id]).fetchone() is not None

    def add_decision(self, paper_id: int, reviewer: str, decision: str, reason: str | None,
                     note: str | None, final: bool, stamp: str) -> None:
        self.db.execute(
            "INSERT INTO screening (paper_id, reviewer, decision, reason, note, is_final, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [paper_id, reviewer, decision, reason, note, int(final), stamp])

    def remove_latest_decision(self, reviewer: str) -> int | None:
        """Delete the reviewer's latest decision; its PMID (None when there is none)."""
        row = self.db.execute("SELECT id, paper_id FROM screening WHERE reviewer = ? "
                              "ORDER BY id DESC LIMIT 1", [reviewer]).fetchone()
        if row is None:
            return None
        self.db.execute("DELETE FROM screening WHERE id = ?", [row[0]])
        return int(row[1])

    def decision_rows(self) -> Iterator[DecisionRow]:
        """Every decision, oldest first."""
        with self.reading() as db:
            yield from db.execute("SELECT paper_id, reviewer, decision, reason, is_final "
                                  "FROM screening ORDER BY id")

    def decisions_on(self, paper_id: int) -> list[dict[str, Any]]:
        """Every decision on one paper, oldest first: reviewer, decision, reason, note,
        final, created_at."""
        with self.reading() as db:
            cursor = db.execute("SELECT reviewer, decision, reason, note, is_final AS final, "
                                "created_at FROM screening WHERE paper_id = ? ORDER BY id",
                                [paper_id])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]

    def screening_notes(self) -> Iterator[tuple[int, str, str]]:
        """(paper_id, reviewer, note) of every decision with a note, oldest first."""
        with self.reading() as db:
            yield from db.execute(
                "SELECT paper_id, reviewer, note FROM screening WHERE trim(coalesce(note, '')) "
                "!= '' ORDER BY id")

    def decided_by(self, reviewer: str) -> set[int]:
        """PMIDs this reviewer has decided (resolutions included)."""
        with self.reading() as db:
            return {row[0] for row in db.execute(
                "SELECT DISTINCT paper_id FROM screening WHERE reviewer = ?", [reviewer])}

    def votes(self, paper_ids: Sequence[int]) -> Iterator[tuple[Any, ...]]:
        """(paper id, PMID, reference, title, reviewer, decision, reason, note, created_at)
        of every reviewer decision on these papers, oldest first; withdrawn papers and
        confirmed duplicates left out."""
        with self.reading() as db:
            for paper_id, pmid, doi, *rest in db.execute(
                "SELECT p.id, p.pmid, p.doi, p.title, s.reviewer, s.decision, s.reason, s.note, "
                "s.created_at "
                f"FROM screening s JOIN papers p ON p.id = s.paper_id WHERE s.is_final = 0 AND "
                f"{LIVE} AND {NOT_DUPLICATE} AND "
                "p.id IN (SELECT value FROM json_each(?)) ORDER BY s.id",
                    [json.dumps(list(paper_ids))]):
                yield (paper_id, pmid, reference(pmid, doi, paper_id), *rest)

    def live_pmids(self) -> set[int]:
        """Every paper NLM has not withdrawn."""
        with self.reading() as db:
            return {row[0] for row in db.execute(f"SELECT p.id FROM papers p WHERE {LIVE}")}

    def auto_evidence(self, paper_id: int, limit: int = 8) -> list[tuple[str, str, str, str]]:
        """(axis, value, rule id, matched words) of the automatic tags' evidence."""
        with self.reading() as db:
            return db.execute(
                "SELECT axis, value, rule_id, matched FROM tags WHERE paper_id = ? AND "
                "source = 'auto' ORDER BY axis, id LIMIT ?", [paper_id, limit]).fetchall()

    # -- duplicates --------------------------------------------------------------------

    def identities(self, notices: Sequence[str]) -> Iterator[Identity]:
        """Papers not withdrawn, by PMID, leaving out those with these publication types."""
        excluded = " OR ".join("publication_types LIKE ?" for _ in notices)
        # PubMed's records first, oldest PMID first: the record kept is the earliest one.
        sql = (f"SELECT id, doi, title, year, first_author FROM papers WHERE deleted = 0 "
               f"AND NOT ({excluded}) ORDER BY pmid IS NULL, pmid, id")
        with self.reading() as db:
            yield from db.execute(sql, [f'%"{n}"%' for n in notices])

    def save_duplicates(self, pairs: Iterable[tuple[int, int, str]], confirm: bool,
                        stamp: str) -> None:
        """(paper_id, duplicate_of, method) pairs, as candidates or confirmed, in one statement.
        Finding a pair again never undoes a confirmation or its date."""
        status = "confirmed" if confirm else "candidate"
        with self.transaction() as db:
            db.conn.executemany(
                "INSERT INTO duplicates (paper_id, duplicate_of, method, status, created_at, "
                "decided_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (paper_id, duplicate_of) DO "
                "UPDATE SET status = 'confirmed', decided_at = excluded.decided_at "
                "WHERE excluded.status = 'confirmed' AND duplicates.status != 'confirmed'",
                [(*pair, status, stamp, stamp if confirm else None) for pair in pairs])

    def duplicate_statuses(self) -> dict[tuple[int, int], str]:
        with self.reading() as db:
            return {(paper_id, kept): status for paper_id, kept, status in db.execute(
                "SELECT paper_id, duplicate_of, status FROM duplicates")}

    def duplicate_method(self, paper_id: int, kept: int) -> str:
        with self.reading() as db:
            return str(db.execute("SELECT method FROM duplicates WHERE paper_id = ? AND "
                                  "duplicate_of = ?", [paper_id, kept]).fetchone()[0])

    def confirmed_duplicates(self) -> set[int]:
        """Papers removed as confirmed duplicates (withdrawn papers are never among them)."""
        with self.reading() as db:
            return {row[0] for row in db.execute(
                f"SELECT p.id FROM papers p WHERE {LIVE} AND NOT {NOT_DUPLICATE}")}

    # -- PRISMA sources ----------------------------------------------------------------

    def source_counts(self) -> tuple[list[SearchRow], list[ImportRow], list[tuple[str, int]]]:
        """(searches, imports, unrecorded): live records per PubMed query and per import run,
        with their first and last dates and first run id; and papers no run recorded
        (saved by other tools), per the source they were first seen in."""
        searched = f"JOIN papers p ON p.pmid = h.pmid AND {LIVE}"
        imported = f"JOIN papers p ON p.id = h.paper_id AND {LIVE}"
        runs = "FROM fetch_runs r WHERE r.kind = 'fetch' AND r.query = h.query"
        with self.reading() as db:
            searches = db.execute(
                f"SELECT h.query, count(*), (SELECT min(started_at) {runs}), (SELECT "
                f"max(finished_at) {runs}), (SELECT min(id) {runs}) FROM query_hits h {searched} "
                "GROUP BY h.query").fetchall()
            imports = db.execute(
                "SELECT r.options, count(*), r.started_at, r.finished_at, r.id FROM "
                f"import_hits h {imported} JOIN fetch_runs r ON r.id = h.run_id GROUP BY r.id"
            ).fetchall()
            unrecorded = db.execute(
                "SELECT source, count(*) FROM papers WHERE deleted = 0 AND coalesce(pmid, 0) "
                "NOT IN (SELECT pmid FROM query_hits) AND id NOT IN "
                "(SELECT paper_id FROM import_hits) "
                "GROUP BY source ORDER BY source").fetchall()
        files = [(json.loads(options or "{}").get("files", []), *rest,
                  json.loads(options or "{}").get("source")) for options, *rest in imports]
        return searches, files, unrecorded
