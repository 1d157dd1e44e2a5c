"""``fetch --match-dois``: PubMed's records for stored studies that have a DOI but no PMID
(imported from another database), so they gain PubMed's metadata, MeSH and publication types.

DOIs are looked up in batches, OR-joined as ``"10.…"[aid]`` terms of one esearch each, then
the PMIDs found are efetched and matched back by DOI (case ignored). A study takes PubMed's
record in place of its own; one whose PMID is already stored as another paper is left as it
is (``screen duplicates`` finds the pair by DOI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kratomlit.records import Paper
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
    by_doi = {doi.lower(): paper_id for paper_id, doi in chunk}
    stored = store.stored_pmids()
    papers: list[Paper] = []
    into: dict[int, int] = {}
    for paper in client.efetch_ids(found.ids).papers:
        target = by_doi.pop((paper.doi or "").lower(), None)
        if target is not None and paper.pmid not in stored:
            into[len(papers)] = target
            papers.append(paper)
    store.save_papers(papers, source="fetch", run_id=run_id, into=into)
    return len(papers)


def _interrupted(run_id: int) -> str:
    return "interrupted; the studies matched before the interruption keep PubMed's records"
