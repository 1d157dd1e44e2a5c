"""Commands to look at the data: ``status``, ``show`` and ``search``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from kratomlit.cli.app import app, open_store, stdout_console
from kratomlit.cli.options import DbOption, PmidArgument, format_option, resolve
from kratomlit.report import formats

FormatOption = Annotated[str, format_option(formats.VIEW, "text (rich on a terminal) or json.")]


@app.command()
def status(db: DbOption = None, output_format: FormatOption = "text") -> None:
    """Database path, counts, last runs and how many papers still need tagging."""
    with open_store(db) as store:
        stats = store.stats()
        runs = store.runs(limit=5)
        path = str(store.path)
    if output_format == "json":
        typer.echo(json.dumps({"database": path, **stats, "runs": runs}, indent=2))
        return
    from kratomlit.report.details import render_status

    render_status(stdout_console(), path, stats, runs)


@app.command()
def show(paper: PmidArgument, db: DbOption = None, output_format: FormatOption = "text"
         ) -> None:
    """The whole record of one paper, with PubMed and DOI links, the reviewers' screening
    decisions and manual tags with their notes, and the papers in the database it cites and
    that cite it (after `kratomlit snowball`)."""
    from kratomlit.review.screening import paper_decisions

    with open_store(db) as store:
        paper_id = resolve(store, paper)
        record = store.get_paper(paper_id)
        record["screening"] = paper_decisions(store, paper_id)
        record["extraction"] = store.stored_extraction(paper_id)
        record["manual_extraction"] = store.manual_extraction_rows(paper_id)
        record["sources"] = store.sources_of(paper_id)
        record["source_databases"] = store.source_databases([paper_id]).get(paper_id, [])
        links = store.paper_links(record["pmid"]) if record["pmid"] else {}
    if any(links.values()):  # only after citation tracking: other records read as before
        record["citations"] = links
    if output_format == "json":
        typer.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    from kratomlit.report.details import render_paper

    render_paper(stdout_console(), record)


@app.command()
def search(
    text: Annotated[
        str,
        typer.Argument(
            help='Words to find in title, abstract, keywords, MeSH and authors. FTS5 syntax '
            'works too: "exact phrase", withdraw*, kratom AND (anxiety OR depression), kratom '
            'NOT asthma, and a leading NOT (NOT asthma). Fields: title:, abstract:, '
            'keywords:, mesh:, author: (mesh:asthma, author:O\'Byrne).',
            show_default=False, metavar="TEXT",
        ),
    ],
    limit: Annotated[int, typer.Option(help="At most this many results.", min=1)] = 20,
    db: DbOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Full-text search with highlighted snippets, best matches first."""
    with open_store(db) as store:
        hits = store.search(text, limit=limit)
        total = store.count_matches(text) if len(hits) == limit else len(hits)
    from kratomlit.report.details import hits_summary, render_hits

    if output_format == "json":
        for hit in hits:
            hit["snippet"] = (hit["snippet"] or "").replace("\x02", "**").replace("\x03", "**")
        typer.echo(json.dumps(hits, indent=2, ensure_ascii=False))
        print(hits_summary(text, len(hits), total), file=sys.stderr)
        return
    render_hits(stdout_console(), text, hits, total)
