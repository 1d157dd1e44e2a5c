"""The order of the interactive screen (``review/order.py``): relevance re-ranked after each
decision with the reviewer's own model, date, and seeded random order; the stopping notice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kratomlit.errors import UsageError
from kratomlit.review import ranking
from kratomlit.review.order import Queue
from kratomlit.store import Store

from conftest import LABELS


def _labels(question: str, db: Path) -> dict[int, bool]:
    """The hand labels (by PMID) of the papers, by paper id."""
    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    if question == "rct":
        labels = {int(r["pmid"]): r["design"] in ("rct", "controlled-trial") for r in rows}
    else:
        labels = {int(r["pmid"]): "mood" in r["outcomes"] for r in rows}
    with Store(db) as store:
        ids = store.ids_by_pmid(labels)
    return {ids[pmid]: label for pmid, label in labels.items()}


def _ranker(db: Path, priors: frozenset[int] = frozenset()) -> ranking.Ranker:
    with Store(db) as store:
        rows = list(store.texts())
    return ranking.Ranker(ranking.cached_features(ranking.cache_path(db), rows), priors=priors)


def _walk(queue: Queue, labels: dict[int, bool], n: int) -> list[int]:
    """Screen ``n`` papers as a reviewer who knows the labels would; the PMIDs shown."""
    shown = []
    for _ in range(n):
        nxt = queue.next()
        assert nxt is not None
        shown.append(nxt.pmid)
        queue.decide(nxt.pmid, "include" if labels[nxt.pmid] else "exclude")
    return shown


def test_random_order_is_seeded_and_keeps_its_order_when_resumed() -> None:
    selection = list(range(1000, 1100))
    first = Queue(selection, {}, set(), "random", seed=7)
    order = list(first.pool)
    assert sorted(order) == selection and order != selection
    assert Queue(selection, {}, set(), "random", seed=7).pool == order
    assert Queue(selection, {}, set(), "random", seed=8).pool != order
    # Resumed after ten decisions, the papers left come in the same order as before.
    done = set(order[:10])
    resumed = Queue(selection, dict.fromkeys(done, "exclude"), done, "random", seed=7)
    assert resumed.pool == order[10:]
    nxt = resumed.next()
    assert nxt is not None and nxt.pmid == order[10] and nxt.order == "random"
    assert nxt.view.rank is None


def test_relevance_waits_in_date_order_then_reranks_after_each_decision(real_db: Path
                                                                        ) -> None:
    labels = _labels("mood", real_db)
    selection = list(labels)  # the labels' order stands in for the table's
    queue = Queue(selection, {}, set(), "relevance", ranker=_ranker(real_db))
    first = queue.next()
    assert first is not None and first.pmid == selection[0] and first.order == "date"
    assert first.waiting == "an include (or maybe) and an exclusion"
    assert not labels[first.pmid]
    queue.decide(first.pmid, "exclude")
    second = queue.next()
    assert second is not None and second.pmid == selection[1]
    assert second.waiting == "an include (or maybe)"
    # The first relevant paper in date order, included: the model starts.
    relevant = next(p for p in selection if labels[p])
    queue.decide(relevant, "include")
    ranked = queue.next()
    assert ranked is not None and ranked.order == "relevance" and ranked.waiting is None
    assert ranked.view.rank == 1 and ranked.ranked == len(selection) - 2
    shown = _walk(queue, labels, 10)
    in_date_order = [p for p in selection if p not in (first.pmid, relevant)][:10]
    assert sum(labels[p] for p in shown) >= 5 > sum(labels[p] for p in in_date_order)
    # Deterministic: a session resumed with the same decisions shows the same paper next.
    again = Queue(selection, queue.decisions, set(queue.decisions), "relevance",
                  ranker=_ranker(real_db))
    resumed, going_on = again.next(), queue.next()
    assert resumed is not None and going_on is not None
    assert (resumed.pmid, resumed.view) == (going_on.pmid, going_on.view)


def test_priors_start_the_model_and_undo_brings_a_paper_back_first(real_db: Path) -> None:
    labels = _labels("rct", real_db)
    selection = list(labels)
    relevant = [p for p in selection if labels[p]]
    queue = Queue(selection, {}, set(), "relevance",
                  ranker=_ranker(real_db, frozenset(relevant[:2])))
    first = queue.next()
    assert first is not None and first.waiting == "an exclusion"
    assert not labels[first.pmid]
    queue.decide(first.pmid, "exclude")
    nxt = queue.next()
    assert nxt is not None and nxt.order == "relevance" and labels[nxt.pmid]
    queue.decide(nxt.pmid, "include")
    after = queue.next()
    assert after is not None and after.pmid != nxt.pmid
    # Undo: the paper is shown again at once, whatever its rank now.
    decisions = {first.pmid: "exclude"}
    assert queue.undone(nxt.pmid, decisions, set(decisions))
    back = queue.next()
    assert back is not None and back.pmid == nxt.pmid and back.position == 2
    queue.skip(back.pmid)
    skipped = queue.next()
    assert skipped is not None and skipped.pmid != nxt.pmid


def test_the_notice_appears_at_the_heuristics_threshold(real_db: Path) -> None:
    labels = _labels("rct", real_db)
    relevant = next(p for p in labels if labels[p])
    irrelevant = [p for p in labels if not labels[p]]
    selection = [relevant, *irrelevant[:29]]  # 30 papers: 10% is 3 screened
    queue = Queue(selection, {}, set(), "relevance", ranker=_ranker(real_db),
                  rule=ranking.StopRule(run=4))
    queue.decide(relevant, "include")
    queue.decide(irrelevant[0], "exclude")
    notices = []
    for _ in range(5):
        nxt = queue.next()
        assert nxt is not None
        notices.append((nxt.view.excludes_in_a_row, nxt.view.notice))
        queue.decide(nxt.pmid, "exclude")
    assert [run for run, _ in notices] == [1, 2, 3, 4, 5]
    assert [notice is not None for _, notice in notices] == [False, False, False, True, True]
    assert "(SAFE-style): 4 exclusions in a row, with 5 of 30 records" in str(notices[3][1])
    assert "not a guarantee" in str(notices[3][1])
    # In date order the heuristic does not hold (it assumes the likeliest came first).
    dated = Queue(selection, dict.fromkeys(irrelevant[:10], "exclude"), set(irrelevant[:10]),
                  "date", rule=ranking.StopRule(run=4))
    nxt = dated.next()
    assert nxt is not None and nxt.view.excludes_in_a_row == 10 and nxt.view.notice is None


def test_unknown_order_and_bad_stop_rule_are_refused() -> None:
    with pytest.raises(UsageError, match="unknown --order 'best'"):
        Queue([1, 2], {}, set(), "best")
    with pytest.raises(UsageError, match="count or a percentage"):
        ranking.StopRule.parse("lots", 100)
    assert ranking.StopRule.parse("5%", 617).run == 31
