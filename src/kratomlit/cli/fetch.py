"""``kratomlit fetch``: bring a PubMed query's records into the database, incrementally."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kratomlit.cli.app import app, open_store, stderr_console
from kratomlit.cli.options import DbOption, QuietOption
from kratomlit.errors import UsageError
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.jobs.fetch_pubmed import FetchResult


def _summary(result: FetchResult, db: str) -> str:
    c = result.counts
    requests = plural(result.requests, "request")
    if result.records == 0 and not result.todo:
        return (f"Up to date: {plural(result.found, 'PMID')} found, nothing new to fetch "
                f"({requests}) in {db}")
    return (f"Fetched {plural(result.records, 'record')} of {result.found:,} found: "
            f"{c.new:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged, {c.deleted:,} "
            f"deleted ({requests}) into {db}")


Query = Annotated[
    str | None,
    typer.Option("--query", help="Any PubMed query [default: the curated kratom query]."),
]

SinceDate = Annotated[
    str | None,
    typer.Option(help="Only records added to PubMed on or after YYYY[/MM[/DD]].",
                 metavar="DATE"),
]

UntilDate = Annotated[
    str | None,
    typer.Option(help="Only records added to PubMed on or before YYYY[/MM[/DD]].",
                 metavar="DATE"),
]

RefreshSince = Annotated[
    str | None,
    typer.Option(help="Also re-fetch stored records NCBI modified since YYYY[/MM[/DD]] "
                 "(new MeSH terms, retractions, errata).", metavar="DATE"),
]

Full = Annotated[
    bool, typer.Option("--full", help="Re-fetch every record of the query, not just new ones.")
]

BatchSize = Annotated[
    int, typer.Option(help="Records per efetch request (1-10000).")
]

ApiKey = Annotated[
    str | None,
    typer.Option(help="Your NCBI API key: 10 requests/s instead of 3 [env NCBI_API_KEY].",
                 show_default=False),
]

Email = Annotated[
    str | None,
    typer.Option(help="Your email, sent to NCBI with every request [env NCBI_EMAIL].",
                 show_default=False),
]


@app.command("fetch")
def fetch_command(
    query: Query = None,
    since: SinceDate = None,
    until: UntilDate = None,
    refresh_since: RefreshSince = None,
    full: Full = False,
    batch_size: BatchSize = 500,
    api_key: ApiKey = None,
    email: Email = None,
    match_dois: Annotated[bool, typer.Option(
        "--match-dois", help="Instead of a query: look up in PubMed the stored studies that "
        "have a DOI but no PMID (imported from other databases), so they gain PubMed's "
        "record, MeSH and publication types.")] = False,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Fetch new PubMed records for a query (default: the kratom query).

    Asks esearch for the query's complete PMID list and efetches only the PMIDs not
    yet stored, so a run with nothing new costs one request. Every run is recorded
    in fetch_runs; an interrupted run keeps its finished batches.
    """
    from kratomlit.cli.progress import fetch_progress, say
    from kratomlit.config import Settings
    from kratomlit.jobs.fetch_pubmed import FetchPlan, run_fetch
    from kratomlit.sources.eutils import EutilsClient

    if match_dois:
        if any(v is not None for v in (query, since, until, refresh_since)) or full:
            raise UsageError("--match-dois takes no query, dates or --full")
        _match_dois(db, api_key, email, quiet)
        return
    # Options are checked before the database is touched: a bad date changes nothing.
    plan = FetchPlan.build(query, since=since, until=until, refresh_since=refresh_since,
                           full=full, batch_size=batch_size)
    settings = Settings.resolve(db=db, api_key=api_key, email=email)
    console = stderr_console(quiet)
    if not settings.email:
        say(console, "Warning: no contact e-mail for NCBI, which asks every tool for one: "
                     "set NCBI_EMAIL or pass --email")
    with (
        open_store(db, settings=settings, create=True) as store,
        EutilsClient(settings.eutils_url, api_key=settings.api_key,
                     email=settings.email) as client,
        fetch_progress(console) as progress,
    ):
        result = run_fetch(store, client, plan, progress=progress)  # type: ignore[arg-type]
    for warning in result.warnings:
        say(console, f"NCBI: {warning}")
    say(console, _summary(result, str(store.path)))


def _match_dois(db: Path | None, api_key: str | None, email: str | None, quiet: bool) -> None:
    from kratomlit.cli.progress import say
    from kratomlit.config import Settings
    from kratomlit.jobs.match_dois import match_dois
    from kratomlit.sources.eutils import EutilsClient

    settings = Settings.resolve(db=db, api_key=api_key, email=email)
    console = stderr_console(quiet)
    with (
        open_store(db, settings=settings, create=True) as store,
        EutilsClient(settings.eutils_url, api_key=settings.api_key,
                     email=settings.email) as client,
    ):
        result = match_dois(store, client)
        requests = client.requests
    say(console, f"{plural(result.looked_up, 'study', 'studies')} with a DOI and no PMID; "
                 f"{result.matched:,} found in PubMed and given its record "
                 f"({plural(requests, 'request')}).")
