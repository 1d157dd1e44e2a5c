"""`digest` and `table --new` describe the latest fetch or import, even one that added
nothing: they never bring back an older batch as if it were new."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.store import Store

from conftest import PUBMED, needs_pubmed

ONE = PUBMED / "pubmed-29768149.xml"
MEDLINE = PUBMED / "medline-pubmed_result1.txt"


def _import(runner: CliRunner, path: Path) -> None:
    result = runner.invoke(app, ["import", str(path), "-q"])
    assert result.exit_code == 0, result.output


def _finished(db: Path, run: int) -> str:
    with sqlite3.connect(db) as conn:
        stamp = conn.execute("SELECT finished_at FROM fetch_runs WHERE id = ?", [run]).fetchone()
    return str(stamp[0]).replace("T", " ").replace("Z", " UTC")


@needs_pubmed
def test_a_run_that_added_nothing_is_the_one_described(runner: CliRunner,
                                                       isolated_env: Path) -> None:
    _import(runner, MEDLINE)
    first = json.loads(runner.invoke(app, ["digest", "-f", "json"]).stdout)
    assert first["heading"].startswith("Added by run 1 (import, finished")
    assert first["groups"]
    _import(runner, MEDLINE)  # the same file again: nothing new
    result = runner.invoke(app, ["digest", "-f", "json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)
    assert again == {"heading": "Nothing new in the last import (run 2), on "
                                f"{_finished(isolated_env, 2)}", "groups": {}}
    assert "Nothing new." in runner.invoke(app, ["digest"]).stdout
    table = runner.invoke(app, ["table", "--new", "-f", "json"])
    assert table.exit_code == 0, table.output
    assert json.loads(table.stdout) == []
    assert table.stderr.strip() == again["heading"]
    _import(runner, ONE)  # a new paper: now that run is the one described
    newest = runner.invoke(app, ["table", "--new", "-f", "json"])
    assert [row["pmid"] for row in json.loads(newest.stdout)] == [29768149]
    assert newest.stderr.startswith("Added by run 3 (import, finished")


@needs_pubmed
def test_records_an_interrupted_fetch_kept_count_as_new(tmp_path: Path) -> None:
    from kratomlit.parse.pubmed_xml import iter_records

    with Store(tmp_path / "k.db") as store, ONE.open("rb") as stream:
        run = store.start_run("fetch", "kratom")
        store.save_papers(iter_records(stream), source="fetch", run_id=run)  # type: ignore[arg-type]
        store.finish_run(run, status="interrupted", error="interrupted")
        last, added = store.last_run_pmids()
        pmids = {int(store.references(added)[i]) for i in added}
    assert (last["id"], last["status"], pmids) == (run, "interrupted", {29768149})
