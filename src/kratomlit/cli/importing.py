"""``kratomlit import``: load PubMed XML and MEDLINE text files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kratomlit.cli.app import NamedArguments, app, open_store, stderr_console
from kratomlit.cli.options import DbOption, QuietOption
from kratomlit.wording import plural


@app.command("import", cls=NamedArguments)
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="PubMed XML (.xml, .xml.gz: efetch output, baseline/update files) or MEDLINE "
            "text (.txt, .nbib from PubMed's Save > PubMed format).",
            show_default=False, metavar="FILE",
        ),
    ],
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Import records from files; all or nothing, through the same store code as fetch."""
    from kratomlit.cli.progress import file_progress
    from kratomlit.jobs.import_files import import_files

    console = stderr_console(quiet)
    with open_store(db, create=True) as store, file_progress(console, files) as progress:
        result = import_files(store, files, progress=progress)
    c = result.counts
    console.print(
        f"Imported {plural(result.records, 'record')} from {plural(len(result.files), 'file')}: "
        f"{c.new:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged, {c.deleted:,} "
        f"deleted into {store.path}",
        highlight=False, markup=False, soft_wrap=True,  # one line for logs and grep
    )
