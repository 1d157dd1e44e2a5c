"""Citation tracking: the papers PubMed links to a set of seed papers (``follow``, one step),
and the snowball job that stores them (``run_snowball``).

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

The snowball job follows the seeds, efetches the linked papers not stored yet in the fetch
job's batches, and stores every link with its seed; with depth 2 it then follows the papers
the first step linked to that are stored (found before or just fetched), so a re-run also
reaches what an earlier run's --max left out. Each efetch batch is saved with its links in
one transaction, so an interrupted or failed run keeps whole batches and the next run
fetches the rest. Requests: the ELink ones above per step, plus ceil(new papers / batch
size) efetch; a run with nothing new makes only the ELink requests. Every run is a row of
``fetch_runs`` (kind "snowball").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kratomlit.errors import EutilsError, NotFoundError, UsageError
from kratomlit.jobs.fetch_pubmed import DEFAULT_BATCH, check_batch_size
from kratomlit.jobs.match_dois import pubmed_into
from kratomlit.records import LINK_DIRECTIONS, Link
from kratomlit.sources.eutils import ELINK_BATCH, EutilsClient, batched
from kratomlit.store import SaveCounts, Store
from kratomlit.store.links import SOURCE
from kratomlit.wording import plural

LINK_NAMES = {
    "backward": "pubmed_pubmed_refs",
    "forward": "pubmed_pubmed_citedin",
    "similar": "pubmed_pubmed",
}
# NCBI's own short list (pubmed_pubmed_five) holds five; ten gives a reviewer more to
# screen without burying the citations under neighbours.
SIMILAR_TOP = 10
# A second step multiplies: 50 seeds with 30 references each, whose 1,500 papers have 30
# each, would be 45,000 records to screen. Unless told otherwise, depth 2 adds at most this.
DEPTH2_MAX = 1000


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


# -- the snowball job ------------------------------------------------------------------------


@dataclass(frozen=True)
class SnowballPlan:
    """A validated snowball request (built before the database is opened)."""

    directions: tuple[str, ...] = ("backward", "forward")
    similar_top: int = SIMILAR_TOP
    depth: int = 1
    max_new: int | None = None  # the most papers a run adds; None: no limit
    batch_size: int = DEFAULT_BATCH

    @classmethod
    def build(cls, *, backward: bool = False, forward: bool = False,
              similar: int | None = None, depth: int = 1, max_new: int | None = None,
              batch_size: int = DEFAULT_BATCH) -> SnowballPlan:
        """Backward and forward both when neither is asked for; ``similar``: also the top
        N similar articles of each seed."""
        if depth not in (1, 2):
            raise UsageError(f"--depth must be 1 or 2 (got {depth})")
        if max_new is not None and max_new < 1:
            raise UsageError(f"--max must be at least 1 (got {max_new})")
        if similar is not None and similar < 1:
            raise UsageError(f"--similar must be at least 1 article per seed (got {similar})")
        check_batch_size(batch_size)
        chosen = [d for d, wanted in (("backward", backward), ("forward", forward)) if wanted]
        directions = (*(chosen or ("backward", "forward")), *(("similar",) if similar else ()))
        if max_new is None and depth == 2:
            max_new = DEPTH2_MAX
        return cls(directions, similar or SIMILAR_TOP, depth, max_new, batch_size)

    def describe(self, seeds: str) -> str:
        """The run's name in ``fetch_runs`` and ``status``: what was followed from what."""
        lists = [LINK_DIRECTIONS[d] + (f" (top {self.similar_top})" if d == "similar" else "")
                 for d in self.directions]
        return f"citations of {seeds}: {', '.join(lists)}; depth {self.depth}"


class SnowballProgress(Protocol):
    """What the CLI shows; the library calls these and never prints."""

    def following(self, level: int, seeds: int, requests: int) -> None: ...

    def planned(self, found: int, todo: int, batches: int) -> None: ...

    def batch_done(self, records: int) -> None: ...


class _Silent:
    def following(self, level: int, seeds: int, requests: int) -> None:
        pass

    def planned(self, found: int, todo: int, batches: int) -> None:
        pass

    def batch_done(self, records: int) -> None:
        pass


@dataclass
class SnowballResult:
    run_id: int = 0
    seeds: int = 0
    steps: int = 0  # steps followed (depth 2 stops early when the first adds nothing)
    links: int = 0  # links PubMed gave, every step
    new_links: int = 0  # of them, not stored before
    linked: int = 0  # distinct papers linked to
    todo: int = 0  # linked papers not stored yet, asked of efetch
    skipped: int = 0  # linked papers not stored, left out by --max
    records: int = 0  # records efetch returned
    counts: SaveCounts = field(default_factory=SaveCounts)
    elink_requests: int = 0
    efetch_requests: int = 0
    missing: list[int] = field(default_factory=list)  # asked of efetch, never returned

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "seeds": self.seeds, "steps": self.steps,
                "links": self.links, "new_links": self.new_links, "linked": self.linked,
                "to_fetch": self.todo, "skipped_by_max": self.skipped,
                "records": self.records, "new": self.counts.new,
                "updated": self.counts.updated, "deleted": self.counts.deleted,
                "requests": self.elink_requests + self.efetch_requests,
                "elink_requests": self.elink_requests, "efetch_requests": self.efetch_requests}


def seed_pmids(store: Store, choice: str | None) -> tuple[str, list[int]]:
    """(what they are, the PMIDs) of the seeds ``--seeds`` names by a word: "included"
    (the screening's included studies; the default, None, once there are any) or "all"
    (every paper); confirmed duplicates and withdrawn papers are never seeds."""
    from kratomlit.review.screening import pmids_with_status

    kept = store.live_pmids() - store.confirmed_duplicates()
    if choice == "all":
        if not kept:
            raise UsageError("the database holds no papers to start from; give seeds: "
                             "--seeds PMID[,PMID...] or --seeds @FILE")
        found = store.pmids_of(kept)  # ELink knows PMIDs: a record without one is no seed
        return f"all {plural(len(found), 'paper')}", found
    included = store.pmids_of((pmids_with_status(store, "included") or set()) & kept)
    if not included:
        raise UsageError("no included studies to start from yet; give seeds: --seeds all, "
                         "--seeds PMID[,PMID...] or --seeds @FILE")
    return plural(len(included), "included study", "included studies"), included


def run_snowball(store: Store, client: EutilsClient, plan: SnowballPlan, seeds: Sequence[int],
                 named: str, progress: SnowballProgress | None = None) -> SnowballResult:
    """Follow ``seeds`` (``named``: what they are, for the run's record) as ``plan`` says and
    store what is found; the run is recorded whatever happens."""
    progress = progress or _Silent()
    result = SnowballResult(seeds=len(dict.fromkeys(seeds)))
    first_request = client.requests

    def tally() -> dict[str, Any]:
        return {"counts": result.counts, "found": result.linked,
                "requests": client.requests - first_request}

    options = {"directions": list(plan.directions), "similar_top": plan.similar_top,
               "depth": plan.depth, "max": plan.max_new, "batch_size": plan.batch_size,
               "seeds": result.seeds}
    with store.recorded_run("snowball", plan.describe(named), options=options, tally=tally,
                            interrupted=lambda run_id: _interrupted(store, run_id, result),
                            failed=lambda exc: client.scrub(str(exc)) or type(exc).__name__
                            ) as run_id:
        result.run_id = run_id
        step_seeds = list(dict.fromkeys(seeds))
        followed, linked = set(step_seeds), set(step_seeds)  # seeds are never finds
        while step_seeds and result.steps < plan.depth:
            result.steps += 1
            reached = _step(store, client, plan, step_seeds, linked, result, progress)
            step_seeds = [pmid for pmid in reached if pmid not in followed]
            followed.update(step_seeds)
        if result.missing:
            shown = ", ".join(map(str, result.missing[:10])) + (
                " ..." if len(result.missing) > 10 else "")
            raise EutilsError(  # recorded as the run's error, the run as failed
                f"efetch did not return {plural(len(result.missing), 'PMID')} that ELink "
                f"linked ({shown}), even after retries; the records that came are stored, "
                "and the next `kratomlit snowball` asks for the missing ones again")
        store.finish_run(run_id, status="ok", **tally())
    return result


def _step(store: Store, client: EutilsClient, plan: SnowballPlan, seeds: list[int],
          linked: set[int], result: SnowballResult, progress: SnowballProgress) -> list[int]:
    """One step out from ``seeds``: follow, fetch the linked papers not stored yet (as many as
    --max leaves room for), store the links; returns the linked papers now stored."""
    per_batch = 2 if "similar" in plan.directions else 1  # see the module docstring
    progress.following(result.steps, len(seeds), per_batch * math.ceil(len(seeds) / ELINK_BATCH))
    before = client.requests
    links = follow(client, seeds, plan.directions, similar_top=plan.similar_top)
    result.elink_requests += client.requests - before
    result.links += len(links)
    targets = list(dict.fromkeys(link.linked for link in links))
    stored = store.stored_pmids()
    # Not a seed, nor a paper an earlier step left out (--max) or efetch did not return.
    todo = [pmid for pmid in targets if pmid not in stored and pmid not in linked]
    linked.update(targets)
    result.linked = len(linked) - result.seeds  # the seeds are in it from the start
    if plan.max_new is not None and result.todo + len(todo) > plan.max_new:
        room = max(0, plan.max_new - result.todo)
        result.skipped += len(todo) - room
        todo = todo[:room]
    result.todo += len(todo)
    progress.planned(len(targets), len(todo), math.ceil(len(todo) / plan.batch_size))
    added: set[int] = set()
    before = client.requests
    for chunk in batched(todo, plan.batch_size):
        batch = client.efetch_ids(chunk)
        came = batch.pmids
        with store.transaction():  # the papers and the links to them, whole or not at all
            counts = store.save_papers(batch.papers, source=SOURCE, run_id=result.run_id,
                                       into=pubmed_into(store, batch.papers))
            if batch.deletions:
                counts.deleted += store.mark_deleted(batch.deletions, run_id=result.run_id)
            result.new_links += store.save_links(
                [link for link in links if link.linked in came], result.run_id)
        result.efetch_requests += client.requests - before
        before = client.requests
        result.counts.add(counts)
        result.missing.extend(batch.missing)
        result.records += len(batch.papers) + len(batch.deletions)
        added.update(paper.pmid for paper in batch.papers if paper.pmid is not None)
        progress.batch_done(len(batch.papers) + len(batch.deletions))
    # The links to papers stored before (or left out by --max, or missing): facts as well.
    result.new_links += store.save_links(links, result.run_id)
    return [pmid for pmid in targets if pmid in stored or pmid in added]


def _interrupted(store: Store, run_id: int, result: SnowballResult) -> str:
    # Each batch is committed whole with its links, so what came before Ctrl-C is kept. The
    # counts come from the database: the interrupt may land between a commit and its tally.
    done = store.run_actions(run_id)
    result.counts.new, result.counts.updated = done["new"], done["updated"]
    result.counts.deleted = done["deleted"]
    papers, links = done["new"] + done["updated"], store.run_links(run_id)
    if not (papers or links):
        return "interrupted; nothing had changed, and the next `kratomlit snowball` starts again"
    kept = " and ".join(plural(n, noun) for n, noun in ((papers, "paper"), (links, "link")) if n)
    verb = "is" if papers + links == 1 else "are"
    return (f"interrupted; the {kept} it added before that {verb} kept, and the next "
            "`kratomlit snowball` fetches the rest")
