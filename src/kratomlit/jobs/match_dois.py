"""``fetch --match-dois``: PubMed's records for stored studies that have a DOI but no PMID
(imported from another database), so they gain PubMed's metadata, MeSH and publication types.

DOIs are looked up in batches, OR-joined as ``"10.…"[aid]`` terms of one esearch each, then
the PMIDs found are efetched and matched back by DOI (case ignored). A study takes PubMed's
record in place of its own; one whose PMID is already stored as another paper is left as it
is (``screen duplicates`` finds the pair by DOI).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kratomlit.jobs.import_exports import stored_citation
from kratomlit.records import Paper
from kratomlit.review import match
from kratomlit.sources.eutils import EutilsClient
from kratomlit.store import Store

# DOIs per esearch: 100 quoted DOIs make a term of about 4,000 characters, which the client
# sends by POST (so no URL limit applies) and NCBI answers in one reply of at most 100 ids.
DOIS_PER_SEARCH = 100


@dataclass
class MatchResult:
    looked_up: int = 0  # studies with a DOI and no PMID
    matched: int = 0  # ... that PubMed's record now replaces
    run_id: int | None = None


def match_dois(store: Store, client: EutilsClient,
               progress: Callable[[int, int], None] | None = None) -> MatchResult:
    wanted = store.dois_without_pmid()
    result = MatchResult(looked_up=len(wanted))
    with store.recorded_run("match-dois", "PubMed records for DOIs", interrupted=_interrupted,
                            tally=lambda: {"found": result.matched}) as run_id:
        result.run_id = run_id
        for start in range(0, len(wanted), DOIS_PER_SEARCH):
            chunk = wanted[start:start + DOIS_PER_SEARCH]
            result.matched += _match(store, client, chunk, run_id)
            if progress:
                progress(start + len(chunk), len(wanted))
        store.finish_run(run_id, status="ok", found=result.matched, requests=client.requests)
    return result


def _match(store: Store, client: EutilsClient, chunk: list[tuple[int, str]], run_id: int
           ) -> int:
    """Look up one batch of DOIs and save what PubMed has of them; how many matched."""
    term = " OR ".join(f'"{doi}"[aid]' for _, doi in chunk)
    found = client.esearch(term, retmax=2 * len(chunk), usehistory=False)
    if not found.ids:
        return 0
    stored = store.stored_pmids()
    papers = [p for p in client.efetch_ids(found.ids).papers if p.pmid not in stored]
    into = pubmed_into(store, papers)
    store.save_papers([papers[i] for i in into], source="fetch", run_id=run_id,
                      into={k: into[i] for k, i in enumerate(into)})
    return len(into)


def pubmed_into(store: Store, papers: Sequence[Paper]) -> dict[int, int]:
    """Positions in ``papers`` (PubMed's records, their PMIDs not stored) -> the stored study
    without a PMID that has the same DOI and a title that agrees (``review.match``): PubMed's
    record takes its place, as ``Store.save_papers(into=...)`` does it."""
    dois = {p.doi for p in papers if p.doi}
    waiting = {(row[2] or "").lower(): row for row in store.doi_only(dois)} if dois else {}
    into: dict[int, int] = {}
    for i, paper in enumerate(papers):
        row = waiting.get((paper.doi or "").lower())
        if row is None:
            continue
        pair = match.find([stored_citation(row), match.Citation.of(("new", i), paper)])
        if pair and pair[0].automatic:
            into[i] = row[0]
            del waiting[(paper.doi or "").lower()]  # one PubMed record per study
    return into


def _interrupted(run_id: int) -> str:
    return "interrupted; the studies matched before the interruption keep PubMed's records"
