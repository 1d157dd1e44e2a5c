"""``kratomlit screen`` driven through a pseudo-terminal, its subcommands, and ``prisma``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import Terminal


def _decisions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT p.pmid, reviewer, decision, reason FROM screening s "
                            "JOIN papers p ON p.id = s.paper_id ORDER BY s.id").fetchall()


def test_interactive_session_decides_undoes_and_resumes(real_db: Path) -> None:
    env = {**os.environ, "KRATOMLIT_DB": str(real_db)}
    subprocess.run([sys.executable, "-m", "kratomlit", "tag", "-q"], env=env, check=True)
    with sqlite3.connect(real_db) as conn:  # however many papers the rules tag rct
        total = conn.execute("SELECT count(*) FROM paper_tags WHERE design = 'rct'").fetchone()[0]
    term = Terminal("screen", "--reviewer", "ana", "--design", "rct", env=env)
    term.expect("[q] quit")
    assert f"1/{total}".encode() in term.seen  # the rct queue, strongest and newest first
    term.send("i")                       # include the first paper
    term.expect(f"2/{total}")
    term.send("e")                       # exclude the second: a reason is asked for
    term.expect("[1] not about kratom")
    term.send("3")                       # "wrong outcome"
    term.expect(f"3/{total}")
    term.send("m")                       # maybe
    term.expect(f"4/{total}")
    term.send("u")                       # undo the maybe: the third paper comes back
    term.expect(f"3/{total}")
    term.send("s")                       # skip it for now
    term.expect(f"4/{total}")
    term.send("q")
    assert term.finish() == 0
    made = _decisions(real_db)
    assert [(d[1], d[2], d[3]) for d in made] == [("ana", "include", None),
                                                  ("ana", "exclude", "wrong outcome")]
    # Resuming shows the first undecided paper again: the skipped one.
    again = Terminal("screen", "--reviewer", "ana", "--design", "rct", env=env)
    again.expect("[q] quit")
    assert f"1/{total - 2}".encode() in again.seen
    again.send("q")
    assert again.finish() == 0


def test_screen_set_resolve_agreement_and_prisma(runner: CliRunner, real_db: Path,
                                                 tmp_path: Path) -> None:
    for args in (["28786991", "exclude", "--reason", "wrong population", "--reviewer", "ana"],
                 ["28786991", "include", "--reviewer", "ben"],
                 ["26702254", "include", "--reviewer", "ana"],
                 ["26702254", "include", "--reviewer", "ben"]):
        assert runner.invoke(app, ["screen", "set", *args]).exit_code == 0
    conflicts = json.loads(runner.invoke(app, ["screen", "conflicts", "-f", "json"]).stdout)
    assert [(c["pmid"], {who: v["decision"] for who, v in c["votes"].items()})
            for c in conflicts] == [(28786991, {"ana": "exclude", "ben": "include"})]
    agreement = json.loads(runner.invoke(app, ["screen", "agreement", "-f", "json"]).stdout)
    assert agreement[0]["both_screened"] == 2 and agreement[0]["kappa"] == 0.0
    resolved = runner.invoke(app, ["screen", "resolve", "28786991", "exclude", "--reason",
                                   "wrong population", "--reviewer", "chair"])
    assert resolved.exit_code == 0
    svg = tmp_path / "flow.svg"
    flow = runner.invoke(app, ["prisma", "-f", "json", "--svg", str(svg)])
    assert flow.exit_code == 0, flow.output
    data = json.loads(flow.stdout)
    assert (data["identified"], data["included"], data["excluded"]) == (617, 1, 1)
    assert data["excluded_reasons"] == {"wrong population": 1}
    assert svg.read_text().startswith("<svg")
    included = runner.invoke(app, ["export", "-f", "jsonl", "--included"])
    assert [json.loads(line)["pmid"] for line in included.stdout.splitlines()] == [26702254]


def test_bad_screening_input_is_one_line(runner: CliRunner, real_db: Path) -> None:
    for args, fragment in ((["screen", "set", "1", "include", "--reviewer", "ana"], "PMID 1"),
                           (["screen", "set", "26702254", "exclude", "--reviewer", "ana"],
                            "needs a reason"),
                           (["screen", "set", "26702254", "include"], "who is screening"),
                           (["screen", "--reviewer", "ana"], "needs a terminal"),
                           (["prisma", "-f", "pdf"], "unknown --format")):
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
        assert result.stderr.strip().startswith("Error: ") and fragment in result.stderr, args
        assert "Traceback" not in result.output
    assert _decisions(real_db) == []


def test_review_reasons_file_and_one_key_include(real_db: Path) -> None:
    (real_db.parent / "kratomlit-reasons.txt").write_text(
        "# our protocol\nnot kratom\nnot human\n")
    env = {**os.environ, "KRATOMLIT_DB": str(real_db)}
    term = Terminal("screen", "--reviewer", "ana", env=env)
    term.expect("[q] quit")
    term.send("e")
    term.expect("[2] not human")
    term.send("2")
    term.expect("2/617")
    term.send("i")  # one keypress per include
    term.expect("3/617")
    term.send("q")
    assert term.finish() == 0
    assert [(d[2], d[3]) for d in _decisions(real_db)] == [("exclude", "not human"),
                                                          ("include", None)]


def test_confirmed_duplicate_leaves_screening_and_counts_in_prisma(
        runner: CliRunner, real_db: Path) -> None:
    import dataclasses
    import gzip

    from kratomlit.parse.pubmed_xml import iter_records
    from kratomlit.records import Paper
    from kratomlit.store import Store

    from conftest import PUBMED

    original = next(p for p in iter_records(gzip.open(PUBMED / "test_current_medline.xml.gz"))
                    if isinstance(p, Paper) and p.doi)
    with Store(real_db) as store:
        store.save_papers([dataclasses.replace(original, pmid=99_000_001)], source="test")
    listed = runner.invoke(app, ["screen", "duplicates"])
    assert f"99000001 duplicates {original.pmid} (doi, candidate)" in listed.stdout
    bad = runner.invoke(app, ["screen", "duplicates", "--confirm", "12345"])
    assert bad.exit_code == 2 and "not a duplicate candidate" in bad.stderr
    assert runner.invoke(app, ["screen", "duplicates", "--confirm", "99000001"]).exit_code == 0
    flow = json.loads(runner.invoke(app, ["prisma", "-f", "json"]).stdout)
    assert (flow["identified"], flow["duplicates_removed"], flow["awaiting"]) == (618, 1, 617)
