"""Every path that puts papers in the database leaves them searchable: the full-text index
has no insert trigger, so only the store's one insert (which indexes as it inserts) may add
papers, and the index must match the papers after each path."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.records import Paper
from kratomlit.store import Store

from conftest import REPO, SYNTHETIC_MEDLINE, SYNTHETIC_XML
from fake_eutils import FakeEutils, articles

_INSERT_PAPERS = re.compile(r"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\"?papers\"?\s*\(", re.I)


def index_matches(db: Path) -> None:
    """FTS5's own check that the index holds exactly what the papers table does."""
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)")


def found(runner: CliRunner, text: str) -> list[str]:
    result = runner.invoke(app, ["search", text, "--format", "json"])
    assert result.exit_code == 0, result.output
    return [str(hit["pmid"]) for hit in json.loads(result.stdout)]


def test_the_check_catches_a_paper_inserted_without_indexing(isolated_env: Path) -> None:
    with Store(isolated_env):
        pass
    with sqlite3.connect(isolated_env) as conn:
        conn.execute("INSERT INTO papers (pmid, title, content_hash) VALUES (1, 'hidden', 'x')")
    with pytest.raises(sqlite3.DatabaseError):
        index_matches(isolated_env)


def test_imported_papers_are_searchable(runner: CliRunner, synthetic_db: Path) -> None:
    index_matches(synthetic_db)
    assert found(runner, "synthetic")


def test_fetched_papers_are_searchable(runner: CliRunner, httpserver: HTTPServer,
                                       monkeypatch: pytest.MonkeyPatch,
                                       isolated_env: Path) -> None:
    server = FakeEutils(articles([SYNTHETIC_XML]))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    result = runner.invoke(app, ["fetch", "--query", "synthetic[tiab]", "--quiet"])
    assert result.exit_code == 0, result.output
    index_matches(isolated_env)
    assert len(found(runner, "synthetic")) == len(server.records)


def test_papers_saved_through_the_store_are_searchable(runner: CliRunner,
                                                       isolated_env: Path) -> None:
    with Store(isolated_env) as store:
        store.save_papers([Paper(999000901, title="Quokka hindlimb morphology")],
                          source="test")
    index_matches(isolated_env)
    assert found(runner, "quokka") == ["999000901"]


def test_only_the_store_inserts_papers() -> None:
    inserting = [str(path.relative_to(REPO)) for path in (REPO / "src").rglob("*.py")
                 if _INSERT_PAPERS.search(path.read_text("utf-8"))]
    assert inserting == ["src/kratomlit/store/papers.py"]
    assert len(_INSERT_PAPERS.findall((REPO / "src/kratomlit/store/papers.py").read_text())) == 1


def test_updated_and_reimported_papers_stay_indexed(runner: CliRunner, synthetic_db: Path
                                                   ) -> None:
    result = runner.invoke(app, ["import", str(SYNTHETIC_MEDLINE), str(SYNTHETIC_XML), "-q"])
    assert result.exit_code == 0, result.output
    index_matches(synthetic_db)
