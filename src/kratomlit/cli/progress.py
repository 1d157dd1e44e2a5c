"""Progress display: rich bars on a terminal, sparse plain lines otherwise, nothing when quiet."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

# Plain (non-terminal) output prints at most one progress line per interval,
# so logs from cron jobs stay readable.
PLAIN_INTERVAL_S = 5.0


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

