"""``kratomlit screen simulate``: how much screening work the ranking saves, on hand labels."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer

from kratomlit.cli.app import open_store, stderr_console
from kratomlit.cli.options import DbOption, ViewFormat
from kratomlit.cli.screen import screen_app
from kratomlit.errors import InputFileError
from kratomlit.report import formats

# (label, key, a share shown in %)
_ROWS = (
    ("WSS@95 (%)", "wss95", True),
    ("RRF@10 (%)", "rrf10", True),
    ("ATD (%)", "atd", True),
    ("screened for 95%", "screened95", False),
    ("screened for 100%", "screened100", False),
    ("notice after (records)", "notice_screened", False),
    ("recall at notice (%)", "notice_recall", True),
    ("relevant left at notice", "notice_left", False),
    ("estimate left, at most", "notice_estimate", False),
)


@screen_app.command("simulate")
def screen_simulate(
    labels: Annotated[Path, typer.Argument(
        help="JSON lines: {\"pmid\": 123, \"included\": true}; every PMID in the database.",
        show_default=False)],
    runs: Annotated[int, typer.Option("--runs", help="Runs, each from its own priors.")] = 10,
    seed: Annotated[int, typer.Option(
        "--seed", help="Random seed: the same seed, the same runs.")] = 0,
    prior_included: Annotated[int, typer.Option(
        "--prior-included", help="Included papers known before screening, per run.")] = 1,
    prior_excluded: Annotated[int, typer.Option(
        "--prior-excluded", help="Excluded papers known before screening, per run.")] = 1,
    model: Annotated[str, typer.Option("--model", help="nb (naive Bayes) or lr (logistic "
                                       "regression).")] = "nb",
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also write the recall curves (model vs random order) as SVG.",
        show_default=False)] = None,
    output_format: ViewFormat = "text",
    db: DbOption = None,
) -> None:
    """Replay hand labels through the ranking model: WSS@95, RRF@10, time to discovery and
    records screened to find 95%/100% of the relevant ones, against random order."""
    from kratomlit.review import ranking, simulation

    simulation.check_options(runs, prior_included, prior_excluded, model)
    if plot is not None and not (plot.parent if str(plot.parent) else Path(".")).is_dir():
        raise InputFileError(f"{plot}: the folder {plot.parent} does not exist")
    by_pmid = simulation.read_labels(labels)
    with open_store(db) as store:
        rows = list(store.texts())
        db_path = store.path
        ids = store.ids_by_pmid(by_pmid)
    live = {row[0] for row in rows}
    labelled = {ids[pmid]: value for pmid, value in by_pmid.items() if ids.get(pmid) in live}
    missing = sorted(pmid for pmid in by_pmid if ids.get(pmid) not in live)
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise InputFileError(f"{labels}: {len(missing)} labelled PMID(s) are not in the "
                             f"database {db_path} ({shown}); import them first")
    options = {"runs": runs, "seed": seed, "model": model, "prior_included": prior_included,
               "prior_excluded": prior_excluded}
    result = _run(ranking.cache_path(db_path), rows, labelled, options)
    if plot is not None:
        formats.write_file(plot, lambda stream: stream.write(simulation.recall_svg(result)) and 1)
        print(f"Wrote the recall curves to {plot}", file=sys.stderr)
    summary = result.as_dict()
    if output_format == "json":
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(_text(summary), nl=False)


def _run(path: Path, rows: list[Any], labelled: dict[int, bool], options: dict[str, Any]
         ) -> Any:
    """Features (cached) and the runs, with a progress bar on a terminal."""
    from kratomlit.review import ranking, simulation

    console = stderr_console()
    if not console.is_terminal:
        features = ranking.cached_features(path, rows)
        return simulation.simulate(features, labelled, **options)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("features", total=None)
        features = ranking.cached_features(path, rows)
        bar.update(task, description="simulating", total=options["runs"], completed=0)
        return simulation.simulate(features, labelled, **options,
                                   progress=lambda done: bar.update(task, completed=done))


def _cell(value: Any, share: bool) -> str:
    if value is None:
        return "-"
    if share or value != int(value):
        return f"{value:.1f}"
    return str(int(value))


def _text(summary: dict[str, Any]) -> str:
    from kratomlit.review.ranking import StopRule

    priors = summary["prior_included"] + summary["prior_excluded"]
    relevant, records = summary["relevant"], summary["records"]
    lines = [
        *textwrap.wrap(
            f"{records + priors} labelled records: {priors} priors per run "
            f"({summary['prior_included']} included, {summary['prior_excluded']} excluded) "
            f"left out; {records} screened, {relevant} relevant ({relevant / records:.1%}). "
            f"Model {summary['model']}, {summary['runs']} run(s) from seed {summary['seed']}; "
            f"min / median / max over the runs.", 79),
        "",
        f"{'':24}{'model':^27}{'random order':^27}",
        f"{'':24}" + f"{'min':>9}{'median':>9}{'max':>9}" * 2,
    ]
    for label, key, share in _ROWS:
        cells = [_cell(summary[order][key][stat], share)
                 for order in ("ranked", "random") for stat in ("min", "median", "max")]
        lines.append(f"{label:24}" + "".join(f"{c:>9}" for c in cells))
    shown = {order: sum(v is not None for v in summary[order]["notice_screened"]["runs"])
             for order in ("ranked", "random")}
    rule = StopRule()
    lines += ["", *textwrap.wrap(
        f"Notice: SAFE-style, {rule.run} exclusions in a row after at least "
        f"{rule.min_screened:.0%} screened; shown in {shown['ranked']}/{summary['runs']} "
        f"model and {shown['random']}/{summary['runs']} random runs.", 79)]
    return "\n".join(line.rstrip() for line in lines) + "\n"
