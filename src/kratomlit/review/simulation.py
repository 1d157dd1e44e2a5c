"""Simulated screening: replay hand labels through the ranking model and measure the work saved.

Each run starts, like a reviewer, from random priors (``prior_included`` relevant and
``prior_excluded`` irrelevant labelled papers), then screens the rest one paper at a
time in the model's order, retraining after every decision exactly as the screen does
(``ranking.Ranker``). The same runs in random order are the baseline. As in ASReview's
simulation reports, the priors are left out of the measures: N and R below count the
records after them.

Measures of one run, over N records of which R are relevant, screened in order:

- **screened for 95% / 100%**: records screened until ceil(0.95 R) / all R were found.
- **WSS@95** (work saved over sampling, Cohen 2006): (N - screened for 95%) / N - 0.05;
  random order scores about 0.
- **RRF@10**: share of the R found within the first floor(N / 10) records.
- **ATD** (average time to discovery): the mean position at which each relevant record
  was found (1 = screened first), as a share of N; random order scores about 0.5.
- **Stopping notice**: the record after which the SAFE-style notice would first show
  (``ranking.StopRule``), the recall reached then, the relevant records still unscreened
  then, and what ``ranking.remaining_relevant`` would have said (its upper bound).
"""

from __future__ import annotations

import html
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from kratomlit.errors import InputFileError, UsageError
from kratomlit.review.ranking import (
    DEFAULT_MODEL,
    Features,
    Ranker,
    StopRule,
    check_model,
    remaining_relevant,
)
from kratomlit.tagging.evaluate import label_lines


def read_labels(path: Path) -> dict[int, bool]:
    """JSON lines ``{"pmid": 123, "included": true}`` -> {pmid: included}."""
    labels: dict[int, bool] = {}
    for number, line in label_lines(path):
        try:
            raw = json.loads(line)
            pmid, included = int(raw["pmid"]), raw["included"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputFileError(f"{path}: line {number} is not a label with a pmid and "
                                 f"included ({exc})") from None
        if not isinstance(included, bool) or pmid < 1:
            raise InputFileError(f"{path}: line {number}: included must be true or false "
                                 f"and pmid a PubMed ID")
        if labels.setdefault(pmid, included) != included:
            raise InputFileError(f"{path}: line {number}: PMID {pmid} is labelled both "
                                 f"included and excluded")
    if not labels:
        raise InputFileError(f"{path}: no labels")
    return labels


def _ceil_share(share: int, total: int) -> int:
    """ceil(share% of total), in integers (0.95 * 20 is not exactly 19 in floats)."""
    return -(-share * total // 100)


@dataclass(frozen=True)
class Measures:
    wss95: Fraction
    rrf10: Fraction
    atd: Fraction
    screened95: int
    screened100: int
    notice_screened: int | None
    notice_recall: Fraction | None
    notice_left: int | None
    notice_estimate: int | None  # remaining_relevant's upper bound at the notice


def measure(order: Sequence[bool], rule: StopRule | None = None) -> Measures:
    """The measures of one screening order (True: relevant), priors left out."""
    n, r = len(order), sum(order)
    if r == 0:
        raise ValueError("an order with no relevant record measures nothing")
    positions = [i for i, relevant in enumerate(order, 1) if relevant]
    screened95 = positions[_ceil_share(95, r) - 1]
    tenth = sum(1 for p in positions if p <= n // 10)
    notice = _notice(order, rule or StopRule())
    if notice is None:
        notice_fields: tuple[Any, ...] = (None, None, None, None)
    else:
        found = sum(1 for p in positions if p <= notice)
        history = ["include" if relevant else "exclude" for relevant in order[:notice]]
        left = remaining_relevant(history, n - notice)
        assert left is not None  # the history holds the run that met the rule
        notice_fields = (notice, Fraction(found, r), r - found, left.upper)
    return Measures(Fraction(n - screened95, n) - Fraction(5, 100), Fraction(tenth, r),
                    Fraction(sum(positions), r * n), screened95, positions[-1], *notice_fields)


def _notice(order: Sequence[bool], rule: StopRule) -> int | None:
    """How many records were screened when the stopping notice first showed."""
    run = 0
    for screened, relevant in enumerate(order, 1):
        run = 0 if relevant else run + 1
        if rule.met(run, screened, len(order)):
            return screened
    return None


@dataclass
class Simulation:
    records: int  # after the priors
    relevant: int
    runs: int
    seed: int
    prior_included: int
    prior_excluded: int
    model: str
    model_orders: list[list[bool]]
    random_orders: list[list[bool]]

    def measures(self) -> dict[str, list[Measures]]:
        return {"ranked": [measure(o) for o in self.model_orders],
                "random": [measure(o) for o in self.random_orders]}

    def as_dict(self) -> dict[str, Any]:
        """Shares as percentages (two decimals), counts as counts; each measure with its
        min, median, max over the runs and every run's value."""
        out: dict[str, Any] = {key: getattr(self, key) for key in (
            "records", "relevant", "runs", "seed", "prior_included", "prior_excluded",
            "model")}
        for order, runs in self.measures().items():  # "ranked", "random"
            columns: dict[str, Any] = {}
            for name in Measures.__dataclass_fields__:
                values = [getattr(m, name) for m in runs]
                known = [v for v in values if v is not None]
                columns[name] = {
                    "min": _plain(min(known, default=None)),
                    "median": _plain(statistics.median(known)) if known else None,
                    "max": _plain(max(known, default=None)),
                    "runs": [_plain(v) for v in values]}
            out[order] = columns
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return round(float(value) * 100, 2)
    return value


def check_options(runs: int, prior_included: int, prior_excluded: int, model: str) -> None:
    check_model(model)
    if runs < 1:
        raise UsageError("--runs must be at least 1")
    if prior_included < 1 or prior_excluded < 1:
        raise UsageError("the model needs at least one relevant and one irrelevant prior")


def simulate(features: Features, labels: dict[int, bool], *, runs: int = 10, seed: int = 0,
             prior_included: int = 1, prior_excluded: int = 1, model: str = DEFAULT_MODEL,
             progress: Callable[[int], None] | None = None) -> Simulation:
    """Replay ``labels`` (PMIDs in ``features``) ``runs`` times; deterministic given ``seed``."""
    check_options(runs, prior_included, prior_excluded, model)
    relevant = sorted(p for p, included in labels.items() if included)
    irrelevant = sorted(p for p, included in labels.items() if not included)
    if len(relevant) <= prior_included or len(irrelevant) < prior_excluded:
        raise InputFileError(
            f"the labels have {len(relevant)} included and {len(irrelevant)} excluded "
            f"papers; a simulation needs more than {prior_included} included (the priors and "
            f"at least one to find) and at least {prior_excluded} excluded")
    subset = features.subset(labels)
    ranker = Ranker(subset, model)
    model_orders, random_orders = [], []
    for run in range(runs):
        rng = np.random.default_rng([seed, run])
        priors = [int(p) for p in rng.choice(relevant, prior_included, replace=False)]
        priors += [int(p) for p in rng.choice(irrelevant, prior_excluded, replace=False)]
        # A random candidate order per run, so ties between equal scores fall at random.
        rest = [int(p) for p in rng.permutation([p for p in labels if p not in priors])]
        random_orders.append([labels[p] for p in rest])
        decisions = {p: "include" if labels[p] else "exclude" for p in priors}
        order = []
        while rest:
            ranking = ranker.rank(decisions, rest)
            assert ranking is not None  # the priors hold both classes
            chosen = ranking.pmids[0]
            decisions[chosen] = "include" if labels[chosen] else "exclude"
            order.append(labels[chosen])
            rest.remove(chosen)
        model_orders.append(order)
        if progress is not None:
            progress(run + 1)
    return Simulation(len(labels) - prior_included - prior_excluded,
                      len(relevant) - prior_included, runs, seed, prior_included,
                      prior_excluded, model, model_orders, random_orders)


# -- the recall curve -------------------------------------------------------------------

_W, _H, _LEFT, _TOP, _PLOT_W, _PLOT_H = 640, 440, 70, 50, 540, 320


def _curve(order: Sequence[bool]) -> str:
    """Recall as a step line: it rises at each relevant record found."""
    n, r = len(order), sum(order)

    def x(i: int) -> float:
        return _LEFT + _PLOT_W * i / n

    def y(k: int) -> float:
        return _TOP + _PLOT_H * (1 - k / r)

    points, found = [(x(0), y(0))], 0
    for i, relevant in enumerate(order, 1):
        if relevant:
            points += [(x(i), y(found)), (x(i), y(found + 1))]
            found += 1
    points.append((x(n), y(r)))
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in points)


def recall_svg(sim: Simulation) -> str:
    """The recall curves of every run, model and random order, as a standalone SVG."""
    bottom, right = _TOP + _PLOT_H, _LEFT + _PLOT_W
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2}" y="22" text-anchor="middle" font-size="14">'
        f'{html.escape(_title(sim))}</text>',
    ]
    for tick in range(0, 101, 20):
        tx, ty = _LEFT + _PLOT_W * tick / 100, bottom - _PLOT_H * tick / 100
        parts += [
            f'<line x1="{tx}" y1="{_TOP}" x2="{tx}" y2="{bottom}" stroke="#eee"/>',
            f'<line x1="{_LEFT}" y1="{ty}" x2="{right}" y2="{ty}" stroke="#eee"/>',
            f'<text x="{tx}" y="{bottom + 18}" text-anchor="middle">{tick}</text>',
            f'<text x="{_LEFT - 8}" y="{ty + 4}" text-anchor="end">{tick}</text>',
        ]
    y95 = bottom - _PLOT_H * 0.95
    parts += [
        f'<line x1="{_LEFT}" y1="{y95}" x2="{right}" y2="{y95}" stroke="#999" '
        f'stroke-dasharray="2,3"/>',
        f'<text x="{_LEFT + 4}" y="{y95 - 4}" fill="#666">95%</text>',
        f'<line x1="{_LEFT}" y1="{bottom}" x2="{right}" y2="{_TOP}" stroke="#999" '
        f'stroke-dasharray="6,4"/>',
    ]
    for colour, orders in (("#999999", sim.random_orders), ("#1f5fa8", sim.model_orders)):
        parts += [f'<polyline points="{_curve(o)}" fill="none" stroke="{colour}" '
                  f'stroke-width="1.2" stroke-opacity="0.6"/>' for o in orders]
    parts += [
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_PLOT_W}" height="{_PLOT_H}" fill="none" '
        f'stroke="#333"/>',
        f'<text x="{_LEFT + _PLOT_W / 2}" y="{bottom + 40}" text-anchor="middle">'
        f'Records screened (% of {sim.records})</text>',
        f'<text x="18" y="{_TOP + _PLOT_H / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {_TOP + _PLOT_H / 2})">'
        f'Relevant records found (% of {sim.relevant})</text>',
    ]
    legend_y = bottom + 62
    for i, (colour, text, dash) in enumerate((
            ("#1f5fa8", f"model ({sim.model}), {sim.runs} runs", ""),
            ("#999999", f"random order, {sim.runs} runs", ""),
            ("#999999", "expected at random", ' stroke-dasharray="6,4"'))):
        lx = _LEFT + i * 190
        parts += [f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 24}" y2="{legend_y}" '
                  f'stroke="{colour}" stroke-width="2"{dash}/>',
                  f'<text x="{lx + 30}" y="{legend_y + 4}">{html.escape(text)}</text>']
    parts.append("</svg>\n")
    return "\n".join(parts)


def _title(sim: Simulation) -> str:
    return (f"Recall while screening {sim.records} records ({sim.relevant} relevant), "
            f"priors {sim.prior_included}+{sim.prior_excluded}, seed {sim.seed}")
