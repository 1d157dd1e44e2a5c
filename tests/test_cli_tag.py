"""``kratomlit tag``, ``tag set/clear``, ``explain`` and ``evaluate`` through the CLI."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import InputFileError
from kratomlit.jobs import tag_papers

from conftest import LABELS, one_line_error


def _query(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()



def test_tag_tags_untagged_then_nothing(runner: CliRunner, real_db: Path) -> None:
    first = runner.invoke(app, ["tag", "--format", "json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["tagged"] == 617
    assert sum(summary["designs"].values()) == 617
    assert _query(real_db, "SELECT count(*) FROM paper_tags")[0][0] == 617
    # every automatic tag carries its rule, field, matched words and confidence
    assert _query(real_db, "SELECT count(*) FROM tags WHERE source = 'auto' AND (rule_id IS NULL "
                  "OR matched IS NULL OR confidence IS NULL)")[0][0] == 0
    again = runner.invoke(app, ["tag"])
    assert again.exit_code == 0 and "Tagged 0 papers" in again.stderr


def test_manual_tags_survive_tag_all_and_clear_restores(runner: CliRunner, real_db: Path
                                                       ) -> None:
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
    auto = _query(real_db, "SELECT design, outcomes FROM paper_tags WHERE paper_id = "
                  "(SELECT id FROM papers WHERE pmid = 25020153)")[0]
    result = runner.invoke(app, ["tag", "set", "25020153", "--design", "cohort", "--outcome",
                                 "mood,safety", "--note", "checked the full text"])
    assert result.exit_code == 0, result.output
    assert "design cohort, outcomes mood, safety" in result.stdout
    assert runner.invoke(app, ["tag", "--all", "-q"]).exit_code == 0
    row = _query(real_db, "SELECT design, outcomes, design_source FROM paper_tags "
                 "WHERE paper_id = (SELECT id FROM papers WHERE pmid = 25020153)")[0]
    assert row == ("cohort", '["mood", "safety"]', "manual")
    notes = _query(real_db, "SELECT DISTINCT note FROM tags WHERE source = 'manual' AND "
                   "paper_id = (SELECT id FROM papers WHERE pmid = 25020153)")
    assert notes == [("checked the full text",)]
    cleared = runner.invoke(app, ["tag", "clear", "25020153"])
    assert cleared.exit_code == 0 and "manual design and outcomes removed" in cleared.stdout
    assert _query(real_db, "SELECT design, outcomes FROM paper_tags WHERE paper_id = "
                  "(SELECT id FROM papers WHERE pmid = 25020153)"
                  )[0] == auto


def test_explain_shows_rules_and_words(runner: CliRunner, real_db: Path) -> None:
    runner.invoke(app, ["tag", "-q"])
    result = runner.invoke(app, ["explain", "22508830", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["stored"]["design"] == "rct"
    assert data["current_rules"]["design_rule"].startswith("design.rct.")
    fired = {(e["rule_id"], e["field"]) for e in data["evidence"]}
    assert ("design.rct.pubtype", "publication_types") in fired
    text = runner.invoke(app, ["explain", "22508830"])
    assert text.exit_code == 0 and "design.rct.pubtype" in text.stdout
    # A match in the abstract's background is shown, marked, and does not tag.
    motivated = json.loads(runner.invoke(app, ["explain", "26347990", "--format", "json"]).stdout)
    assert any(e["matched"] == "side effects" and e["background"] for e in motivated["evidence"])
    assert "safety" not in motivated["current_rules"]["outcomes"]
    shown = runner.invoke(app, ["explain", "26347990"], env={"COLUMNS": "200"})
    assert "background" in shown.stdout


def test_evaluate_reports_figures_that_match_the_labels(runner: CliRunner, real_db: Path) -> None:
    runner.invoke(app, ["tag", "-q"])
    result = runner.invoke(app, ["evaluate", str(LABELS), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    labels = [json.loads(line) for line in LABELS.read_text().splitlines()]
    tagged = dict(_query(real_db, "SELECT p.pmid, design FROM paper_tags "
                                  "JOIN papers p ON p.id = paper_id"))
    right = sum(tagged[int(label["pmid"])] == label["design"] for label in labels)
    assert data["compared"] == 617
    assert data["design_accuracy"] == round(right / 617, 3)
    assert sum(sum(row.values()) for row in data["confusion"].values()) == 617
    # Outcome micro-F1 over the high-confidence labels, counted here independently.
    outcomes = {pmid: set(json.loads(o)) for pmid, o in
                _query(real_db, "SELECT p.pmid, outcomes FROM paper_tags "
                                "JOIN papers p ON p.id = paper_id")}
    tp = fp = fn = 0
    for label in labels:
        if label["confidence"] == "high":
            got, want = outcomes[int(label["pmid"])], set(label["outcomes"])
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    assert data["outcome_micro_f1_high_confidence"] == round(2 * tp / (2 * tp + fp + fn), 3)


# What a tag run leaves, time stamps aside.
_TAGGED = ["SELECT paper_id, design, outcomes, n_participants, population, design_source, "
           "margin, margins FROM paper_tags ORDER BY paper_id",
           "SELECT paper_id, axis, value, source, rule_id, field, matched, confidence, negated "
           "FROM tags ORDER BY paper_id, id",
           "SELECT paper_id, finding, substances, countries, countries_inferred, measures, "
           "manual FROM paper_extraction ORDER BY paper_id"]


def _in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tag a small database the way a large one is: a chunk per paper, forked workers, the
    first chunks extracted by the child that starts before the rules compile."""
    monkeypatch.setattr(tag_papers, "CHUNK", 1)
    monkeypatch.setattr(tag_papers, "EXTRACT_AHEAD", 3)
    monkeypatch.setattr(tag_papers, "_workers", lambda total: 2)


def test_forked_workers_tag_and_extract_as_one_process_does(
        runner: CliRunner, synthetic_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["tag", "--all", "-q"]).exit_code == 0
    one = [_query(synthetic_db, sql) for sql in _TAGGED]
    assert all(one)
    _in_workers(monkeypatch)
    _query(synthetic_db, "DELETE FROM paper_extraction")
    result = runner.invoke(app, ["tag", "--all", "-q"])
    assert result.exit_code == 0, result.output
    assert [_query(synthetic_db, sql) for sql in _TAGGED] == one


def _in_the_early_child(fail: Callable[[], None]) -> Callable[..., object]:
    """extract_paper as it is, except in the child that extracts the first chunks."""
    real = tag_papers.extract_paper

    def extract(*args: object) -> object:
        if multiprocessing.current_process().name == tag_papers.EARLY:
            fail()
        return real(*args)  # type: ignore[arg-type]
    return extract


def _raise() -> None:
    raise InputFileError("extraction went wrong")


@pytest.mark.parametrize(("fail", "said"), [
    (_raise, "extraction went wrong"),
    (lambda: os._exit(1), "the process extracting the first papers stopped"),
])
def test_a_failure_in_the_early_extraction_is_one_line_and_changes_nothing(
        runner: CliRunner, synthetic_db: Path, monkeypatch: pytest.MonkeyPatch,
        fail: Callable[[], None], said: str) -> None:
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
    before = [_query(synthetic_db, sql) for sql in _TAGGED]
    monkeypatch.setattr(tag_papers, "extract_paper", _in_the_early_child(fail))
    _in_workers(monkeypatch)
    one_line_error(runner.invoke(app, ["tag", "--all"]), said)
    assert [_query(synthetic_db, sql) for sql in _TAGGED] == before


def test_user_rules_file_beside_the_database_is_used(runner: CliRunner, real_db: Path) -> None:
    (real_db.parent / "kratomlit-rules.toml").write_text(
        "[[rule]]\nid = 'local.sleep-is-social'\naxis = 'outcome'\ntag = 'social'\n"
        "fields = ['title']\npatterns = ['insomnia']\n")
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
    outcomes = json.loads(_query(real_db, "SELECT outcomes FROM paper_tags WHERE paper_id = "
                                    "(SELECT id FROM papers WHERE pmid = 22892811)"
                                 )[0][0])
    assert "social" in outcomes


def test_bad_input_is_one_line_and_changes_nothing(runner: CliRunner, real_db: Path,
                                                   tmp_path: Path) -> None:
    runner.invoke(app, ["tag", "-q"])
    before = _query(real_db, "SELECT count(*), group_concat(design) FROM paper_tags")
    one_line_error(runner.invoke(app, ["tag", "set", "1", "--design", "rct"]), "PMID 1")
    one_line_error(runner.invoke(app, ["tag", "set", "22508830", "--design", "trial"]),
                    "unknown design")
    one_line_error(runner.invoke(app, ["tag", "set", "22508830", "--outcome", "happy"]),
                    "unknown outcome")
    one_line_error(runner.invoke(app, ["tag", "set", "22508830"]), "nothing to set")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rule]\n")
    one_line_error(runner.invoke(app, ["tag", "--all", "--rules", str(broken)]), "broken.toml")
    one_line_error(runner.invoke(app, ["evaluate", str(tmp_path / "none.jsonl")]), "none.jsonl")
    one_line_error(runner.invoke(app, ["explain", "1"]), "PMID 1")
    assert _query(real_db, "SELECT count(*), group_concat(design) FROM paper_tags") == before
