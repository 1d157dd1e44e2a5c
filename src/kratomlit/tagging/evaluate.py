"""Compare tags with hand labels: design accuracy, per-class P/R/F1, outcome F1, confusion."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratomlit.errors import InputFileError
from kratomlit.tagging.taxonomy import DESIGNS, OUTCOMES


@dataclass(frozen=True)
class Label:
    pmid: int
    design: str
    outcomes: frozenset[str]
    confidence: str | None = None


def label_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a JSON-lines labels file, blank lines left out; an unreadable
    file is an InputFileError."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read labels ({exc})") from None
    return ((number, line) for number, line in enumerate(lines, 1) if line.strip())


def read_labels(path: Path) -> list[Label]:
    """JSON lines with ``pmid``, ``design`` and ``outcomes`` (``confidence`` optional)."""
    labels = []
    for number, line in label_lines(path):
        try:
            raw = json.loads(line)
            label = Label(int(raw["pmid"]), str(raw["design"]),
                          frozenset(str(o) for o in raw.get("outcomes") or []),
                          raw.get("confidence"))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputFileError(f"{path}: line {number} is not a label ({exc})") from None
        if label.design not in DESIGNS or not label.outcomes <= set(OUTCOMES):
            raise InputFileError(f"{path}: line {number}: unknown design or outcome")
        labels.append(label)
    if not labels:
        raise InputFileError(f"{path}: no labels")
    return labels


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "support": tp + fn}


@dataclass
class Evaluation:
    compared: int = 0
    missing: list[int] = field(default_factory=list)
    design_accuracy: float = 0.0
    design_accuracy_high: float | None = None
    design_classes: dict[str, dict[str, float]] = field(default_factory=dict)
    outcome_classes: dict[str, dict[str, float]] = field(default_factory=dict)
    outcome_micro_f1: float = 0.0
    outcome_micro_f1_high: float | None = None
    outcome_macro_f1: float = 0.0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared, "missing": self.missing,
            "design_accuracy": self.design_accuracy,
            "design_accuracy_high_confidence": self.design_accuracy_high,
            "design": self.design_classes, "outcomes": self.outcome_classes,
            "outcome_micro_f1": self.outcome_micro_f1,
            "outcome_micro_f1_high_confidence": self.outcome_micro_f1_high,
            "outcome_macro_f1": self.outcome_macro_f1, "confusion": self.confusion,
        }


Pair = tuple[Label, tuple[str, list[str]]]


def _outcome_counts(pairs: list[Pair], outcome: str) -> tuple[int, int, int]:
    """True positives, false positives and false negatives of one outcome."""
    tp = sum(outcome in label.outcomes and outcome in got[1] for label, got in pairs)
    fp = sum(outcome not in label.outcomes and outcome in got[1] for label, got in pairs)
    fn = sum(outcome in label.outcomes and outcome not in got[1] for label, got in pairs)
    return tp, fp, fn


def _micro_f1(pairs: list[Pair]) -> float:
    counts = [_outcome_counts(pairs, outcome) for outcome in OUTCOMES]
    return _prf(*(sum(column) for column in zip(*counts, strict=True)))["f1"]


def evaluate(labels: Iterable[Label], predicted: dict[int, tuple[str, list[str]]]
             ) -> Evaluation:
    """``predicted`` maps pmid -> (design, outcomes); labels without a paper are listed."""
    result = Evaluation()
    pairs = []
    for label in labels:
        if label.pmid in predicted:
            pairs.append((label, predicted[label.pmid]))
        else:
            result.missing.append(label.pmid)
    result.compared = len(pairs)
    if not pairs:
        return result
    right = sum(label.design == got[0] for label, got in pairs)
    result.design_accuracy = round(right / len(pairs), 3)
    high = [(label, got) for label, got in pairs if label.confidence == "high"]
    if high:
        result.design_accuracy_high = round(
            sum(label.design == got[0] for label, got in high) / len(high), 3)
        result.outcome_micro_f1_high = _micro_f1(high)
    confusion: dict[str, Counter[str]] = {}
    for label, got in pairs:
        confusion.setdefault(label.design, Counter())[got[0]] += 1
    result.confusion = {d: dict(c) for d, c in confusion.items()}
    for design in DESIGNS:
        tp = sum(label.design == design and got[0] == design for label, got in pairs)
        fp = sum(label.design != design and got[0] == design for label, got in pairs)
        fn = sum(label.design == design and got[0] != design for label, got in pairs)
        if tp + fp + fn:
            result.design_classes[design] = _prf(tp, fp, fn)
    for outcome in OUTCOMES:
        result.outcome_classes[outcome] = _prf(*_outcome_counts(pairs, outcome))
    result.outcome_micro_f1 = _micro_f1(pairs)
    scored = [c["f1"] for c in result.outcome_classes.values() if c["support"]]
    result.outcome_macro_f1 = round(sum(scored) / len(scored), 3) if scored else 0.0
    return result
