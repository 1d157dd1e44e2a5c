"""Citation tracking, one step: the papers PubMed links to a set of seed papers.

Each direction reads one ELink list (``../shared/EUTILS.md``):

- ``backward``: ``pubmed_pubmed_refs``, the seed's references that are in PubMed;
- ``forward``: ``pubmed_pubmed_citedin``, the PubMed records that cite the seed;
- ``similar``: ``pubmed_pubmed``, PubMed's similar articles, the top N per seed by score.

Requests. ELink takes one ``linkname``, and without one (``cmd=neighbor``) it answers every
list it holds for each seed (``elink1.xml``, ``elink4.xml``), references and citations
included. So backward and forward together cost one request per batch of seeds, not two;
one of them alone names its list, which costs the same one request and keeps the reply
small. Similar articles always take a request of their own: only ``cmd=neighbor_score``
carries the scores that rank them, and the unscored list is not in rank order (in
``elink4.xml`` it runs roughly newest first, the seed itself 114th of 156), so its first N
are not the N most similar. A run costs ceil(seeds / ELINK_BATCH) requests, twice that
with ``similar``.

Seeds go in batches of repeated ``id=`` parameters, so every link is traced to its seed.
A seed is never its own link (PubMed lists a paper among its own similar articles).
"""

from __future__ import annotations

from collections.abc import Iterable

from kratomlit.errors import NotFoundError, UsageError
from kratomlit.records import Link
from kratomlit.sources.eutils import ELINK_BATCH, EutilsClient, batched

LINK_NAMES = {
    "backward": "pubmed_pubmed_refs",
    "forward": "pubmed_pubmed_citedin",
    "similar": "pubmed_pubmed",
}
# NCBI's own short list (pubmed_pubmed_five) holds five; ten gives a reviewer more to
# screen without burying the citations under neighbours.
SIMILAR_TOP = 10


def follow(client: EutilsClient, seeds: Iterable[int],
           directions: Iterable[str] = ("backward", "forward"), *,
           similar_top: int = SIMILAR_TOP) -> list[Link]:
    """Every link of the chosen directions from each seed, one step out.

    Raises ``NotFoundError`` naming the seeds PubMed would not answer for (after the
    client's retries): an unknown or withdrawn PMID. NCBI may instead answer an unknown
    PMID as a paper without links; nothing in the reply tells the two apart.
    """
    chosen = _directions(directions)
    if similar_top < 1:
        raise UsageError(f"the number of similar articles per seed must be at least 1 "
                         f"(got {similar_top})")
    requests: list[tuple[str | None, bool, list[str]]] = []
    cited = [d for d in chosen if d != "similar"]
    if cited:
        requests.append((LINK_NAMES[cited[0]] if len(cited) == 1 else None, False, cited))
    if "similar" in chosen:
        requests.append((LINK_NAMES["similar"], True, ["similar"]))

    links: dict[tuple[int, int, str], Link] = {}
    unknown: dict[int, None] = {}
    for batch in batched(dict.fromkeys(int(s) for s in seeds), ELINK_BATCH):
        for linkname, scored, wanted in requests:
            reply = client.elink(batch, linkname, scored=scored)
            unknown.update(dict.fromkeys(reply.missing))
            for seed, linkset in reply.linksets.items():
                for direction in wanted:
                    found = [n for n in linkset.links(LINK_NAMES[direction]) if n.pmid != seed]
                    if direction == "similar":
                        found = sorted(found, key=lambda n: -(n.score or 0))[:similar_top]
                    for n in found:
                        links.setdefault((seed, n.pmid, direction),
                                         Link(seed, n.pmid, direction, n.score))
    if unknown:
        shown = ", ".join(map(str, list(unknown)[:10])) + (", …" if len(unknown) > 10 else "")
        raise NotFoundError(f"PubMed ELink did not answer for {len(unknown)} seed PMID(s), "
                            f"unknown or withdrawn: {shown}")
    return list(links.values())


def _directions(directions: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(directions))
    wrong = [d for d in chosen if d not in LINK_NAMES]
    if wrong or not chosen:
        problem = f"unknown direction {wrong[0]!r}" if wrong else "no direction given"
        raise UsageError(f"{problem}; choose from " + ", ".join(LINK_NAMES))
    return chosen
