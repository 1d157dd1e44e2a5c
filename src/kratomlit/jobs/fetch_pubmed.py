"""The fetch job: bring a query's PubMed records into the store, exactly and incrementally.

Date windows alone miss records (an entrez date can be older than the day a record
first becomes searchable), so every run asks esearch for the query's complete id
list, compares it with the PMIDs already stored and efetches only the missing ones.
A run with nothing new therefore costs one request. PubMed's esearch returns at most
9,999 ids, so larger queries are split by entrez date (and, within a single day, by
PMID range) until every slice fits.

Each efetch batch is saved in its own transaction: an interrupted fetch keeps the
batches it completed and the next run fetches the rest. Every run is recorded in
``fetch_runs`` (query, window, counts, requests, status, error).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

from kratomlit.errors import EutilsError, UsageError
from kratomlit.jobs.match_dois import pubmed_into
from kratomlit.parse.dates import parse_date, tomorrow
from kratomlit.sources import eutils
from kratomlit.sources.eutils import EutilsClient
from kratomlit.sources.replies import FetchedBatch, PayloadError, SearchResult
from kratomlit.store import SaveCounts, Store
from kratomlit.wording import plural

DEFAULT_BATCH = 500
# Entrez dates start in the 1940s-60s (OLDMEDLINE); a generous lower bound costs one
# cheap esearch when a query must be split.
EARLIEST = dt.date(1700, 1, 1)
MAX_PMID = 99_999_999
SOURCE = "fetch"

def default_query() -> str:
    """The curated kratom query shipped as package data (comments dropped)."""
    text = resources.files("kratomlit").joinpath("queries/kratom.txt").read_text("utf-8")
    lines = [line.strip() for line in text.splitlines()]
    return " ".join(line for line in lines if line and not line.startswith("#"))


def check_batch_size(batch_size: int) -> None:
    """Records per efetch request: ``--batch-size`` of fetch and snowball."""
    if not 1 <= batch_size <= eutils.EFETCH_MAX_BATCH:
        raise UsageError(
            f"--batch-size must be between 1 and {eutils.EFETCH_MAX_BATCH} (got {batch_size})")


def ncbi_date(day: dt.date) -> str:
    return day.strftime("%Y/%m/%d")


@dataclass(frozen=True)
class Slice:
    """A part of a query's result set: an entrez-date window and/or a PMID range."""

    start: dt.date | None = None
    end: dt.date | None = None
    uid_range: tuple[int, int] | None = None

    def term(self, query: str) -> str:
        if self.uid_range is None:
            return query
        return f"({query}) AND {self.uid_range[0]}:{self.uid_range[1]}[uid]"

    def dates(self) -> tuple[str | None, str | None]:
        if self.start is None or self.end is None:
            return None, None
        return ncbi_date(self.start), ncbi_date(self.end)

    def split(self) -> tuple[Slice, Slice] | None:
        """Two halves: by date while the window spans days, then by PMID range."""
        start = self.start or EARLIEST
        end = self.end or tomorrow()
        if start < end:
            middle = start + (end - start) // 2
            return (Slice(start, middle, self.uid_range),
                    Slice(middle + dt.timedelta(days=1), end, self.uid_range))
        low, high = self.uid_range or (1, MAX_PMID)
        if low >= high:
            return None
        split = (low + high) // 2
        return Slice(start, end, (low, split)), Slice(start, end, (split + 1, high))

    def describe(self) -> str:
        parts = []
        if self.start and self.end:
            parts.append(f"{ncbi_date(self.start)}-{ncbi_date(self.end)}")
        if self.uid_range:
            parts.append(f"PMIDs {self.uid_range[0]}-{self.uid_range[1]}")
        return ", ".join(parts) or "all dates"


@dataclass
class IdList:
    """Every id of a query (or window), gathered from one or more esearch slices."""

    ids: list[int]
    slices: list[tuple[Slice, SearchResult]]
    warnings: list[str] = field(default_factory=list)


def collect_ids(client: EutilsClient, query: str, window: Slice, datetype: str = "edat"
                ) -> IdList:
    """All ids of ``query`` in ``window``: one esearch while under the cap, slices above."""
    pending = [window]
    found: list[tuple[Slice, SearchResult]] = []
    while pending:
        part = pending.pop()
        mindate, maxdate = part.dates()
        result = client.esearch(part.term(query), datetype=datetype, mindate=mindate,
                                maxdate=maxdate)
        if result.count <= eutils.ESEARCH_MAX_IDS:
            found.append((part, result))
            continue
        halves = part.split()
        if halves is None:  # one day and one PMID: cannot happen, but never loop forever
            raise EutilsError(f"cannot split the query below {eutils.ESEARCH_MAX_IDS} hits")
        pending.extend(reversed(halves))  # earliest half first keeps the output in order
    ids = list(dict.fromkeys(i for _, result in found for i in result.ids))
    warnings = list(dict.fromkeys(w for _, result in found for w in result.warnings))
    return IdList(ids=ids, slices=found, warnings=warnings)


class FetchProgress(Protocol):
    """What the CLI shows; the library calls these and never prints."""

    def planned(self, found: int, todo: int, batches: int) -> None: ...

    def batch_done(self, records: int) -> None: ...


class _Silent:
    def planned(self, found: int, todo: int, batches: int) -> None:
        pass

    def batch_done(self, records: int) -> None:
        pass


@dataclass(frozen=True)
class FetchPlan:
    """A validated fetch request (built before the database is opened)."""

    query: str
    since: dt.date | None = None
    until: dt.date | None = None
    refresh_since: dt.date | None = None
    full: bool = False
    batch_size: int = DEFAULT_BATCH

    @classmethod
    def build(
        cls,
        query: str | None = None,
        *,
        since: str | None = None,
        until: str | None = None,
        refresh_since: str | None = None,
        full: bool = False,
        batch_size: int = DEFAULT_BATCH,
    ) -> FetchPlan:
        text = " ".join((query if query is not None else default_query()).split())
        if not text:
            raise UsageError("the query is empty")
        check_batch_size(batch_size)
        start = parse_date(since, "--since") if since else None
        end = parse_date(until, "--until", end=True) if until else None
        if start and end and start > end:
            raise UsageError(f"--since {since} is after --until {until}")
        refresh = parse_date(refresh_since, "--refresh-since") if refresh_since else None
        return cls(text, start, end, refresh, full, batch_size)

    def window(self) -> Slice:
        if self.since is None and self.until is None:
            return Slice()
        return Slice(self.since or EARLIEST, self.until or tomorrow())


@dataclass
class FetchResult:
    run_id: int
    query: str
    found: int = 0
    todo: int = 0
    refreshed: int = 0
    records: int = 0
    batches: int = 0
    slices: int = 0
    requests: int = 0
    counts: SaveCounts = field(default_factory=SaveCounts)
    missing: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_fetch(
    store: Store, client: EutilsClient, plan: FetchPlan, progress: FetchProgress | None = None
) -> FetchResult:
    """Fetch what ``plan`` asks for into ``store``; the run is recorded whatever happens."""
    progress = progress or _Silent()
    window = plan.window()
    mindate, maxdate = window.dates()
    options = {"full": plan.full, "batch_size": plan.batch_size,
               "refresh_since": ncbi_date(plan.refresh_since) if plan.refresh_since else None}
    result = FetchResult(run_id=0, query=plan.query)
    first_request = client.requests

    def tally() -> dict[str, Any]:
        result.requests = client.requests - first_request
        return {"counts": result.counts, "found": result.found, "requests": result.requests}

    def interrupted(run_id: int) -> str:
        # Each batch is committed whole, so what came before Ctrl-C is kept. The count comes
        # from the database: the interrupt may land between a commit and its tally.
        done = store.run_actions(run_id)
        result.counts.new, result.counts.updated = done["new"], done["updated"]
        result.counts.deleted = done["deleted"]
        changed = sum(done.values())
        kept = (f"the {plural(changed, 'record')} it added or changed before that "
                f"{'is' if changed == 1 else 'are'} kept" if changed else "nothing had changed")
        return f"interrupted; {kept}, and the next `kratomlit fetch` fetches the rest"

    with store.recorded_run("fetch", plan.query, mindate=mindate, maxdate=maxdate,
                            options=options, interrupted=interrupted, tally=tally,
                            failed=lambda exc: client.scrub(str(exc)) or type(exc).__name__
                            ) as run_id:
        result.run_id = run_id
        _fetch(store, client, plan, window, result, progress)
        _finish(store, result, tally())
    return result


def _finish(store: Store, result: FetchResult, counts: dict[str, Any]) -> None:
    if result.missing:
        # Every complete record is stored, but the run did not get all it was asked for:
        # say so and fail, rather than let an incomplete fetch pass for a complete one.
        shown = ", ".join(map(str, result.missing[:10]))
        more = " ..." if len(result.missing) > 10 else ""
        came = (f"the {plural(result.records, 'record')} that came "
                f"{'is' if result.records == 1 else 'are'} stored")
        note = (f"efetch did not return {plural(len(result.missing), 'PMID')} that esearch "
                f"listed ({shown}{more}), even after retries; {came}, and the next "
                f"`kratomlit fetch` asks for the missing ones again")
        raise EutilsError(note)  # recorded as the run's error, and the run as failed
    store.finish_run(result.run_id, status="ok", **counts)


def _fetch(store: Store, client: EutilsClient, plan: FetchPlan, window: Slice,
           result: FetchResult, progress: FetchProgress) -> None:
    listing = collect_ids(client, plan.query, window)
    result.found, result.slices = len(listing.ids), len(listing.slices)
    result.warnings = listing.warnings
    todo = _to_fetch(store, client, plan, listing, result)
    result.todo = len(todo)
    progress.planned(result.found, len(todo), -(-len(todo) // plan.batch_size))
    whole = listing.slices[0][1] if len(listing.slices) == 1 else None
    if whole and whole.webenv and whole.query_key and todo == listing.ids:
        _fetch_history(store, client, plan, whole, todo, result, progress)
    else:
        for chunk in eutils.batched(todo, plan.batch_size):
            _save(store, plan.query, client.efetch_ids(chunk), result, progress)


def _to_fetch(store: Store, client: EutilsClient, plan: FetchPlan, listing: IdList,
              result: FetchResult) -> list[int]:
    """The PMIDs to efetch: those not stored (all with --full), plus --refresh-since's."""
    # A record another database gave with its PMID is fetched, so PubMed's metadata wins.
    stored = store.stored_pmids(include_deleted=False, pubmed_only=True)
    already = [i for i in listing.ids if i in stored]
    if already:
        store.record_hits(plan.query, already, result.run_id)
    if plan.full:
        return list(listing.ids)
    todo = [i for i in listing.ids if i not in stored]
    if plan.refresh_since:
        # --since/--until bound the entrez date, not the modification date: not used here.
        recent = Slice(plan.refresh_since, tomorrow())
        modified = collect_ids(client, plan.query, recent, datetype="mdat")
        planned = set(todo)
        refresh = [i for i in modified.ids if i in stored and i not in planned]
        result.refreshed = len(refresh)
        todo += refresh
    return todo


def _fetch_history(store: Store, client: EutilsClient, plan: FetchPlan, search: SearchResult,
                   todo: list[int], result: FetchResult, progress: FetchProgress) -> None:
    """The whole result set is wanted: page through esearch's history server."""
    assert search.webenv and search.query_key
    use_history = True
    for start in range(0, len(todo), plan.batch_size):
        size = min(plan.batch_size, len(todo) - start)
        batch = None
        if use_history:
            try:
                batch = client.efetch_history(search.webenv, search.query_key, start, size)
            except PayloadError:
                # The history set expired or lost a record since esearch: ask for the same
                # PMIDs (history order is esearch's order) by id, which reports gaps.
                use_history = False
        if batch is None:
            batch = client.efetch_ids(todo[start : start + size])
        _save(store, plan.query, batch, result, progress)


def _save(store: Store, query: str, batch: FetchedBatch, result: FetchResult,
          progress: FetchProgress) -> None:
    """One batch, its deletions and its query hits, committed together or not at all."""
    with store.transaction():
        counts = store.save_papers(batch.papers, source=SOURCE, run_id=result.run_id,
                                   into=pubmed_into(store, batch.papers))
        if batch.deletions:
            counts.deleted += store.mark_deleted(batch.deletions, run_id=result.run_id)
        store.record_hits(query, sorted(batch.pmids), result.run_id)
    result.counts.add(counts)
    result.missing.extend(batch.missing)
    result.records += len(batch.papers) + len(batch.deletions)
    result.batches += 1
    progress.batch_done(len(batch.papers) + len(batch.deletions))

