"""The house plan holds: pure stages stay pure, the vocabulary has one home, and a rule the
engine would never apply is refused when the rules are read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import InputFileError
from kratomlit.tagging.rules import parse_rules

from conftest import one_line_error

PURE = ["kratomlit.tagging.engine", "kratomlit.tagging.prepared", "kratomlit.tagging.patterns",
        "kratomlit.tagging.rules", "kratomlit.tagging.evaluate", "kratomlit.tagging.extract",
        "kratomlit.tagging.finding", "kratomlit.tagging.taxonomy", "kratomlit.parse.pubmed_xml",
        "kratomlit.parse.medline_text", "kratomlit.parse.elink_xml"]
IMPURE = ("kratomlit.store", "kratomlit.jobs", "kratomlit.cli", "sqlite_utils", "sqlite3",
          "click", "typer", "rich", "requests")


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_load_no_store_cli_or_network(module: str) -> None:
    code = (f"import sys, json; import {module}; "
            "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                       capture_output=True, text=True).stdout)
    assert [m for m in loaded if m.split(".")[0] in IMPURE or m.startswith(IMPURE)] == []


POPULATION_RULE = """
[[rule]]
id = "my-population"
axis = "population"
tag = "animal"
fields = ["title"]
patterns = ["\\\\bmice\\\\b"]
"""


def test_a_population_rule_is_refused_when_read() -> None:
    with pytest.raises(InputFileError, match="population rules are not applied"):
        parse_rules(POPULATION_RULE, "mine.toml")


def test_tag_with_a_population_rule_says_so_and_tags_nothing(
        runner: CliRunner, synthetic_db: Path, tmp_path: Path) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text(POPULATION_RULE, "utf-8")
    result = runner.invoke(app, ["tag", "--rules", str(rules)])
    assert result.exit_code == 1
    one_line_error(result, "mine.toml", "my-population", "population rules are not applied")
    status = runner.invoke(app, ["status", "--format", "json"])
    assert json.loads(status.stdout)["untagged"] == json.loads(status.stdout)["papers"]
