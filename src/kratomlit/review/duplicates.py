"""Find records that describe the same article twice (PMIDs merged late, re-indexed items).

PubMed rarely duplicates, but a few pairs exist (a record and its re-issue, an early
"ahead of print" entry). Candidates share a DOI, or a normalised title with the same
year and first author. Errata and retraction notices share titles with the article
they correct on purpose, so they are never candidates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kratomlit.store import Store, now

_NOTICES = ("Published Erratum", "Retraction of Publication", "Expression of Concern",
            "Comment")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return _NOT_WORD.sub(" ", text).strip()


@dataclass(frozen=True)
class Candidate:
    pmid: int  # the record to remove (the later one: its paper id)
    duplicate_of: int  # the record kept (paper id)
    method: str


def find(store: Store) -> list[Candidate]:
    """Candidate pairs, the lower (older) PMID kept."""
    seen_doi: dict[str, int] = {}
    seen_title: dict[tuple[str, int | None, str], int] = {}
    found: dict[int, Candidate] = {}
    live: set[int] = set()
    for pmid, doi, title, year, author in store.identities(_NOTICES):
        live.add(pmid)
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
    # Pairs an import found (a similar title, year and first author in another database's
    # record) are stored when found, as candidates.
    for (paper, kept), _ in store.duplicate_statuses().items():
        if paper in live and kept in live:
            found.setdefault(paper, Candidate(paper, kept, store.duplicate_method(paper, kept)))
    return list(found.values())


def record(store: Store, candidates: list[Candidate], *, confirm: bool = False) -> int:
    """Store candidates (status candidate, or confirmed = removed from screening), in one
    statement. Finding a pair again never undoes a confirmation or its date."""
    with store.transaction():
        store.save_duplicates([(c.pmid, c.duplicate_of, c.method) for c in candidates],
                              confirm, now())
        if confirm:  # the kept study lists every database that found it
            for c in candidates:
                store.move_source_records(c.pmid, c.duplicate_of)
    return len(candidates)


def statuses(store: Store) -> dict[tuple[int, int], str]:
    """(pmid, duplicate_of) -> the stored status of every pair found so far."""
    return store.duplicate_statuses()


def removed(store: Store) -> set[int]:
    """Papers removed as confirmed duplicates (withdrawn papers are never among them)."""
    return store.confirmed_duplicates()
