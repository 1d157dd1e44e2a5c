"""Fit the tagging rules' weights to the hand labels, and say how well they generalise.

    pip install -e '.[fit]'              # scikit-learn (and numpy, scipy): development only
    python bench/fit_weights.py          # cross-validated and whole-set figures
    python bench/fit_weights.py --write  # ... then write the weights into rules.toml

The runtime never imports this: it reads the numbers written into
src/kratomlit/tagging/rules.toml. A design's score is its bias plus, for every rule of
that design that matches, weight x zone factor x strength(matches in the zone) (see
engine.py); an outcome is tagged when its score reaches its threshold. This script fits
those numbers by maximum likelihood (a conditional logit for the design, one logistic
model per outcome), pulling each weight towards the prior its rule's priority gives and
keeping it within a factor of two of it, so rules the labelled records never exercise
(most of the kratom vocabulary: the records are general PubMed) keep the weight their
author meant. An outcome's threshold is fixed (THRESHOLD): clear cues weigh at least
that much and weak ones less, so one clear cue in the study's own text tags and a weak
one needs company, whatever the base rates of these labels (the kratom literature has far
more outcomes than general PubMed).

Every labelled record is seen three ways, as the tagger meets records: whole (with MeSH
and publication types), text only (title and abstract, as for records NLM has not indexed
yet), and text only cut at half its abstract (as exports and records often are). Figures
are given for each, cross-validated (fit on four fifths of the records, scored on the
fifth held back; the three views of a record stay in the same fold) and on the whole set.
Deterministic: fixed folds (seed 0) and a deterministic optimiser.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.model_selection import StratifiedKFold

from kratomlit.jobs.import_files import import_files
from kratomlit.jobs.tag_papers import document
from kratomlit.store import Store
from kratomlit.tagging.engine import BUILDS_ON, Document, RuleSet, matches, strength
from kratomlit.tagging.rules import DESIGNS, OUTCOMES, ZONES, load, prior_weight

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
RULES = REPO / "src" / "kratomlit" / "tagging" / "rules.toml"
VIEWS = ("whole", "text", "half")


@dataclass(frozen=True)
class Settings:
    """Regularisation: how strongly weights stay near their priors, zone factors near 1
    and design biases near 0, how far below "other" a design's bias may go, and how far
    from its prior a weight may move. Cross-validation over priors 0.3/1/3 and ranges
    1.5/2/3 moved the figures by about a point; these are the middle values."""

    prior: float = 1.0
    zone: float = 1.0
    bias: float = 1.0
    bias_floor: float = 0.5
    # A fitted weight stays within this factor of its prior: the labelled records are
    # general PubMed, and a cue they rarely separate from others keeps its meaning.
    weight_range: float = 2.0

# Where a cue stands, as factors fitted within bounds. Outcomes: the study's own text (its
# aims, methods, results, conclusions and other sentences after the background) is the
# unit, so a clear cue there reaches the threshold; the title may count more; the
# background not at all (TAXONOMY.md: a background mention does not earn the tag).
# Designs: a design named in the background is weak.
ZONE_BOUNDS = {
    "outcome": {"title": (1.0, 2.0), "aims": (1.0, 1.0), "results": (1.0, 1.0),
                "conclusions": (1.0, 1.0), "other": (1.0, 1.0), "background": (0.0, 0.0),
                "keywords": (0.5, 1.5), "mesh": (1.0, 1.0), "publication_types": (1.0, 1.0)},
    "design": {"background": (0.2, 1.0)},
}
NESTED_FLOOR = 4.0
# An outcome is tagged at a score of THRESHOLD: one clear cue (priority 60 and up) in the
# study's own text reaches it, one weak cue (below 50) does not even in the title, and
# the cues between need company. The fit places each weight within its class.
THRESHOLD = 2.5
CLEAR, WEAK = 60, 50


def outcome_weight_bounds(prior: float, strength_class: int, settings: Settings
                          ) -> tuple[float, float]:
    """A clear cue reaches the threshold on its own, any other does not."""
    if strength_class > 0:
        return THRESHOLD, max(prior, THRESHOLD) * settings.weight_range
    ceiling = THRESHOLD - 0.01
    return min(prior / settings.weight_range, ceiling), ceiling


def record_files() -> list[Path]:
    pubmed = SHARED / "pubmed"
    return [pubmed / "medline16n0902.xml.gz", pubmed / "test_current_medline.xml.gz",
            pubmed / "pubmed-29768149.xml", *sorted(pubmed.glob("efetch-pubmed*.xml"))]


def labelled_documents() -> tuple[list[Document], list[dict[str, object]]]:
    if not (SHARED / "labels" / "dev.jsonl").is_file():
        sys.exit(f"fit_weights.py: the hand labels and records are not at {SHARED}")
    labels = [json.loads(line) for line in (SHARED / "labels" / "dev.jsonl").open()]
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "fit.db") as store:
        import_files(store, record_files())
        ids = store.ids_by_pmid(int(str(label["pmid"])) for label in labels)
        return [document(store.tag_source(ids[int(str(label["pmid"]))])[1:])
                for label in labels], labels


def view(doc: Document, name: str) -> Document:
    """The record as the tagger may meet it: whole, text only, or text cut at half."""
    if name == "whole":
        return doc
    abstract = doc.abstract if name == "text" else doc.abstract[: len(doc.abstract) // 2]
    return Document(title=doc.title, abstract=abstract)


@dataclass
class Axis:
    """One axis's fitting problem: features[i, j, k] = strength of rule j's matches in
    zone k of sample i; tags[j] = the tag rule j adds to."""

    name: str
    rules: list[str]
    tags: np.ndarray  # rule -> tag index
    prior: np.ndarray
    features: np.ndarray  # samples x rules x zones
    any_cue: np.ndarray  # samples: some rule of this axis counts
    strength_class: np.ndarray  # rules: 1 a clear cue (priority 60 and up), -1 a weak one


def build(axis: str, names: tuple[str, ...], ruleset: RuleSet,
          evidence: list[list[tuple[str, str]]]) -> Axis:
    rules = [r for r in ruleset.rules if r.axis == axis]
    index = {r.id: j for j, r in enumerate(rules)}
    features = np.zeros((len(evidence), len(rules), len(ZONES)))
    for i, found in enumerate(evidence):
        counts: dict[tuple[int, int], int] = {}
        for rule_id, zone in found:
            if rule_id in index:
                key = (index[rule_id], ZONES.index(zone))
                counts[key] = counts.get(key, 0) + 1
        for (j, k), n in counts.items():
            features[i, j, k] = strength(n)
    return Axis(axis, [r.id for r in rules], np.array([names.index(r.tag) for r in rules]),
                np.array([prior_weight(r.priority) for r in rules]), features,
                features.reshape(len(evidence), -1).any(axis=1),
                np.array([1 if r.priority >= CLEAR else -1 if r.priority < WEAK else 0
                          for r in rules]))


@dataclass
class Fitted:
    weights: np.ndarray
    zones: np.ndarray
    bias: np.ndarray  # designs: bias; outcomes: minus the threshold


def _unpack(axis: Axis, theta: np.ndarray, n_tags: int) -> Fitted:
    j = len(axis.rules)
    return Fitted(theta[:j], theta[j:j + len(ZONES)], theta[j + len(ZONES):j + len(ZONES) + n_tags])


def adds_to(axis: Axis, n_tags: int) -> np.ndarray:
    """rules x tags: 1 where a rule's matches add to a tag's score (its own tag, and a
    design that builds on it)."""
    onehot = np.eye(n_tags)[axis.tags]
    if axis.name == "design":
        for design, base in BUILDS_ON.items():
            onehot[:, DESIGNS.index(design)] += onehot[:, DESIGNS.index(base)]
    return onehot


def scores(axis: Axis, fitted: Fitted, n_tags: int) -> np.ndarray:
    """samples x tags: what the engine computes (bias + points)."""
    per_rule = np.einsum("ijk,k->ij", axis.features, fitted.zones) * fitted.weights
    return per_rule @ adds_to(axis, n_tags) + fitted.bias


def fit(axis: Axis, n_tags: int, targets: np.ndarray, sample_weight: np.ndarray,
        settings: Settings) -> Fitted:
    """Maximum likelihood with Gaussian priors (weights at their priors, zones at 1,
    biases at 0); softmax over designs, one sigmoid per outcome."""
    onehot = adds_to(axis, n_tags)  # rules x tags
    zone_bounds = [ZONE_BOUNDS[axis.name].get(z, (0.5, 2.0)) for z in ZONES]
    zone_prior = np.array([min(max(1.0, low), high) for low, high in zone_bounds])
    # Design biases stay small; an outcome's threshold is whatever the labels say.
    bias_strength = settings.bias if axis.name == "design" else 0.0
    prior_strength, zone_strength = settings.prior, settings.zone

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f = _unpack(axis, theta, n_tags)
        x = np.einsum("ijk,k->ij", axis.features, f.zones)  # samples x rules
        s = (x * f.weights) @ onehot + f.bias
        if axis.name == "design":
            s = s - s.max(axis=1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(axis=1, keepdims=True)
            nll = -(sample_weight * np.log(p[np.arange(len(s)), targets] + 1e-12)).sum()
            g = p.copy()
            g[np.arange(len(s)), targets] -= 1
        else:
            p = 1 / (1 + np.exp(-s))
            nll = -(sample_weight[:, None] * (targets * np.log(p + 1e-12)
                                              + (1 - targets) * np.log(1 - p + 1e-12))).sum()
            g = p - targets
        g = g * sample_weight[:, None]  # samples x tags
        g_rule = g @ onehot.T  # samples x rules
        grad_w = (g_rule * x).sum(axis=0) + 2 * prior_strength * (f.weights - axis.prior)
        grad_z = np.einsum("ij,ijk->k", g_rule * f.weights, axis.features)
        grad_z += 2 * zone_strength * (f.zones - zone_prior)
        grad_b = g.sum(axis=0) + 2 * bias_strength * f.bias
        penalty = (prior_strength * ((f.weights - axis.prior) ** 2).sum()
                   + zone_strength * ((f.zones - zone_prior) ** 2).sum()
                   + bias_strength * (f.bias ** 2).sum())
        return float(nll + penalty), np.concatenate([grad_w, grad_z, grad_b])

    if axis.name == "outcome":
        bounds = [outcome_weight_bounds(p, clear, settings)
                  for p, clear in zip(axis.prior, axis.strength_class, strict=True)]
    else:
        bounds = [(p / settings.weight_range, p * settings.weight_range) for p in axis.prior]
    bounds += zone_bounds
    if axis.name == "design":
        # "other" is what a paper is without enough evidence for anything else.
        # A design that builds on another needs room below it, or its own cues never count.
        bounds += [(0, 0) if d == "other" else (-NESTED_FLOOR, 0) if d in BUILDS_ON
                   else (-settings.bias_floor, 0) for d in DESIGNS]
    else:
        bounds += [(-THRESHOLD, -THRESHOLD)] * n_tags
    start = np.concatenate([[min(max(p, low), high) for p, (low, high) in
                             zip(axis.prior, bounds, strict=False)], zone_prior,
                            np.zeros(n_tags) if axis.name == "design"
                            else -np.full(n_tags, THRESHOLD)])
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 5000})
    return _unpack(axis, result.x, n_tags)


def rounded(fitted: Fitted) -> Fitted:
    return Fitted(np.round(fitted.weights, 2), np.round(fitted.zones, 2), np.round(fitted.bias, 2))


def predict_designs(axis: Axis, fitted: Fitted) -> np.ndarray:
    s = scores(axis, fitted, len(DESIGNS))
    best = s.argmax(axis=1)  # first maximum: ties go to the taxonomy's order, as in the engine
    return np.where(axis.any_cue, best, DESIGNS.index("other"))


def predict_outcomes(axis: Axis, fitted: Fitted) -> np.ndarray:
    return scores(axis, fitted, len(OUTCOMES)) >= 0


def figures(designs: np.ndarray, outcomes: np.ndarray, labels: list[dict[str, object]],
            rows: np.ndarray) -> dict[str, float]:
    want_d = np.array([DESIGNS.index(str(labels[i]["design"])) for i in rows])
    want_o = np.array([[o in labels[i]["outcomes"] for o in OUTCOMES] for i in rows])  # type: ignore[operator]
    tp = (outcomes & want_o).sum(axis=0)
    fp = (outcomes & ~want_o).sum(axis=0)
    fn = (~outcomes & want_o).sum(axis=0)
    f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    return {"design": float((designs == want_d).mean()), "micro": float(micro),
            "macro3": float(f1[[OUTCOMES.index(o) for o in ("mood", "social", "safety")]].mean()),
            **{o: float(f1[i]) for i, o in enumerate(OUTCOMES)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the weights into rules.toml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print every fitted number")
    defaults = Settings()
    parser.add_argument("--prior-strength", type=float, default=defaults.prior)
    parser.add_argument("--zone-strength", type=float, default=defaults.zone)
    parser.add_argument("--bias-strength", type=float, default=defaults.bias)
    parser.add_argument("--bias-floor", type=float, default=defaults.bias_floor)
    parser.add_argument("--weight-range", type=float, default=defaults.weight_range)
    args = parser.parse_args()

    docs, labels = labelled_documents()
    ruleset = RuleSet(*load())
    samples = [(i, v) for i in range(len(docs)) for v in VIEWS]
    evidence = [[(e.rule_id, e.zone) for e in matches(view(docs[i], v), ruleset) if e.live]
                for i, v in samples]
    doc_of = np.array([i for i, _ in samples])
    view_of = np.array([VIEWS.index(v) for _, v in samples])
    design_axis = build("design", DESIGNS, ruleset, evidence)
    outcome_axis = build("outcome", OUTCOMES, ruleset, evidence)
    want_d = np.array([DESIGNS.index(str(labels[i]["design"])) for i in doc_of])
    want_o = np.array([[float(o in labels[i]["outcomes"]) for o in OUTCOMES]  # type: ignore[operator]
                       for i in doc_of])
    weight = np.array([1.0 if labels[i].get("confidence") == "high" else 0.5 for i in doc_of])

    def subset(axis: Axis, rows: np.ndarray) -> Axis:
        return Axis(axis.name, axis.rules, axis.tags, axis.prior, axis.features[rows],
                    axis.any_cue[rows], axis.strength_class)

    settings = Settings(args.prior_strength, args.zone_strength, args.bias_strength,
                        args.bias_floor, args.weight_range)

    def fit_both(rows: np.ndarray) -> tuple[Fitted, Fitted]:
        return (rounded(fit(subset(design_axis, rows), len(DESIGNS), want_d[rows], weight[rows],
                            settings)),
                rounded(fit(subset(outcome_axis, rows), len(OUTCOMES), want_o[rows],
                            weight[rows], settings)))

    cv_d = np.zeros(len(samples), dtype=int)
    cv_o = np.zeros((len(samples), len(OUTCOMES)), dtype=bool)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    for train_docs, test_docs in folds.split(np.zeros(len(docs)),
                                            [label["design"] for label in labels]):
        train, test = np.isin(doc_of, train_docs), np.isin(doc_of, test_docs)
        d, o = fit_both(np.flatnonzero(train))
        cv_d[test] = predict_designs(subset(design_axis, np.flatnonzero(test)), d)
        cv_o[test] = predict_outcomes(subset(outcome_axis, np.flatnonzero(test)), o)
    whole_d, whole_o = fit_both(np.arange(len(samples)))
    fit_d = predict_designs(design_axis, whole_d)
    fit_o = predict_outcomes(outcome_axis, whole_o)

    print(f"{len(docs)} labelled records x {len(VIEWS)} views; {args.folds}-fold "
          "cross-validation (seed 0)")
    print(f"{'view':6} {'':5} {'design':>7} {'micro-F1':>9} {'macro3':>7} "
          + " ".join(f"{o:>7}" for o in OUTCOMES))
    for v, name in enumerate(VIEWS):
        rows = np.flatnonzero(view_of == v)
        docs_rows = doc_of[rows]
        for kind, (d, o) in (("cv", (cv_d, cv_o)), ("whole", (fit_d, fit_o))):
            f = figures(d[rows], o[rows], labels, docs_rows)
            print(f"{name:6} {kind:5} {f['design']:7.3f} {f['micro']:9.3f} {f['macro3']:7.3f} "
                  + " ".join(f"{f[o]:7.3f}" for o in OUTCOMES))
    if args.show:
        for axis, fitted, names in ((design_axis, whole_d, DESIGNS),
                                    (outcome_axis, whole_o, OUTCOMES)):
            for rule, tag, prior, w in zip(axis.rules, axis.tags, axis.prior, fitted.weights,
                                           strict=True):
                fires = int((axis.features[:, axis.rules.index(rule)].sum(axis=1) > 0).sum())
                print(f"  {rule:45} {names[tag]:18} prior {prior:5.2f} -> {w:5.2f} "
                      f"({fires} samples)")
            print("  zones:", dict(zip(ZONES, fitted.zones.round(2), strict=True)))
            print("  bias:", dict(zip(names, fitted.bias.round(2), strict=True)))
    if args.write:
        write(design_axis, whole_d, outcome_axis, whole_o)
        print(f"wrote {RULES.relative_to(REPO)}")


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.1f}"


def write(design: Axis, fitted_d: Fitted, outcome: Axis, fitted_o: Fitted) -> None:
    """The weights into each rule (a `weight = ` line after its priority) and the
    [scoring] tables at the end of rules.toml; comments and layout stay as they are."""
    text = RULES.read_text("utf-8")
    weights = {**dict(zip(design.rules, fitted_d.weights, strict=True)),
               **dict(zip(outcome.rules, fitted_o.weights, strict=True))}
    blocks = re.split(r"(?m)^(?=\[\[rule\]\]$)", text.split("\n[scoring")[0])
    out = [blocks[0]]
    for block in blocks[1:]:
        rule_id = re.search(r'(?m)^id = "([^"]+)"$', block)
        assert rule_id, block
        block = re.sub(r"(?m)^weight = .*\n", "", block)
        line = f"weight = {_number(weights[rule_id.group(1)])}\n"
        after = "priority" if re.search(r"(?m)^priority = ", block) else "tag"
        out.append(re.sub(rf"(?m)^({after} = .*\n)", lambda m, line=line: m.group(1) + line,
                          block))
    tables = {
        "design_zones": dict(zip(ZONES, fitted_d.zones, strict=True)),
        "outcome_zones": dict(zip(ZONES, fitted_o.zones, strict=True)),
        "design_bias": dict(zip(DESIGNS, fitted_d.bias, strict=True)),
        "outcome_threshold": dict(zip(OUTCOMES, -fitted_o.bias, strict=True)),
    }
    scoring = ["", "[scoring]", "# Written by bench/fit_weights.py --write (fitted with the "
               "weights above; do not edit by hand)."]
    for name, table in tables.items():
        scoring.append(f"{name} = {{ " + ", ".join(
            f'"{key}" = {_number(value)}' for key, value in table.items()) + " }")
    RULES.write_text("".join(out).rstrip("\n") + "\n" + "\n".join(scoring) + "\n", "utf-8")


if __name__ == "__main__":
    sys.exit(main())
