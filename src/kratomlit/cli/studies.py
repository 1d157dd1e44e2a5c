"""Evidence views and exports: ``table``, ``map``, ``digest`` and ``export``."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from kratomlit.cli.app import (
    DbOption,
    app,
    check_format,
    open_store,
    stderr_console,
    stdout_console,
)
from kratomlit.errors import InputFileError, UsageError
from kratomlit.tagging.taxonomy import OUTCOMES
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.report.selection import Filters
    from kratomlit.store import Store

Outcome = Annotated[list[str] | None, typer.Option(
    "--outcome", help="Only studies with this outcome (repeatable or comma-separated: "
    f"{', '.join(OUTCOMES)}).", show_default=False, metavar="OUTCOME")]
Design = Annotated[list[str] | None, typer.Option(
    "--design", help="Only this design (repeatable or comma-separated).", show_default=False,
    metavar="DESIGN")]
Since = Annotated[int | None, typer.Option("--since", help="Published in or after this year.",
                                           show_default=False, metavar="YEAR")]
Until = Annotated[int | None, typer.Option("--until", help="Published in or before this year.",
                                           show_default=False, metavar="YEAR")]
Search = Annotated[str | None, typer.Option("--search", help="Full-text search (as `search`).",
                                            show_default=False)]
New = Annotated[bool, typer.Option("--new", help="Only papers the last fetch or import added.")]
Retracted = Annotated[bool, typer.Option("--include-retracted",
                                         help="Keep retracted papers (clearly marked).")]
Duplicates = Annotated[bool, typer.Option(
    "--include-duplicates", help="Also show confirmed duplicate records, marked with the PMID "
    "they duplicate (never counted as studies).")]
Limit = Annotated[int | None, typer.Option("--limit", help="At most this many studies.",
                                           show_default=False)]
Status = Annotated[str | None, typer.Option(
    "--status", help="Screening status: included, excluded, maybe, conflict, screened, "
    "unscreened.", show_default=False)]
Included = Annotated[bool, typer.Option("--included", help="Only studies screened in "
                                        "(same as --status included).")]
Screened = Annotated[bool, typer.Option("--screened", help="Only studies with a screening "
                                        "decision (same as --status screened).")]


def split_values(values: list[str] | None) -> list[str]:
    return [v.strip().lower() for value in values or [] for v in value.split(",") if v.strip()]


def _filters(outcome: list[str] | None, design: list[str] | None, since: int | None,
             until: int | None, search: str | None, new: bool, include_retracted: bool,
             limit: int | None, status: str | None, included: bool, screened: bool,
             include_duplicates: bool = False) -> Filters:
    from kratomlit.report.selection import Filters

    chosen = [s for s in (status, "included" if included else None,
                          "screened" if screened else None) if s]
    if len(set(chosen)) > 1:
        raise UsageError("choose one screening filter: --status, --included or --screened")
    return Filters(outcomes=split_values(outcome), designs=split_values(design), since=since,
                   until=until, search=search, new=new, include_retracted=include_retracted,
                   include_duplicates=include_duplicates,
                   screening=chosen[0] if chosen else None, limit=limit).check()


@app.command()
def table(outcome: Outcome = None, design: Design = None, since: Since = None,
          until: Until = None, search: Search = None, new: New = False,
          include_retracted: Retracted = False, include_duplicates: Duplicates = False,
          limit: Limit = None, status: Status = None,
          included: Included = False, screened: Screened = False, db: DbOption = None,
          output_format: Annotated[str, typer.Option("--format", "-f",
                                                     help="text or json.")] = "text") -> None:
    """The evidence table: one row per study, strongest design first, then newest."""
    from dataclasses import replace

    from kratomlit.report import selection

    filters = _filters(outcome, design, since, until, search, new, include_retracted, limit,
                       status, included, screened, include_duplicates)
    output_format = check_format(output_format)
    with open_store(db) as store:
        if new:
            print(_last_run(store), file=sys.stderr)
        per_design = selection.design_counts(store, replace(filters, include_duplicates=False))
        selected = selection.rows(store, filters)
        if output_format == "json":
            from kratomlit.report.exports import write_json

            write_json(selection.with_details(store, selected), sys.stdout)
            return
        from kratomlit.report.terminal import render_table, summary_line, write_tsv

        console = stdout_console()
        if console.is_terminal:
            render_table(console, selected, sum(per_design.values()), per_design)
        else:  # for scripts: tab-separated lines as the rows come, the summary on stderr
            shown = write_tsv(selected, sys.stdout)
            print(summary_line(sum(per_design.values()), shown, per_design), file=sys.stderr)


@app.command("map")
def evidence_map(outcome: Outcome = None, design: Design = None, since: Since = None,
                 until: Until = None, search: Search = None, new: New = False,
                 include_retracted: Retracted = False, status: Status = None,
                 included: Included = False, screened: Screened = False,
                 output: Annotated[Path | None, typer.Option(
                     "--output", "-o", help="Write the html page to this file (default: "
                     "standard output).", show_default=False)] = None,
                 db: DbOption = None,
                 output_format: Annotated[str, typer.Option(
                     "--format", "-f", help="text, json, csv, md, or html: the gap map page to "
                     "open in a browser.")] = "text") -> None:
    """The evidence map: studies per outcome and design, and per year for each outcome."""
    from kratomlit.report import selection

    output_format = check_format(output_format, "text", "json", "csv", "md", "html")
    if output is not None and output_format != "html":
        raise UsageError("--output is for --format html; redirect the other formats (> FILE)")
    filters = _filters(outcome, design, since, until, search, new, include_retracted, None,
                       status, included, screened)
    if output_format == "html":
        _write_gap_map(filters, output, db)
        return
    with open_store(db) as store:
        if new:
            print(_last_run(store), file=sys.stderr)
        found = selection.evidence_map(store, filters)
    if output_format == "json":
        typer.echo(json.dumps(found.as_dict(), indent=2))
    elif output_format in ("csv", "md"):
        # Two tables, a blank line apart: outcomes x designs, then studies per year (every
        # year from the first to the last, so a chart made from it shows the gaps).
        header = ["outcome", *found.designs, "total"]
        lines = [[o, *[str(found.cells[o].get(d, 0)) for d in found.designs],
                  str(sum(found.cells[o].values()))] for o in found.outcomes]
        years = [y for per in found.years.values() for y in per]
        per_year = [["year", *found.years]] + [
            [str(y), *[str(per.get(y, 0)) for per in found.years.values()]]
            for y in range(min(years, default=0), max(years, default=-1) + 1)]
        tables = [[header, *lines], per_year] if years else [[header, *lines]]
        if output_format == "csv":
            import csv

            writer = csv.writer(sys.stdout, lineterminator="\n")
            for i, table in enumerate(tables):
                writer.writerows([[], *table] if i else table)
        else:
            for i, (first, *rest) in enumerate(tables):
                typer.echo(("\n" if i else "") + "| " + " | ".join(first) + " |")
                typer.echo("|" + "---|" + "---:|" * (len(first) - 1))
                for line in rest:
                    typer.echo("| " + " | ".join(line) + " |")
    else:
        from kratomlit.report.terminal import render_map

        render_map(stdout_console(), found)


def _write_gap_map(filters: Filters, output: Path | None, db: Path | None) -> None:
    from dataclasses import replace

    from kratomlit.report import gapmap, selection

    with open_store(db) as store:
        # Counting first also checks the search, so a bad one fails before any output.
        total = selection.count(store, replace(filters, include_retracted=True))
        studies = gapmap.select(store, filters)

        def write(rows: Iterable[dict[str, Any]], stream: TextIO) -> int:
            return gapmap.write_page(rows, stream, query=gapmap.describe(filters),
                                     source=store.path.name,
                                     show_retracted=filters.include_retracted)

        if output is None:
            write(studies, sys.stdout)
            return
        count = _write_output(output, write, studies, "drawing the map", lambda: total)
    print(f"Wrote the gap map of {plural(count, 'study', 'studies')} to {output}",
          file=sys.stderr)


def _last_run(store: Store) -> str:
    """What the latest finished fetch or import added (``--new``), in words."""
    run, pmids = store.last_run_pmids()
    if run is None:
        return "No fetch or import has run yet"
    when = (run["finished_at"] or "").replace("T", " ").replace("Z", " UTC")
    status = "" if run["status"] == "ok" else f", {run['status']}"
    if not pmids:
        return f"Nothing new in the last {run['kind']} (run {run['id']}{status}), on {when}"
    return (f"Added by run {run['id']} ({run['kind']}{status}, finished {when}): "
            f"{plural(len(pmids), 'paper')}")


@app.command()
def digest(since: Annotated[str | None, typer.Option(
               "--since", help="Papers first seen on or after this date (YYYY[-MM[-DD]]) "
               "instead of the last fetch.", show_default=False, metavar="DATE")] = None,
           db: DbOption = None,
           output_format: Annotated[str, typer.Option("--format", "-f",
                                                      help="text or json.")] = "text") -> None:
    """What the last fetch (or --since DATE) added, grouped by outcome."""
    from kratomlit.parse.dates import parse_date
    from kratomlit.report import selection
    from kratomlit.report.selection import NO_OUTCOME, Filters

    output_format = check_format(output_format)
    day = parse_date(since, "--since") if since else None
    filters = Filters(added_since=day, new=day is None, include_retracted=True).check()
    with open_store(db) as store:
        heading = f"Papers first seen since {day}" if day else _last_run(store)
        groups: dict[str, list[dict]] = {}
        keep = ("pmid", "year", "design", "outcomes", "title", "journal_iso", "retracted", "url")
        for row in selection.rows(store, filters):
            kept = {k: row[k] for k in keep}  # not the abstracts: a big run is held whole
            for outcome in row["outcomes"] or [NO_OUTCOME]:
                groups.setdefault(outcome, []).append(kept)
    order = [*OUTCOMES, NO_OUTCOME]
    groups = {o: groups[o] for o in order if o in groups}
    if output_format == "json":
        typer.echo(json.dumps({"heading": heading, "groups": groups}, indent=2,
                              ensure_ascii=False))
        return
    from kratomlit.report.terminal import render_digest

    render_digest(stdout_console(), heading, groups)


@app.command()
def export(output_format: Annotated[str, typer.Option(
               "--format", "-f", help="csv, json, jsonl, md, html, ris or bibtex.",
               show_default=False)],
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", help="File to write (default: standard output).",
               show_default=False)] = None,
           outcome: Outcome = None, design: Design = None, since: Since = None,
           until: Until = None, search: Search = None, new: New = False,
           include_retracted: Retracted = False, include_duplicates: Duplicates = False,
           limit: Limit = None, status: Status = None,
           included: Included = False, screened: Screened = False,
           db: DbOption = None) -> None:
    """Export the studies the filters select, for Excel, manuscripts, Zotero or screening."""
    from kratomlit.report import selection
    from kratomlit.report.exports import FORMATS, WRITERS

    output_format = check_format(output_format, *FORMATS)
    filters = _filters(outcome, design, since, until, search, new, include_retracted, limit,
                       status, included, screened, include_duplicates)
    write = WRITERS[output_format]
    with open_store(db) as store:
        if output_format == "html":
            import functools

            from kratomlit.report.exports import write_html
            from kratomlit.report.gapmap import describe

            chosen = (describe(filters) + (f"; the first {limit}" if limit else "")
                      + ("; retracted papers included, marked" if include_retracted else
                         "; retracted papers left out")
                      + ("; confirmed duplicates included, marked" if include_duplicates
                         else ""))
            write = functools.partial(write_html, source=store.path.name, selection=chosen)
        selected = selection.with_details(store, selection.rows(store, filters))
        if output is None:
            write(selected, sys.stdout)
            return

        def total() -> int:
            found = selection.count(store, filters)
            return min(found, filters.limit) if filters.limit else found

        count = _write_output(output, write, selected, "exporting", total)
    what = (plural(count, "record") + " (confirmed duplicates marked)" if include_duplicates
            else plural(count, "study", "studies"))
    print(f"Wrote {what} to {output}", file=sys.stderr)


Writer = Callable[[Iterable[dict[str, Any]], TextIO], int]


def _write_output(output: Path, write: Writer, selected: Iterator[dict[str, Any]], doing: str,
                  total: Callable[[], int]) -> int:
    """Write a file whole, with a progress bar when stderr is a terminal."""
    console = stderr_console()
    if not console.is_terminal:
        return _write_file(output, lambda stream: write(selected, stream))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn(doing), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(doing, total=total())

        def counted() -> Iterator[dict[str, Any]]:
            for row in selected:
                bar.advance(task)
                yield row

        return _write_file(output, lambda stream: write(counted(), stream))


def _write_file(path: Path, writer: object) -> int:
    """Write beside the target and rename, so a failed export never leaves half a file.

    The file gets the mode ordinary file creation would give it (the umask's, or the one
    it had), not the temporary file's private 0600, so colleagues can read it.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; name a file to write")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except FileNotFoundError:
        raise InputFileError(f"{path}: the folder {folder} does not exist") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = writer(stream)  # type: ignore[operator]
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return int(count)
