"""Evidence views and exports: ``table``, ``map``, ``digest`` and ``export``."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

if TYPE_CHECKING:
    from kratomlit.evidence import Filters

Outcome = Annotated[list[str] | None, typer.Option(
    "--outcome", help="Only studies with this outcome (repeatable or comma-separated: mood, "
    "social, safety, legal).", show_default=False)]
Design = Annotated[list[str] | None, typer.Option(
    "--design", help="Only this design (repeatable or comma-separated).", show_default=False)]
Since = Annotated[int | None, typer.Option("--since", help="Published in or after this year.",
                                           show_default=False)]
Until = Annotated[int | None, typer.Option("--until", help="Published in or before this year.",
                                           show_default=False)]
Search = Annotated[str | None, typer.Option("--search", help="Full-text search (as `search`).",
                                            show_default=False)]
New = Annotated[bool, typer.Option("--new", help="Only papers the last fetch or import added.")]
Retracted = Annotated[bool, typer.Option("--include-retracted",
                                         help="Keep retracted papers (clearly marked).")]
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
             limit: int | None, status: str | None, included: bool, screened: bool) -> Filters:
    from kratomlit.evidence import Filters

    chosen = [s for s in (status, "included" if included else None,
                          "screened" if screened else None) if s]
    if len(set(chosen)) > 1:
        raise UsageError("choose one screening filter: --status, --included or --screened")
    return Filters(outcomes=split_values(outcome), designs=split_values(design), since=since,
                   until=until, search=search, new=new, include_retracted=include_retracted,
                   screening=chosen[0] if chosen else None, limit=limit).check()


@app.command()
def table(outcome: Outcome = None, design: Design = None, since: Since = None,
          until: Until = None, search: Search = None, new: New = False,
          include_retracted: Retracted = False, limit: Limit = None, status: Status = None,
          included: Included = False, screened: Screened = False,
          uncertain: Annotated[bool, typer.Option(
              "--uncertain", help="Only papers whose automatic tags were a close call, "
              "closest first (check them with `kratomlit explain`).")] = False,
          db: DbOption = None,
          output_format: Annotated[str, typer.Option("--format", "-f",
                                                     help="text or json.")] = "text") -> None:
    """The evidence table: one row per study, strongest design first, then newest."""
    from kratomlit import evidence

    filters = _filters(outcome, design, since, until, search, new, include_retracted, limit,
                       status, included, screened)
    filters.uncertain = uncertain
    check_format(output_format)
    with open_store(db) as store:
        per_design = evidence.design_counts(store, filters)
        selected = evidence.rows(store, filters)
        if output_format == "json":
            from kratomlit.exports import write_json

            write_json(evidence.with_details(store, selected), sys.stdout)
            return
        from kratomlit.tables import render_table

        render_table(stdout_console(), selected, sum(per_design.values()), per_design)


@app.command("map")
def evidence_map(outcome: Outcome = None, design: Design = None, since: Since = None,
                 until: Until = None, search: Search = None,
                 include_retracted: Retracted = False, status: Status = None,
                 included: Included = False, db: DbOption = None,
                 output_format: Annotated[str, typer.Option(
                     "--format", "-f", help="text, json, csv or md.")] = "text") -> None:
    """The evidence map: studies per outcome and design, and per year for each outcome."""
    from kratomlit import evidence

    check_format(output_format, "text", "json", "csv", "md")
    filters = _filters(outcome, design, since, until, search, False, include_retracted, None,
                       status, included, False)
    with open_store(db) as store:
        found = evidence.evidence_map(store, filters)
    if output_format == "json":
        typer.echo(json.dumps(found.as_dict(), indent=2))
    elif output_format in ("csv", "md"):
        header = ["outcome", *found.designs, "total"]
        lines = [[o, *[str(found.cells[o].get(d, 0)) for d in found.designs],
                  str(sum(found.cells[o].values()))] for o in found.outcomes]
        if output_format == "csv":
            import csv

            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerows([header, *lines])
        else:
            typer.echo("| " + " | ".join(header) + " |")
            typer.echo("|" + "---|" + "---:|" * (len(header) - 1))
            for line in lines:
                typer.echo("| " + " | ".join(line) + " |")
    else:
        from kratomlit.tables import render_map

        render_map(stdout_console(), found)


@app.command()
def digest(since: Annotated[str | None, typer.Option(
               "--since", help="Papers first seen on or after this date (YYYY[-MM[-DD]]) "
               "instead of the last fetch.", show_default=False)] = None,
           db: DbOption = None,
           output_format: Annotated[str, typer.Option("--format", "-f",
                                                      help="text or json.")] = "text") -> None:
    """What the last fetch (or --since DATE) added, grouped by outcome."""
    from kratomlit import evidence
    from kratomlit.evidence import NO_OUTCOME, Filters

    check_format(output_format)
    filters = Filters(added_since=since, new=since is None, include_retracted=True).check()
    with open_store(db) as store:
        run, _ = store.last_run_pmids()
        heading = (f"Papers first seen since {since}" if since else
                   f"Added by run {run['id']} ({run['kind']}, finished {run['finished_at']})"
                   if run else "No fetch or import has added papers yet")
        groups: dict[str, list[dict]] = {}
        for row in evidence.rows(store, filters):
            for outcome in row["outcomes"] or [NO_OUTCOME]:
                groups.setdefault(outcome, []).append(row)
    order = ["mood", "social", "safety", "legal", NO_OUTCOME]
    groups = {o: groups[o] for o in order if o in groups}
    if output_format == "json":
        keep = ("pmid", "year", "design", "outcomes", "title", "journal_iso", "retracted", "url")
        typer.echo(json.dumps({"heading": heading, "groups": {
            o: [{k: r[k] for k in keep} for r in rows] for o, rows in groups.items()}},
            indent=2, ensure_ascii=False))
        return
    from kratomlit.tables import render_digest

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
           include_retracted: Retracted = False, limit: Limit = None, status: Status = None,
           included: Included = False, screened: Screened = False,
           db: DbOption = None) -> None:
    """Export the studies the filters select, for Excel, manuscripts, Zotero or screening."""
    from kratomlit import evidence
    from kratomlit.exports import FORMATS, WRITERS

    check_format(output_format, *FORMATS)
    filters = _filters(outcome, design, since, until, search, new, include_retracted, limit,
                       status, included, screened)
    write = WRITERS[output_format]
    with open_store(db) as store:
        selected = evidence.with_details(store, evidence.rows(store, filters))
        if output is None:
            write(selected, sys.stdout)
            return
        console = stderr_console()
        if not console.is_terminal:
            count = _write_file(output, lambda stream: write(selected, stream))
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            total = evidence.count(store, filters)
            if filters.limit:
                total = min(total, filters.limit)
            with Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("export", total=total)

                def counted() -> Iterator[dict[str, Any]]:
                    for row in selected:
                        bar.advance(task)
                        yield row

                count = _write_file(output, lambda stream: write(counted(), stream))
    print(f"Wrote {count} studies to {output}", file=sys.stderr)


def _write_file(path: Path, writer: object) -> int:
    """Write beside the target and rename, so a failed export never leaves half a file."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; name a file to write")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except FileNotFoundError:
        raise InputFileError(f"{path}: the folder {folder} does not exist") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = writer(stream)  # type: ignore[operator]
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return int(count)
