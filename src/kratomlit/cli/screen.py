"""Screening for a systematic review: ``screen`` (interactive), its subcommands, ``prisma``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kratomlit.cli.app import app, make_app, open_store, stdout_console
from kratomlit.cli.options import (
    Country,
    DbOption,
    Design,
    Measure,
    New,
    Outcome,
    PaperRef,
    PmidArgument,
    Reviewer,
    Search,
    Since,
    Substance,
    Until,
    ViewFormat,
    extraction_filters,
    format_option,
    paper_ref,
    resolve,
    split_values,
    study_filters,
)
from kratomlit.cli.screen_order import Order, Plan, Prior, PriorFilter, Seed, StopNotice
from kratomlit.errors import NotFoundError, UsageError
from kratomlit.records import label
from kratomlit.report import formats
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.store import Store

screen_app = make_app(
    "Screen papers for a systematic review: one key per decision, two reviewers, PRISMA.",
    no_args_is_help=False, invoke_without_command=True,
)
app.add_typer(screen_app, name="screen")

Reason = Annotated[str | None, typer.Option("--reason", help="Why (required to exclude).",
                                            show_default=False)]
Note = Annotated[str | None, typer.Option("--note", help="A free note.", show_default=False)]
Highlight = Annotated[list[str] | None, typer.Option(
    "--highlight", help="Highlight these words in titles and abstracts (repeatable or "
    "comma-separated; depress* for every word starting so).", show_default=False,
    metavar="WORD")]

def _reviewer(value: str | None) -> str:
    from kratomlit.config import reviewer_name

    name = reviewer_name(value)
    if not name:
        raise UsageError("who is screening? give --reviewer NAME or set KRATOMLIT_REVIEWER")
    return name


@screen_app.callback()
def screen(
    ctx: typer.Context,
    reviewer: Reviewer = None,
    outcome: Outcome = None,
    design: Design = None,
    since: Since = None,
    until: Until = None,
    search: Search = None,
    new: New = False,
    highlight: Highlight = None,
    substance: Substance = None,
    country: Country = None,
    measure: Measure = None,
    order: Order = "relevance",
    seed: Seed = None,
    prior: Prior = None,
    prior_filter: PriorFilter = None,
    stop_notice: StopNotice = None,
    db: DbOption = None,
) -> None:
    """Screen unscreened papers one at a time: a single key decides, then the next one;
    space/j/k (or the arrows) scroll a long abstract. The filters are `table`'s; retracted
    papers are shown, marked. In relevance order the paper shown next is the one your own
    decisions make likeliest to be relevant."""
    if ctx.invoked_subcommand is not None:
        return
    from kratomlit.cli.screen_session import highlighter, keys_mode, session

    name = _reviewer(reviewer)
    filters = study_filters(outcome, design, since, until, search, new, include_retracted=True,
                            extracted=extraction_filters(db, substance, country, measure))
    pattern = highlighter(split_values(highlight))
    plan = Plan(order, seed, prior, prior_filter, stop_notice)
    if not sys.stdin.isatty():
        raise UsageError("interactive screening needs a terminal; in scripts use "
                         "`kratomlit screen set PMID include|exclude|maybe`")
    console = stdout_console()
    if console.is_dumb_terminal:  # rich assumes 80x25 there; the screen must fit the real one
        with contextlib.suppress(OSError):
            console.size = os.get_terminal_size(sys.stdout.fileno())
    with open_store(db, create=True) as store:
        queue = plan.queue(store, name, filters)
        with keys_mode():
            decided = session(console, store, name, queue, pattern)
        left = len(queue.pool)
    console.print(f"{name}: {decided} decision(s) this session; {left} paper(s) left to screen.")


DecisionArgument = Annotated[str, typer.Argument(help="include, exclude or maybe.",
                                                 show_default=False)]


def _decide(paper: PaperRef, decision: str, reason: str | None, note: str | None,
            reviewer: str | None, db: Path | None, *, final: bool) -> str:
    from kratomlit.review import screening

    name = _reviewer(reviewer)
    screening.check_decision(decision, reason)
    with open_store(db, create=True) as store:
        screening.record(store, resolve(store, paper), decision, reviewer=name, reason=reason,
                         note=note, final=final)
    return name


@screen_app.command("set")
def screen_set(paper: PmidArgument, decision: DecisionArgument, reason: Reason = None,
               note: Note = None, reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Record one decision without the interactive screen (for scripts)."""
    name = _decide(paper, decision, reason, note, reviewer, db, final=False)
    typer.echo(f"{paper.label}: {decision.lower()} by {name}")


@screen_app.command("undo")
def screen_undo(reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Take back the reviewer's latest decision."""
    from kratomlit.review import screening

    name = _reviewer(reviewer)
    with open_store(db, write=True) as store:
        paper_id = screening.undo(store, name)
        undone = store.references([paper_id]).get(paper_id) if paper_id else None
    typer.echo(f"Undid {name}'s decision on {label(undone)}" if undone else
               f"{name} has no decision to undo")


@screen_app.command("conflicts")
def screen_conflicts(db: DbOption = None, output_format: ViewFormat = "text") -> None:
    """Papers two reviewers decided differently, still unresolved: the title, and each
    reviewer's decision with its reason and note."""
    from kratomlit.review import screening

    with open_store(db) as store:
        found = screening.conflicts(store)
    if output_format == "json":
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    console = stdout_console()
    for item in found:
        console.print(f"{label(item['paper'])}: {item['title']}", markup=False,
                      highlight=False)
        for who, vote in item["votes"].items():
            reason = f" ({vote['reason']})" if vote["reason"] else ""
            note = f" — note: {vote['note']}" if vote["note"] else ""
            console.print(f"  {who}: {vote['decision']}{reason}{note}", markup=False,
                          highlight=False)
    typer.echo(f"{len(found)} conflict(s); settle one with `kratomlit screen resolve PMID "
               "DECISION`" if found else "No conflicts to resolve.", err=True)


@screen_app.command("resolve")
def screen_resolve(paper: PmidArgument, decision: DecisionArgument, reason: Reason = None,
                   note: Note = None, reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Settle a paper's decision (a final decision overrides the reviewers' votes); only a
    paper someone has screened can be resolved."""
    name = _decide(paper, decision, reason, note, reviewer, db, final=True)
    typer.echo(f"{paper.label}: resolved as {decision.lower()} by {name}")


@screen_app.command("agreement")
def screen_agreement(db: DbOption = None, output_format: ViewFormat = "text") -> None:
    """Agreement between reviewers: papers both screened, agreements, Cohen's kappa."""
    from kratomlit.review import screening

    with open_store(db) as store:
        found = screening.agreement(store)
    if output_format == "json":
        typer.echo(json.dumps([a.__dict__ for a in found], indent=2))
        return
    console = stdout_console()  # wraps each line to the terminal's width
    if not found:
        console.print("No two reviewers have screened the same papers yet.", highlight=False)
    for item in found:
        kappa = "n/a" if item.kappa is None else f"{item.kappa:.3f}"
        console.print(f"{item.reviewers[0]} vs {item.reviewers[1]}: "
                      f"{plural(item.both_screened, 'paper')}, {item.agreed:,} agreed, "
                      f"Cohen's kappa {kappa}", highlight=False, markup=False)


def _known(store: Store, ref: PaperRef) -> int | None:
    """The paper's id; None when it is not stored (so not a candidate either)."""
    try:
        return resolve(store, ref)
    except NotFoundError:
        return None


@screen_app.command("duplicates")
def screen_duplicates(
    confirm: Annotated[list[PaperRef] | None, typer.Option(
        "--confirm", help="Confirm this candidate (PMID, doi:… or id:N) as a duplicate "
        "(repeatable).", show_default=False, metavar="PAPER", parser=paper_ref)] = None,
    confirm_all: Annotated[bool, typer.Option(
        "--confirm-all", help="Confirm every candidate.")] = False,
    db: DbOption = None,
) -> None:
    """Find likely duplicates (same DOI, or same title, year and first author); confirmed
    ones leave screening and count as removed in the PRISMA flow."""
    from kratomlit.review import duplicates

    with open_store(db, write=True) as store:
        found = duplicates.find(store)
        candidates = {c.pmid for c in found}
        wanted = {ref: _known(store, ref) for ref in confirm or []}
        unknown = [ref.label for ref, paper_id in wanted.items() if paper_id not in candidates]
        if unknown:
            raise UsageError(f"not a duplicate candidate: {', '.join(sorted(unknown))}")
        chosen = candidates if confirm_all else set(wanted.values())
        with store.transaction():  # one transaction, each pair written once
            duplicates.record(store, [c for c in found if c.pmid not in chosen])
            duplicates.record(store, [c for c in found if c.pmid in chosen], confirm=True)
        state = duplicates.statuses(store)
        ids = [i for c in found for i in (c.pmid, c.duplicate_of)]
        refs, databases = store.references(ids), store.source_databases(ids)
        titles = store.titles(ids)
    lines = []
    for c in found:
        lines.append(f"{refs[c.pmid]} duplicates {refs[c.duplicate_of]} ({c.method}, "
                     f"{state[c.pmid, c.duplicate_of]})")
        lines += [f"    {refs[i]}: {titles[i]}"
                  + (f" [{', '.join(databases[i])}]" if databases.get(i) else "")
                  for i in (c.pmid, c.duplicate_of)]
    if lines:
        typer.echo("\n".join(lines))
    confirmed = sum(state[c.pmid, c.duplicate_of] == "confirmed" for c in found)
    typer.echo(f"{len(found)} candidate(s), {confirmed} confirmed", err=True)


@app.command()
def prisma(db: DbOption = None,
           output_format: Annotated[str, format_option(formats.PRISMA,
                                                       "text, json or md.")] = "text",
           svg: Annotated[Path | None, typer.Option(
               "--svg", help="Also write the flow diagram as an SVG file.", show_default=False
           )] = None) -> None:
    """PRISMA 2020 flow: identified, duplicates, screened, excluded (by reason), included."""
    from kratomlit.review import prisma as flows

    with open_store(db) as store:
        found = flows.flow(store)
    if svg is not None:
        formats.write_file(svg, lambda stream: stream.write(flows.svg(found)) and 1)
        print(f"Wrote the PRISMA flow diagram to {svg}", file=sys.stderr)
    if output_format == "json":
        typer.echo(json.dumps(found.as_dict(), indent=2))
    elif output_format == "md":
        typer.echo(flows.markdown(found), nl=False)
    else:
        from kratomlit.report.details import render_prisma

        render_prisma(stdout_console(), found)
