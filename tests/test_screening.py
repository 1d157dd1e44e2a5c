"""Screening decisions, agreement, duplicates and the PRISMA flow on the real records."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pytest
from lxml import etree

from kratomlit.errors import NotFoundError, UsageError
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.records import Paper
from kratomlit.review import duplicates, prisma, screening
from kratomlit.store import Store

from conftest import PUBMED


@pytest.fixture
def store(real_db: Path) -> Store:
    return Store(real_db)


def _some_ids(store: Store, n: int) -> list[int]:
    return [r[0] for r in store.db.execute(f"SELECT id FROM papers ORDER BY pmid LIMIT {n}")]


def test_decisions_agree_conflict_and_resolve(store: Store) -> None:
    a, b, c = _some_ids(store, 3)
    screening.record(store, a, "include", reviewer="ana")
    screening.record(store, a, "include", reviewer="ben")
    screening.record(store, b, "exclude", reviewer="ana", reason="wrong population")
    screening.record(store, b, "include", reviewer="ben")
    screening.record(store, c, "maybe", reviewer="ana")
    decisions = screening.effective_decisions(store)
    assert decisions[a].decision == "include" and decisions[a].reviewers == ("ana", "ben")
    assert decisions[b].decision == "conflict"
    assert decisions[c].decision == "maybe"
    assert [item["id"] for item in screening.conflicts(store)] == [b]
    screening.record(store, b, "exclude", reviewer="chair", reason="wrong population",
                     final=True)
    settled = screening.effective_decisions(store)[b]
    assert (settled.decision, settled.reason, settled.final) == ("exclude", "wrong population",
                                                                 True)
    assert screening.conflicts(store) == []
    assert screening.pmids_with_status(store, "included") == {a}
    assert screening.pmids_with_status(store, "screened") == {a, b, c}


def test_undo_removes_only_the_reviewers_latest(store: Store) -> None:
    a, b = _some_ids(store, 2)
    screening.record(store, a, "include", reviewer="ana")
    screening.record(store, b, "include", reviewer="ben")
    screening.record(store, b, "maybe", reviewer="ana")
    assert screening.undo(store, "ana") == b
    assert screening.reviewer_decisions(store) == {"ana": {a: "include"}, "ben": {b: "include"}}
    assert screening.undo(store, "nobody") is None


def test_cohen_kappa_matches_a_hand_computation() -> None:
    # 10 papers: ana includes 1-5, ben includes 1-4 and 6. Agreement on 8 of 10.
    ana = {i: "include" if i <= 5 else "exclude" for i in range(1, 11)}
    ben = {i: "include" if i <= 4 or i == 6 else "exclude" for i in range(1, 11)}
    both, agreed, kappa = screening.cohen_kappa(ana, ben)
    # p_o = 0.8; p_e = 0.5*0.5 + 0.5*0.5 = 0.5; kappa = (0.8 - 0.5) / 0.5 = 0.6
    assert (both, agreed, kappa) == (10, 8, 0.6)


def test_bad_decisions_change_nothing(store: Store) -> None:
    a = _some_ids(store, 1)[0]
    with pytest.raises(UsageError, match="needs a reason"):
        screening.record(store, a, "exclude", reviewer="ana")
    with pytest.raises(UsageError, match="unknown decision"):
        screening.record(store, a, "perhaps", reviewer="ana")
    with pytest.raises(NotFoundError):
        screening.record(store, 10**12, "include", reviewer="ana")
    assert store.db.execute("SELECT count(*) FROM screening").fetchone()[0] == 0


def test_duplicates_by_doi_but_not_errata(store: Store) -> None:
    original = next(p for p in iter_records(gzip.open(PUBMED / "test_current_medline.xml.gz"))
                    if isinstance(p, Paper) and p.doi)
    # The same article stored again under a second PMID, as PubMed occasionally has it.
    store.save_papers([dataclasses.replace(original, pmid=99_000_001)], source="test")
    notice = dataclasses.replace(original, pmid=99_000_002, doi=None,
                                 publication_types=["Published Erratum"])
    store.save_papers([notice], source="test")
    found = duplicates.find(store)
    ids = store.ids_by_pmid([99_000_001, original.pmid])
    assert [(c.pmid, c.duplicate_of, c.method) for c in found] == [
        (ids[99_000_001], ids[original.pmid], "doi")]
    duplicates.record(store, found, confirm=True)
    assert duplicates.removed(store) == {ids[99_000_001]}


def test_prisma_counts_add_up(store: Store) -> None:
    pmids = _some_ids(store, 6)  # paper ids
    screening.record(store, pmids[0], "include", reviewer="ana")
    screening.record(store, pmids[1], "exclude", reviewer="ana", reason="not about kratom")
    screening.record(store, pmids[2], "exclude", reviewer="ana", reason="wrong outcome")
    screening.record(store, pmids[3], "maybe", reviewer="ana")
    screening.record(store, pmids[4], "include", reviewer="ana")
    screening.record(store, pmids[4], "exclude", reviewer="ben", reason="wrong outcome")
    original = store.get_paper(pmids[5])
    store.db.execute("INSERT INTO duplicates (paper_id, duplicate_of, method, status) "
                     "VALUES (?, ?, 'doi', 'confirmed')", [pmids[5], pmids[0]])
    store.db.conn.commit()
    flow = prisma.flow(store)
    papers = store.db.execute("SELECT count(*) FROM papers WHERE deleted = 0").fetchone()[0]
    assert flow.identified == papers == 617
    assert flow.identified - flow.duplicates_removed == flow.screened + flow.awaiting
    assert flow.screened == flow.included + flow.excluded + flow.maybe + flow.conflicts == 5
    assert (flow.included, flow.excluded, flow.maybe, flow.conflicts) == (1, 2, 1, 1)
    assert flow.excluded_reasons == {"not about kratom": 1, "wrong outcome": 1}
    assert sum(s.records for s in flow.sources) == 617
    assert original["id"] == pmids[5]


def test_prisma_svg_is_wellformed_and_shows_the_counts(store: Store) -> None:
    screening.record(store, _some_ids(store, 1)[0], "include", reviewer="ana")
    drawing = etree.fromstring(prisma.svg(prisma.flow(store)).encode())
    assert drawing.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join(drawing.itertext())
    assert "Records identified (n = 617)" in texts and "Studies included in review (n = 1)" in texts
