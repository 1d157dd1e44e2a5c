"""The interactive screening session: one paper at a time on the terminal, a single key per
decision, the abstract scrolled under the title, the review's words highlighted."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kratomlit.errors import UsageError
from kratomlit.records import label
from kratomlit.wording import plural

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from kratomlit.review.order import Next, Queue
    from kratomlit.store import Store

KEYS = "[i] include  [e] exclude  [m] maybe  [s] skip  [u] undo  [n] note  [q] quit"
# Keys that scroll the abstract, by lines and by pages; every other key decides or acts.
LINE_KEYS = {"j": 1, "\x1b[B": 1, "\x1bOB": 1, "k": -1, "\x1b[A": -1, "\x1bOA": -1}
PAGE_KEYS = {" ": 1, "f": 1, "\x1b[6~": 1, "b": -1, "\x1b[5~": -1}


def _study(store: Store, pmid: int) -> dict[str, Any] | None:
    from kratomlit.report import selection

    found = selection.rows(store, selection.Filters(include_retracted=True), only=[pmid])
    return next(found, None)  # None: withdrawn since the session started


def _evidence(store: Store, pmid: int) -> list[str]:
    return [f"{axis} {value}: “{matched}” ({rule})"
            for axis, value, rule, matched in store.auto_evidence(pmid)]


def highlighter(words: list[str]) -> re.Pattern[str] | None:
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
        # On a small terminal the head gives way (its last lines first), so the keys and
        # a line of the abstract always show.
        head = self.head[:max(1, self.console.height - 3 - len(foot))]
        window = self.console.height - 1 - len(head) - len(foot)
        more = len(self.abstract) > window
        window = max(1, window - more)  # the "more" line takes one
        self.top = max(0, min(self.top, len(self.abstract) - window))
        shown = self.abstract[self.top:self.top + window]
        lines = [*head, *shown]
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


def _show(console: Console, store: Store, row: dict[str, Any], head: list[Text],
          pattern: re.Pattern[str] | None) -> _Screen:
    """Lay out a paper: ``head`` (where it is in the queue and in what order), title, tags
    and the rules that fired, and the whole structured abstract (keywords highlighted)."""
    from rich.text import Text

    paper = store.get_paper(row["id"])
    plain = console.color_system is None  # TERM=dumb: no styles, so mark keywords
    top, *status = head
    if row.get("retracted"):  # before the journal, which may be cut at the edge
        top.append("  RETRACTED", style="bold red")
    top.append(f"  {label(row['reference'])} · {row.get('year') or '?'} · "
               f"{row.get('journal_iso') or ''}")
    design = Text(f"Design: {row['design']} · Outcomes: {', '.join(row['outcomes']) or 'none'}"
                  f" · N: {row.get('n_participants') or '-'}")
    fired = [Text(f"  {line}", style="dim", no_wrap=True, overflow="ellipsis")
             for line in _evidence(store, row["id"])[:3]]
    title = _marked(paper["title"] or "(no title)", pattern, plain, "bold")
    lines = [line for text in (top, *status, title, design, *fired)
             for line in text.wrap(console, console.width)]
    abstract = Text()
    for section in paper["abstract_sections"]:
        if abstract:
            abstract.append("\n")
        if section.get("label"):
            abstract.append(f"{section['label']}: ", style="bold")
        abstract.append_text(_marked(section["text"], pattern, plain))
    return _Screen(console, row["id"], lines, abstract or Text("(no abstract)", style="dim"))


def _head(nxt: Next, name: str, seed: int) -> list[Text]:
    """The lines above the title: where the paper is in this session, the order and the
    paper's rank in it, the run of exclusions, and the estimate of relevant papers left."""
    from rich.text import Text

    view = nxt.view
    if nxt.order == "relevance":
        order = f"Relevance order: rank {view.rank} of {nxt.ranked:,} by your model"
    elif nxt.waiting:
        order = f"Date order until there is {nxt.waiting} to learn from"
    else:
        order = {"date": "Date order (strongest design first, then newest)",
                 "random": f"Random order (seed {seed})"}[nxt.order]
    lines = [Text(f"{nxt.position}/{nxt.total} · {name}", style="dim", no_wrap=True,
                  overflow="ellipsis"),
             Text(order, style="dim")]
    if view.remaining is not None:  # the reviewer has decided papers in this selection
        lines[-1].append(f" · {plural(view.excludes_in_a_row, 'exclusion')} in a row")
        left = view.remaining
        lines.append(Text(f"Relevant left, estimated from your last "
                          f"{plural(left.window, 'decision')}: about {left.estimate:,}, at most "
                          f"{left.upper:,}", style="dim"))
    return lines


@contextlib.contextmanager
def keys_mode() -> Iterator[None]:
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


def _footer(nxt: Next, note: str | None) -> Text:
    from rich.text import Text

    footer = Text()
    if nxt.view.notice:
        footer.append(nxt.view.notice + "\n", style="bold yellow")
    if note is not None:
        footer.append(f"Note: {note}\n", style="bold")
    footer.append(KEYS, style="bold")
    return footer


def _undo(store: Store, name: str, queue: Queue) -> int:
    """Take back the reviewer's latest decision; 1 when it was made in this session."""
    from kratomlit.review import screening

    pmid = screening.undo(store, name)
    if pmid is None:
        return 0
    return int(queue.undone(pmid, screening.history(store, name), store.decided_by(name)))


def session(console: Console, store: Store, name: str, queue: Queue,
            pattern: re.Pattern[str] | None) -> int:
    """The screening loop; returns how many decisions were made."""
    from kratomlit.review import screening

    reasons = screening.exclusion_reasons(store.path)
    decided = 0
    page: _Screen | None = None
    shown: Next | None = None
    note: str | None = None  # typed with [n], saved with the decision on this paper
    while (nxt := queue.next()) is not None:
        row = _study(store, nxt.pmid)
        if row is None:
            queue.gone(nxt.pmid)
            continue
        if page is None or nxt != shown:
            note = note if page is not None and page.pmid == nxt.pmid else None
            page, shown = _show(console, store, row, _head(nxt, name, queue.seed), pattern), nxt
        footer = _footer(nxt, note)
        key = page.read(footer).lower()
        if key in ("q", ""):
            break
        if key == "n":
            typed = page.ask(footer, "Type a note and press Enter (Esc cancels): ")
            note = note if typed is None else typed.strip() or None
        elif key == "s":
            queue.skip(nxt.pmid)
        elif key == "u":
            decided -= _undo(store, name, queue)
        elif key in ("i", "m", "e"):
            decision = {"i": "include", "m": "maybe", "e": "exclude"}[key]
            reason = _ask_reason(page, reasons) if decision == "exclude" else None
            if decision == "exclude" and not reason:
                continue  # no reason, no exclusion: the paper stays
            screening.record(store, nxt.pmid, decision, reviewer=name, reason=reason,
                             note=note)
            queue.decide(nxt.pmid, decision)
            decided += 1
    return decided
