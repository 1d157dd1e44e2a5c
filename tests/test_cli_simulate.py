"""``kratomlit screen simulate``: text, JSON and SVG output on the real records, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import LABELS, one_line_error


def _labels(path: Path, limit: int | None = None) -> Path:
    """The inclusion question "design is rct or controlled-trial" over the dev labels; the
    first ``limit`` irrelevant ones only, to keep a test quick."""
    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    kept, irrelevant = [], 0
    for row in rows:
        included = row["design"] in ("rct", "controlled-trial")
        if not included:
            irrelevant += 1
            if limit is not None and irrelevant > limit:
                continue
        kept.append(json.dumps({"pmid": int(row["pmid"]), "included": included}))
    path.write_text("\n".join(kept) + "\n")
    return path


def test_simulate_text_json_and_plot(runner: CliRunner, real_db: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    labels = _labels(tmp_path / "rct.jsonl", limit=100)  # 47 relevant + 100 irrelevant
    monkeypatch.setenv("COLUMNS", "80")
    text = runner.invoke(app, ["screen", "simulate", str(labels), "--runs", "2"])
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    prose = " ".join(lines[:4])
    assert prose.startswith("147 labelled records: 2 priors per run")
    assert "145 screened, 46 relevant (31.7%)" in prose and "2 run(s) from seed 0" in prose
    assert all(len(line) <= 80 for line in lines), text.stdout
    for label in ("WSS@95 (%)", "RRF@10 (%)", "ATD (%)", "screened for 95%",
                  "screened for 100%", "notice after (records)"):
        assert any(line.startswith(label) for line in lines), label

    svg = tmp_path / "curve.svg"
    found = runner.invoke(app, ["screen", "simulate", str(labels), "--runs", "2", "--format",
                                "json", "--plot", str(svg), "--seed", "3"])
    assert found.exit_code == 0, found.output
    data = json.loads(found.stdout)  # stdout is JSON alone; the message went to stderr
    assert "Wrote the recall curves" in found.stderr
    assert (data["records"], data["relevant"], data["runs"], data["seed"]) == (145, 46, 2, 3)
    assert data["model"] == "nb" and data["prior_included"] == data["prior_excluded"] == 1
    for order in ("ranked", "random"):
        wss = data[order]["wss95"]
        assert wss["min"] <= wss["median"] <= wss["max"] and len(wss["runs"]) == 2
        for run, screened in enumerate(data[order]["screened95"]["runs"]):
            # 95% of 46 is 43.7 -> 44 found; WSS@95 = (145 - screened)/145 - 5%
            assert wss["runs"][run] == round((145 - screened) / 145 * 100 - 5, 2)
    again = runner.invoke(app, ["screen", "simulate", str(labels), "--runs", "2", "--format",
                                "json", "--seed", "3"])
    assert json.loads(again.stdout) == data  # the same seed, the same figures
    assert svg.read_text().startswith("<svg xmlns=")


def test_bad_simulate_input_is_one_line(runner: CliRunner, real_db: Path,
                                        tmp_path: Path) -> None:
    good = _labels(tmp_path / "good.jsonl", limit=20)
    cases = {
        "missing.jsonl": (None, "no such labels file"),
        "broken.jsonl": ('{"pmid": 26702254, "included": true}\n{"pmid": 1,\n', "line 2"),
        "yes.jsonl": ('{"pmid": 26702254, "included": "yes"}\n', "true or false"),
        "twice.jsonl": ('{"pmid": 26702254, "included": true}\n'
                        '{"pmid": 26702254, "included": false}\n', "both included"),
        "empty.jsonl": ("\n", "no labels"),
        "absent.jsonl": (good.read_text() + '{"pmid": 99999991, "included": true}\n'
                         '{"pmid": 99999992, "included": false}\n',
                         "2 labelled PMID(s) are not in the database"),
        "few.jsonl": ('{"pmid": 26702254, "included": true}\n'
                      '{"pmid": 28786991, "included": false}\n', "1 included"),
    }
    for name, (content, fragment) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        result = runner.invoke(app, ["screen", "simulate", str(path)])
        line = one_line_error(result, fragment)
        assert result.exit_code == 1, name
        if name == "absent.jsonl":
            assert "99999991, 99999992" in line
    for args, fragment in ((["--runs", "0"], "--runs"), (["--format", "svg"], "--format"),
                           (["--model", "svm"], "unknown model"),
                           (["--prior-included", "0"], "prior"),
                           (["--plot", str(tmp_path / "no" / "such.svg")], "does not exist")):
        result = runner.invoke(app, ["screen", "simulate", str(good), *args])
        one_line_error(result, fragment)
    assert not (tmp_path / "no").exists()
