"""The order one reviewer screens papers in, kept up to date as they decide.

- ``relevance`` (the default): the reviewer's own model (``ranking.Ranker``), retrained on
  their decisions after every one, puts the likeliest relevant paper next. It needs a
  relevant and an excluded paper to learn from; until then the papers come in date order
  and ``Next.waiting`` says why.
- ``date``: the table's order (strongest design first, then newest), as screening always was.
- ``random``: shuffled by a seed. Each paper's place comes from a hash of the seed and its
  PMID, so the same seed gives the same order, and a session resumed after some decisions
  keeps the papers left in the same order.

Pure code: the screen hands in the selection, the reviewer's decisions and the features,
and records each decision in the store itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from kratomlit.errors import UsageError
from kratomlit.review.ranking import Ranker, Ranking, ScreenView, StopRule, screen_view

ORDERS = ("relevance", "date", "random")


def check_order(order: str) -> str:
    if order.strip().lower() not in ORDERS:
        raise UsageError(f"unknown --order {order!r}: choose {', '.join(ORDERS)}")
    return order.strip().lower()


def _shuffled(pmids: list[int], seed: int) -> list[int]:
    def place(pmid: int) -> bytes:
        return hashlib.blake2b(f"{seed}:{pmid}".encode(), digest_size=8).digest()

    return sorted(pmids, key=place)


@dataclass(frozen=True)
class Next:
    """The paper to show, where it stands, and what to tell the reviewer beside it."""

    pmid: int
    position: int  # 1 = the first paper of this session
    total: int  # papers in this session: decided in it, skipped, and still to screen
    order: str  # the order it was chosen in: relevance, date or random
    view: ScreenView  # rank (relevance order only), exclusions in a row, estimate, notice
    ranked: int  # papers the model ranked (unscreened, not skipped); 0 without a model
    waiting: str | None  # what relevance order waits for: "an exclusion"


class Queue:
    """The papers one reviewer has still to screen in a selection, in the chosen order.

    ``selection``: the selected PMIDs in table order, decided or not; ``decisions``: pmid ->
    this reviewer's latest decision on every paper, oldest first (the model learns from all
    of them); ``done``: the papers this reviewer has decided, resolutions included. The
    run of exclusions, the estimate and the stopping notice count the selection only."""

    def __init__(self, selection: list[int], decisions: Mapping[int, str], done: set[int],
                 order: str = "relevance", *, ranker: Ranker | None = None, seed: int = 0,
                 rule: StopRule | None = None) -> None:
        self.order, self.seed = check_order(order), seed
        self.selection = set(selection)
        pool = [p for p in selection if p not in done]
        self.pool = _shuffled(pool, seed) if self.order == "random" else pool
        self.decisions = dict(decisions)
        self.ranker = ranker if self.order == "relevance" else None
        self.rule = rule or StopRule()
        self.skipped: set[int] = set()
        self.decided: list[int] = []  # this session's, in order
        self.front: int | None = None  # an undone paper, shown again at once
        self._ranking: Ranking | None = None
        self._ranked = False

    def next(self) -> Next | None:
        """The paper to show next; None when every paper left has been skipped."""
        candidates = [p for p in self.pool if p not in self.skipped]
        if not candidates:
            return None
        ranking = self._rank(candidates)
        if self.front in candidates:
            pmid = self.front
        else:
            pmid = ranking.pmids[0] if ranking is not None else candidates[0]
        history = [d for p, d in self.decisions.items() if p in self.selection]
        view = screen_view(ranking, pmid, history, len(self.pool), self.rule)
        if ranking is None:  # the heuristic assumes the likeliest papers came first
            view = replace(view, notice=None)
        shown_in = "relevance" if ranking is not None else self.order.replace("relevance",
                                                                               "date")
        return Next(pmid, len(self.decided) + len(self.skipped) + 1,
                    len(self.decided) + len(self.pool), shown_in, view,
                    len(ranking.pmids) if ranking is not None else 0, self._waiting(ranking))

    def _rank(self, candidates: list[int]) -> Ranking | None:
        if self.ranker is None:
            return None
        if not self._ranked:
            self._ranking = self.ranker.rank(self.decisions, candidates)
            self._ranked = True
        return self._ranking

    def _waiting(self, ranking: Ranking | None) -> str | None:
        if self.order != "relevance" or ranking is not None:
            return None
        labels = set(self.ranker.labels(self.decisions).values()) if self.ranker else set()
        if not labels:
            return "an include (or maybe) and an exclusion"
        return "an exclusion" if True in labels else "an include (or maybe)"

    def _changed(self) -> None:
        self._ranked = False

    def decide(self, pmid: int, decision: str) -> None:
        """The reviewer decided this paper (recorded in the store already)."""
        self.pool.remove(pmid)
        self.decisions.pop(pmid, None)  # a decision made again moves to the end
        self.decisions[pmid] = decision
        self.decided.append(pmid)
        self.front = None if self.front == pmid else self.front
        self._changed()

    def skip(self, pmid: int) -> None:
        """Set aside for this session; still unscreened."""
        self.skipped.add(pmid)
        self.front = None if self.front == pmid else self.front
        self._changed()

    def gone(self, pmid: int) -> None:
        """Withdrawn (or otherwise out of the selection) since the session started."""
        self.pool.remove(pmid)
        self._changed()

    def undone(self, pmid: int, decisions: Mapping[int, str], done: set[int]) -> bool:
        """The reviewer's latest decision, on ``pmid``, was taken back: ``decisions`` and
        ``done`` as the store now has them. The paper comes back first when it is in the
        selection; returns whether the decision was one of this session's."""
        self.decisions = dict(decisions)
        ours = pmid in self.decided
        if ours:
            self.decided.remove(pmid)
        if pmid in self.selection and pmid not in done:
            if pmid not in self.pool:
                self.pool.append(pmid)
            self.skipped.discard(pmid)
            self.front = pmid
        self._changed()
        return ours
