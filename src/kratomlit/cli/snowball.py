"""``kratomlit snowball``: follow citations from seed papers (PubMed ELink) into the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from kratomlit.cli.app import app, open_store, stderr_console
from kratomlit.cli.fetch import ApiKey, BatchSize, Email
from kratomlit.cli.options import DbOption, PaperRef, QuietOption, ViewFormat, paper_ref
from kratomlit.errors import InputFileError, UsageError
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.jobs.follow_links import SnowballPlan, SnowballResult
    from kratomlit.store import Store



class _OptionalSimilar(TyperCommand):
    """A bare ``--similar`` means the default number of similar articles: Typer's options
    take a value or none, never an optional one, so it gets its number before parsing."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        given = list(args)
        for i in reversed(range(len(given))):
            if given[i] == "--similar" and (i + 1 == len(given) or given[i + 1].startswith("-")):
                from kratomlit.jobs.follow_links import SIMILAR_TOP

                given.insert(i + 1, str(SIMILAR_TOP))
        return super().parse_args(ctx, given)


Seeds = Annotated[list[str] | None, typer.Option(
    "--seeds", help="Where to start: included (the studies screened in; the default once "
    "there are any), all (every paper), or papers (PMIDs, doi:… or id:N; repeatable or "
    "comma-separated) and @FILE (papers, one or more a line, # comments).",
    show_default=False, metavar="SEEDS")]
Backward = Annotated[bool, typer.Option(
    "--backward", help="Follow the seeds' references (default: references and citations).")]
Forward = Annotated[bool, typer.Option(
    "--forward", help="Follow the papers citing the seeds (default: references and "
    "citations).")]
Similar = Annotated[int | None, typer.Option(
    "--similar", help="Also PubMed's similar articles, the top N per seed (10 when N is not "
    "given).", show_default=False, metavar="[N]")]
Depth = Annotated[int, typer.Option(
    "--depth", help="1: the seeds' links; 2: then the links of the stored papers step 1 "
    "linked to.")]
Max = Annotated[int | None, typer.Option(
    "--max", help="Add at most N new papers in this run [default: no limit at depth 1, "
    "1000 at depth 2].", show_default=False, metavar="N")]


def _seed_file(path: Path) -> list[PaperRef]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read ({exc})") from None
    pmids = []
    for number, line in enumerate(text.splitlines(), 1):
        for token in line.split("#", 1)[0].replace(",", " ").split():
            try:
                pmids.append(paper_ref(token))
            except typer.BadParameter as exc:
                raise InputFileError(f"{path}, line {number}: {exc.message}") from None
    if not pmids:
        raise InputFileError(f"{path}: holds no PMIDs")
    return pmids


def _seeds(values: list[str]) -> tuple[str | None, list[PaperRef]]:
    """(included, all or None; the papers given: PMIDs, doi:, id:) from the --seeds values."""
    words: list[str] = []
    pmids: list[PaperRef] = []
    for token in (t for value in values for t in value.replace(",", " ").split()):
        if token.lower() in ("included", "all"):
            words.append(token.lower())
        elif token.startswith("@"):
            pmids += _seed_file(Path(token[1:]))
        else:
            try:
                pmids.append(paper_ref(token))
            except typer.BadParameter as exc:
                raise UsageError(f"--seeds: {exc.message}") from None
    if len(set(words)) + bool(pmids) > 1:
        raise UsageError("--seeds takes one of: included, all, or PMIDs and @FILEs")
    if values and not (words or pmids):
        raise UsageError("--seeds is empty")
    return (words[0] if words else None), list(dict.fromkeys(pmids))


def _seed_pmids(store: Store, given: list[PaperRef]) -> list[int]:
    """The PMIDs of the seeds given: a PMID as it is (ELink knows papers the database lacks);
    doi: and id: name stored papers, which need a PMID for ELink to follow."""
    from kratomlit.cli.options import resolve

    pmids = []
    for ref in given:
        if ref.kind == "pmid":
            pmids.append(int(ref.value))
            continue
        found = store.pmids_of([resolve(store, ref)])
        if not found:
            raise UsageError(f"--seeds: {ref.label} has no PMID, so PubMed cannot follow its "
                             "citations")
        pmids += found
    return list(dict.fromkeys(pmids))


def _summary(result: SnowballResult, plan: SnowballPlan, db: str) -> list[str]:
    requests = (f"{plural(result.elink_requests + result.efetch_requests, 'request')}: "
                f"{result.elink_requests:,} ELink, {result.efetch_requests:,} efetch")
    steps = f"depth {plan.depth}" + (f", {result.steps} taken" if result.steps < plan.depth
                                     else "")
    found = (f"Followed {plural(result.seeds, 'seed')} ({steps}): "
             f"{plural(result.links, 'link')} ({result.new_links:,} new) to "
             f"{plural(result.linked, 'paper')}")
    if not result.todo:
        lines = [f"{found}, all stored already; nothing to fetch ({requests}) in {db}"]
    else:
        c = result.counts
        lines = [f"{found}; fetched {plural(result.records, 'record')} of {result.todo:,} "
                 f"not stored yet: {c.new:,} new, {c.updated:,} updated, {c.deleted:,} deleted "
                 f"({requests}) into {db}"]
    if result.skipped:
        lines.append(f"Stopped at --max {plan.max_new}: {plural(result.skipped, 'more paper')} "
                     "linked but not fetched (a larger --max adds them)")
    return lines


@app.command("snowball", cls=_OptionalSimilar)
def snowball_command(
    seeds: Seeds = None,
    backward: Backward = False,
    forward: Forward = False,
    similar: Similar = None,
    depth: Depth = 1,
    max_new: Max = None,
    batch_size: BatchSize = 500,
    api_key: ApiKey = None,
    email: Email = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    output_format: ViewFormat = "text",
) -> None:
    """Follow citations from seed papers: their references and the papers citing them
    (PubMed ELink), and PubMed's similar articles on request.

    Linked papers not stored yet are fetched and marked as found by citation searching;
    they are tagged and screened like every other, and PRISMA counts them under
    "other methods". A run with nothing new costs only the ELink requests, one per 200
    seeds (two with --similar). Every run is recorded in fetch_runs.
    """
    from kratomlit.cli.progress import fetch_progress, say
    from kratomlit.config import Settings
    from kratomlit.jobs.follow_links import SnowballPlan, run_snowball, seed_pmids
    from kratomlit.sources.eutils import EutilsClient

    # Options are checked before the database is touched: a bad one changes nothing.
    plan = SnowballPlan.build(backward=backward, forward=forward, similar=similar,
                              depth=depth, max_new=max_new, batch_size=batch_size)
    choice, given = _seeds(seeds or [])
    settings = Settings.resolve(db=db, api_key=api_key, email=email)
    console = stderr_console(quiet)
    with open_store(db, settings=settings, create=bool(given), write=True) as store:
        named, pmids = ((plural(len(given), "PMID") + " given", _seed_pmids(store, given))
                        if given else seed_pmids(store, choice))
        if not settings.email:
            say(console, "Warning: no contact e-mail for NCBI, which asks every tool for one: "
                         "set NCBI_EMAIL or pass --email")
        with (EutilsClient(settings.eutils_url, api_key=settings.api_key,
                           email=settings.email) as client,
              fetch_progress(console) as progress):
            result = run_snowball(store, client, plan, pmids, named,
                                  progress)  # type: ignore[arg-type]
    if output_format == "json":
        typer.echo(json.dumps({"database": str(store.path), "seeds_named": named,
                               "directions": list(plan.directions), "depth": plan.depth,
                               "max": plan.max_new, **result.as_dict()}, indent=2))
    for line in _summary(result, plan, str(store.path)):
        say(console, line)
