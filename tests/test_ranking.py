"""Screening prioritisation: features and their cache, the model, stopping, the simulation's
measures (checked by hand) and the simulation itself on the real records."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from kratomlit.errors import UsageError
from kratomlit.review import ranking, screening, simulation
from kratomlit.store import Store

from conftest import LABELS, PUBMED, paper_id


def _dev(db: Path, question: str, irrelevant: int | None = None) -> dict[int, bool]:
    """An inclusion question over the hand labels of ../shared/labels/dev.jsonl (with only
    the first ``irrelevant`` irrelevant papers, to keep a simulation quick), by paper id."""
    rows = [json.loads(line) for line in LABELS.read_text().splitlines()]
    if question == "rct":
        labels = {int(r["pmid"]): r["design"] in ("rct", "controlled-trial") for r in rows}
    else:
        labels = {int(r["pmid"]): "mood" in r["outcomes"] for r in rows}
    if irrelevant is not None:
        dropped = [p for p, included in labels.items() if not included][irrelevant:]
        labels = {p: included for p, included in labels.items() if p not in dropped}
    with Store(db) as store:
        ids = store.ids_by_pmid(labels)
    return {ids[pmid]: included for pmid, included in labels.items()}


def _features(db: Path) -> ranking.Features:
    with Store(db) as store:
        rows = list(store.texts())
    return ranking.cached_features(ranking.cache_path(db), rows)


# -- the measures, by hand ---------------------------------------------------------------


def test_measures_by_hand() -> None:
    # 20 records in screening order, relevant at positions 1, 3, 4, 9 and 15 (R = 5).
    order = [i in (1, 3, 4, 9, 15) for i in range(1, 21)]
    got = simulation.measure(order, ranking.StopRule(run=5, min_screened=0.10))
    # 95% of 5 is 4.75 -> 5 records to find -> the 5th relevant, at position 15.
    assert got.screened95 == 15
    assert got.screened100 == 15
    # WSS@95 = (N - screened)/N - 0.05 = (20 - 15)/20 - 0.05 = 0.25 - 0.05 = 0.20
    assert got.wss95 == Fraction(20, 100)
    # RRF@10: the first floor(20/10) = 2 records hold 1 of the 5 relevant -> 1/5
    assert got.rrf10 == Fraction(1, 5)
    # ATD: mean position (1+3+4+9+15)/5 = 32/5 = 6.4, as a share of 20 -> 6.4/20 = 0.32
    assert got.atd == Fraction(32, 100)
    # Notice (5 exclusions in a row, at least 2 records screened): the run 5,6,7,8 breaks
    # at 9; 10,11,12,13,14 are five in a row -> shown after record 14, with 4 of 5 found.
    assert got.notice_screened == 14
    assert got.notice_recall == Fraction(4, 5)
    assert got.notice_left == 1
    # Its estimate then: the last 14 decisions hold 4 relevant; 6 records left.
    assert got.notice_estimate == ranking.remaining_relevant(
        ["include" if r else "exclude" for r in order[:14]], 6).upper


def test_measures_of_a_perfect_and_a_reversed_order() -> None:
    perfect = simulation.measure([True] * 4 + [False] * 36)
    # all 4 found after 4 of 40: WSS = 36/40 - 0.05 = 0.85; RRF@10 = 4/4; ATD = 2.5/40
    assert (perfect.wss95, perfect.rrf10, perfect.atd) == (Fraction(85, 100), 1,
                                                           Fraction(25, 400))
    worst = simulation.measure([False] * 36 + [True] * 4, ranking.StopRule(run=20))
    # all 4 last: WSS = 0/40 - 0.05; none in the first 4; ATD = 38.5/40
    assert (worst.wss95, worst.rrf10, worst.atd) == (Fraction(-5, 100), 0, Fraction(385, 400))
    # 20 exclusions in a row (and 20 >= 10% of 40): the notice, with nothing found yet
    assert worst.notice_screened == 20 and worst.notice_recall == 0 and worst.notice_left == 4


def test_remaining_relevant_by_hand() -> None:
    history = ["include"] * 3 + ["exclude"] * 100
    left = ranking.remaining_relevant(history, unscreened=900)
    # The last 100 decisions hold no include: estimate 0; the one-sided 95% Clopper-Pearson
    # bound for 0 of 100 is 1 - 0.05^(1/100) = 1 - exp(ln(0.05)/100) = 0.029513...
    # -> 0.029513 * 900 = 26.56 -> at most 27.
    assert left == ranking.Remaining(estimate=0, upper=27, found=0, window=100)
    # 1 maybe (it counts as relevant) among 4: estimate 1/4 * 40 = 10
    some = ranking.remaining_relevant(["exclude", "maybe", "exclude", "exclude"], 40)
    assert some is not None and (some.estimate, some.found, some.window) == (10, 1, 4)
    assert ranking.remaining_relevant([], 40) is None


def test_excludes_in_a_row_and_the_stop_rule() -> None:
    assert ranking.excludes_in_a_row(["exclude", "include", "exclude", "exclude"]) == 2
    assert ranking.excludes_in_a_row(["exclude", "maybe"]) == 0  # a maybe ends the run
    rule = ranking.StopRule()  # 50 in a row, at least 10% screened
    assert rule.notice(["exclude"] * 49, total=400) is None
    notice = rule.notice(["exclude"] * 50, total=400)
    assert notice is not None and "50 exclusions in a row" in notice
    assert "50 of 400 records" in notice
    assert rule.notice(["exclude"] * 50, total=600) is None  # 50 < 10% of 600
    assert ranking.StopRule.parse("5%", total=3000).run == 150
    assert ranking.StopRule.parse("20", total=3000).run == 20
    for bad in ("", "0", "many", "-5%"):
        with pytest.raises(UsageError):
            ranking.StopRule.parse(bad, total=100)


# -- features and their cache ------------------------------------------------------------


def test_features_are_cached_and_rebuilt_when_papers_change(real_db: Path) -> None:
    from kratomlit.parse.pubmed_xml import iter_records
    from kratomlit.records import AbstractSection

    first = _features(real_db)
    cache = ranking.cache_path(real_db)
    assert cache.is_file() and first.matrix.shape[0] == len(first.pmids)
    stamp = cache.stat().st_mtime_ns
    again = _features(real_db)  # same papers: read from the cache, not rebuilt
    assert cache.stat().st_mtime_ns == stamp
    assert (again.matrix != first.matrix).nnz == 0

    # A changed abstract (NCBI revised the record) must never be ranked by its old text.
    paper = next(iter_records(PUBMED / "pubmed-29768149.xml"))
    changed = dataclasses.replace(paper, abstract_sections=[
        AbstractSection("Kratom withdrawal and depressive mood.")])
    with Store(real_db) as store:
        store.save_papers([changed], source="test")
        rows = list(store.texts())
    with np.load(cache) as saved:
        key = str(saved["key"])
    after = _features(real_db)
    with np.load(cache) as saved:
        assert str(saved["key"]) != key  # rebuilt, and cached under the new key
    fresh = ranking.build_features(rows)
    assert (after.matrix != fresh.matrix).nnz == 0
    with Store(real_db) as store:
        changed_id = paper_id(store, paper.pmid)
    row = after.matrix[after.index[changed_id]]
    assert row.nnz < first.matrix[first.index[changed_id]].nnz  # the short new abstract

    # A withdrawn paper leaves the features.
    with Store(real_db) as store:
        store.mark_deleted([paper.pmid])
    assert changed_id not in _features(real_db).index


def test_no_papers_no_features(tmp_path: Path) -> None:
    from kratomlit.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no papers"):
        ranking.cached_features(tmp_path / "x.db-ranking.npz", [])
    with pytest.raises(NotFoundError, match="no text"):
        ranking.cached_features(tmp_path / "x.db-ranking.npz", [(1, "h", "The", None, [], None)])
    assert not (tmp_path / "x.db-ranking.npz").exists()


def test_a_damaged_cache_is_rebuilt(real_db: Path) -> None:
    built = _features(real_db)
    ranking.cache_path(real_db).write_bytes(b"PK\x03\x04 not really a zip")
    again = _features(real_db)
    assert (again.matrix != built.matrix).nnz == 0
    assert list(again.pmids) == list(built.pmids)


# -- the model ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["rct", "mood"])
def test_a_relevant_paper_comes_first_after_a_few_decisions(real_db: Path,
                                                            question: str) -> None:
    labels = _dev(real_db, question)
    features = _features(real_db)
    ranker = ranking.Ranker(features)
    relevant = [p for p, included in labels.items() if included]
    irrelevant = [p for p, included in labels.items() if not included]
    # A reviewer who knows two relevant papers screens five more, the model's pick each time.
    decisions = {relevant[0]: "include", relevant[1]: "include", irrelevant[0]: "exclude"}
    queue = [p for p in labels if p not in decisions]
    before = ranker.rank(decisions, queue)
    assert before is not None
    for _ in range(5):
        ranking_now = ranker.rank(decisions, queue)
        assert ranking_now is not None
        pmid = ranking_now.pmids[0]
        decisions[pmid] = "include" if labels[pmid] else "exclude"
        queue.remove(pmid)
    after = ranker.rank(decisions, queue)
    assert after is not None and labels[after.pmids[0]], "the next paper is not relevant"
    # Five decisions later the top of the queue is richer than the labels on the whole.
    top = [labels[p] for p in after.pmids[:20]]
    assert sum(top) / 20 > 3 * sum(labels.values()) / len(labels)
    assert after.pmids != [p for p in before.pmids if p in queue]  # it learned


def test_the_model_waits_for_both_kinds_and_counts_maybe_and_priors_as_relevant(
        real_db: Path) -> None:
    labels = _dev(real_db, "rct")
    relevant = [p for p, included in labels.items() if included]
    irrelevant = [p for p, included in labels.items() if not included]
    queue = irrelevant[5:100] + relevant[5:]
    ranker = ranking.Ranker(_features(real_db))
    assert ranker.rank({relevant[0]: "include"}, queue) is None
    assert ranker.rank({irrelevant[0]: "exclude"}, queue) is None
    assert ranker.labels({relevant[0]: "maybe", irrelevant[0]: "exclude"}) == {
        relevant[0]: True, irrelevant[0]: False}
    as_maybe = ranker.rank({relevant[0]: "maybe", irrelevant[0]: "exclude"}, queue)
    as_include = ranker.rank({relevant[0]: "include", irrelevant[0]: "exclude"}, queue)
    assert as_maybe is not None and as_include is not None
    assert as_maybe.pmids == as_include.pmids
    with_prior = dataclasses.replace(ranker, priors=frozenset({relevant[0]}))
    from_prior = with_prior.rank({irrelevant[0]: "exclude"}, queue)
    assert from_prior is not None and from_prior.pmids == as_include.pmids
    # The reviewer's own decision on a prior overrides it.
    assert with_prior.rank({relevant[0]: "exclude"}, queue) is None
    assert sorted(as_include.pmids) == sorted(queue)  # every candidate, once
    # A paper added since the features were built has no features yet: it goes last.
    late = ranker.rank({relevant[0]: "include", irrelevant[0]: "exclude"}, [99999999, *queue])
    assert late is not None and late.pmids == [*as_include.pmids, 99999999]
    with pytest.raises(UsageError, match="unknown model"):
        ranking.Ranker(ranker.features, model="svm")


def test_two_reviewers_each_get_their_own_model(real_db: Path) -> None:
    labels = _dev(real_db, "mood")
    relevant = [p for p, included in labels.items() if included]
    irrelevant = [p for p, included in labels.items() if not included]
    ranker = ranking.Ranker(_features(real_db))
    queue = [p for p in labels if p not in relevant[:3] + irrelevant[:3]]
    with Store(real_db) as store:
        for pmid in relevant[:3]:
            screening.record(store, pmid, "include", reviewer="ana")
        for pmid in irrelevant[:3]:
            screening.record(store, pmid, "exclude", reviewer="ana", reason="wrong outcome")
        alone = ranker.rank(screening.reviewer_decisions(store)["ana"], queue)
        # Ben disagrees on every paper; Ana's model never sees his decisions.
        for pmid in relevant[:3]:
            screening.record(store, pmid, "exclude", reviewer="ben", reason="wrong outcome")
        for pmid in irrelevant[:3]:
            screening.record(store, pmid, "include", reviewer="ben")
        per_reviewer = screening.reviewer_decisions(store)
    ana = ranker.rank(per_reviewer["ana"], queue)
    ben = ranker.rank(per_reviewer["ben"], queue)
    assert alone is not None and ana is not None and ben is not None
    assert ana.pmids == alone.pmids
    assert ben.pmids != ana.pmids


def test_screen_view_tells_rank_run_estimate_and_notice(real_db: Path) -> None:
    labels = _dev(real_db, "rct")
    relevant = [p for p, included in labels.items() if included]
    irrelevant = [p for p, included in labels.items() if not included]
    ranker = ranking.Ranker(_features(real_db))
    decisions = {relevant[0]: "include"} | dict.fromkeys(irrelevant[:70], "exclude")
    queue = [p for p in labels if p not in decisions]
    ranked = ranker.rank(decisions, queue)
    assert ranked is not None
    history = list(decisions.values())
    view = ranking.screen_view(ranked, ranked.pmids[2], history, len(queue))
    assert view.rank == 3 and view.unscreened == len(queue) == 546
    assert view.excludes_in_a_row == 70
    # 1 include in the 71 decisions: about round(1/71 * 546) = round(7.69) = 8 left
    assert view.remaining is not None and view.remaining.estimate == 8
    assert view.remaining.upper > 8
    # 71 screened of 617 is 11.5%, past the 10% the rule asks for
    assert view.notice is not None and "70 exclusions in a row" in view.notice
    early = ranking.screen_view(None, queue[0], history[:2], len(queue))
    assert early.rank is None and early.notice is None


# -- the simulation ----------------------------------------------------------------------


def test_simulation_is_deterministic_and_beats_random_order(real_db: Path) -> None:
    labels = _dev(real_db, "rct", irrelevant=150)
    features = _features(real_db)
    first = simulation.simulate(features, labels, runs=2, seed=7)
    again = simulation.simulate(features, labels, runs=2, seed=7)
    other = simulation.simulate(features, labels, runs=2, seed=8)
    assert first.model_orders == again.model_orders
    assert first.random_orders == again.random_orders
    assert first.model_orders != other.model_orders
    assert first.records == 195 and first.relevant == 46  # 197 and 47, less the priors
    summary = first.as_dict()
    for run in range(2):
        # The shares agree with the counts: WSS@95 = (N - screened for 95%)/N - 5%.
        screened = summary["ranked"]["screened95"]["runs"][run]
        assert summary["ranked"]["wss95"]["runs"][run] == round((195 - screened) / 195 * 100
                                                                - 5, 2)
        assert sum(first.model_orders[run]) == 46 and len(first.model_orders[run]) == 195
    assert summary["ranked"]["rrf10"]["min"] > summary["random"]["rrf10"]["max"]
    assert summary["ranked"]["atd"]["max"] < summary["random"]["atd"]["min"]


def test_simulation_refuses_labels_it_cannot_replay(real_db: Path) -> None:
    from kratomlit.errors import InputFileError

    features = _features(real_db)
    labels = _dev(real_db, "rct")
    with pytest.raises(UsageError):
        simulation.simulate(features, labels, runs=0)
    with pytest.raises(UsageError):
        simulation.simulate(features, labels, prior_excluded=0)
    one_relevant = dict.fromkeys(list(labels)[:30], False) | {next(
        p for p, included in labels.items() if included): True}
    with pytest.raises(InputFileError, match="1 included"):
        simulation.simulate(features, one_relevant)


def test_recall_curve_svg_is_valid_and_labelled(real_db: Path) -> None:
    import xml.etree.ElementTree as ET

    sim = simulation.simulate(_features(real_db), _dev(real_db, "mood", irrelevant=100), runs=2,
                              seed=1)
    root = ET.fromstring(simulation.recall_svg(sim))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    assert "Records screened (% of 135)" in texts  # 37 + 100 labelled, less the priors
    assert "Relevant records found (% of 36)" in texts
    curves = list(root.iter(f"{ns}polyline"))
    assert len(curves) == 4  # 2 model runs, 2 random runs
    # Every curve starts at 0% and ends at 100% recall, at 100% screened.
    for curve in curves:
        points = [tuple(map(float, p.split(","))) for p in curve.get("points", "").split()]
        assert points[0] == (70.0, 370.0) and points[-1] == (610.0, 50.0)
        assert all(b[0] >= a[0] and b[1] <= a[1] for a, b in zip(points, points[1:], strict=False))
    assert np.isfinite([float(x) for x in root.get("viewBox", "").split()]).all()
