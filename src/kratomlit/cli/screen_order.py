"""The order of the interactive screen, as the reviewer asks for it: ``--order``, ``--seed``,
``--prior``, ``--prior-filter`` and ``--stop-notice``, checked, and the queue they make."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated

import typer

from kratomlit.cli.options import paper_refs, resolve, study_filters
from kratomlit.errors import NotFoundError, UsageError
from kratomlit.wording import plural

if TYPE_CHECKING:
    from kratomlit.review.order import Queue
    from kratomlit.review.ranking import Ranker, StopRule
    from kratomlit.store import Store
    from kratomlit.store.selection import Filters

Order = Annotated[str, typer.Option(
    "--order", metavar="relevance|date|random",
    help="relevance (the default: your own model, retrained after every decision, shows "
    "the likeliest relevant paper next; date order until you have included a paper and "
    "excluded one), date (strongest design first, then newest) or random (see --seed).",
    show_default=False)]
Seed = Annotated[int | None, typer.Option(
    "--seed", help="The seed of --order random: the same seed, the same order [default 0].",
    show_default=False)]
Prior = Annotated[list[str] | None, typer.Option(
    "--prior", help="Count this paper (PMID, doi:… or id:N) as relevant, to start the "
    "relevance model, until you decide it (repeatable or comma-separated).",
    show_default=False, metavar="PAPER")]
PriorFilter = Annotated[list[str] | None, typer.Option(
    "--prior-filter", help="Count the papers `table` lists with this filter as relevant, to "
    "start the relevance model: design=rct,controlled-trial outcome=mood since=YEAR "
    "until=YEAR search=TEXT (repeatable: together they narrow, as table's options do).",
    show_default=False, metavar="NAME=VALUE")]
StopNotice = Annotated[str | None, typer.Option(
    "--stop-notice", help="Show the stopping notice (advice, never a stop) after this many "
    "exclusions in a row, or this share of the papers (5%), once 10% are screened "
    "[default 50].", show_default=False, metavar="N|P%")]


# The study filters --prior-filter takes (a screening status would show other reviewers'
# decisions, so it is not one of them).
PRIOR_FILTERS = ("design", "outcome", "since", "until", "search")


def _prior_filter(pairs: list[str] | None) -> Filters | None:
    """--prior-filter NAME=VALUE ... as the filters `table` would take."""
    if not pairs:
        return None
    chosen: dict[str, list[str]] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip().lower()
        if not equals or name not in PRIOR_FILTERS or not value.strip():
            raise UsageError(f"--prior-filter wants NAME=VALUE, NAME one of "
                             f"{', '.join(PRIOR_FILTERS)} (not {pair!r})")
        chosen.setdefault(name, []).append(value.strip())
    single = {}
    for name in ("since", "until", "search"):
        values = chosen.get(name, [])
        if len(values) > 1:
            raise UsageError(f"--prior-filter: give {name}= once")
        single[name] = values[0] if values else None
    try:
        years = {name: None if single[name] is None else int(single[name] or "")
                 for name in ("since", "until")}
        return study_filters(chosen.get("outcome"), chosen.get("design"), years["since"],
                             years["until"], single["search"])
    except ValueError:
        raise UsageError("--prior-filter: since= and until= want a year such as 2015") from None
    except UsageError as exc:
        raise UsageError(f"--prior-filter: {exc}") from None


class Plan:
    """The order asked for, checked; the queue it makes for one reviewer."""

    def __init__(self, order: str, seed: int | None, priors: list[str] | None,
                 prior_filter: list[str] | None, stop_notice: str | None) -> None:
        from kratomlit.review.order import check_order

        self.order = check_order(order)
        if seed is not None and self.order != "random":
            raise UsageError("--seed orders --order random; leave it out or add --order random")
        if (priors or prior_filter) and self.order != "relevance":
            raise UsageError("--prior and --prior-filter start the relevance model; they do "
                             f"nothing with --order {self.order}")
        self.seed, self.priors = seed or 0, paper_refs(priors, "--prior")
        self.prior_filter = _prior_filter(prior_filter)
        self.stop_notice = stop_notice
        self.rule(100)  # a bad --stop-notice is refused before any work

    def rule(self, papers: int) -> StopRule:
        from kratomlit.review.ranking import StopRule

        if self.stop_notice is None:
            return StopRule()
        try:
            return StopRule.parse(self.stop_notice, papers)
        except UsageError as exc:
            raise UsageError(f"--stop-notice: {exc}") from None

    def queue(self, store: Store, name: str, filters: Filters) -> Queue:
        from kratomlit.report import selection
        from kratomlit.review import screening
        from kratomlit.review.order import Queue

        chosen = selection.pmids(store, filters)
        priors = self._priors(store)
        queue = Queue(chosen, screening.history(store, name), store.decided_by(name),
                      self.order, seed=self.seed, rule=self.rule(len(chosen)))
        if self.order == "relevance" and queue.pool:
            queue.ranker = _ranker(store, priors)
        return queue

    def _priors(self, store: Store) -> frozenset[int]:
        """The papers (ids) given as priors, each in the database, and the papers the prior
        filter selects."""
        from kratomlit.report import selection

        live, chosen, missing = store.live_pmids(), set(), []
        for ref in self.priors:
            try:
                paper_id = resolve(store, ref)
            except NotFoundError:
                paper_id = None
            if paper_id in live:
                chosen.add(paper_id)
            else:
                missing.append(str(ref.value))
        if missing:
            raise NotFoundError(f"--prior: {plural(len(missing), 'paper')} not in the database "
                                f"{store.path} (or withdrawn): {', '.join(missing)}")
        if self.prior_filter is not None:
            found = selection.pmids(store, self.prior_filter)
            if not found:
                raise NotFoundError("--prior-filter selects no papers (try it with `kratomlit "
                                    "table`)")
            chosen.update(found)
        return frozenset(chosen)


def _ranker(store: Store, priors: frozenset[int]) -> Ranker:
    """The reviewer's model over the database's features (cached beside it; building them
    takes seconds on a large database, so a spinner says so)."""
    from kratomlit.cli.app import stderr_console
    from kratomlit.cli.progress import working
    from kratomlit.review import ranking

    def building(papers: int) -> None:
        stack.enter_context(working(stderr_console(), f"Building the relevance features of "
                                    f"{plural(papers, 'paper')} (once, until they change)…"))

    with contextlib.ExitStack() as stack:  # the spinner shows until the features are built
        features = ranking.cached_features(ranking.cache_path(store.path),
                                           list(store.texts()), building)
    return ranking.Ranker(features, priors=priors)
