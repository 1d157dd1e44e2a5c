"""Evidence views and exports: ``table``, ``map``, ``digest`` and ``export``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from kratomlit.cli.app import app, open_store, stderr_console, stdout_console
from kratomlit.cli.options import (
    Country,
    DbOption,
    Design,
    Duplicates,
    Included,
    Limit,
    Measure,
    New,
    Outcome,
    Retracted,
    Screened,
    Search,
    Since,
    Status,
    Substance,
    Uncertain,
    Until,
    ViewFormat,
    extraction_filters,
    format_option,
    study_filters,
)
from kratomlit.errors import UsageError
from kratomlit.report import formats
from kratomlit.tagging.taxonomy import OUTCOMES
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.report.selection import Filters
    from kratomlit.store import Store

@app.command()
def table(outcome: Outcome = None, design: Design = None, since: Since = None,
          until: Until = None, search: Search = None, new: New = False,
          include_retracted: Retracted = False, include_duplicates: Duplicates = False,
          limit: Limit = None, status: Status = None,
          included: Included = False, screened: Screened = False,
          uncertain: Uncertain = False, substance: Substance = None, country: Country = None,
          measure: Measure = None, db: DbOption = None,
          columns: Annotated[str | None, typer.Option(
              "--columns", help="The table's columns, comma-separated, from: pmid, year, "
              "author, journal, design, n, population, outcomes, substances, countries, "
              "measures, title, finding (default: as many as fit; finding from 160 columns). "
              "Piped output and json always carry every field.", show_default=False)] = None,
          output_format: ViewFormat = "text") -> None:
    """The evidence table: one row per study, strongest design first, then newest."""
    from dataclasses import replace

    from kratomlit.report import selection

    chosen = _columns(columns)
    filters = study_filters(outcome, design, since, until, search, new, include_retracted, limit,
                            status, included, screened, include_duplicates, uncertain,
                            extraction_filters(db, substance, country, measure))
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
            render_table(console, selected, sum(per_design.values()), per_design, chosen)
        else:  # for scripts: tab-separated lines as the rows come, the summary on stderr
            shown = write_tsv(selected, sys.stdout)
            print(summary_line(sum(per_design.values()), shown, per_design), file=sys.stderr)


def _columns(text: str | None) -> list[str] | None:
    """``--columns`` as names of the table's columns; an unknown one is a usage error."""
    if text is None:
        return None
    from kratomlit.report.terminal import TABLE_COLUMNS

    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in TABLE_COLUMNS]
    if unknown or not names:
        raise UsageError(f"unknown --columns {', '.join(unknown) or repr(text)} "
                         f"(choose from {', '.join(TABLE_COLUMNS)})")
    return list(dict.fromkeys(names))


@app.command("map")
def evidence_map(outcome: Outcome = None, design: Design = None, since: Since = None,
                 until: Until = None, search: Search = None, new: New = False,
                 include_retracted: Retracted = False, status: Status = None,
                 included: Included = False, screened: Screened = False,
                 substance: Substance = None, country: Country = None, measure: Measure = None,
                 by: Annotated[str, typer.Option(
                     "--by", help="Rows: outcome, country (named by the record) or substance; "
                     "columns: designs.", metavar="outcome|country|substance")] = "outcome",
                 output: Annotated[Path | None, typer.Option(
                     "--output", "-o", help="Write the html page to this file (default: "
                     "standard output).", show_default=False)] = None,
                 db: DbOption = None,
                 output_format: Annotated[str, format_option(
                     formats.MAP, "text, json, csv, md, or html: the gap map page to open in "
                     "a browser.")] = "text") -> None:
    """The evidence map: studies per outcome (or country, substance) and design, and per
    year for each outcome."""
    from kratomlit.report import selection

    by = by.lower()
    if by not in ("outcome", *selection.BY):
        raise UsageError(f"unknown --by {by!r}: choose outcome, country or substance")
    if by != "outcome" and output_format == "html":
        raise UsageError("--by is for the text, json, csv and md maps; the html gap map "
                         "has country and substance filters of its own")
    if output is not None and output_format != "html":
        raise UsageError("--output is for --format html; redirect the other formats (> FILE)")
    filters = study_filters(outcome, design, since, until, search, new, include_retracted, None,
                            status, included, screened,
                            extracted=extraction_filters(db, substance, country, measure))
    if output_format == "html":
        _write_gap_map(filters, output, db)
        return
    with open_store(db) as store:
        if new:
            print(_last_run(store), file=sys.stderr)
        found = (selection.evidence_map(store, filters) if by == "outcome"
                 else selection.extraction_map(store, filters, by))
    if output_format == "json":
        typer.echo(json.dumps(found.as_dict(), indent=2))
    elif output_format in ("csv", "md"):
        from kratomlit.report.exports import write_map

        write_map(found, output_format, sys.stdout)
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


def _citing(store: Store, day: Any) -> tuple[str, dict[int, list[int]]]:
    """(heading, citing paper's id -> the PMIDs of the included studies it cites) of ``digest
    --citing``: the links the last snowball run found first, or those first found since
    ``day``. Links are PubMed's, between PMIDs: a study without one has none."""
    from kratomlit.review.screening import pmids_with_status

    included = store.pmids_of(pmids_with_status(store, "included") or ())
    if not included:
        return "No included studies yet: screening decides what is followed", {}
    if day:
        found = _by_id(store, store.citing(included, since=day.isoformat()))
        return f"Papers citing your included studies, first linked since {day}", found
    run = store.last_citation_run()
    if run is None:
        return "No snowball run yet: `kratomlit snowball` follows the citations", {}
    found = _by_id(store, store.citing(included, run_id=run["id"]))
    when = (run["finished_at"] or "").replace("T", " ").replace("Z", " UTC")
    return (f"New papers citing your included studies, found by snowball run {run['id']} "
            f"(finished {when}): {plural(len(found), 'paper')}"), found


def _by_id(store: Store, cites: dict[int, list[int]]) -> dict[int, list[int]]:
    ids = store.ids_by_pmid(cites)
    return {ids[pmid]: cited for pmid, cited in cites.items() if pmid in ids}


@app.command()
def digest(since: Annotated[str | None, typer.Option(
               "--since", help="Papers first seen on or after this date (YYYY[-MM[-DD]]) "
               "instead of the last fetch.", show_default=False, metavar="DATE")] = None,
           substance: Substance = None, country: Country = None, measure: Measure = None,
           citing: Annotated[bool, typer.Option(
               "--citing", help="Only the papers citing your included studies that the last "
               "snowball run (or, with --since, any since DATE) linked to them.")] = False,
           db: DbOption = None,
           output_format: ViewFormat = "text") -> None:
    """What the last fetch (or --since DATE) added, grouped by outcome; with --citing, the
    new papers citing your included studies."""
    from kratomlit.parse.dates import parse_date
    from kratomlit.report import selection
    from kratomlit.report.selection import NO_OUTCOME, Filters

    day = parse_date(since, "--since") if since else None
    extracted = extraction_filters(db, substance, country, measure)
    filters = Filters(added_since=None if citing else day, new=not (day or citing),
                      include_retracted=True, substances=extracted.get("substances", []),
                      countries=extracted.get("countries", []),
                      measures=extracted.get("measures", [])).check()
    with open_store(db) as store:
        heading = f"Papers first seen since {day}" if day else _last_run(store)
        cites: dict[int, list[int]] | None = None
        if citing:
            heading, cites = _citing(store, day)
        groups: dict[str, list[dict]] = {}
        keep = ("pmid", "id", "reference", "year", "design", "outcomes", "title", "journal_iso",
                "retracted", "url")
        for row in selection.rows(store, filters, only=None if cites is None else list(cites)):
            kept = {k: row[k] for k in keep}  # not the abstracts: a big run is held whole
            if cites is not None:
                kept["cites"] = cites[row["id"]]
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
def export(output_format: Annotated[str, format_option(
               formats.EXPORT, "csv, json, jsonl, md, html, ris or bibtex.",
               show_default=False)],
           output: Annotated[Path | None, typer.Option(
               "--output", "-o", help="File to write (default: standard output).",
               show_default=False)] = None,
           outcome: Outcome = None, design: Design = None, since: Since = None,
           until: Until = None, search: Search = None, new: New = False,
           include_retracted: Retracted = False, include_duplicates: Duplicates = False,
           limit: Limit = None, status: Status = None,
           included: Included = False, screened: Screened = False,
           substance: Substance = None, country: Country = None, measure: Measure = None,
           db: DbOption = None) -> None:
    """Export the studies the filters select, for Excel, manuscripts, Zotero or screening."""
    from kratomlit.report import selection
    from kratomlit.report.exports import WRITERS

    filters = study_filters(outcome, design, since, until, search, new, include_retracted, limit,
                            status, included, screened, include_duplicates,
                            extracted=extraction_filters(db, substance, country, measure))
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
    from kratomlit.cli.progress import counting

    with counting(stderr_console(), doing, total) as counted:
        return formats.write_file(output, lambda stream: write(counted(selected), stream))
