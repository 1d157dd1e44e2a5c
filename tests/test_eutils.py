"""The E-utilities client against a real HTTP server on loopback serving real PubMed replies."""

from __future__ import annotations

import logging
import re
import time

import pytest
from pytest_httpserver import HTTPServer

from kratomlit.errors import EutilsError, NetworkError, QueryError
from kratomlit.sources import eutils
from kratomlit.sources.eutils import EutilsClient

from conftest import PUBMED
from fake_eutils import (
    FakeEutils,
    body,
    max_in_window,
    rate_limited,
    real_articles,
    status,
    truncated,
)

SECRET = "0123456789abcdef0123456789abcdef0123"


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeEutils:
    server = FakeEutils(real_articles())
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    return server


def make_client(httpserver: HTTPServer, **kwargs) -> EutilsClient:  # type: ignore[no-untyped-def]
    # Tiny waits keep the suite fast; the pacing test below uses the real intervals.
    settings = {"backoff": 0.01, "interval": 0.0, "retries": 3, **kwargs}
    return EutilsClient(httpserver.url_for("/entrez/eutils/"), **settings)


def real(name: str) -> str:
    return (PUBMED / name).read_text(encoding="utf-8")


# -- esearch ------------------------------------------------------------------------------------


def test_esearch_reads_real_reply_with_history(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.fail("esearch", body(real("esearch2.xml")))
    result = make_client(httpserver).esearch("cancer", retmax=100)
    assert result.count == 42249
    assert len(result.ids) == 100 and result.ids[0] == 41297076
    assert result.webenv == "MCID_6927d6e7fee3e90f880ec190" and result.query_key == "1"
    sent = fake.calls("esearch")[0].params
    assert sent["usehistory"] == "y" and sent["term"] == "cancer" and sent["db"] == "pubmed"


def test_esearch_no_hits_is_a_valid_empty_answer(httpserver: HTTPServer, fake: FakeEutils
                                                  ) -> None:
    fake.fail("esearch", body(real("esearch8.xml")))
    result = make_client(httpserver).esearch("abcXYZ")
    assert result.count == 0 and result.ids == []
    assert "abcXYZ" in result.warnings and "No items found." in result.warnings


def test_every_request_carries_tool_email_and_key(httpserver: HTTPServer, fake: FakeEutils
                                                  ) -> None:
    client = make_client(httpserver, api_key=SECRET, email="me@example.org")
    found = client.esearch("kratom")
    client.efetch_ids(found.ids[:2])
    assert len(fake.log) == 2
    for hit in fake.log:
        assert hit.params["tool"] == "kratomlit"
        assert hit.params["email"] == "me@example.org"
        assert hit.params["api_key"] == SECRET
    assert fake.log[1].method == "POST" and fake.log[1].params["id"] == ",".join(
        map(str, found.ids[:2]))


def test_no_email_or_key_sent_when_unset(httpserver: HTTPServer, fake: FakeEutils) -> None:
    make_client(httpserver).esearch("kratom")
    assert "email" not in fake.log[0].params and "api_key" not in fake.log[0].params


def test_esearch_error_in_http_200_is_a_query_error_with_ncbis_message(
    httpserver: HTTPServer, fake: FakeEutils
) -> None:
    page = "<eSearchResult><ERROR>Invalid query: unbalanced parentheses</ERROR></eSearchResult>"
    fake.fail("esearch", *[body(page)] * 3)
    with pytest.raises(QueryError, match="Invalid query: unbalanced parentheses"):
        make_client(httpserver, payload_retries=2).esearch("(kratom")
    assert len(fake.calls("esearch")) == 3  # retried twice, then reported


def test_esearch_error_then_success_is_retried(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.fail("esearch", body("<eSearchResult><ERROR>Search Backend failed: Exception:\n"
                              "</ERROR></eSearchResult>"))
    result = make_client(httpserver).esearch("kratom")
    assert result.count == 13 and len(result.ids) == 13
    assert len(fake.calls("esearch")) == 2


@pytest.mark.parametrize(
    "reply",
    [
        "",  # empty 200 body
        '{"error":"API rate limit exceeded"}',  # not XML
        "<eSearchResult><Count>13</Count><IdList><Id>1</Id>",  # cut off
        "<eSearchResult><IdList/></eSearchResult>",  # no count: never "0 results"
        "<eSearchResult><Count>13</Count><IdList><Id>1</Id></IdList></eSearchResult>",  # short
    ],
)
def test_untrustworthy_esearch_reply_is_an_error_not_zero_results(
    httpserver: HTTPServer, fake: FakeEutils, reply: str
) -> None:
    fake.fail("esearch", *[body(reply)] * 3)
    with pytest.raises(EutilsError) as caught:
        make_client(httpserver, payload_retries=2).esearch("kratom")
    assert "after 3 attempts" in str(caught.value)
    assert not isinstance(caught.value, QueryError)


# -- efetch -------------------------------------------------------------------------------------


def test_history_paging_returns_real_records_in_batches(httpserver: HTTPServer, fake: FakeEutils
                                                        ) -> None:
    client = make_client(httpserver)
    found = client.esearch("kratom")
    pmids: list[int] = []
    for start in range(0, found.count, 5):
        size = min(5, found.count - start)
        batch = client.efetch_history(found.webenv, found.query_key, start, size)  # type: ignore[arg-type]
        assert len(batch.papers) == size
        pmids += [p.pmid for p in batch.papers]
    assert pmids == found.ids
    sent = [h.params for h in fake.calls("efetch")]
    assert [(p["retstart"], p["retmax"]) for p in sent] == [("0", "5"), ("5", "5"), ("10", "3")]
    assert all(p["WebEnv"] == found.webenv and p["query_key"] == "1" for p in sent)
    assert client.requests == 4


def test_efetch_ids_by_post_parses_real_fields(httpserver: HTTPServer, fake: FakeEutils) -> None:
    batch = make_client(httpserver).efetch_ids([29768149, 36400559])
    by_pmid = {p.pmid: p for p in batch.papers}
    assert by_pmid[29768149].doi == "10.1056/NEJMoa1715274"
    assert by_pmid[36400559].title == "Back Pain: Differential Diagnosis and Management."
    assert batch.missing == []


def test_efetch_unknown_pmids_are_reported_missing_after_retries(
    httpserver: HTTPServer, fake: FakeEutils
) -> None:
    fake.hidden.add(9997)
    batch = make_client(httpserver, payload_retries=1).efetch_ids([9997, 12091962])
    assert [p.pmid for p in batch.papers] == [12091962]
    assert batch.missing == [9997]
    assert len(fake.calls("efetch")) == 2  # asked again once before accepting the gap


def test_efetch_error_page_in_http_200(httpserver: HTTPServer, fake: FakeEutils) -> None:
    with pytest.raises(EutilsError, match="Unable to obtain query #1"):
        make_client(httpserver, payload_retries=1).efetch_history("MCID_expired", "1", 0, 5)
    assert len(fake.calls("efetch")) == 2


def test_truncated_efetch_is_retried_then_succeeds(httpserver: HTTPServer, fake: FakeEutils
                                                   ) -> None:
    fake.fail("efetch", truncated(fake))
    client = make_client(httpserver)
    found = client.esearch("kratom")
    batch = client.efetch_history(found.webenv, found.query_key, 0, 5)  # type: ignore[arg-type]
    assert len(batch.papers) == 5
    assert len(fake.calls("efetch")) == 2


def test_truncated_efetch_every_time_is_an_error_naming_the_problem(
    httpserver: HTTPServer, fake: FakeEutils
) -> None:
    fake.fail("efetch", *[truncated(fake)] * 3)
    with pytest.raises(EutilsError, match=r"truncated or malformed XML.*after 3 attempts"):
        make_client(httpserver, payload_retries=2).efetch_ids([29768149, 36400559, 9997])


def test_history_batch_with_fewer_records_than_asked_is_an_error(
    httpserver: HTTPServer, fake: FakeEutils
) -> None:
    client = make_client(httpserver, payload_retries=1)
    found = client.esearch("kratom")
    fake.hidden.add(found.ids[1])
    with pytest.raises(EutilsError, match="returned 4 of 5 records"):
        client.efetch_history(found.webenv, found.query_key, 0, 5)  # type: ignore[arg-type]


# -- HTTP-level retries --------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.fail("esearch", rate_limited(retry_after="1"))
    client = make_client(httpserver)
    result = client.esearch("kratom")
    assert result.count == 13
    first, second = fake.calls("esearch")
    assert second.time - first.time >= 0.95  # waited as told, not the 0.01 s backoff
    assert client.requests == 2


def test_5xx_then_success(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.fail("efetch", status(502, "Bad Gateway"), status(503, "Service Unavailable"))
    client = make_client(httpserver)
    batch = client.efetch_ids([29768149])
    assert batch.papers[0].pmid == 29768149
    assert client.requests == 3 and len(fake.calls("efetch")) == 3


def test_persistent_429_is_an_error_not_zero_results(httpserver: HTTPServer, fake: FakeEutils
                                                     ) -> None:
    fake.fail("esearch", *[rate_limited()] * 10)
    client = make_client(httpserver, retries=2)
    with pytest.raises(EutilsError, match="HTTP 429"):
        client.esearch("kratom")
    assert len(fake.calls("esearch")) == 3 and client.requests == 3


def test_http_400_shows_ncbi_message_without_the_key(httpserver: HTTPServer, fake: FakeEutils
                                                     ) -> None:
    # A server that echoes the request URL (key included) into its error page.
    fake.fail("efetch", lambda request: status(
        400, f"<ERROR>ID list is empty! url={request.url}</ERROR>")(request))
    client = make_client(httpserver, api_key=SECRET)
    with pytest.raises(EutilsError) as caught:
        client.efetch_history("MCID_1", "1", 0, 5)
    message = str(caught.value)
    assert "HTTP 400" in message and "ID list is empty!" in message
    assert SECRET not in message and "api_key=***" in message


# -- pacing ---------------------------------------------------------------------------------------


def test_requests_never_exceed_3_per_second_without_key(httpserver: HTTPServer,
                                                       fake: FakeEutils) -> None:
    client = EutilsClient(httpserver.url_for("/entrez/eutils/"))  # real interval
    fake.fail("esearch", rate_limited())  # retries are paced too
    for _ in range(5):
        client.esearch("kratom")
    times = [h.time for h in fake.log]
    assert len(times) == 6
    assert max_in_window(times) <= 3


def test_requests_never_exceed_10_per_second_with_key(httpserver: HTTPServer,
                                                     fake: FakeEutils) -> None:
    client = EutilsClient(httpserver.url_for("/entrez/eutils/"), api_key=SECRET)
    started = time.monotonic()
    for _ in range(12):
        client.esearch("kratom")
    assert max_in_window([h.time for h in fake.log]) <= 10
    assert time.monotonic() - started < 2.5  # and the key does buy the faster rate


def test_pacing_is_shared_by_all_clients(httpserver: HTTPServer, fake: FakeEutils) -> None:
    clients = [EutilsClient(httpserver.url_for("/entrez/eutils/")) for _ in range(3)]
    for client in clients * 2:
        client.esearch("kratom")
    assert max_in_window([h.time for h in fake.log]) <= 3


# -- unreachable API and the secret key ----------------------------------------------------------


def test_unreachable_api_is_one_line_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    client = EutilsClient("http://127.0.0.1:9/entrez/eutils/", api_key=SECRET,
                          backoff=0.01, interval=0.0, connect_retries=1)
    with caplog.at_level(logging.DEBUG), pytest.raises(NetworkError) as caught:
        client.esearch("kratom")
    message = str(caught.value)
    assert message == ("cannot reach the PubMed E-utilities API at 127.0.0.1:9 "
                       "(connection refused)")
    assert SECRET not in caplog.text and SECRET not in repr(client)
    assert "api_key=***" in caplog.text  # urllib3 logged the URL, scrubbed
    assert client.requests == 2


def test_scrub_removes_key_by_name_and_value() -> None:
    text = f"GET /esearch.fcgi?term=x&api_key={SECRET}&tool=kratomlit failed for {SECRET}"
    assert eutils.scrub(text, SECRET) == (
        "GET /esearch.fcgi?term=x&api_key=***&tool=kratomlit failed for ***")


def test_long_query_is_sent_by_post(httpserver: HTTPServer, fake: FakeEutils) -> None:
    term = " OR ".join(f"term{i}[tiab]" for i in range(300))
    result = make_client(httpserver).esearch(term)
    assert result.count == 13
    assert fake.log[0].method == "POST" and fake.log[0].params["term"] == term
