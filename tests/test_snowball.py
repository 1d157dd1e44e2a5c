"""``kratomlit snowball`` end to end, against the stand-in E-utilities on loopback serving the
synthetic records (no ../shared needed) and a small made-up citation graph among them."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.sources import eutils

from conftest import SYNTHETIC_XML, one_line_error
from fake_eutils import FakeEutils, articles, body, status, truncated

# The synthetic records' PMIDs: P1 is found by a search; the others only through citations.
P1, P2, P3, P4, P5, P6 = range(999000001, 999000007)
GRAPH = {  # paper -> the papers it cites
    P1: [P2, P3],
    P4: [P1],
    P3: [P5],
    P6: [P3],
}
SEARCH = f"kratom[tiab] AND {P1}:{P1}[uid]"  # the stand-in finds P1 alone


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eutils, "INTERVAL_NO_KEY", 0.0)
    monkeypatch.setattr(eutils, "BACKOFF", 0.01, raising=False)


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeEutils:
    server = FakeEutils(articles([SYNTHETIC_XML]), citations={k: list(v) for k, v in
                                                               GRAPH.items()})
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    return server


def ok(runner: CliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout, result.stderr


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def searched_and_included(runner: CliRunner, fake: FakeEutils) -> None:
    ok(runner, "fetch", "--query", SEARCH, "--quiet")
    ok(runner, "screen", "set", str(P1), "include", "--reviewer", "ana")
    fake.log.clear()


def test_included_studies_are_followed_both_ways_and_what_is_new_is_fetched_once(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    searched_and_included(runner, fake)
    out, err = ok(runner, "snowball", "--format", "json")
    assert [h.utility for h in fake.log] == ["elink", "efetch"]
    assert fake.log[0].ids == [str(P1)]
    asked = sorted(int(i) for i in fake.log[1].params["id"].split(","))
    assert asked == [P2, P3, P4]
    summary = json.loads(out)
    assert (summary["seeds"], summary["links"], summary["new"]) == (1, 3, 3)
    assert (summary["elink_requests"], summary["efetch_requests"]) == (1, 1)
    assert "Followed 1 seed" in err and "3 new" in err
    assert rows(isolated_env, "SELECT seed, linked, direction FROM links ORDER BY linked") == [
        (P1, P2, "backward"), (P1, P3, "backward"), (P1, P4, "forward")]
    assert rows(isolated_env, "SELECT pmid, source FROM papers ORDER BY pmid") == [
        (P1, "fetch"), (P2, "snowball"), (P3, "snowball"), (P4, "snowball")]
    runs = rows(isolated_env, "SELECT kind, status, new FROM fetch_runs ORDER BY id")
    assert runs[-1] == ("snowball", "ok", 3)

    fake.log.clear()  # nothing new: only the ELink request, nothing stored twice
    out, err = ok(runner, "snowball", "--format", "json")
    assert [h.utility for h in fake.log] == ["elink"]
    assert json.loads(out)["new"] == 0 and "nothing to fetch" in err
    assert rows(isolated_env, "SELECT count(*) FROM links") == [(3,)]
    assert rows(isolated_env, "SELECT count(*) FROM papers") == [(4,)]


def test_backward_or_forward_alone(runner: CliRunner, fake: FakeEutils,
                                   isolated_env: Path) -> None:
    searched_and_included(runner, fake)
    ok(runner, "snowball", "--forward", "--quiet")
    assert rows(isolated_env, "SELECT linked, direction FROM links") == [(P4, "forward")]
    ok(runner, "snowball", "--backward", "--quiet")
    assert sorted(rows(isolated_env, "SELECT pmid FROM papers")) == [(P1,), (P2,), (P3,),
                                                                      (P4,)]


def test_depth_two_follows_the_new_papers_and_stops_at_max(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    searched_and_included(runner, fake)
    out, err = ok(runner, "snowball", "--depth", "2", "--max", "4", "--format", "json")
    summary = json.loads(out)
    # Step 1 adds P2, P3, P4; step 2 finds P5 (P3 cites it) and P6 (cites P3): room for one.
    assert summary["new"] == 4 and summary["skipped_by_max"] == 1
    assert "Stopped at --max 4: 1 more paper" in err
    stored = {p for (p,) in rows(isolated_env, "SELECT pmid FROM papers")}
    assert stored >= {P1, P2, P3, P4} and len(stored & {P5, P6}) == 1
    elinks = fake.calls("elink")
    assert len(elinks) == 2 and sorted(map(int, elinks[1].ids)) == [P2, P3, P4]

    fake.log.clear()  # without the guard the rest comes
    out, _ = ok(runner, "snowball", "--depth", "2", "--format", "json")
    assert {p for (p,) in rows(isolated_env, "SELECT pmid FROM papers")} == {
        P1, P2, P3, P4, P5, P6}


def test_seeds_from_the_command_line_a_file_or_every_paper(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path, tmp_path: Path) -> None:
    ok(runner, "snowball", "--seeds", str(P4), "--backward", "--quiet")
    assert rows(isolated_env, "SELECT pmid FROM papers") == [(P1,)]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"# key papers\n{P3}  # the case report\n")
    ok(runner, "snowball", "--seeds", f"@{seeds}", "--forward", "--quiet")
    assert {p for (p,) in rows(isolated_env, "SELECT pmid FROM papers")} == {P1, P6}
    fake.log.clear()
    ok(runner, "snowball", "--seeds", "all", "--backward", "--quiet")
    assert sorted(map(int, fake.calls("elink")[0].ids)) == [P1, P6]


def test_citation_found_papers_are_tagged_screened_and_counted_in_prisma(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    searched_and_included(runner, fake)
    ok(runner, "snowball", "--quiet")
    ok(runner, "tag", "--quiet")
    assert rows(isolated_env, f"SELECT count(*) FROM paper_tags WHERE paper_id = "
                f"(SELECT id FROM papers WHERE pmid = {P2})")[0][0] > 0
    ok(runner, "screen", "set", str(P2), "exclude", "--reason", "wrong population",
       "--reviewer", "ana")
    ok(runner, "screen", "set", str(P4), "include", "--reviewer", "ana")
    flow = json.loads(ok(runner, "prisma", "--format", "json")[0])
    assert flow["databases"]["identified"] == 1 and flow["databases"]["included"] == 1
    other = flow["other_methods"]
    assert (other["identified"], other["screened"], other["included"], other["excluded"],
            other["awaiting"]) == (3, 2, 1, 1, 1)
    assert flow["identified"] == 4 and flow["included"] == 2


def test_no_included_studies_asks_for_seeds(runner: CliRunner, fake: FakeEutils) -> None:
    ok(runner, "fetch", "--query", SEARCH, "--quiet")
    fake.log.clear()
    one_line_error(runner.invoke(app, ["snowball"]), "no included studies", "--seeds")
    assert fake.log == []


@pytest.mark.parametrize(("args", "words"), [
    (["--seeds", "abc"], "--seeds"),
    (["--seeds", "all,123"], "one of"),
    (["--seeds", "@missing.txt"], "no such file"),  # a file that cannot be read: exit 1
    (["--depth", "3", "--seeds", "1"], "--depth"),
    (["--max", "0", "--seeds", "1"], "--max"),
    (["--batch-size", "0", "--seeds", "1"], "--batch-size"),
    (["--similar", "0", "--seeds", "1"], "--similar"),
])
def test_bad_input_is_one_line_and_changes_nothing(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path,
        args: list[str], words: str) -> None:
    result = runner.invoke(app, ["snowball", *args])
    one_line_error(result, words)
    assert result.exit_code == (1 if words == "no such file" else 2)
    assert fake.log == [] and not isolated_env.exists()


@pytest.mark.parametrize("fault", ["error body", "cut off", "503"])
def test_elink_failures_are_retried_then_one_line_and_nothing_half_stored(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path, fault: str) -> None:
    searched_and_included(runner, fake)
    faults = {"error body": body("<eLinkResult><ERROR>Backend failed</ERROR></eLinkResult>"),
              "cut off": truncated(fake, 200), "503": status(503, "Service Unavailable")}
    fake.fail("elink", *[faults[fault]] * 6)
    result = runner.invoke(app, ["snowball"])
    one_line_error(result, "elink")
    assert len(fake.calls("elink")) > 1 and fake.calls("efetch") == []
    assert rows(isolated_env, "SELECT count(*) FROM links") == [(0,)]
    assert rows(isolated_env, "SELECT count(*) FROM papers") == [(1,)]
    assert rows(isolated_env, "SELECT kind, status FROM fetch_runs ORDER BY id")[-1] == (
        "snowball", "failed")


def test_linked_papers_efetch_never_returns_fail_after_keeping_the_rest(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    searched_and_included(runner, fake)
    fake.hidden.add(P3)
    result = runner.invoke(app, ["snowball"])
    one_line_error(result, "did not return 1 PMID", str(P3))
    assert {p for (p,) in rows(isolated_env, "SELECT pmid FROM papers")} == {P1, P2, P4}
    fake.hidden.clear()
    fake.log.clear()
    ok(runner, "snowball", "--quiet")
    assert fake.calls("efetch")[0].params["id"] == str(P3)


def test_show_lists_what_a_paper_cites_and_what_cites_it_and_how_it_was_found(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    searched_and_included(runner, fake)
    ok(runner, "snowball", "--quiet")
    monkeypatch.setenv("COLUMNS", "200")
    shown = ok(runner, "show", str(P1))[0]
    cites = shown[shown.index("Cites (2)"):shown.index("Cited by (1)")]
    assert f"PMID {P3} " in cites and f"PMID {P2} " in cites and "Synthetic record 3" in cites
    assert f"PMID {P4} " in shown[shown.index("Cited by (1)"):]
    assert "Found by citation searching" not in shown  # a search found it

    shown = ok(runner, "show", str(P3))[0]
    assert "Cited by (1)" in shown and f"PMID {P1} " in shown
    assert f"Found by citation searching  in the references of PMID {P1} (run " in shown

    record = json.loads(ok(runner, "show", str(P4), "--format", "json")[0])
    assert [p["pmid"] for p in record["citations"]["cites"]] == [P1]
    assert [(f["seed"], f["direction"]) for f in record["citations"]["found_by_citation"]] == [
        (P1, "forward")]


def test_an_unknown_seed_is_one_line_and_nothing_is_stored(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    result = runner.invoke(app, ["snowball", "--seeds", f"{P1},123"])
    one_line_error(result, "did not answer", "123")
    assert result.exit_code == 1 and fake.calls("efetch") == []
    assert rows(isolated_env, "SELECT count(*) FROM links") == [(0,)]
    assert rows(isolated_env, "SELECT kind, status FROM fetch_runs") == [("snowball", "failed")]


def test_similar_articles_on_request_top_n_per_seed(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    fake.similar[P1] = [(P5, 900), (P6, 800), (P2, 100)]
    out, _ = ok(runner, "snowball", "--seeds", str(P1), "--similar", "--forward",
                "--format", "json")
    assert json.loads(out)["elink_requests"] == 2  # cited-by, then similar with scores
    assert {(d, p) for p, d in rows(isolated_env, "SELECT linked, direction FROM links")} == {
        ("forward", P4), ("similar", P5), ("similar", P6), ("similar", P2)}
    ok(runner, "snowball", "--seeds", str(P1), "--similar", "2", "--quiet")  # bare or with N
    assert fake.calls("elink")[-1].params["linkname"] == "pubmed_pubmed"


def _digest(runner: CliRunner, *args: str) -> dict:
    return json.loads(ok(runner, "digest", "--citing", *args, "--format", "json")[0])


def _listed(digest: dict) -> dict[int, list[int]]:
    return {row["pmid"]: row["cites"] for rows in digest["groups"].values() for row in rows}


def test_digest_citing_shows_the_new_papers_citing_the_included_studies(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    searched_and_included(runner, fake)
    ok(runner, "snowball", "--quiet")
    assert _listed(_digest(runner)) == {P4: [P1]}  # P2 and P3 are cited, not citing
    monkeypatch.setenv("COLUMNS", "200")
    text = ok(runner, "digest", "--citing")[0]
    assert "New papers citing your included studies, found by snowball run" in text
    assert f"[cites PMID {P1}]" in text and "1 paper" in text

    ok(runner, "snowball", "--quiet")  # nothing new: nothing to report
    assert _listed(_digest(runner)) == {}
    fake.citations[P6] = [P1]  # a new paper cites the included study
    ok(runner, "snowball", "--quiet")
    assert _listed(_digest(runner)) == {P6: [P1]}
    table = json.loads(ok(runner, "table", "--new", "--format", "json",
                          "--include-retracted")[0])
    assert [row["pmid"] for row in table] == [P6]
    assert _listed(_digest(runner, "--since", "2000-01-01")) == {P4: [P1], P6: [P1]}


def test_digest_citing_before_any_snowball_or_inclusion_says_so(
        runner: CliRunner, fake: FakeEutils) -> None:
    ok(runner, "fetch", "--query", SEARCH, "--quiet")
    assert _digest(runner)["heading"].startswith("No included studies yet")
    ok(runner, "screen", "set", str(P1), "include", "--reviewer", "ana")
    assert _digest(runner)["heading"].startswith("No snowball run yet")


def test_efetch_failing_for_good_stores_neither_papers_nor_links(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    searched_and_included(runner, fake)
    fake.fail("efetch", *[status(502, "Bad Gateway")] * 6)
    result = runner.invoke(app, ["snowball"])
    one_line_error(result, "efetch", "502")
    assert rows(isolated_env, "SELECT count(*) FROM links") == [(0,)]
    assert rows(isolated_env, "SELECT count(*) FROM papers") == [(1,)]
    fake.log.clear()
    ok(runner, "snowball", "--quiet")  # the next run does it all
    assert [h.utility for h in fake.log] == ["elink", "efetch"]
    assert rows(isolated_env, "SELECT count(*) FROM links") == [(3,)]


def test_the_api_key_never_shows_in_output_errors_or_the_runs(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    secret = "0123456789abcdef0123456789abcdef0123"
    searched_and_included(runner, fake)
    fake.fail("elink", *[status(500, f"Internal error for api_key={secret}")] * 6)
    failed = runner.invoke(app, ["snowball", "--api-key", secret])
    one_line_error(failed)
    done = runner.invoke(app, ["snowball", "--api-key", secret, "--format", "json"])
    assert done.exit_code == 0 and fake.calls("elink")[-1].params["api_key"] == secret
    stored = rows(isolated_env, "SELECT * FROM fetch_runs")
    assert secret not in failed.output + done.output + repr(stored)


def test_a_seed_given_by_pmid_is_never_fetched_as_a_find_of_its_own_links(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    out, err = ok(runner, "snowball", "--seeds", str(P1), "--depth", "2", "--format", "json")
    summary = json.loads(out)  # step 2 reaches P1 again (P3 and P4 link to it)
    assert (summary["linked"], summary["to_fetch"], summary["new"]) == (5, 5, 5)
    assert {p for (p,) in rows(isolated_env, "SELECT pmid FROM papers")} == {P2, P3, P4, P5, P6}


def test_seeds_may_be_named_by_id_and_need_a_pmid(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path) -> None:
    from kratomlit.records import Paper
    from kratomlit.store import Store

    ok(runner, "snowball", "--seeds", str(P4), "--backward", "--quiet")  # stores P1
    with Store(isolated_env) as store:
        first = store.find_paper("pmid", P1)
        loose = store.save_papers([Paper(title="A synthetic record no PubMed search found")],
                                  source="test").ids[0]
    fake.log.clear()
    ok(runner, "snowball", "--seeds", f"id:{first}", "--forward", "--quiet")
    assert [int(i) for i in fake.calls("elink")[0].ids] == [P1]
    result = runner.invoke(app, ["snowball", "--seeds", f"id:{loose}"])
    assert result.exit_code == 2 and f"id:{loose} has no PMID" in result.stderr


def test_a_paper_citations_reach_joins_the_study_another_database_gave(
        runner: CliRunner, fake: FakeEutils, isolated_env: Path, tmp_path: Path) -> None:
    from kratomlit.parse.pubmed_xml import iter_records

    p3 = next(p for p in iter_records(SYNTHETIC_XML) if p.pmid == P3)
    ris = tmp_path / "embase.ris"  # P3 as Embase has it: no PMID, the title in capitals
    ris.write_text(f"TY  - JOUR\nDB  - Embase\nTI  - {p3.title.upper()}\nDO  - {p3.doi}\n"
                   "ER  -\n", "utf-8")
    searched_and_included(runner, fake)
    ok(runner, "import", str(ris), "--quiet")
    ok(runner, "snowball", "--quiet")  # P1 cites P2 and P3
    assert rows(isolated_env, f"SELECT count(*), max(title) FROM papers WHERE pmid = {P3} OR "
                f"lower(doi) = lower('{p3.doi}')") == [(1, p3.title)]
