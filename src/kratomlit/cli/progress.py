"""Progress, in one place: rich bars on a terminal, sparse plain lines when stderr is not one
(cron, CI logs), nothing when quiet. Fetch, snowball, import, tag and file writing all show
it here."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from kratomlit.wording import plural

# Plain (non-terminal) output prints at most one progress line per interval,
# so logs from cron jobs stay readable.
PLAIN_INTERVAL_S = 5.0
T = TypeVar("T")


@contextlib.contextmanager
def file_progress(
    console: Console, files: Sequence[Path]
) -> Iterator[Callable[[str, int, int], None] | None]:
    """Yield a ``(file, bytes_read, total)`` callback that shows reading progress."""
    if console.quiet:
        yield None
        return
    if not console.is_terminal:
        last = [0.0]
        finished: set[str] = set()

        def plain(name: str, done: int, total: int) -> None:
            now = time.monotonic()
            if name in finished:
                return
            if done >= total:
                finished.add(name)
            elif now - last[0] < PLAIN_INTERVAL_S:
                return
            last[0] = now
            console.print(f"{name}: {done * 100 // max(total, 1)}%", highlight=False)

        yield plain
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        yield update


def say(console: Console, text: str) -> None:
    # soft_wrap: a log line stays one line (and greppable) whatever the width.
    console.print(text, highlight=False, markup=False, soft_wrap=True)


class _PlainProgress:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = self.batches = self.done = self.batch = 0
        self.last = time.monotonic()

    def following(self, level: int, seeds: int, requests: int) -> None:
        say(self.console, f"step {level}: following {plural(seeds, 'seed')} "
                          f"({plural(requests, 'ELink request')})")

    def planned(self, found: int, todo: int, batches: int) -> None:
        self.total, self.batches, self.done, self.batch = todo, batches, 0, 0
        say(self.console, f"{plural(found, 'PMID')} found; {todo:,} to fetch in "
                          f"{plural(batches, 'batch', 'batches')}")

    def batch_done(self, records: int) -> None:
        self.done += records
        self.batch += 1
        now = time.monotonic()
        if self.batch == self.batches or now - self.last >= PLAIN_INTERVAL_S:
            self.last = now
            done = f"{self.done:,}/{self.total:,} records"
            say(self.console, f"batch {self.batch}/{self.batches}: {done}")


class _RichProgress:
    def __init__(self, bar: object) -> None:
        from rich.progress import Progress

        assert isinstance(bar, Progress)
        self.bar = bar
        self.batch_task = bar.add_task("batches", total=None)
        self.record_task = bar.add_task("records", total=None)

    def following(self, level: int, seeds: int, requests: int) -> None:
        say(self.bar.console, f"step {level}: following {plural(seeds, 'seed')} "
                              f"({plural(requests, 'ELink request')})")

    def planned(self, found: int, todo: int, batches: int) -> None:
        self.bar.update(self.batch_task, total=batches, completed=0)
        self.bar.update(self.record_task, total=todo, completed=0)

    def batch_done(self, records: int) -> None:
        self.bar.advance(self.batch_task)
        self.bar.advance(self.record_task, records)


@contextlib.contextmanager
def fetch_progress(console: Console) -> Iterator[object | None]:
    """What a fetch or a snowball reports as it goes: its steps, batches and records."""
    if console.quiet:
        yield None
        return
    if not console.is_terminal:
        yield _PlainProgress(console)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        yield _RichProgress(bar)


@contextlib.contextmanager
def tag_progress(console: Console) -> Iterator[Callable[[int, int], None] | None]:
    """A ``(papers done, papers to do)`` callback: a transient bar on a terminal only."""
    if not console.is_terminal or console.quiet:
        yield None
        return
    from rich.progress import MofNCompleteColumn

    # Refreshed by each chunk, not by a thread of rich's: tagging forks worker processes,
    # and forking while another thread runs can leave a child waiting on a lock forever.
    with Progress(TextColumn("tagging"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True, auto_refresh=False) as bar:
        task = bar.add_task("tag", total=None)
        bar.refresh()
        yield lambda done, total: bar.update(task, completed=done, total=total, refresh=True)


@contextlib.contextmanager
def counting(console: Console, doing: str, total: Callable[[], int]
             ) -> Iterator[Callable[[Iterator[T]], Iterator[T]]]:
    """Wrap an iterator of rows so a transient bar counts them, on a terminal only
    (``total`` is asked for only there: counting can cost a query)."""
    if not console.is_terminal:
        yield lambda rows: rows
        return
    from rich.progress import MofNCompleteColumn

    with Progress(TextColumn(doing), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(doing, total=total())

        def counted(rows: Iterator[T]) -> Iterator[T]:
            for row in rows:
                bar.advance(task)
                yield row

        yield counted


@contextlib.contextmanager
def working(console: Console, doing: str) -> Iterator[None]:
    """A spinner saying what is being done, on a terminal (gone when done); one plain line
    when stderr is not a terminal."""
    if console.quiet:
        yield
    elif not console.is_terminal:
        say(console, doing)
        yield
    else:
        with console.status(doing):
            yield
