"""``kratomlit tag`` (and ``tag set`` / ``tag clear``), ``explain`` and ``evaluate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kratomlit.cli.app import app, make_app, open_store, stderr_console, stdout_console
from kratomlit.cli.options import DbOption, PmidArgument, QuietOption, ViewFormat, resolve
from kratomlit.errors import UsageError
from kratomlit.tagging.taxonomy import OUTCOMES
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.store import Store

tag_app = make_app(
    "Tag papers by study design and outcome (rules: kratomlit/tagging/rules.toml).",
    no_args_is_help=False, invoke_without_command=True,
)
app.add_typer(tag_app, name="tag")

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Extra rules file (TOML); kratomlit-rules.toml beside the "
                 "database is read too.", show_default=False),
]


def _rule_files(store: Store, rules: Path | None) -> list[Path]:
    from kratomlit.config import rule_files

    return rule_files(store.path, rules)


@tag_app.callback()
def tag(
    ctx: typer.Context,
    all_papers: Annotated[bool, typer.Option(
        "--all", help="Recompute every automatic tag (manual tags are always kept).")] = False,
    rules: RulesOption = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    output_format: ViewFormat = "text",
) -> None:
    """Tag every paper that has no tags yet (--all: recompute all automatic tags)."""
    if ctx.invoked_subcommand is not None:
        return
    from kratomlit.jobs.tag_papers import tag_store

    console = stderr_console(quiet)
    from kratomlit.cli.progress import tag_progress

    with open_store(db, create=True) as store, tag_progress(console) as progress:
        summary = tag_store(store, everything=all_papers, rule_files=_rule_files(store, rules),
                            progress=progress)
    if output_format == "json":
        typer.echo(json.dumps({"tagged": summary.tagged, "designs": dict(summary.designs),
                               "outcomes": dict(summary.outcomes),
                               "manual_kept": summary.manual_kept}, indent=2))
        return
    designs = ", ".join(f"{d} {n}" for d, n in summary.designs.most_common()) or "none"
    outcomes = ", ".join(f"{o} {n}" for o, n in summary.outcomes.most_common()) or "none"
    console.print(f"Tagged {plural(summary.tagged, 'paper')} ({summary.manual_kept:,} with "
                  f"manual tags kept).\nDesigns: {designs}\nOutcomes: {outcomes}",
                  highlight=False, markup=False, soft_wrap=True)


@tag_app.command("set")
def tag_set(
    paper: PmidArgument,
    design: Annotated[str | None, typer.Option(
        "--design", help="The study design (see TAXONOMY: rct, cohort, case-report, ...).",
        show_default=False)] = None,
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help=f"The complete outcome list, comma-separated ({','.join(OUTCOMES)}), "
        "or none.", show_default=False)] = None,
    finding: Annotated[str | None, typer.Option(
        "--finding", help="The key finding (the abstract's own words; \"\" for none).",
        show_default=False)] = None,
    substances: Annotated[str | None, typer.Option(
        "--substances", help="The substances studied, comma-separated (kratom, mitragynine, "
        "...), or none.", show_default=False)] = None,
    countries: Annotated[str | None, typer.Option(
        "--countries", help="Where the study took place, comma-separated, or none.",
        show_default=False)] = None,
    measures: Annotated[str | None, typer.Option(
        "--measures", help="The instruments used, comma-separated (PHQ-9, COWS, ...), or none.",
        show_default=False)] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept with the tag).",
                                             show_default=False)] = None,
    rules: RulesOption = None,
    db: DbOption = None,
) -> None:
    """Set a paper's design, outcomes or extraction by hand; tagging never overrides them."""
    from kratomlit.jobs.tag_papers import check_design, parse_outcomes, set_manual

    outcomes = parse_outcomes(outcome) if outcome is not None else None
    if design is not None:
        check_design(design)
    lists = {"substances": substances, "countries": countries, "measures": measures}
    if all(v is None for v in (design, outcome, finding, *lists.values())):
        raise UsageError("nothing to set: give --design, --outcome, --finding, --substances, "
                         "--countries or --measures")
    with open_store(db, create=True) as store:
        paper_id = resolve(store, paper)
        files = _rule_files(store, rules)
        values = _extraction_values(finding, lists, files)
        if design is not None or outcomes is not None:
            set_manual(store, paper_id, design=design, outcomes=outcomes, note=note,
                       rule_files=files)
        if values:
            from kratomlit.jobs.extract_papers import set_manual_extraction

            for warning in set_manual_extraction(store, paper_id, values, note, files):
                stderr_console(False).print(f"Warning: {warning}", markup=False,
                                            highlight=False, soft_wrap=True)
        effective = _effective(store, paper_id)
    typer.echo(f"{paper.label}: {effective}" + "".join(f"; {name} set" for name in values))


def _extraction_values(finding: str | None, lists: dict[str, str | None],
                       files: list[Path]) -> dict[str, Any]:
    """The extraction fields given, checked: names must be the vocabulary's."""
    values: dict[str, Any] = {}
    if finding is not None:
        values["finding"] = " ".join(finding.split())
    if any(v is not None for v in lists.values()):
        from kratomlit.jobs.extract_papers import names
        from kratomlit.tagging.extract import load_vocabulary

        vocabulary = load_vocabulary(files)
        values.update({kind: names(vocabulary, kind, text) for kind, text in lists.items()
                       if text is not None})
    return values


def _effective(store: Store, paper_id: int) -> str:
    tags = store.stored_tags(paper_id)
    if tags is None:  # only extracted fields were set on a paper never tagged
        return "not tagged yet (run `kratomlit tag`)"
    return f"design {tags.design}, outcomes {', '.join(tags.outcomes) or 'none'}"


@tag_app.command("clear")
def tag_clear(
    paper: PmidArgument,
    design: Annotated[bool, typer.Option("--design", help="Clear only the manual design.")] = False,
    outcome: Annotated[bool, typer.Option("--outcome",
                                          help="Clear only the manual outcomes.")] = False,
    finding: Annotated[bool, typer.Option("--finding",
                                          help="Clear only the manual finding.")] = False,
    substances: Annotated[bool, typer.Option("--substances",
                                             help="Clear only the manual substances.")] = False,
    countries: Annotated[bool, typer.Option("--countries",
                                            help="Clear only the manual countries.")] = False,
    measures: Annotated[bool, typer.Option("--measures",
                                           help="Clear only the manual measures.")] = False,
    rules: RulesOption = None,
    db: DbOption = None,
) -> None:
    """Remove a paper's manual tags (and extraction) so the automatic ones apply again."""
    from kratomlit.jobs.extract_papers import clear_manual_extraction
    from kratomlit.jobs.tag_papers import clear_manual

    chosen = {"finding": finding, "substances": substances, "countries": countries,
              "measures": measures}
    everything = not any([design, outcome, *chosen.values()])
    fields = [name for name, wanted in chosen.items() if wanted or everything]
    with open_store(db, write=True) as store:
        paper_id = resolve(store, paper)
        files = _rule_files(store, rules)
        removed = []
        if design or outcome or everything:
            removed = clear_manual(store, paper_id, design=design or everything,
                                   outcomes=outcome or everything, rule_files=files)
        if fields:
            removed += clear_manual_extraction(store, paper_id, fields, files)
        effective = _effective(store, paper_id)
    cleared = {"design": "design", "outcome": "outcomes"}
    what = (f"manual {' and '.join(cleared.get(a, a) for a in removed)} removed" if removed
            else "no manual tags to remove")
    typer.echo(f"{paper.label}: {what}; {effective}")


@app.command()
def explain(paper: PmidArgument, rules: RulesOption = None, db: DbOption = None,
            output_format: ViewFormat = "text") -> None:
    """Which rules fire on a paper, on which words, and the tags stored for it; where its
    finding comes from and which words named its substances, countries and measures."""
    from kratomlit.jobs.extract_papers import explain_extraction
    from kratomlit.jobs.tag_papers import explain as explain_paper

    with open_store(db) as store:
        paper_id = resolve(store, paper)
        found = explain_paper(store, paper_id, _rule_files(store, rules))
        extraction = explain_extraction(store, paper_id, _rule_files(store, rules))
    current = found.current
    if output_format == "json":
        typer.echo(json.dumps({
            "pmid": found.pmid, "id": found.paper_id, "title": found.title,
            "stored": found.stored, "manual": found.manual,
            "current_rules": {"design": current.design, "design_rule": current.design_rule,
                              "runner_up": current.runner_up,
                              "outcomes": current.outcomes,
                              "n_participants": current.n_participants,
                              "population": current.population,
                              "scores": current.scores, "thresholds": found.thresholds,
                              "margins": current.margins,
                              # rounded as the scores are: sums of float products
                              # otherwise print as 7.638000000000001
                              "cues": [{**c._asdict(), "points": round(c.points, 4)}
                                       for c in current.cues]},
            "evidence": [{**e._asdict(), "weight": round(e.weight, 4),
                          "background": e.background} for e in found.rules_fired],
            "extraction": extraction,
        }, indent=2, ensure_ascii=False))
        return
    from kratomlit.report.details import render_explanation
    from kratomlit.report.extraction import render_extraction

    render_explanation(stdout_console(), found)
    render_extraction(stdout_console(), extraction)


@app.command()
def evaluate(
    labels: Annotated[Path, typer.Argument(help="JSON lines with pmid, design, outcomes.",
                                           show_default=False)],
    db: DbOption = None,
    output_format: ViewFormat = "text",
) -> None:
    """Compare the stored tags with hand labels: accuracy, per-class P/R/F1, confusion."""
    from kratomlit.errors import UsageError
    from kratomlit.tagging.evaluate import evaluate as run
    from kratomlit.tagging.evaluate import read_labels

    wanted = read_labels(labels)
    with open_store(db) as store:
        tagged = store.effective_tags()  # by paper id; the labels name PMIDs
        ids = store.ids_by_pmid(label.pmid for label in wanted)
    result = run(wanted, {pmid: tagged[i] for pmid, i in ids.items() if i in tagged})
    if not result.compared:
        raise UsageError("none of the labelled papers is tagged in this database "
                         "(import them, then run `kratomlit tag`)")
    if output_format == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    from kratomlit.report.details import render_evaluation

    render_evaluation(stdout_console(), result)


