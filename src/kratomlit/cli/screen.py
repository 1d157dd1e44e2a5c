"""Screening for a systematic review: ``screen`` (interactive), its subcommands, ``prisma``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kratomlit.cli.app import (
    DbOption,
    PmidArgument,
    app,
    check_format,
    make_app,
    open_store,
    pmid_value,
    stdout_console,
)
from kratomlit.cli.report import Design, New, Outcome, Search, Since, Until, split_values
from kratomlit.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from kratomlit.evidence import Filters
    from kratomlit.store import Store

screen_app = make_app(
    "Screen papers for a systematic review: one key per decision, two reviewers, PRISMA.",
    no_args_is_help=False, invoke_without_command=True,
)
app.add_typer(screen_app, name="screen")

Reviewer = Annotated[str | None, typer.Option(
    "--reviewer", help="Who is screening [env KRATOMLIT_REVIEWER].", show_default=False)]
Reason = Annotated[str | None, typer.Option("--reason", help="Why (required to exclude).",
                                            show_default=False)]
Note = Annotated[str | None, typer.Option("--note", help="A free note.", show_default=False)]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="text or json.")]

KEYS = "[i] include  [e] exclude  [m] maybe  [s] skip  [u] undo  [q] quit"


def _reviewer(value: str | None) -> str:
    from kratomlit.config import reviewer_name

    name = reviewer_name(value)
    if not name:
        raise UsageError("who is screening? give --reviewer NAME or set KRATOMLIT_REVIEWER")
    return name


def _queue(store: Store, reviewer: str, filters: Filters) -> list[int]:
    """PMIDs this reviewer has not decided yet, in table order (so screening resumes)."""
    from kratomlit import duplicates, evidence

    done = {row[0] for row in store.db.execute(
        "SELECT DISTINCT pmid FROM screening WHERE reviewer = ?", [reviewer])}
    removed = duplicates.removed(store)
    return [pmid for pmid in evidence.pmids(store, filters)
            if pmid not in done and pmid not in removed]


def _study(store: Store, pmid: int) -> dict[str, Any] | None:
    from kratomlit import evidence

    found = evidence.rows(store, evidence.Filters(include_retracted=True), only=[pmid])
    return next(found, None)  # None: withdrawn since the session started


def _evidence(store: Store, pmid: int) -> list[str]:
    rows = store.db.execute(
        "SELECT axis, value, rule_id, matched FROM tags WHERE pmid = ? AND source = 'auto' "
        "ORDER BY axis, id LIMIT 8", [pmid]).fetchall()
    return [f"{axis} {value}: “{matched}” ({rule})" for axis, value, rule, matched in rows]


def _show(console: Console, store: Store, row: dict[str, Any], position: str) -> None:
    from rich.markup import escape

    paper = store.get_paper(row["pmid"])
    console.clear()
    retracted = " [bold red]RETRACTED[/bold red]" if row.get("retracted") else ""
    console.print(f"[dim]{position}[/dim]  PMID {row['pmid']} · {row.get('year') or '?'} · "
                  f"{escape(row.get('journal_iso') or '')}{retracted}", soft_wrap=False,
                  overflow="ellipsis", highlight=False)
    console.print(f"[bold]{escape(paper['title'])}[/bold]")
    console.print(f"Design: {row['design']} · Outcomes: {', '.join(row['outcomes']) or 'none'}"
                  f" · N: {row.get('n_participants') or '-'}", highlight=False)
    for line in _evidence(store, row["pmid"])[:3]:
        console.print(f"  [dim]{escape(line)}[/dim]", overflow="ellipsis", no_wrap=True)
    sections = paper["abstract_sections"] or []
    text = "\n".join(f"{s['label']}: {s['text']}" if s.get("label") else s["text"]
                     for s in sections) or "(no abstract)"
    budget = max(4, console.height - 10) * max(20, console.width - 2)
    if len(text) > budget:  # keep the key line on an 80x24 screen
        text = text[: budget - 1].rsplit(" ", 1)[0] + "…"
    console.print(escape(text), highlight=False)
    console.print(KEYS, style="bold", markup=False, highlight=False)


@contextlib.contextmanager
def _keys_mode() -> Iterator[None]:
    """Single keys without Enter for the whole session (set once, so no key is ever lost
    between screens); the terminal is restored however the session ends."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def _read_key() -> str:
    data = os.read(sys.stdin.fileno(), 1)
    if not data:
        return "q"  # end of input: leave cleanly
    return data.decode("utf-8", "replace")


def _read_line() -> str:
    """A typed line (the terminal is in single-key mode, so gather keys until Enter)."""
    typed = ""
    while (key := _read_key()) not in ("\n", "\r"):
        typed = typed[:-1] if key in ("\x7f", "\b") else typed + key
        sys.stdout.write("\b \b" if key in ("\x7f", "\b") else key)
        sys.stdout.flush()
    return typed


def _ask_reason(console: Console, reasons: tuple[str, ...]) -> str | None:
    console.print("Reason: " + "  ".join(f"[{i}] {r}" for i, r in
                                         enumerate(reasons, 1)) + "  [o] other",
                  markup=False, highlight=False)
    key = _read_key()
    if key.isdigit() and 1 <= int(key) <= len(reasons):
        return reasons[int(key) - 1]
    if key == "o":
        console.print("Type the reason and press Enter: ", end="")
        return _read_line().strip() or None
    return None


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
    db: DbOption = None,
) -> None:
    """Screen unscreened papers one at a time: a single key decides, then the next one.
    The filters are `table`'s; retracted papers are shown, marked."""
    if ctx.invoked_subcommand is not None:
        return
    from kratomlit.evidence import Filters

    name = _reviewer(reviewer)
    filters = Filters(outcomes=split_values(outcome), designs=split_values(design), since=since,
                      until=until, search=search, new=new, include_retracted=True).check()
    if not sys.stdin.isatty():
        raise UsageError("interactive screening needs a terminal; in scripts use "
                         "`kratomlit screen set PMID include|exclude|maybe`")
    console = stdout_console()
    with open_store(db, create=True) as store:
        queue = _queue(store, name, filters)
        with _keys_mode():
            decided = _session(console, store, name, queue)
        left = len(_queue(store, name, filters))
    console.print(f"{name}: {decided} decision(s) this session; {left} paper(s) left to screen.")


def _session(console: Console, store: Store, name: str, queue: list[int]) -> int:
    """The screening loop; returns how many decisions were made."""
    from kratomlit import screening

    reasons = screening.exclusion_reasons(store.path)
    decided = index = 0
    while index < len(queue):
        row = _study(store, queue[index])
        if row is None:
            index += 1
            continue
        _show(console, store, row, f"{index + 1}/{len(queue)} · {name}")
        key = _read_key().lower()
        if key == "q":
            break
        if key == "s":
            index += 1
        elif key == "u":
            pmid = screening.undo(store, name)
            if pmid is not None:
                decided -= 1
                back = next((i for i, p in enumerate(queue) if p == pmid), None)
                index = back if back is not None else index
        elif key in ("i", "m", "e"):
            decision = {"i": "include", "m": "maybe", "e": "exclude"}[key]
            reason = _ask_reason(console, reasons) if decision == "exclude" else None
            if decision == "exclude" and not reason:
                continue  # no reason, no exclusion: show the paper again
            screening.record(store, row["pmid"], decision, reviewer=name, reason=reason)
            decided += 1
            index += 1
    return decided


DecisionArgument = Annotated[str, typer.Argument(help="include, exclude or maybe.",
                                                 show_default=False)]


def _decide(pmid: int, decision: str, reason: str | None, note: str | None,
            reviewer: str | None, db: Path | None, *, final: bool) -> str:
    from kratomlit import screening

    name = _reviewer(reviewer)
    screening.check_decision(decision, reason)
    with open_store(db, create=True) as store:
        screening.record(store, pmid, decision, reviewer=name, reason=reason, note=note,
                         final=final)
    return name


@screen_app.command("set")
def screen_set(pmid: PmidArgument, decision: DecisionArgument, reason: Reason = None,
               note: Note = None, reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Record one decision without the interactive screen (for scripts)."""
    name = _decide(pmid, decision, reason, note, reviewer, db, final=False)
    typer.echo(f"PMID {pmid}: {decision.lower()} by {name}")


@screen_app.command("undo")
def screen_undo(reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Take back the reviewer's latest decision."""
    from kratomlit import screening

    name = _reviewer(reviewer)
    with open_store(db, write=True) as store:
        pmid = screening.undo(store, name)
    typer.echo(f"Undid {name}'s decision on PMID {pmid}" if pmid else
               f"{name} has no decision to undo")


@screen_app.command("conflicts")
def screen_conflicts(db: DbOption = None, output_format: FormatOption = "text") -> None:
    """Papers two reviewers decided differently, still unresolved."""
    from kratomlit import screening

    output_format = check_format(output_format)
    with open_store(db) as store:
        found = screening.conflicts(store)
    if output_format == "json":
        typer.echo(json.dumps(found, indent=2))
        return
    for item in found:
        votes = ", ".join(f"{who}: {what}" for who, what in item["votes"].items())
        typer.echo(f"{item['pmid']}  {votes}")
    typer.echo(f"{len(found)} conflict(s)", err=True)


@screen_app.command("resolve")
def screen_resolve(pmid: PmidArgument, decision: DecisionArgument, reason: Reason = None,
                   note: Note = None, reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Settle a paper's decision (a final decision overrides the reviewers' votes)."""
    name = _decide(pmid, decision, reason, note, reviewer, db, final=True)
    typer.echo(f"PMID {pmid}: resolved as {decision.lower()} by {name}")


@screen_app.command("agreement")
def screen_agreement(db: DbOption = None, output_format: FormatOption = "text") -> None:
    """Agreement between reviewers: papers both screened, agreements, Cohen's kappa."""
    from kratomlit import screening

    output_format = check_format(output_format)
    with open_store(db) as store:
        found = screening.agreement(store)
    if output_format == "json":
        typer.echo(json.dumps([a.__dict__ for a in found], indent=2))
        return
    if not found:
        typer.echo("No two reviewers have screened the same papers yet.")
    for item in found:
        kappa = "n/a" if item.kappa is None else f"{item.kappa:.3f}"
        typer.echo(f"{item.reviewers[0]} vs {item.reviewers[1]}: {item.both_screened} papers, "
                   f"{item.agreed} agreed, Cohen's kappa {kappa}")


@screen_app.command("duplicates")
def screen_duplicates(
    confirm: Annotated[list[int] | None, typer.Option(
        "--confirm", help="Confirm this candidate PMID as a duplicate (repeatable).",
        show_default=False, metavar="PMID", parser=pmid_value)] = None,
    confirm_all: Annotated[bool, typer.Option(
        "--confirm-all", help="Confirm every candidate.")] = False,
    db: DbOption = None,
) -> None:
    """Find likely duplicates (same DOI, or same title, year and first author); confirmed
    ones leave screening and count as removed in the PRISMA flow."""
    from kratomlit import duplicates

    with open_store(db, write=True) as store:
        found = duplicates.find(store)
        wanted = set(confirm or [])
        unknown = wanted - {c.pmid for c in found}
        if unknown:
            raise UsageError(f"not a duplicate candidate: {', '.join(map(str, sorted(unknown)))}")
        chosen = found if confirm_all else [c for c in found if c.pmid in wanted]
        duplicates.record(store, found)
        duplicates.record(store, chosen, confirm=True)
    for item in found:
        state = "confirmed" if item in chosen else "candidate"
        typer.echo(f"{item.pmid} duplicates {item.duplicate_of} ({item.method}, {state})")
    typer.echo(f"{len(found)} candidate(s), {len(chosen)} confirmed now", err=True)


@app.command()
def prisma(db: DbOption = None,
           output_format: Annotated[str, typer.Option("--format", "-f",
                                                      help="text, json or md.")] = "text",
           svg: Annotated[Path | None, typer.Option(
               "--svg", help="Also write the flow diagram as an SVG file.", show_default=False
           )] = None) -> None:
    """PRISMA 2020 flow: identified, duplicates, screened, excluded (by reason), included."""
    from kratomlit import prisma as flows

    output_format = check_format(output_format, "text", "json", "md")
    with open_store(db) as store:
        found = flows.flow(store)
    if svg is not None:
        from kratomlit.cli.report import _write_file

        _write_file(svg, lambda stream: stream.write(flows.svg(found)) and 1)
        print(f"Wrote the PRISMA flow diagram to {svg}", file=sys.stderr)
    if output_format == "json":
        typer.echo(json.dumps(found.as_dict(), indent=2))
    elif output_format == "md":
        typer.echo(flows.markdown(found), nl=False)
    else:
        from kratomlit.views import render_prisma

        render_prisma(stdout_console(), found)
