"""Screening for a systematic review: ``screen`` (interactive), its subcommands, ``prisma``."""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kratomlit.cli.app import app, make_app, open_store, stdout_console
from kratomlit.cli.options import (
    DbOption,
    Design,
    New,
    Outcome,
    PmidArgument,
    Reviewer,
    Search,
    Since,
    Until,
    ViewFormat,
    format_option,
    pmid_value,
    split_values,
    study_filters,
)
from kratomlit.errors import UsageError
from kratomlit.report import formats
from kratomlit.wording import plural

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from kratomlit.report.selection import Filters
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

KEYS = "[i] include  [e] exclude  [m] maybe  [s] skip  [u] undo  [n] note  [q] quit"
# Keys that scroll the abstract, by lines and by pages; every other key decides or acts.
LINE_KEYS = {"j": 1, "\x1b[B": 1, "\x1bOB": 1, "k": -1, "\x1b[A": -1, "\x1bOA": -1}
PAGE_KEYS = {" ": 1, "f": 1, "\x1b[6~": 1, "b": -1, "\x1b[5~": -1}


def _reviewer(value: str | None) -> str:
    from kratomlit.config import reviewer_name

    name = reviewer_name(value)
    if not name:
        raise UsageError("who is screening? give --reviewer NAME or set KRATOMLIT_REVIEWER")
    return name


def _queue(store: Store, reviewer: str, filters: Filters) -> list[int]:
    """PMIDs this reviewer has not decided yet, in table order (so screening resumes);
    confirmed duplicates are left out, as in the table."""
    from kratomlit.report import selection

    done = store.decided_by(reviewer)
    return [pmid for pmid in selection.pmids(store, filters) if pmid not in done]


def _study(store: Store, pmid: int) -> dict[str, Any] | None:
    from kratomlit.report import selection

    found = selection.rows(store, selection.Filters(include_retracted=True), only=[pmid])
    return next(found, None)  # None: withdrawn since the session started


def _evidence(store: Store, pmid: int) -> list[str]:
    return [f"{axis} {value}: “{matched}” ({rule})"
            for axis, value, rule, matched in store.auto_evidence(pmid)]


def _highlighter(words: list[str]) -> re.Pattern[str] | None:
    """The review's keywords as one case-insensitive pattern: whole words, ``depress*``
    for a stem, ``opioid use`` for a phrase."""
    parts = []
    for word in words:
        stem = word.rstrip("*")
        if not any(ch.isalnum() for ch in stem):
            raise UsageError(f"--highlight wants words such as kratom or depress*, not {word!r}")
        body = r"\s+".join(re.escape(w) for w in stem.split())
        parts.append(rf"(?<!\w){body}" + (r"\w*" if word.endswith("*") else r"(?!\w)"))
    # Longest first, so a phrase wins over a word it starts with.
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.I) if parts else None


def _marked(text: str, pattern: re.Pattern[str] | None, plain: bool, style: str = "") -> Text:
    """Text with the keywords reversed, or between ** on a terminal without styles."""
    from rich.text import Text

    if pattern is not None and plain:
        text = pattern.sub(r"**\g<0>**", text)
    marked = Text(text, style=style)
    if pattern is not None and not plain:
        marked.highlight_regex(pattern, "reverse")
    return marked


class _Screen:
    """One paper on the terminal: a fixed head, the abstract in a window that scrolls, and
    a footer of keys, fitted to the terminal's height so the keys always show."""

    def __init__(self, console: Console, pmid: int, head: list[Text], abstract: Text) -> None:
        self.console, self.pmid, self.head = console, pmid, head
        self.abstract = self.lines(abstract)
        self.top = 0  # the first abstract line shown

    def lines(self, text: Text) -> list[Text]:
        lines = list(text.wrap(self.console, self.console.width))
        for line in lines:
            line.rstrip()
        return lines

    def draw(self, footer: Text) -> int:
        """Clear and draw the screen (leaving the last line for typing); returns how many
        abstract lines it holds."""
        from rich.text import Text

        foot = self.lines(footer)
        window = self.console.height - 1 - len(self.head) - len(foot)
        more = len(self.abstract) > window
        window = max(1, window - more)  # the "more" line takes one
        self.top = max(0, min(self.top, len(self.abstract) - window))
        shown = self.abstract[self.top:self.top + window]
        lines = [*self.head, *shown]
        if more:
            status = Text(f"── lines {self.top + 1}–{self.top + len(shown)} of "
                          f"{len(self.abstract)} · space/j/↓ more · b/k/↑ back ──", style="dim")
            status.truncate(self.console.width, overflow="ellipsis")
            lines.append(status)
        with self.console:  # one write per screen
            self.console.clear()
            self.console.print(Text("\n").join([*lines, *foot]), soft_wrap=True)
        return window

    def read(self, footer: Text) -> str:
        """Draw with this footer and scroll the abstract as asked until a key that is not
        a scroll key; return that key."""
        while True:
            window = self.draw(footer)
            key = _read_key()
            if key in LINE_KEYS:
                self.top += LINE_KEYS[key]
            elif key in PAGE_KEYS:
                self.top += PAGE_KEYS[key] * max(1, window - 1)  # one line of context
            else:
                return key

    def ask(self, footer: Text, prompt: str) -> str | None:
        """A line typed on the last line of the screen; None when cancelled."""
        self.draw(footer)
        self.console.print(prompt, end="", markup=False, highlight=False)
        return _read_line()


def _show(console: Console, store: Store, row: dict[str, Any], position: str,
          pattern: re.Pattern[str] | None) -> _Screen:
    """Lay out a paper: where it is in the queue, title, tags and the rules that fired,
    and the whole structured abstract (keywords highlighted)."""
    from rich.text import Text

    paper = store.get_paper(row["pmid"])
    plain = console.color_system is None  # TERM=dumb: no styles, so mark keywords
    top = Text(position, style="dim", no_wrap=True, overflow="ellipsis")
    if row.get("retracted"):  # before the journal, which may be cut at the edge
        top.append("  RETRACTED", style="bold red")
    top.append(f"  PMID {row['pmid']} · {row.get('year') or '?'} · {row.get('journal_iso') or ''}")
    design = Text(f"Design: {row['design']} · Outcomes: {', '.join(row['outcomes']) or 'none'}"
                  f" · N: {row.get('n_participants') or '-'}")
    fired = [Text(f"  {line}", style="dim", no_wrap=True, overflow="ellipsis")
             for line in _evidence(store, row["pmid"])[:3]]
    title = _marked(paper["title"] or "(no title)", pattern, plain, "bold")
    head = [line for text in (top, title, design, *fired)
            for line in text.wrap(console, console.width)]
    abstract = Text()
    for section in paper["abstract_sections"]:
        if abstract:
            abstract.append("\n")
        if section.get("label"):
            abstract.append(f"{section['label']}: ", style="bold")
        abstract.append_text(_marked(section["text"], pattern, plain))
    return _Screen(console, row["pmid"], head, abstract or Text("(no abstract)", style="dim"))


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
    """One key as text: a whole character however many UTF-8 bytes it takes, or a whole
    escape sequence (an arrow is ESC [ A); "" at the end of input."""
    fd = sys.stdin.fileno()
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    key = ""
    while not key:
        data = os.read(fd, 1)  # one byte at a time, so no later key is read ahead and lost
        if not data:
            return ""
        key = decoder.decode(data)
    if key != "\x1b":
        return key
    import select

    # A terminal sends a whole sequence at once; a lone Escape has nothing after it.
    while select.select([fd], [], [], 0.05)[0] and (data := os.read(fd, 1)):
        key += data.decode("latin-1")
        if key[1] not in "[O" or (len(key) > 2 and "@" <= key[-1] <= "~"):
            break
    return key


def _read_line() -> str | None:
    """A typed line (the terminal is in single-key mode, so gather keys until Enter);
    None when Escape or the end of input cancels it."""
    from rich.cells import cell_len

    typed = ""
    while (key := _read_key()) not in ("\n", "\r"):
        if key in ("", "\x1b"):
            return None
        if key in ("\x7f", "\b"):
            if not typed:
                continue
            width = cell_len(typed[-1])  # a CJK character takes two columns
            typed = typed[:-1]
            sys.stdout.write("\b" * width + " " * width + "\b" * width)
        elif key.isprintable():
            typed += key
            sys.stdout.write(key)
        sys.stdout.flush()
    return typed


def _ask_reason(page: _Screen, reasons: tuple[str, ...]) -> str | None:
    from rich.text import Text

    menu = Text("Reason: " + "  ".join(f"[{i}] {r}" for i, r in enumerate(reasons, 1))
                + "  [o] other", style="bold")
    key = page.read(menu)
    if key.isascii() and key.isdigit() and 1 <= int(key) <= len(reasons):
        return reasons[int(key) - 1]
    if key == "o":
        return (page.ask(menu, "Type the reason and press Enter (Esc cancels): ") or "").strip(
            ) or None
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
    highlight: Highlight = None,
    db: DbOption = None,
) -> None:
    """Screen unscreened papers one at a time: a single key decides, then the next one;
    space/j/k (or the arrows) scroll a long abstract. The filters are `table`'s; retracted
    papers are shown, marked."""
    if ctx.invoked_subcommand is not None:
        return
    name = _reviewer(reviewer)
    filters = study_filters(outcome, design, since, until, search, new, include_retracted=True)
    pattern = _highlighter(split_values(highlight))
    if not sys.stdin.isatty():
        raise UsageError("interactive screening needs a terminal; in scripts use "
                         "`kratomlit screen set PMID include|exclude|maybe`")
    console = stdout_console()
    if console.is_dumb_terminal:  # rich assumes 80x25 there; the screen must fit the real one
        with contextlib.suppress(OSError):
            console.size = os.get_terminal_size(sys.stdout.fileno())
    with open_store(db, create=True) as store:
        queue = _queue(store, name, filters)
        with _keys_mode():
            decided = _session(console, store, name, queue, pattern)
        left = len(_queue(store, name, filters))
    console.print(f"{name}: {decided} decision(s) this session; {left} paper(s) left to screen.")


def _session(console: Console, store: Store, name: str, queue: list[int],
             pattern: re.Pattern[str] | None) -> int:
    """The screening loop; returns how many decisions were made."""
    from rich.text import Text

    from kratomlit.review import screening

    reasons = screening.exclusion_reasons(store.path)
    decided = index = 0
    page: _Screen | None = None
    note: str | None = None  # typed with [n], saved with the decision on this paper
    while index < len(queue):
        row = _study(store, queue[index])
        if row is None:
            index += 1
            continue
        if page is None or page.pmid != row["pmid"]:
            page = _show(console, store, row, f"{index + 1}/{len(queue)} · {name}", pattern)
            note = None
        footer = Text(KEYS if note is None else f"Note: {note}\n{KEYS}", style="bold")
        key = page.read(footer).lower()
        if key in ("q", ""):
            break
        if key == "n":
            typed = page.ask(footer, "Type a note and press Enter (Esc cancels): ")
            note = note if typed is None else typed.strip() or None
        elif key == "s":
            index += 1
        elif key == "u":
            pmid = screening.undo(store, name)
            if pmid is not None:
                decided -= 1
                back = next((i for i, p in enumerate(queue) if p == pmid), None)
                index = back if back is not None else index
        elif key in ("i", "m", "e"):
            decision = {"i": "include", "m": "maybe", "e": "exclude"}[key]
            reason = _ask_reason(page, reasons) if decision == "exclude" else None
            if decision == "exclude" and not reason:
                continue  # no reason, no exclusion: the paper stays
            screening.record(store, row["pmid"], decision, reviewer=name, reason=reason,
                             note=note)
            decided += 1
            index += 1
    return decided


DecisionArgument = Annotated[str, typer.Argument(help="include, exclude or maybe.",
                                                 show_default=False)]


def _decide(pmid: int, decision: str, reason: str | None, note: str | None,
            reviewer: str | None, db: Path | None, *, final: bool) -> str:
    from kratomlit.review import screening

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
    from kratomlit.review import screening

    name = _reviewer(reviewer)
    with open_store(db, write=True) as store:
        pmid = screening.undo(store, name)
    typer.echo(f"Undid {name}'s decision on PMID {pmid}" if pmid else
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
        console.print(f"PMID {item['pmid']}: {item['title']}", markup=False, highlight=False)
        for who, vote in item["votes"].items():
            reason = f" ({vote['reason']})" if vote["reason"] else ""
            note = f" — note: {vote['note']}" if vote["note"] else ""
            console.print(f"  {who}: {vote['decision']}{reason}{note}", markup=False,
                          highlight=False)
    typer.echo(f"{len(found)} conflict(s); settle one with `kratomlit screen resolve PMID "
               "DECISION`" if found else "No conflicts to resolve.", err=True)


@screen_app.command("resolve")
def screen_resolve(pmid: PmidArgument, decision: DecisionArgument, reason: Reason = None,
                   note: Note = None, reviewer: Reviewer = None, db: DbOption = None) -> None:
    """Settle a paper's decision (a final decision overrides the reviewers' votes); only a
    paper someone has screened can be resolved."""
    name = _decide(pmid, decision, reason, note, reviewer, db, final=True)
    typer.echo(f"PMID {pmid}: resolved as {decision.lower()} by {name}")


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
    from kratomlit.review import duplicates

    with open_store(db, write=True) as store:
        found = duplicates.find(store)
        wanted = set(confirm or [])
        unknown = wanted - {c.pmid for c in found}
        if unknown:
            raise UsageError(f"not a duplicate candidate: {', '.join(map(str, sorted(unknown)))}")
        chosen = {c.pmid for c in found} if confirm_all else wanted
        with store.transaction():  # one transaction, each pair written once
            duplicates.record(store, [c for c in found if c.pmid not in chosen])
            duplicates.record(store, [c for c in found if c.pmid in chosen], confirm=True)
        state = duplicates.statuses(store)
    lines = [f"{c.pmid} duplicates {c.duplicate_of} ({c.method}, "
             f"{state[c.pmid, c.duplicate_of]})" for c in found]
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
