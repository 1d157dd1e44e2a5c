"""``kratomlit import``: load PubMed XML and MEDLINE text files, and database exports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kratomlit.cli.app import NamedArguments, app, open_store, stderr_console
from kratomlit.cli.options import DbOption, QuietOption
from kratomlit.errors import UsageError
from kratomlit.wording import plural


@app.command("import", cls=NamedArguments)
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="PubMed XML (.xml, .xml.gz) or MEDLINE text (.txt, .nbib), and database "
            "exports: RIS (Embase/Ovid, Scopus, Web of Science, PsycINFO/EBSCO, CENTRAL, "
            "Zotero, EndNote), Web of Science text, BibTeX, CSV/TSV with a header, EndNote "
            "XML. The format is told from the content.",
            show_default=False, metavar="FILE",
        ),
    ],
    source: Annotated[str | None, typer.Option(
        "--source", help="The database the export files came from (default: the file's own "
        "DB field where it has one, else the file name); each file is one PRISMA source.",
        show_default=False, metavar="NAME")] = None,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", help="CSV column for a field, FIELD=HEADER (repeatable), for headers the "
        "default mapping does not know.", show_default=False, metavar="FIELD=HEADER")] = None,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Import records from files; all or nothing. Records from database exports are matched
    against the stored studies: the same PMID or DOI joins the study (PubMed's metadata
    stays), a similar title/year/first author becomes a candidate for `screen duplicates`."""
    from kratomlit.cli.progress import file_progress
    from kratomlit.jobs.import_files import import_files
    from kratomlit.parse.csv_records import parse_map

    if source is not None and not source.strip():
        raise UsageError("--source needs a database name, such as Embase")
    columns = parse_map(mapping) if mapping else None
    console = stderr_console(quiet)
    with open_store(db, create=True) as store, file_progress(console, files) as progress:
        result = import_files(store, files, progress=progress,
                              source=source.strip() if source else None, mapping=columns)
    c = result.counts
    joined = f", {c.joined:,} joined a study found before" if c.joined else ""
    candidates = (f", {plural(result.candidates, 'possible duplicate')} for `kratomlit "
                  "screen duplicates`" if result.candidates else "")
    console.print(
        f"Imported {plural(result.records, 'record')} from {plural(len(result.files), 'file')}: "
        f"{c.new:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged, {c.deleted:,} "
        f"deleted{joined}{candidates} into {store.path}",
        highlight=False, markup=False, soft_wrap=True,  # one line for logs and grep
    )
