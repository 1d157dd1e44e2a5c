"""Fetching the synthetic records from a fake E-utilities on loopback (no ../shared needed)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.errors import EutilsError
from kratomlit.jobs.fetch_pubmed import FetchPlan, run_fetch
from kratomlit.sources.eutils import EutilsClient
from kratomlit.store import Store

from conftest import FIXTURES, SYNTHETIC_XML, paper_id
from fake_eutils import FakeEutils, articles, body


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeEutils:
    server = FakeEutils(articles([SYNTHETIC_XML]))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    return server


def _client(httpserver: HTTPServer) -> EutilsClient:
    return EutilsClient(httpserver.url_for("/entrez/eutils/"), backoff=0.01, interval=0.0,
                        retries=2, payload_retries=1)


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_fetch_then_rerun_costs_one_request(runner: CliRunner, fake: FakeEutils,
                                            isolated_env: Path) -> None:
    served = sorted(r.pmid for r in fake.records)  # the six PubmedArticle records
    result = runner.invoke(app, ["fetch", "--query", "synthetic[tiab]", "--batch-size", "4"])
    assert result.exit_code == 0, result.output
    assert "6 PMIDs found; 6 to fetch in 2 batches" in result.stderr
    assert ("Fetched 6 records of 6 found: 6 new, 0 updated, 0 unchanged, 0 deleted "
            f"(3 requests) into {isolated_env}") in result.stderr
    assert result.stdout == ""
    assert [h.utility for h in fake.log] == ["esearch", "efetch", "efetch"]
    assert [p for (p,) in _rows(isolated_env, "SELECT pmid FROM papers ORDER BY pmid")] == served

    fake.log.clear()
    again = runner.invoke(app, ["fetch", "--query", "synthetic[tiab]"])
    assert again.exit_code == 0, again.output
    assert (f"Up to date: 6 PMIDs found, nothing new to fetch (1 request) in {isolated_env}"
            in again.stderr)
    assert [h.utility for h in fake.log] == ["esearch"]
    assert _rows(isolated_env, "SELECT status, found, new, requests FROM fetch_runs ORDER BY id"
                 ) == [("ok", 6, 6, 3), ("ok", 6, 0, 1)]


def test_incremental_fetch_asks_only_for_the_missing_pmids(
        httpserver: HTTPServer, fake: FakeEutils, isolated_env: Path) -> None:
    client = _client(httpserver)
    with Store(isolated_env) as store:
        first = run_fetch(store, client, FetchPlan.build("synthetic[tiab]", until="2019"))
        early = {r.pmid for r in fake.records if r.edat.year <= 2019}
        assert store.stored_pmids() == early and first.counts.new == len(early) == 3
        fake.log.clear()
        result = run_fetch(store, client, FetchPlan.build("synthetic[tiab]", batch_size=2))
        assert result.counts.new == len(fake.records) - len(early)
        efetches = fake.calls("efetch")
        assert len(efetches) == 2 and all(h.method == "POST" for h in efetches)
        asked = [int(i) for h in efetches for i in h.params["id"].split(",")]
        assert sorted(asked) == sorted({r.pmid for r in fake.records} - early)
        assert result.requests == 3  # one esearch, two batches of two
        paper = store.get_paper(paper_id(store, 999000005))
    assert paper["title"].startswith("Synthetic record 5: Mitragyna speciosa alkaloids")
    assert paper["source"] == "fetch"


def test_an_esearch_reply_is_read_and_a_short_one_is_never_taken_as_complete(
        httpserver: HTTPServer, fake: FakeEutils) -> None:
    reply = (FIXTURES / "synthetic-esearch.xml").read_text(encoding="utf-8")
    fake.fail("esearch", body(reply))
    found = _client(httpserver).esearch("synthetic", retmax=3)
    assert (found.count, found.ids) == (6, [999000005, 999000003, 999000006])
    assert (found.webenv, found.query_key) == ("MCID_synthetic000000000000001", "1")
    assert found.translation == '"synthetic"[All Fields]'
    # Asked for every id, the same reply (3 of 6) is retried, then reported: not a result.
    fake.fail("esearch", body(reply), body(reply))
    with pytest.raises(EutilsError, match="returned 3 of 6 ids"):
        _client(httpserver).esearch("synthetic")
