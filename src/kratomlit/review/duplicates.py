"""Find records that describe the same article twice (PMIDs merged late, re-indexed items).

PubMed rarely duplicates, but a few pairs exist (a record and its re-issue, an early
"ahead of print" entry). Candidates share a DOI, or a normalised title with the same
year and first author. Errata and retraction notices share titles with the article
they correct on purpose, so they are never candidates.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from kratomlit.store import Store

_NOTICES = ("Published Erratum", "Retraction of Publication", "Expression of Concern",
            "Comment")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return _NOT_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Candidate:
    pmid: int  # the record to remove (the later PMID)
    duplicate_of: int  # the record kept
    method: str


def find(store: Store) -> list[Candidate]:
    """Candidate pairs, the lower (older) PMID kept."""
    notices = " OR ".join("publication_types LIKE ?" for _ in _NOTICES)
    sql = (f"SELECT pmid, doi, title, year, first_author FROM papers WHERE deleted = 0 AND NOT "
           f"({notices}) ORDER BY pmid")
    seen_doi: dict[str, int] = {}
    seen_title: dict[tuple[str, int | None, str], int] = {}
    found: dict[int, Candidate] = {}
    with store.reading() as db:
        for pmid, doi, title, year, author in db.execute(sql, [f'%"{n}"%' for n in _NOTICES]):
            if doi:
                key = doi.strip().lower()
                if key in seen_doi:
                    found.setdefault(pmid, Candidate(pmid, seen_doi[key], "doi"))
                else:
                    seen_doi[key] = pmid
            normal = normalise_title(title or "")
            if len(normal) >= 20:
                title_key = (normal, year, (author or "").lower())
                if title_key in seen_title:
                    found.setdefault(pmid, Candidate(pmid, seen_title[title_key],
                                                     "title-year-author"))
                else:
                    seen_title[title_key] = pmid
    return list(found.values())


def record(store: Store, candidates: list[Candidate], *, confirm: bool = False) -> int:
    """Store candidates (status candidate, or confirmed = removed from screening), in one
    statement. Finding a pair again never undoes a confirmation or its date."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    status = "confirmed" if confirm else "candidate"
    with store.transaction() as db:
        db.conn.executemany(
            "INSERT INTO duplicates (pmid, duplicate_of, method, status, created_at, "
            "decided_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pmid, duplicate_of) DO "
            "UPDATE SET status = 'confirmed', decided_at = excluded.decided_at "
            "WHERE excluded.status = 'confirmed' AND duplicates.status != 'confirmed'",
            [(c.pmid, c.duplicate_of, c.method, status, stamp, stamp if confirm else None)
             for c in candidates])
    return len(candidates)


def statuses(store: Store) -> dict[tuple[int, int], str]:
    """(pmid, duplicate_of) -> the stored status of every pair found so far."""
    with store.reading() as db:
        return {(pmid, kept): status for pmid, kept, status in db.execute(
            "SELECT pmid, duplicate_of, status FROM duplicates")}


# SQL about a paper ``p``: the confirmed duplicate pairs it is the removed record of. While
# the record kept is withdrawn by NLM, its duplicate stands in for it, so the article still
# counts once. Tables, exports, screening queues and the PRISMA flow all use these.
_CONFIRMED = ("FROM duplicates d JOIN papers kept ON kept.pmid = d.duplicate_of AND "
              "kept.deleted = 0 WHERE d.pmid = p.pmid AND d.status = 'confirmed'")
NOT_DUPLICATE = f"NOT EXISTS (SELECT 1 {_CONFIRMED})"
DUPLICATE_OF = f"(SELECT min(d.duplicate_of) {_CONFIRMED})"  # NULL: not a duplicate


def removed(store: Store) -> set[int]:
    """Papers removed as confirmed duplicates (withdrawn papers are never among them)."""
    with store.reading() as db:
        return {row[0] for row in db.execute(
            f"SELECT p.pmid FROM papers p WHERE p.deleted = 0 AND NOT {NOT_DUPLICATE}")}
