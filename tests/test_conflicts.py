"""``screen conflicts`` shows what each reviewer decided and why; ``screen resolve`` settles
only papers someone has screened."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.store import Store

from conftest import one_line_error, paper_id

PMID = 28786991


def screen(runner: CliRunner, *args: str) -> None:
    result = runner.invoke(app, ["screen", *args])
    assert result.exit_code == 0, result.output


def test_conflicts_show_title_decisions_reasons_and_notes(runner: CliRunner,
                                                          real_db: Path) -> None:
    screen(runner, "set", str(PMID), "exclude", "--reason", "wrong population",
           "--note", "adults only?", "--reviewer", "ana")
    screen(runner, "set", str(PMID), "include", "--reviewer", "ben")
    screen(runner, "set", "26702254", "include", "--reviewer", "ana")  # agreed: no conflict
    screen(runner, "set", "26702254", "include", "--reviewer", "ben")
    with Store(real_db) as store:
        title = store.get_paper(paper_id(store, PMID))["title"]

    text = runner.invoke(app, ["screen", "conflicts"], env={"COLUMNS": "80"})
    assert " ".join(text.stdout.split()) == (
        f"PMID {PMID}: {title} ana: exclude (wrong population) — note: adults only? "
        "ben: include")
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    assert text.stderr.startswith("1 conflict(s)")
    found = json.loads(runner.invoke(app, ["screen", "conflicts", "-f", "json"]).stdout)
    assert [(c["pmid"], c["title"]) for c in found] == [(PMID, title)]
    votes = {who: (v["decision"], v["reason"], v["note"]) for who, v in found[0]["votes"].items()}
    assert votes == {"ana": ("exclude", "wrong population", "adults only?"),
                     "ben": ("include", None, None)}

    screen(runner, "resolve", str(PMID), "exclude", "--reason", "wrong population",
           "--reviewer", "chair")
    assert json.loads(runner.invoke(app, ["screen", "conflicts", "-f", "json"]).stdout) == []


def test_resolve_refuses_a_paper_nobody_screened(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["screen", "resolve", str(PMID), "include",
                                 "--reviewer", "chair"])
    assert result.exit_code == 2
    one_line_error(result, f"nobody has screened PMID {PMID}")
    with sqlite3.connect(real_db) as conn:
        assert conn.execute("SELECT count(*) FROM screening").fetchone()[0] == 0
