"""The PRISMA 2020 flow on a review with overlapping sources: three PubMed queries that share
records, two imports of records already fetched, two reviewers, a resolved and an open
conflict, a confirmed duplicate, a withdrawn and a retracted paper. The expected counts are
worked out from the setup, never read back from kratomlit."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.jobs.import_files import import_files
from kratomlit.review import prisma
from kratomlit.sources import eutils
from kratomlit.store import Store, migrations

from conftest import PUBMED, needs_pubmed, retracted_record
from fake_eutils import FakeEutils, real_articles, with_pmid

pytestmark = needs_pubmed

# The fake E-utilities reads only a trailing "AND low:high[uid]" of a query, so each query
# below finds the served records whose PMID lies in its range.
QUERIES = {"kratom[tiab] AND 1:29000000[uid]": (1, 29_000_000),
           "mitragynine[tiab] AND 28000000:99999999[uid]": (28_000_000, 99_999_999),
           "kratom[tiab] AND 29000000:31000000[uid]": (29_000_000, 31_000_000)}
COPY = 40_000_001  # 28786991 served again under a second PMID: a duplicate record
WITHDRAWN = 9997  # NLM withdraws it after the fetch
RETRACTED = 29768149  # re-imported once a retraction is linked to it
MEDLINE = PUBMED / "medline-pubmed_result1.txt"  # one record (12230038) no query finds


@pytest.fixture(autouse=True)
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eutils, "INTERVAL_NO_KEY", 0.0)


@pytest.fixture
def served(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    records = real_articles()
    records.append(with_pmid(next(r for r in records if r.pmid == 28786991), COPY))
    server = FakeEutils(records)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    return [r.pmid for r in records]


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def decide(runner: CliRunner, pmid: int, decision: str, reviewer: str, reason: str = "",
           *, resolve: bool = False) -> None:
    extra = ["--reason", reason] if reason else []
    ok(runner, "screen", "resolve" if resolve else "set", str(pmid), decision,
       "--reviewer", reviewer, *extra)


def test_flow_counts_each_source_and_the_identities_hold(
        runner: CliRunner, served: list[int], isolated_env: Path, tmp_path: Path) -> None:
    for query in QUERIES:
        ok(runner, "fetch", "--query", query, "--quiet")
    retracted = tmp_path / "retracted.xml"
    retracted.write_bytes(retracted_record())
    ok(runner, "import", str(retracted), str(MEDLINE), "--quiet")  # both overlap: 1 was fetched
    ok(runner, "import", str(MEDLINE), "--quiet")  # a re-import adds nothing new

    decide(runner, 2930949, "include", "ana")
    decide(runner, 2930949, "include", "ben")
    decide(runner, 11446611, "exclude", "ana", "wrong population")
    decide(runner, 11446611, "exclude", "ben", "wrong population")
    decide(runner, 12091962, "exclude", "ana", "not about kratom")
    decide(runner, 11748933, "maybe", "ana")
    decide(runner, 11700088, "include", "ana")  # an open conflict
    decide(runner, 11700088, "exclude", "ben", "wrong outcome")
    decide(runner, 27797938, "include", "ana")  # a conflict, resolved as an exclusion
    decide(runner, 27797938, "exclude", "ben", "wrong design")
    decide(runner, 27797938, "exclude", "chair", "wrong design", resolve=True)
    decide(runner, RETRACTED, "exclude", "ana", "retracted")
    decide(runner, WITHDRAWN, "include", "ana")  # withdrawn below: it leaves every count
    decide(runner, COPY, "exclude", "ben", "duplicate")  # confirmed below: removed before
    assert f"{COPY} duplicates 28786991 (doi, candidate)" in ok(runner, "screen", "duplicates")
    ok(runner, "screen", "duplicates", "--confirm", str(COPY))
    with Store(isolated_env) as store:
        store.mark_deleted([WITHDRAWN])

    found = json.loads(ok(runner, "prisma", "--format", "json"))

    live = {*served, 12230038} - {WITHDRAWN}
    per_query = {q: {p for p in served if low <= p <= high} - {WITHDRAWN}
                 for q, (low, high) in QUERIES.items()}
    expected_sources = [(f"PubMed: {q}", len(hits)) for q, hits in per_query.items()]
    expected_sources += [("Files: retracted.xml, medline-pubmed_result1.txt", 2),
                         ("File: medline-pubmed_result1.txt", 1)]
    assert [(s["name"], s["records"]) for s in found["sources"]] == expected_sources
    identified = sum(n for _, n in expected_sources)
    assert found["identified"] == identified == 21
    assert found["duplicates_across_sources"] == identified - len(live)
    assert found["duplicate_records"] == 1
    assert found["duplicates_removed"] == identified - len(live) + 1 == 8
    decided = {"include": 1, "exclude": 4, "maybe": 1, "conflict": 1}
    assert (found["included"], found["excluded"], found["maybe"], found["conflicts"]) == (
        decided["include"], decided["exclude"], decided["maybe"], decided["conflict"])
    assert found["excluded_reasons"] == {"wrong population": 1, "not about kratom": 1,
                                         "wrong design": 1, "retracted": 1}
    assert found["screened"] == sum(decided.values()) == 7
    assert found["awaiting"] == len(live) - 1 - 7 == 6
    assert found["identified"] - found["duplicates_removed"] == (found["screened"]
                                                                 + found["awaiting"])
    assert found["screened"] == (found["included"] + found["excluded"] + found["maybe"]
                                 + found["conflicts"])
    # The table holds exactly the records still to screen or screened (retracted included).
    table = json.loads(ok(runner, "table", "--format", "json", "--include-retracted"))
    assert len(table) == found["screened"] + found["awaiting"]
    assert [r["retracted"] for r in table if r["pmid"] == RETRACTED] == [True]

    markdown = ok(runner, "prisma", "--format", "md")
    text = ok(runner, "prisma")
    for view in (markdown, text):
        assert "import:" not in view and "file import" not in view
    assert "| — PubMed: kratom[tiab] AND 1:29000000[uid]; searched " in markdown
    assert "| Records screened | 7 |" in markdown and "| Records awaiting screening | 6 |" in (
        markdown)


def test_a_fresh_screen_counts_nothing_as_screened(runner: CliRunner, real_db: Path) -> None:
    found = json.loads(ok(runner, "prisma", "--format", "json"))
    assert (found["identified"], found["screened"], found["awaiting"]) == (617, 0, 617)


def test_an_import_of_records_already_fetched_is_a_source(
        runner: CliRunner, served: list[int], isolated_env: Path) -> None:
    ok(runner, "fetch", "--query", "kratom[tiab]", "--quiet")
    ok(runner, "import", str(PUBMED / "pubmed-29768149.xml"), "--quiet")
    ok(runner, "import", str(PUBMED / "pubmed-29768149.xml"), "--quiet")
    found = json.loads(ok(runner, "prisma", "--format", "json"))
    assert [(s["name"], s["records"]) for s in found["sources"]] == [
        ("PubMed: kratom[tiab]", len(served)), ("File: pubmed-29768149.xml", 1),
        ("File: pubmed-29768149.xml", 1)]
    assert (found["identified"], found["duplicates_removed"]) == (len(served) + 2, 2)


def test_a_database_from_before_import_hits_still_counts_sensibly(tmp_path: Path) -> None:
    """Before m005 an import kept only the papers it added or changed."""
    from sqlite_utils import Database

    from kratomlit.parse.medline_text import iter_records
    from kratomlit.parse.pubmed_xml import iter_records as iter_xml
    from kratomlit.store import PAPER_COLUMNS, paper_rows

    path = tmp_path / "old.db"
    db = Database(path)  # the schema before m005, filled as kratomlit then did
    migrations.migrations.apply(db, stop_before="m005_import_hits")
    files = [str(PUBMED / "pubmed-29768149.xml"), str(MEDLINE)]
    imported = [*iter_xml(PUBMED / "pubmed-29768149.xml"), *iter_records(MEDLINE)]
    unrecorded = next(iter_records(PUBMED / "medline-pubmed_result2.txt"))
    with db.conn:
        for run_id, options in ((1, {"files": files}), (2, {"files": [str(MEDLINE)]})):
            db.table("fetch_runs").insert({"id": run_id, "kind": "import", "status": "ok",
                                           "query": "import", "options": json.dumps(options)})
        for paper, source in [*((p, "import:x") for p in imported), (unrecorded, "fetch")]:
            values = dict(zip(PAPER_COLUMNS, paper_rows(paper)[0], strict=True))
            db.table("papers").insert({**values, "source": source})
        # the re-import (run 2) added nothing, so the old schema kept nothing of it
        db.table("run_papers").insert_all([{"run_id": 1, "pmid": p.pmid, "action": "new"}
                                           for p in imported])
    db.close()
    with Store(path) as store:
        assert sorted(store.schema_version()) == sorted(migrations.SCHEMA_VERSION_NAMES)
        found = prisma.flow(store)
    # The re-import left no trace in the old schema, so it cannot be counted.
    assert [(s.name, s.records) for s in found.sources] == [
        ("Files: pubmed-29768149.xml, medline-pubmed_result1.txt", 2),
        ("PubMed (query not recorded)", 1)]
    assert (found.identified, found.duplicates_removed, found.awaiting) == (3, 0, 3)


def test_svg_is_a_prisma_2020_diagram(runner: CliRunner, served: list[int],
                                      tmp_path: Path) -> None:
    from kratomlit.jobs.fetch_pubmed import default_query

    ok(runner, "fetch", "--quiet")  # the long default query: its name must wrap
    ok(runner, "import", str(MEDLINE), "--quiet")
    ok(runner, "screen", "set", "2930949", "exclude", "--reason", "wrong population "
       "(adolescents and adults with a very long protocol reason)", "--reviewer", "ana")
    drawing = tmp_path / "flow.svg"
    ok(runner, "prisma", "--svg", str(drawing))
    root = ET.fromstring(drawing.read_text("utf-8"))  # well-formed XML, by the standard library
    ns = {"s": "http://www.w3.org/2000/svg"}
    texts = [t.text or "" for t in root.iterfind(".//s:text", ns)]
    for phase in ("Identification", "Screening", "Included"):
        assert phase in texts
    joined = " ".join(texts)
    assert "PubMed: kratom[tiab] OR" in joined and "File: medline-pubmed_result1.txt" in joined
    assert all(word in joined for word in default_query().split())  # wrapped, never cut off
    assert f"Records identified (n = {len(served) + 1})" in joined
    assert "Records excluded (n = 1)" in joined

    boxes = [r for r in root.iterfind(".//s:rect", ns) if r.get("class") == "box"]
    arrows = [a for a in root.iterfind(".//s:line", ns) if a.get("class") == "arrow"]
    assert len(boxes) == 7

    def edge(rect: ET.Element, x: float, y: float) -> bool:
        left, top = float(rect.get("x", 0)), float(rect.get("y", 0))
        right, bottom = left + float(rect.get("width", 0)), top + float(rect.get("height", 0))
        on_side = abs(x - left) < 0.5 and top < y < bottom
        on_top = abs(y - top) < 0.5 and left < x < right
        return on_side or on_top

    for rect in boxes[1:]:
        assert any(edge(rect, float(a.get("x2", 0)), float(a.get("y2", 0))) for a in arrows), (
            rect.attrib)
    assert not any(edge(boxes[0], float(a.get("x2", 0)), float(a.get("y2", 0)))
                   for a in arrows)
    # Every line of text starts inside its box and ends before the box's right edge.
    for text in root.iterfind(".//s:text", ns):
        if text.get("transform"):
            continue  # a phase label, rotated in its bar
        x, y = float(text.get("x", 0)), float(text.get("y", 0))
        bold = text.get("font-weight") == "bold"
        home = [r for r in root.iterfind(".//s:rect", ns) if r.get("class") in (
            "box", "heading") and float(r.get("x", 0)) < x < float(r.get("x", 0))
            + float(r.get("width", 0)) and float(r.get("y", 0)) < y < float(r.get("y", 0))
            + float(r.get("height", 0))]
        assert len(home) == 1, text.text
        right = float(home[0].get("x", 0)) + float(home[0].get("width", 0))
        assert x + prisma.text_width(text.text or "", bold=bold) < right, text.text


def test_an_import_landing_while_counting_changes_no_number(
        real_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(real_db)
    before = prisma.flow(store)
    sources = prisma._sources

    def then_an_import(counted: Store) -> list[prisma.Source]:
        found = sources(counted)
        with Store(real_db) as other:  # another process imports a new record meanwhile
            import_files(other, [MEDLINE])
        return found

    monkeypatch.setattr(prisma, "_sources", then_an_import)
    assert prisma.flow(store) == before
    monkeypatch.undo()
    assert prisma.flow(store).identified == before.identified + 1


# -- citation searching: PRISMA 2020's "other methods" column ---------------------------------

CITED_QUERY = "kratom[tiab] AND 1:12000000[uid]"  # finds 9997 ... 11748933
CITES = {2930949: [11446611, 28775130, 28786991, 29768149],  # 11446611: the query found it
         30108519: [2930949], 36400559: [28775130]}  # 36400559: two steps away


def test_citation_found_records_are_a_column_of_their_own_and_the_identities_hold(
        runner: CliRunner, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    server = FakeEutils(real_articles(), citations=CITES)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(server.handler)
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", httpserver.url_for("/entrez/eutils/"))
    ok(runner, "fetch", "--query", CITED_QUERY, "--quiet")
    decide(runner, 2930949, "include", "ana")
    ok(runner, "snowball", "--quiet")
    # A file import finds one of them too: it is a database record from then on.
    ok(runner, "import", str(PUBMED / "pubmed-29768149.xml"), "--quiet")
    decide(runner, 11446611, "exclude", "ana", "wrong population")
    decide(runner, 28775130, "include", "ana")
    decide(runner, 28786991, "exclude", "ana", "wrong design")
    decide(runner, 30108519, "maybe", "ana")

    found = json.loads(ok(runner, "prisma", "--format", "json"))
    searched = {p for p in (r.pmid for r in server.records) if p <= 12_000_000}
    cited_only = {28775130, 28786991, 30108519}
    databases, other = found["databases"], found["other_methods"]
    assert databases["identified"] == len(searched) + 1 == 6  # and the imported file
    assert (databases["screened"], databases["included"], databases["excluded"],
            databases["awaiting"]) == (2, 1, 1, 6 - 2)
    assert (other["identified"], other["duplicates_removed"]) == (len(cited_only), 0)
    assert (other["screened"], other["included"], other["excluded"], other["maybe"],
            other["awaiting"]) == (3, 1, 1, 1, 0)
    assert other["excluded_reasons"] == {"wrong design": 1}
    assert [(s["name"], s["records"]) for s in found["sources"]][-1] == (
        "Citation searching: references, citing papers", 3)
    for column in (databases, other, found):
        assert column["identified"] - column["duplicates_removed"] == (
            column["screened"] + column["awaiting"])
        assert column["screened"] == (column["included"] + column["excluded"]
                                      + column["maybe"] + column["conflicts"])
    for name in ("identified", "screened", "included", "excluded", "awaiting"):
        assert found[name] == databases[name] + other[name]
    table = json.loads(ok(runner, "table", "--format", "json", "--include-retracted"))
    assert len(table) == found["screened"] + found["awaiting"]

    markdown = ok(runner, "prisma", "--format", "md")
    assert "| PRISMA 2020 stage | Databases and registers | Other methods | Total |" in markdown
    assert "| Records identified | 6 | 3 | 9 |" in markdown
    assert "| Studies included | 1 | 1 | 2 |" in markdown
    text = ok(runner, "prisma")
    assert "PRISMA 2020: via other methods" in text and "Studies included in review: 2" in text

    drawing = tmp_path / "flow.svg"
    ok(runner, "prisma", "--svg", str(drawing))
    root = ET.fromstring(drawing.read_text("utf-8"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    joined = " ".join(t.text or "" for t in root.iterfind(".//s:text", ns))
    assert "Identification of studies via other methods" in joined
    assert "Records identified (n = 3)" in joined and "Records screened (n = 3)" in joined
    assert "Studies included in review (n = 2)" in joined
    boxes = [r for r in root.iterfind(".//s:rect", ns) if r.get("class") == "box"]
    arrows = [a for a in root.iterfind(".//s:line", ns) if a.get("class") == "arrow"]
    assert len(boxes) == 13  # six a column and the studies included

    def arrow_into(rect: ET.Element) -> bool:
        left, top = float(rect.get("x", 0)), float(rect.get("y", 0))
        right, bottom = left + float(rect.get("width", 0)), top + float(rect.get("height", 0))
        return any((abs(float(a.get("x2", 0)) - x) < 0.5 and top < float(a.get("y2", 0))
                    < bottom) or (abs(float(a.get("y2", 0)) - top) < 0.5
                                  and left < float(a.get("x2", 0)) < right)
                   for a in arrows for x in (left, right))

    starts = [b for b in boxes if (b.get("y") == boxes[0].get("y")
                                   and not arrow_into(b))]
    assert len(starts) == 2  # only each column's records identified has no arrow into it
    assert all(arrow_into(b) for b in boxes if b not in starts)
