"""``table``, ``digest``, ``map`` and ``explain`` as a user sees them: tab-separated lines
in a pipe, fixed columns streamed on a terminal of any width, nothing cut."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.report import selection
from kratomlit.store import Store

from conftest import PUBMED, needs_pubmed

_STYLE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def tagged(real_tagged_db: Path) -> Path:
    return real_tagged_db


def ok(runner: CliRunner, *args: str, width: int | None = None) -> str:
    """stdout of a command; with ``width``, as on a terminal that wide (styles removed)."""
    env = {"COLUMNS": str(width), "TTY_COMPATIBLE": "1"} if width else {}
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.output)
    return _STYLE.sub("", result.stdout)


def _json(runner: CliRunner, *args: str) -> list[dict]:
    return json.loads(ok(runner, *args, "--format", "json"))


def _words(text: str) -> str:
    return " ".join(text.split())


def test_piped_table_is_one_tab_separated_line_per_study(runner: CliRunner, tagged: Path
                                                          ) -> None:
    result = runner.invoke(app, ["table", "--include-retracted"])  # stdout is not a terminal
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    names = header.split("\t")
    # The extraction's fields come after the title, so the first eleven keep their places.
    assert names[0] == "pmid" and names[10] == "title"
    assert all(line.count("\t") == len(names) - 1 for line in lines)
    found = [dict(zip(names, line.split("\t"), strict=True)) for line in lines]
    truth = _json(runner, "table", "--include-retracted")
    assert [int(r["pmid"]) for r in found] == [r["pmid"] for r in truth]  # same order
    for row, study in zip(found, truth, strict=True):
        assert row["title"] == _words(study["title"])
        assert row["design"] == study["design"]
        assert row["outcomes"] == "; ".join(study["outcomes"])
        assert row["n_participants"] == str(study["n_participants"] or "")
    # The summary is a message: on stderr, so `cut`, `sort` and `wc -l` see only studies.
    assert result.stderr.startswith(f"{len(truth)} studies: ")


def _watched(rows: Iterator[dict], out: io.StringIO, seen: list[int]) -> Iterator[dict]:
    """The rows, noting how many lines were already written when the 400th was asked for."""
    for i, row in enumerate(rows):
        if i == 400:
            seen.append(out.getvalue().count("\n"))
        yield row


@pytest.mark.parametrize("render", ["terminal", "pipe"])
def test_table_streams_rows_as_they_come(tagged: Path, render: str) -> None:
    """The first rows are out before the last are read, on a terminal and in a pipe."""
    from kratomlit.report.terminal import render_table, write_tsv

    out = io.StringIO()
    seen: list[int] = []
    with Store(tagged) as store:
        rows = _watched(selection.rows(store, selection.Filters()), out, seen)
        if render == "terminal":
            render_table(Console(file=out, width=80, force_terminal=True), rows, 0, {})
        else:
            write_tsv(rows, out)
    assert seen and seen[0] >= 100


def _records(lines: list[str]) -> list[list[str]]:
    """The output lines of each study (a study starts with its PMID)."""
    found: list[list[str]] = []
    for line in lines:
        if re.match(r"\d+ ", line):
            found.append([])
        if found:
            found[-1].append(line)
    return found


@pytest.mark.parametrize("width", [40, 80, 120])
def test_terminal_table_fits_and_never_cuts_a_title(runner: CliRunner, tagged: Path,
                                                    width: int) -> None:
    truth = _json(runner, "table", "--include-retracted", "--limit", "60")
    lines = ok(runner, "table", "--include-retracted", "--limit", "60",
               width=width).splitlines()
    summary = lines.pop()
    assert summary.startswith("617 studies (showing 60): ")
    assert max(len(line) for line in lines) <= width
    assert all(line.strip() for line in lines)  # no blank lines
    records = _records(lines)
    assert [int(r[0].split()[0]) for r in records] == [s["pmid"] for s in truth]
    for record, study in zip(records, truth, strict=True):
        if width < 60:  # a card: the facts, then the title indented under them
            title = [line.strip() for line in record if line.startswith("  ")]
        else:
            title = [line[lines[0].index("Title"):].strip() for line in record]
        marked = ("RETRACTED: " if study["retracted"] else "") + study["title"]
        assert " ".join(title) == _words(marked)
    if width == 80:  # the title gets most of the line
        assert lines[0].index("Title") <= 40


def test_terminal_table_of_nothing_is_its_summary(runner: CliRunner, tagged: Path) -> None:
    assert ok(runner, "table", "--since", "2100", width=80) == "0 studies: none\n"


@pytest.mark.parametrize("width", [40, 80, 120])
def test_digest_lists_every_paper_under_its_outcomes(runner: CliRunner, tagged: Path,
                                                     width: int) -> None:
    groups = json.loads(ok(runner, "digest", "--format", "json"))["groups"]
    text = ok(runner, "digest", width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    shown = Counter(int(r[0].split()[0]) for r in _records(lines))
    assert shown == Counter(row["pmid"] for rows in groups.values() for row in rows)
    for outcome, rows in groups.items():
        assert f"{outcome} ({len(rows)})" in lines


@pytest.mark.parametrize("width", [40, 80, 120])
@pytest.mark.parametrize("pmid", ["28786991", "26347990", "22508830"])
def test_explain_never_cuts_a_rule_id(runner: CliRunner, tagged: Path, width: int,
                                      pmid: str) -> None:
    found = json.loads(ok(runner, "explain", pmid, "--format", "json"))
    text = ok(runner, "explain", pmid, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    ids = {e["rule_id"] for e in found["evidence"]}
    assert ids and all(re.search(rf"(^|\s){re.escape(i)}(\s|$)", text, re.M) for i in ids)


@needs_pubmed
def test_map_new_and_screened_select_like_table(runner: CliRunner, isolated_env: Path
                                                ) -> None:
    for name in ("medline16n0902.xml.gz", "test_current_medline.xml.gz"):
        assert runner.invoke(app, ["import", str(PUBMED / name), "-q"]).exit_code == 0
    with Store(isolated_env) as store:
        _, added = store.last_run_pmids()
    new = json.loads(ok(runner, "map", "--new", "--format", "json"))
    assert 0 < new["studies"] == len(_json(runner, "table", "--new")) == len(added)
    for paper, decision in ((sorted(added)[0], "include"), (sorted(added)[-1], "maybe")):
        assert runner.invoke(app, ["screen", "set", f"id:{paper}", decision, "--reviewer",
                                   "ana"]).exit_code == 0
    screened = json.loads(ok(runner, "map", "--screened", "--format", "json"))
    assert screened["studies"] == 2 == sum(sum(r.values()) for r in screened["cells"].values())


def test_map_csv_and_markdown_carry_studies_per_year(runner: CliRunner, tagged: Path) -> None:
    found = json.loads(ok(runner, "map", "--format", "json"))
    years = sorted({int(y) for per in found["years"].values() for y in per})
    every = list(range(years[0], years[-1] + 1))
    grid, per_year = ok(runner, "map", "--format", "csv").split("\n\n")
    assert grid.splitlines()[0].startswith("outcome,")
    table = list(csv.reader(io.StringIO(per_year)))
    assert table[0] == ["year", *found["years"]]
    assert [int(row[0]) for row in table[1:]] == every  # gaps included, for charts
    for row in table[1:]:
        for outcome, count in zip(table[0][1:], row[1:], strict=True):
            assert int(count) == found["years"][outcome].get(row[0], 0)
    markdown = ok(runner, "map", "--format", "md").split("\n\n")
    assert len(markdown) == 2
    lines = markdown[1].splitlines()
    assert lines[0] == "| year | " + " | ".join(found["years"]) + " |"
    assert [line.split(" | ")[0] for line in lines[2:]] == [f"| {y}" for y in every]


def test_map_at_40_columns_keeps_every_name_and_the_latest_years(runner: CliRunner,
                                                                 tagged: Path) -> None:
    found = json.loads(ok(runner, "map", "--format", "json"))
    text = ok(runner, "map", width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    words = _words(text)
    for outcome in found["outcomes"]:
        for design, n in found["cells"][outcome].items():
            assert f"{design} {n}" in words, (outcome, design)
    # The chart has one character per year: the title names the years it really shows,
    # the latest ones, never more than fit.
    last = max(int(y) for per in found["years"].values() for y in per)
    chart = re.search(r"Studies per year, (\d{4})–(\d{4})", text)
    assert chart and int(chart[2]) == last and int(chart[2]) - int(chart[1]) < 40
