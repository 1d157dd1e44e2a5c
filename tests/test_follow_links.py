"""ELink through the client and ``follow_links.follow``, against the stand-in E-utilities on
loopback serving a small made-up citation graph (no ../shared needed)."""

from __future__ import annotations

import re
from html import escape

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from kratomlit.errors import EutilsError, NetworkError, NotFoundError, UsageError
from kratomlit.jobs.follow_links import follow
from kratomlit.parse.elink_xml import parse_elink
from kratomlit.records import Link
from kratomlit.sources.eutils import ELINK_BATCH, EutilsClient

from fake_eutils import FakeEutils, body, max_in_window, rate_limited, status, truncated

SECRET = "0123456789abcdef0123456789abcdef0123"
# Made-up PMIDs in the 999000000 range, which PubMed has not reached.
A, B, C = 999000001, 999000002, 999000003  # seeds: B has no links at all
UNKNOWN = 999000999
GRAPH = {  # paper -> the papers it cites
    A: [999000101, 999000102],
    B: [],
    C: [A, 999000101],
    999000201: [A],
    999000202: [C],
}
SIMILAR = {A: [(999000301, 500), (999000302, 900), (999000303, 100)]}


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeEutils:
    server = FakeEutils([], citations={k: list(v) for k, v in GRAPH.items()},
                        similar=dict(SIMILAR))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    return server


def make_client(httpserver: HTTPServer, **kwargs) -> EutilsClient:  # type: ignore[no-untyped-def]
    settings = {"backoff": 0.01, "interval": 0.0, "retries": 3, "payload_retries": 2, **kwargs}
    return EutilsClient(httpserver.url_for("/entrez/eutils/"), **settings)


def _pmids(batch, seed: int, name: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [n.pmid for n in batch.linksets[seed].links(name)]


def _many(fake: FakeEutils, count: int) -> list[int]:
    """``count`` seeds the stand-in knows, each citing one paper of its own."""
    seeds = list(range(999100000, 999100000 + count))
    fake.citations.update({seed: [seed + 500000] for seed in seeds})
    return seeds


# -- the client ----------------------------------------------------------------------------


def test_repeated_ids_one_request_each_seed_answered_on_its_own(
        httpserver: HTTPServer, fake: FakeEutils) -> None:
    batch = make_client(httpserver).elink([A, B, C, A])
    (hit,) = fake.log
    assert hit.method == "GET" and hit.ids == [str(A), str(B), str(C)]  # repeated, deduplicated
    assert hit.params["dbfrom"] == "pubmed" and hit.params["db"] == "pubmed"
    assert hit.params["cmd"] == "neighbor" and "linkname" not in hit.params
    assert hit.params["tool"] == "kratomlit"
    assert list(batch.linksets) == [A, B, C] and batch.missing == []
    assert _pmids(batch, A, "pubmed_pubmed_refs") == [999000102, 999000101]
    assert _pmids(batch, A, "pubmed_pubmed_citedin") == [999000201, C]
    assert _pmids(batch, C, "pubmed_pubmed_citedin") == [999000202]
    assert batch.linksets[B].lists == {}  # no links: an empty answer, not an error


def test_linkname_and_scores_are_asked_for(httpserver: HTTPServer, fake: FakeEutils) -> None:
    batch = make_client(httpserver).elink([A], "pubmed_pubmed", scored=True)
    assert fake.log[0].params["linkname"] == "pubmed_pubmed"
    assert fake.log[0].params["cmd"] == "neighbor_score"
    assert list(batch.linksets[A].lists) == ["pubmed_pubmed"]
    assert {(n.pmid, n.score) for n in batch.linksets[A].links("pubmed_pubmed")} == {
        (A, 901), (999000301, 500), (999000302, 900), (999000303, 100)}


def test_long_seed_list_goes_by_post(httpserver: HTTPServer, fake: FakeEutils) -> None:
    seeds = _many(fake, ELINK_BATCH)
    client = make_client(httpserver)
    batch = client.elink(seeds, "pubmed_pubmed_refs")
    assert fake.log[0].method == "POST" and fake.log[0].ids == [str(s) for s in seeds]
    assert [_pmids(batch, s, "pubmed_pubmed_refs") for s in seeds] == [
        [s + 500000] for s in seeds]
    client.elink(seeds[:50], "pubmed_pubmed_refs")
    assert fake.log[1].method == "GET"  # 50 ids fit in a URL


def test_429_with_retry_after_then_success(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.fail("elink", rate_limited(retry_after="1"))
    client = make_client(httpserver)
    batch = client.elink([A])
    first, second = fake.calls("elink")
    assert second.time - first.time >= 0.95  # waited as told
    assert _pmids(batch, A, "pubmed_pubmed_refs") == [999000102, 999000101]
    assert client.requests == 2


def test_5xx_then_success_and_persistent_5xx_is_one_error(httpserver: HTTPServer,
                                                           fake: FakeEutils) -> None:
    fake.fail("elink", status(502, "Bad Gateway"), status(503, "Service Unavailable"))
    client = make_client(httpserver)
    assert list(client.elink([A, C]).linksets) == [A, C]
    assert client.requests == 3
    fake.fail("elink", *[status(503, "Service Unavailable")] * 4)
    with pytest.raises(EutilsError, match="elink failed with HTTP 503 after retries"):
        client.elink([A, C])


def test_error_body_is_retried_then_reported_with_ncbis_words(httpserver: HTTPServer,
                                                              fake: FakeEutils) -> None:
    error = body("<eLinkResult><ERROR>Backend failed: couldn't connect</ERROR></eLinkResult>")
    fake.fail("elink", error)
    client = make_client(httpserver)
    assert list(client.elink([A]).linksets) == [A]  # once: retried, answered
    fake.log.clear()
    fake.fail("elink", *[error] * 3)
    with pytest.raises(EutilsError, match=r"elink \(1 PMIDs\) error: Backend failed"):
        client.elink([A])
    assert len(fake.log) == 3


def test_cut_off_reply_is_retried(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.fail("elink", truncated(fake))
    batch = make_client(httpserver).elink([A, B, C])
    assert list(batch.linksets) == [A, B, C] and len(fake.log) == 2


@pytest.mark.parametrize("fault", ["cut", "empty", "not xml"])
def test_reply_that_stays_broken_is_one_error_never_an_empty_answer(
        httpserver: HTTPServer, fake: FakeEutils, fault: str) -> None:
    broken = {"cut": truncated(fake), "empty": body(""),
              "not xml": status(200, "Service temporarily unavailable")}[fault]
    fake.fail("elink", *[broken] * 3)
    with pytest.raises(EutilsError, match="after 3 attempts") as caught:
        make_client(httpserver).elink([A, C])
    assert "\n" not in str(caught.value)
    assert len(fake.log) == 3


def test_unknown_seed_is_asked_again_then_reported_missing(httpserver: HTTPServer,
                                                           fake: FakeEutils) -> None:
    batch = make_client(httpserver).elink([A, UNKNOWN])
    assert list(batch.linksets) == [A] and batch.missing == [UNKNOWN]
    assert len(fake.log) == 3  # asked twice more before accepting the gap


def test_seed_left_out_of_the_reply_is_missing_not_empty(httpserver: HTTPServer,
                                                         fake: FakeEutils) -> None:
    def only_first(request: Request) -> Response:
        return fake.elink(request.values.getlist("id")[:1], request.values.to_dict())

    fake.fail("elink", *[only_first] * 3)
    batch = make_client(httpserver).elink([A, C])
    assert list(batch.linksets) == [A] and batch.missing == [C]


def test_reply_that_merges_seeds_is_refused_not_guessed(httpserver: HTTPServer,
                                                        fake: FakeEutils) -> None:
    def comma_joined(request: Request) -> Response:
        return fake.elink([",".join(request.values.getlist("id"))], request.values.to_dict())

    fake.fail("elink", *[comma_joined] * 3)
    with pytest.raises(EutilsError, match="cannot be traced to one seed"):
        make_client(httpserver).elink([A, C])


def test_reply_for_a_seed_not_asked_for_is_refused(httpserver: HTTPServer,
                                                   fake: FakeEutils) -> None:
    fake.fail("elink", *[lambda request: fake.elink([str(C)], request.values.to_dict())] * 3)
    with pytest.raises(EutilsError, match=f"answers PMID {C}, which was not asked for"):
        make_client(httpserver).elink([A])


def test_key_is_sent_but_never_shown(httpserver: HTTPServer, fake: FakeEutils) -> None:
    echo = lambda request: body(  # noqa: E731  (an ERROR page quoting the URL, key and all)
        f"<eLinkResult><ERROR>bad request {escape(request.url)}</ERROR></eLinkResult>")(request)
    fake.fail("elink", *[echo] * 3)
    client = make_client(httpserver, api_key=SECRET)
    with pytest.raises(EutilsError) as caught:
        client.elink([A])
    assert fake.log[0].params["api_key"] == SECRET
    assert SECRET not in str(caught.value) and "api_key=***" in str(caught.value)


def test_unreachable_api_is_a_network_error() -> None:
    client = EutilsClient("http://127.0.0.1:9/entrez/eutils/", api_key=SECRET, backoff=0.01,
                          interval=0.0, connect_retries=1)
    with pytest.raises(NetworkError, match="cannot reach") as caught:
        client.elink([A])
    assert SECRET not in str(caught.value)


# -- follow ----------------------------------------------------------------------------------


def test_follow_backward_and_forward_in_one_request(httpserver: HTTPServer,
                                                   fake: FakeEutils) -> None:
    links = follow(make_client(httpserver), [A, B, C])
    assert set(links) == {
        Link(A, 999000101, "backward"), Link(A, 999000102, "backward"),
        Link(A, 999000201, "forward"), Link(A, C, "forward"),
        Link(C, A, "backward"), Link(C, 999000101, "backward"),
        Link(C, 999000202, "forward"),
    }
    assert len(links) == len(set(links))
    (hit,) = fake.log
    assert "linkname" not in hit.params and hit.params["cmd"] == "neighbor"


@pytest.mark.parametrize(("direction", "linkname"), [("backward", "pubmed_pubmed_refs"),
                                                     ("forward", "pubmed_pubmed_citedin")])
def test_follow_one_direction_names_its_list(httpserver: HTTPServer, fake: FakeEutils,
                                             direction: str, linkname: str) -> None:
    links = follow(make_client(httpserver), [A, C], [direction])
    assert {link.direction for link in links} == {direction}
    assert len(links) == {"backward": 4, "forward": 3}[direction]
    assert [h.params.get("linkname") for h in fake.log] == [linkname]


def test_follow_similar_takes_the_top_n_by_score_never_the_seed(httpserver: HTTPServer,
                                                               fake: FakeEutils) -> None:
    links = follow(make_client(httpserver), [A, B], ["similar"], similar_top=2)
    # The stand-in lists them newest first, the seed scored highest: rank by score.
    assert links == [Link(A, 999000302, "similar", 900), Link(A, 999000301, "similar", 500)]
    (hit,) = fake.log
    assert hit.params["cmd"] == "neighbor_score" and hit.params["linkname"] == "pubmed_pubmed"


def test_follow_all_three_costs_two_requests_per_batch(httpserver: HTTPServer,
                                                      fake: FakeEutils) -> None:
    seeds = [A, C, *_many(fake, 2 * ELINK_BATCH)]  # 402 seeds: three batches
    links = follow(make_client(httpserver), seeds, ["backward", "forward", "similar"])
    assert [len(h.ids) for h in fake.log] == [200, 200, 200, 200, 2, 2]
    assert [h.params.get("linkname") for h in fake.log][:2] == [None, "pubmed_pubmed"]
    assert [h.method for h in fake.log] == ["POST", "POST", "POST", "POST", "GET", "GET"]
    assert sum(link.direction == "similar" for link in links) == 3
    assert sum(link.direction == "backward" for link in links) == 4 + 2 * ELINK_BATCH


def test_follow_names_unknown_seeds_and_returns_nothing(httpserver: HTTPServer,
                                                       fake: FakeEutils) -> None:
    with pytest.raises(NotFoundError, match=f"did not answer for 1 seed PMID.*{UNKNOWN}"):
        follow(make_client(httpserver, payload_retries=0), [A, UNKNOWN])


@pytest.mark.parametrize(("directions", "top", "problem"), [
    (["sideways"], 10, "unknown direction 'sideways'; choose from backward, forward, similar"),
    ([], 10, "no direction given"),
    (["similar"], 0, "at least 1 (got 0)"),
])
def test_follow_refuses_bad_options_before_any_request(
        httpserver: HTTPServer, fake: FakeEutils, directions: list[str], top: int,
        problem: str) -> None:
    with pytest.raises(UsageError, match=re.escape(problem)):
        follow(make_client(httpserver), [A], directions, similar_top=top)
    assert fake.log == []


def test_follow_no_seeds_sends_nothing(httpserver: HTTPServer, fake: FakeEutils) -> None:
    assert follow(make_client(httpserver), []) == [] and fake.log == []


def test_follow_is_paced_under_the_rate_limit(httpserver: HTTPServer, fake: FakeEutils) -> None:
    fake.rate_limit = 3  # the stand-in answers 429 to a fourth request within a second
    seeds = _many(fake, 3 * ELINK_BATCH)
    client = EutilsClient(httpserver.url_for("/entrez/eutils/"))  # real pacing, no key
    follow(client, seeds, ["backward", "forward", "similar"])
    assert len(fake.log) == 6 and {h.status for h in fake.log} == {200}
    assert max_in_window([h.time for h in fake.log]) <= 3


# -- the stand-in itself -----------------------------------------------------------------------


def test_stand_in_answers_comma_joined_ids_with_one_union_linkset(fake: FakeEutils) -> None:
    reply = fake.elink([f"{A},{C}", str(B)], {"dbfrom": "pubmed",
                                              "linkname": "pubmed_pubmed_citedin"})
    union, alone = parse_elink(reply.get_data()).linksets
    assert union.ids == [A, C] and union.seed is None
    assert [n.pmid for n in union.links("pubmed_pubmed_citedin")] == [999000202, 999000201, C]
    assert alone.seed == B and alone.lists == {}
