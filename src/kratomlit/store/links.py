"""Citation links: what PubMed's ELink tied to each seed (``links``, m009), the papers citation
searching alone found, and what a paper cites and is cited by within the database.

A link ``(seed, linked, direction)`` reads: "backward", the seed cites ``linked``; "forward",
``linked`` cites the seed; "similar", PubMed counts ``linked`` among the seed's similar
articles. So paper P cites Q when (P, Q, backward) or (Q, P, forward) is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from kratomlit.records import Link
from kratomlit.store.connection import Connection, now
from kratomlit.store.review import LIVE, NOT_DUPLICATE

SOURCE = "snowball"  # papers.source of a paper first stored by citation searching
# Papers no PubMed search and no import found: first stored by citation searching.
_CITATION_ONLY = (f"p.source = '{SOURCE}' AND {LIVE} AND p.pmid NOT IN (SELECT pmid FROM "
                  "query_hits) AND p.id NOT IN (SELECT paper_id FROM import_hits)")
# The other end of each link of paper ? in one relation, as (pmid) rows; each takes ? twice.
_RELATIONS = {
    "cites": "SELECT linked FROM links WHERE seed = ? AND direction = 'backward' "
             "UNION SELECT seed FROM links WHERE linked = ? AND direction = 'forward'",
    "cited_by": "SELECT linked FROM links WHERE seed = ? AND direction = 'forward' "
                "UNION SELECT seed FROM links WHERE linked = ? AND direction = 'backward'",
    "similar": "SELECT linked FROM links WHERE seed = ? AND direction = 'similar' "
               "UNION SELECT seed FROM links WHERE linked = ? AND direction = 'similar'",
}
# (citing, cited) pairs, each from either form of the link.
_CITING = ("SELECT linked AS citing, seed AS cited, first_seen, run_id FROM links "
           "WHERE direction = 'forward' UNION ALL SELECT seed, linked, first_seen, run_id "
           "FROM links WHERE direction = 'backward'")


class LinkQueries(Connection):

    def save_links(self, links: Iterable[Link], run_id: int) -> int:
        """Store the links not stored yet (one seen again keeps when it was first seen and
        by which run); how many were new."""
        stamp = now()
        with self.transaction() as db:
            before = db.conn.total_changes
            db.conn.executemany(
                "INSERT INTO links (seed, linked, direction, score, first_seen, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seed, linked, direction) DO NOTHING",
                ((link.seed, link.linked, link.direction, link.score, stamp, run_id)
                 for link in links))
            return int(db.conn.total_changes - before)

    def run_links(self, run_id: int) -> int:
        """How many links a run stored first, as committed."""
        with self.reading() as db:
            return int(db.execute("SELECT count(*) FROM links WHERE run_id = ?",
                                  [run_id]).fetchone()[0])

    def citation_only_pmids(self) -> set[int]:
        """Papers (ids, despite the older name) only citation searching found (no PubMed
        search, no import), not withdrawn."""
        with self.reading() as db:
            return {row[0] for row in db.execute(
                f"SELECT p.id FROM papers p WHERE {_CITATION_ONLY}")}

    def citation_searches(self) -> tuple[int, str | None, str | None, list[str]]:
        """(snowball runs that finished, first started, last finished, directions of the
        links stored) — what the PRISMA flow says of citation searching."""
        with self.reading() as db:
            runs, first, last = db.execute(
                "SELECT count(*), min(started_at), max(finished_at) FROM fetch_runs "
                "WHERE kind = 'snowball' AND status != 'running'").fetchone()
            directions = [row[0] for row in db.execute("SELECT DISTINCT direction FROM links")]
        return int(runs), first, last, directions

    def paper_links(self, pmid: int) -> dict[str, Any]:
        """What ``show`` lists: the papers in the database this one cites, that cite it and
        that PubMed finds similar ({pmid, year, title}, newest first), and, when only
        citation searching found it, the links it was found by ({seed, direction,
        first_seen, run_id}, earliest first; else an empty list)."""
        found: dict[str, Any] = {}
        with self.reading() as db:
            for name, others in _RELATIONS.items():
                cursor = db.execute(
                    f"SELECT p.pmid, p.year, p.title FROM papers p WHERE {LIVE} AND p.pmid "
                    f"IN ({others}) ORDER BY p.year IS NULL, p.year DESC, p.pmid DESC",
                    [pmid, pmid])
                found[name] = [dict(zip(("pmid", "year", "title"), row, strict=True))
                               for row in cursor]
            cursor = db.execute(
                "SELECT seed, direction, first_seen, run_id FROM links WHERE linked = ? AND "
                f"EXISTS (SELECT 1 FROM papers p WHERE p.pmid = ? AND {_CITATION_ONLY}) "
                "ORDER BY first_seen, run_id, seed, direction", [pmid, pmid])
            found["found_by_citation"] = [
                dict(zip(("seed", "direction", "first_seen", "run_id"), row, strict=True))
                for row in cursor]
        return found

    def last_citation_run(self) -> dict[str, Any] | None:
        """The latest snowball run that finished, whatever its status."""
        with self.reading() as db:
            runs = list(db["fetch_runs"].rows_where(
                "kind = 'snowball' AND status != 'running'", order_by="id desc", limit=1))
        return runs[0] if runs else None

    def citing(self, cited: Sequence[int], *, run_id: int | None = None,
               since: str | None = None) -> dict[int, list[int]]:
        """Papers citing any of ``cited`` by a link first seen in run ``run_id`` or on or
        after ``since`` (an ISO date): citing PMID -> the cited PMIDs, ascending. Withdrawn
        papers and confirmed duplicates are left out, as tables leave them out."""
        found: dict[int, set[int]] = {}
        when, value = ("c.run_id = ?", run_id) if run_id is not None else ("c.first_seen >= ?",
                                                                             since)
        with self.reading() as db:
            for citing, target in db.execute(
                    f"SELECT c.citing, c.cited FROM ({_CITING}) c JOIN papers p ON "
                    f"p.pmid = c.citing WHERE {LIVE} AND {NOT_DUPLICATE} AND {when} AND "
                    "c.cited IN (SELECT value FROM json_each(?))",
                    [value, json.dumps(list(cited))]):
                found.setdefault(citing, set()).add(target)
        return {pmid: sorted(targets) for pmid, targets in found.items()}
