"""The fetch job: exact incremental fetches, date splitting, batches kept across failures."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from kratomlit.errors import EutilsError, Interrupted, UsageError
from kratomlit.jobs.fetch_pubmed import (
    FetchPlan,
    Slice,
    collect_ids,
    default_query,
    parse_date,
    run_fetch,
)
from kratomlit.sources import eutils
from kratomlit.sources.eutils import EutilsClient
from kratomlit.store import Store

from conftest import paper_id
from fake_eutils import FakeEutils, body, rate_limited, real_articles, truncated, with_pmid

ALL_REAL = 13  # PubmedArticle records in ../shared/pubmed


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeEutils:
    server = FakeEutils(real_articles())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    return server


@pytest.fixture
def client(httpserver: HTTPServer) -> EutilsClient:
    return EutilsClient(httpserver.url_for("/entrez/eutils/"), backoff=0.01, interval=0.0,
                        retries=2, payload_retries=1)


@pytest.fixture
def store(isolated_env: Path) -> Store:
    return Store(isolated_env)


def fetch(store: Store, client: EutilsClient, **options) -> object:  # type: ignore[no-untyped-def]
    return run_fetch(store, client, FetchPlan.build("kratom[tiab]", **options))


def last_run(store: Store) -> dict:
    return store.runs(1)[0]


def test_first_fetch_pages_history_in_batches_and_records_the_run(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    result = fetch(store, client, batch_size=5)
    assert result.found == ALL_REAL and result.counts.new == ALL_REAL
    assert result.requests == 1 + math.ceil(ALL_REAL / 5)
    assert [h.utility for h in fake.log] == ["esearch", "efetch", "efetch", "efetch"]
    assert all("WebEnv" in h.params for h in fake.calls("efetch"))
    paper = store.get_paper(paper_id(store, 29768149))
    assert paper["doi"] == "10.1056/NEJMoa1715274" and paper["source"] == "fetch"
    run = last_run(store)
    assert (run["kind"], run["query"], run["status"]) == ("fetch", "kratom[tiab]", "ok")
    assert (run["found"], run["new"], run["requests"]) == (ALL_REAL, ALL_REAL, 4)
    assert json.loads(run["options"])["batch_size"] == 5
    hits = store.db.execute("SELECT count(*) FROM query_hits WHERE query = 'kratom[tiab]'")
    assert hits.fetchone()[0] == ALL_REAL


def test_rerun_with_nothing_new_costs_exactly_one_request(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    fetch(store, client)
    fake.log.clear()
    result = fetch(store, client)
    assert len(fake.log) == 1 and fake.log[0].utility == "esearch"
    assert result.requests == 1 and result.records == 0
    run = last_run(store)
    assert (run["status"], run["found"], run["new"], run["requests"]) == ("ok", ALL_REAL, 0, 1)


def test_incremental_fetch_asks_only_for_missing_pmids_by_post(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    fetch(store, client, until="2016")  # the 7 records added to PubMed up to 2016
    assert store.stats()["papers"] == 7
    fake.log.clear()
    result = fetch(store, client, batch_size=4)
    assert result.counts.new == ALL_REAL - 7
    efetches = fake.calls("efetch")
    assert len(efetches) == math.ceil((ALL_REAL - 7) / 4) == 2
    assert all(h.method == "POST" for h in efetches)
    asked = {int(i) for h in efetches for i in h.params["id"].split(",")}
    assert 29768149 in asked and 9997 not in asked  # 2018 record asked; 1976 one already stored


def test_since_until_window_is_sent_and_respected(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    result = fetch(store, client, since="2017/08", until="2018/07/03")
    search = fake.calls("esearch")[0].params
    assert (search["datetype"], search["mindate"], search["maxdate"]) == (
        "edat", "2017/08/01", "2018/07/03")
    assert sorted(store.stored_pmids()) == [28775130, 28786991, 29768149, 29963580]
    assert result.found == 4
    run = last_run(store)
    assert (run["mindate"], run["maxdate"]) == ("2017/08/01", "2018/07/03")


def test_query_above_the_cap_is_split_by_entrez_date(
    store: Store, client: EutilsClient, fake: FakeEutils, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eutils, "ESEARCH_MAX_IDS", 4)
    fake.cap = 4
    result = fetch(store, client)
    assert store.stored_pmids() == {r.pmid for r in fake.records}
    searches = fake.calls("esearch")
    assert result.slices > 1 and result.found == ALL_REAL
    assert all("mindate" in h.params for h in searches[1:])  # every slice is a date window
    assert result.counts.new == ALL_REAL


def test_real_cap_of_9999_split_until_every_slice_fits(
    client: EutilsClient, fake: FakeEutils
) -> None:
    # 25,000 PMIDs over ten years of entrez dates; esearch alone (no efetch) is exercised.
    template = fake.records[0]
    first = dt.date(2015, 1, 1)
    fake.records = [with_pmid(template, 80_000_000 + i, first + dt.timedelta(days=i % 3650))
                    for i in range(25_000)]
    fake.__post_init__()
    listing = collect_ids(client, "kratom", Slice())
    assert len(listing.ids) == 25_000 and len(set(listing.ids)) == 25_000
    assert all(result.count <= 9999 for _, result in listing.slices)
    assert all(len(result.ids) == result.count for _, result in listing.slices)


def test_a_single_day_above_the_cap_is_split_by_pmid_range(
    client: EutilsClient, fake: FakeEutils, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eutils, "ESEARCH_MAX_IDS", 2)
    fake.cap = 2
    day = dt.date(2024, 3, 1)
    fake.records = [with_pmid(r, 70_000_000 + i, day) for i, r in enumerate(fake.records[:5])]
    fake.__post_init__()
    listing = collect_ids(client, "kratom", Slice(day, day))
    assert sorted(listing.ids) == [70_000_000 + i for i in range(5)]
    assert any("[uid]" in h.params["term"] for h in fake.calls("esearch"))


def test_interrupted_fetch_keeps_completed_batches_and_next_run_fetches_the_rest(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    # Batch 2 arrives cut off every time: 2 tries from history, then 2 tries by PMID.
    fake.fail("efetch", lambda r: fake.efetch({**r.args.to_dict(), **r.form.to_dict()}),
              *[truncated(fake)] * 4)
    with pytest.raises(EutilsError, match="truncated or malformed XML"):
        fetch(store, client, batch_size=5)
    assert len(store.stored_pmids()) == 5  # batch 1 kept, batch 2 not half-stored
    run = last_run(store)
    assert run["status"] == "failed" and "truncated or malformed XML" in run["error"]
    assert (run["new"], run["requests"]) == (5, 6)
    fake.log.clear()
    result = fetch(store, client, batch_size=5)
    assert result.counts.new == ALL_REAL - 5
    assert [h.utility for h in fake.log] == ["esearch", "efetch", "efetch"]
    assert store.stored_pmids() == {r.pmid for r in fake.records}


def test_expired_history_falls_back_to_asking_by_pmid(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    expired = "<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>"
    fake.fail("efetch", body(expired), body(expired))
    result = fetch(store, client, batch_size=10)
    assert result.counts.new == ALL_REAL and store.stored_pmids() == {r.pmid for r in fake.records}
    methods = [h.method for h in fake.calls("efetch")]
    assert methods == ["GET", "GET", "POST", "POST"]  # then by PMID, history no longer trusted
    first_ids = fake.calls("efetch")[2].params["id"].split(",")
    assert [int(i) for i in first_ids] == fake.histories["MCID_fake0001"][:10]


def test_rate_limit_page_is_never_read_as_zero_results(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    fetch(store, client, until="2016")
    before = store.stored_pmids()
    fake.fail("esearch", *[rate_limited()] * 5)
    with pytest.raises(EutilsError, match="429"):
        fetch(store, client)
    assert store.stored_pmids() == before
    run = last_run(store)
    assert run["status"] == "failed" and run["found"] == 0 and run["requests"] == 3


def test_refresh_since_refetches_stored_records_modified_since(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    fetch(store, client)
    fake.log.clear()
    result = fetch(store, client, refresh_since="2019/06")
    modified = fake.calls("esearch")[1].params
    assert (modified["datetype"], modified["mindate"]) == ("mdat", "2019/06/01")
    asked = {int(i) for h in fake.calls("efetch") for i in h.params["id"].split(",")}
    # DateRevised 2019-06-07, 2019-06-09 and 2022-11-30, 2022-04-10 in the real records.
    assert asked == {11446611, 9997, 36400559, 29768149}
    assert result.refreshed == 4 and result.counts.unchanged == 4


def test_full_refetches_everything(store: Store, client: EutilsClient, fake: FakeEutils) -> None:
    fetch(store, client)
    result = fetch(store, client, full=True, batch_size=10)
    assert result.records == ALL_REAL and result.counts.unchanged == ALL_REAL
    assert result.requests == 1 + 2


def test_pmids_efetch_never_returns_are_reported_and_asked_again(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    fetch(store, client, until="2016")
    fake.hidden.add(29768149)
    before = store.db.execute("SELECT count(*) FROM papers").fetchone()[0]
    with pytest.raises(EutilsError, match=r"did not return 1 PMID that.*29768149"):
        fetch(store, client)
    run = last_run(store)
    assert run["status"] == "failed" and "did not return 1 PMID that" in run["error"]
    # what did come is stored: only the missing record is missing
    after = store.db.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert after == ALL_REAL - 1 and after > before
    fake.hidden.clear()
    fake.log.clear()
    again = fetch(store, client)
    assert again.counts.new == 1 and fake.calls("efetch")[0].params["id"] == "29768149"


def test_query_histories_are_kept_apart(store: Store, client: EutilsClient, fake: FakeEutils
                                        ) -> None:
    run_fetch(store, client, FetchPlan.build("kratom[tiab]"))
    run_fetch(store, client, FetchPlan.build("mitragynine[nm]"))
    queries = [r["query"] for r in store.runs(5)]
    assert queries == ["mitragynine[nm]", "kratom[tiab]"]
    count = "SELECT count(*) FROM query_hits WHERE query = ?"
    assert store.db.execute(count, ["mitragynine[nm]"]).fetchone()[0] == ALL_REAL


# -- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2020", False, dt.date(2020, 1, 1)),
        ("2020", True, dt.date(2020, 12, 31)),
        ("2020/02", True, dt.date(2020, 2, 29)),
        ("2019/12", True, dt.date(2019, 12, 31)),
        ("2021/3/7", False, dt.date(2021, 3, 7)),
        ("2021-03-07", True, dt.date(2021, 3, 7)),
    ],
)
def test_parse_date(value: str, end: bool, expected: dt.date) -> None:
    assert parse_date(value, "--since", end=end) == expected


@pytest.mark.parametrize("value", ["2020/13", "2021/02/30", "20", "yesterday", "2020/1/1/1", ""])
def test_bad_dates_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError, match=r"invalid date for --since: .*YYYY/MM/DD"):
        parse_date(value, "--since")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": 0}, "--batch-size must be between 1 and 10000"),
        ({"batch_size": 10_001}, "--batch-size must be between 1 and 10000"),
        ({"since": "2021", "until": "2020"}, "--since 2021 is after --until 2020"),
        ({"query": "   "}, "the query is empty"),
        ({"refresh_since": "2999"}, "--refresh-since 2999 is in the future"),
    ],
)
def test_bad_plans(options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        FetchPlan.build(**options)


def test_default_query_is_shipped_and_curated() -> None:
    query = default_query()
    for term in ("kratom[tiab]", "mitragyna[tiab]", "7-hydroxymitragynine[tiab]",
                 "speciociliatine[tiab]", "paynantheine[tiab]", "corynantheidine[tiab]",
                 "ketum[tiab]", "biak[tiab]", "kakuam[tiab]", "thang[tiab]", "Mitragyna[mh]",
                 "mitragynine[nm]"):
        assert term in query
    assert "#" not in query and "\n" not in query



def test_ctrl_c_after_a_batch_keeps_it_and_records_the_interruption(
    store: Store, client: EutilsClient, fake: FakeEutils
) -> None:
    class StopAfterFirstBatch:
        def planned(self, found: int, todo: int, batches: int) -> None:
            pass

        def batch_done(self, records: int) -> None:
            raise KeyboardInterrupt

    kept = "interrupted; the 5 records it added or changed before that are kept"
    with pytest.raises(Interrupted, match=kept):
        run_fetch(store, client, FetchPlan.build("kratom[tiab]", batch_size=5),
                  progress=StopAfterFirstBatch())
    assert len(store.stored_pmids()) == 5
    run = last_run(store)
    assert (run["status"], run["new"]) == ("interrupted", 5) and run["error"].startswith(kept)
    result = fetch(store, client, batch_size=5)
    assert result.counts.new == ALL_REAL - 5
