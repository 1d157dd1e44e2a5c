"""``kratomlit screen --order`` on a real pseudo-terminal at 80x24: the order changes after
decisions, each reviewer's own model, priors, the stopping notice, the features' progress
and cache, and bad options."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import FIXTURES, LABELS, Terminal, one_line_error

WAITING = "Date order until there is an include (or maybe) and an exclusion"


def _labels(question: str) -> dict[int, bool]:
    """An inclusion question ("rct": design is rct or controlled-trial; "mood": outcome
    mood), from the hand labels."""
    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    if question == "rct":
        return {int(r["pmid"]): r["design"] in ("rct", "controlled-trial") for r in rows}
    return {int(r["pmid"]): "mood" in r["outcomes"] for r in rows}


def _screen(db: Path, *args: str, reviewer: str = "ana") -> Terminal:
    term = Terminal("screen", "--reviewer", reviewer, *args,
                    env={**os.environ, "KRATOMLIT_DB": str(db)})
    term.expect("[q] quit")
    return term


def _shown(term: Terminal) -> int:
    return int(re.findall(r"PMID (\d+)", term.text())[-1])


def _decide(term: Terminal, include: bool) -> None:
    if include:
        term.send("i")
    else:
        term.send("e")
        term.expect("[o] other")
        term.send("1")
    term.expect("[q] quit")


def _table_order(db: Path) -> list[int]:
    from kratomlit.cli.options import study_filters
    from kratomlit.report import selection
    from kratomlit.store import Store

    with Store(db) as store:  # selection.pmids gives paper ids: the screen shows PMIDs
        ids = selection.pmids(store, study_filters(None, None, None, None, None, False,
                                                   include_retracted=True))
        pmids = {paper_id: int(ref) for paper_id, ref in store.references(ids).items()}
    return [pmids[paper_id] for paper_id in ids]


@pytest.mark.parametrize("question", ["rct", "mood"])
def test_the_order_changes_after_decisions(real_db: Path, question: str) -> None:
    labels = _labels(question)
    term = _screen(real_db)  # untagged: date order is newest first, whatever the design
    assert WAITING in term.text()
    # Date order: exclude the first two papers, skip on to the first relevant one, include it.
    decided = []
    while True:
        pmid = _shown(term)
        if labels[pmid]:
            _decide(term, True)
            decided.append(pmid)
            break
        if len(decided) < 2:
            _decide(term, False)
            decided.append(pmid)
        else:
            term.send("s")
            term.expect("[q] quit")
        assert "Date order until there is" in term.text()
    # From here on, each paper is the model's pick, re-ranked after every decision.
    shown = []
    for _ in range(6):
        assert "Relevance order: rank 1 of" in term.text()
        shown.append(_shown(term))
        _decide(term, labels[shown[-1]])
    term.send("q")
    assert term.finish() == 0
    table = _table_order(real_db)  # what date order would have shown instead
    in_date_order = table[table.index(decided[-1]) + 1:][:6]
    assert sum(labels[p] for p in shown) >= 4 > sum(labels[p] for p in in_date_order)


def _set(runner: CliRunner, *args: str) -> None:
    result = runner.invoke(app, ["screen", "set", *args])
    assert result.exit_code == 0, result.output


def test_each_reviewer_gets_their_own_model_and_priors_start_it(
        runner: CliRunner, real_tagged_db: Path) -> None:
    labels = _labels("mood")
    relevant = [p for p in labels if labels[p]]
    irrelevant = [p for p in labels if not labels[p]]
    _set(runner, str(relevant[0]), "include", "--reviewer", "ana")
    _set(runner, str(irrelevant[0]), "exclude", "--reason", "wrong outcome", "--reviewer", "ana")
    ana = _screen(real_tagged_db)
    assert "Relevance order: rank 1 of 615 by your model" in ana.text()
    assert "1 exclusion in a row" in ana.text()
    ana.send("q")
    assert ana.finish() == 0
    # Ben has decided nothing: Ana's decisions do not start his model.
    ben = _screen(real_tagged_db, reviewer="ben")
    assert WAITING in ben.text()
    ben.send("q")
    assert ben.finish() == 0
    for prior in ([f"--prior={relevant[1]},{relevant[2]}"],
                  ["--prior-filter", "outcome=mood", "--prior-filter", "since=2010"]):
        term = _screen(real_tagged_db, *prior, reviewer="ben")
        assert "Date order until there is an exclusion to learn from" in term.text()
        _decide(term, False)
        assert "Relevance order: rank 1 of 616 by your model" in term.text()
        term.send("u")  # undone: nothing of this left for the next round
        term.expect("[q] quit")
        term.send("q")
        assert term.finish() == 0


def test_random_order_is_the_same_for_the_same_seed(real_db: Path) -> None:
    firsts = []
    for seed in ("7", "7", "8"):
        term = _screen(real_db, "--order", "random", "--seed", seed)
        assert f"Random order (seed {seed})" in term.text()
        firsts.append(_shown(term))
        term.send("q")
        assert term.finish() == 0
    assert firsts[0] == firsts[1] != firsts[2]


def _last_screen(term: Terminal) -> list[str]:
    """The lines of the latest screen drawn, as the terminal shows them."""
    drawn = term.seen.decode("utf-8", "replace").split("\x1b[2J")[-1]
    plain = re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Z0-9]|[=>])", "", drawn)
    return plain.replace("\r", "").rstrip("\n").split("\n")


@pytest.mark.parametrize("rows", [24, 12])
def test_the_stopping_notice_shows_at_its_threshold_and_never_stops(real_tagged_db: Path,
                                                                    rows: int) -> None:
    term = Terminal("screen", "--reviewer", "ana", "--design", "rct", "--stop-notice", "3",
                    env={**os.environ, "KRATOMLIT_DB": str(real_tagged_db)}, size=(rows, 80))
    term.expect("[q] quit")
    _decide(term, True)
    for run in (1, 2):
        _decide(term, False)
        assert f"{run} exclusion{'s' if run > 1 else ''} in a row" in term.text()
        assert "Stopping heuristic" not in term.text()
    _decide(term, False)
    screen = term.text()
    assert "3 exclusions in a row" in screen
    assert "Relevant left, estimated from your last 4 decisions: about" in screen
    # It all fits, the notice and the keys below a line of the abstract, on a small
    # terminal too (the lines under the title give way there).
    lines = _last_screen(term)
    assert len(lines) < rows and lines[0].startswith("5/")
    assert re.search(r"── lines 1–\d+ of \d+", lines[-5]) and lines[-1].startswith("[i] include")
    assert ("Stopping heuristic met (SAFE-style): 3 exclusions in a row, with 4 of"
            in screen and "not a guarantee" in screen)
    _decide(term, True)  # advice only: screening goes on, and the run is broken
    assert "Stopping heuristic" not in term.text()
    term.send("q")
    assert term.finish() == 0
    with sqlite3.connect(real_tagged_db) as conn:
        assert conn.execute("SELECT count(*) FROM screening").fetchone()[0] == 5


def _building(term: Terminal) -> list[str]:
    # the spinner redraws its line while it waits, more often on a busy machine
    return sorted(set(re.findall(r"Building the relevance features of (\d+) papers?",
                                 term.text())))


def test_the_features_build_once_with_progress_and_never_go_stale(
        runner: CliRunner, isolated_env: Path) -> None:
    def start() -> list[str]:
        term = _screen(isolated_env)
        built = _building(term)
        term.send("q")
        assert term.finish() == 0
        return built

    assert runner.invoke(app, ["import", str(FIXTURES / "synthetic-medline.nbib")]
                         ).exit_code == 0
    assert start() == ["2"]
    assert start() == []  # from the cache
    # An import that adds seven papers and withdraws one: the features are built again.
    assert runner.invoke(app, ["import", str(FIXTURES / "synthetic-pubmed.xml")]
                         ).exit_code == 0
    assert start() == ["8"]
    assert start() == []


@pytest.mark.parametrize(("args", "fragment"), [
    (["--order", "best"], "unknown --order 'best'"),
    (["--prior", "12x"], "--prior"),
    (["--prior-filter", "colour=red"], "--prior-filter wants NAME=VALUE"),
    (["--prior-filter", "since=recent"], "want a year"),
    (["--seed", "3"], "--seed orders --order random"),
    (["--order", "date", "--prior", "26340864"], "nothing with --order date"),
    (["--stop-notice", "lots"], "--stop-notice: a run of exclusions must be a count or"),
    (["--stop-notice", "0%"], "--stop-notice: a run of exclusions must be a count or"),
])
def test_bad_order_options_are_one_line(runner: CliRunner, real_db: Path, args: list[str],
                                        fragment: str) -> None:
    result = runner.invoke(app, ["screen", "--reviewer", "ana", *args])
    assert result.exit_code == 2
    one_line_error(result, fragment)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--prior", "26340864,1"], "--prior: 1 paper not in the database"),
    (["--prior-filter", "search=zzqqxx"], "--prior-filter selects no papers"),
])
def test_priors_must_be_papers_in_the_database(real_db: Path, args: list[str],
                                               fragment: str) -> None:
    term = Terminal("screen", "--reviewer", "ana", *args,
                    env={**os.environ, "KRATOMLIT_DB": str(real_db)})
    assert term.finish() == 1
    lines = term.text()
    assert lines.startswith("Error: ") and fragment in lines and "Traceback" not in lines
    assert lines.count("Error") == 1
    with sqlite3.connect(real_db) as conn:
        assert conn.execute("SELECT count(*) FROM screening").fetchone()[0] == 0
