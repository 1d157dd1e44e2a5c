"""Screening decisions for a systematic review: record, undo, resolve, and agreement.

Every decision is a row in ``screening`` (who, what, why, when); nothing is updated in
place, so the history stays auditable and ``undo`` removes only the reviewer's latest
row. A paper's effective decision is the latest final (resolved) decision when there is
one; otherwise the reviewers' latest decisions when they agree, and "conflict" when they
do not.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kratomlit.config import reasons_file
from kratomlit.errors import InputFileError, UsageError
from kratomlit.records import label
from kratomlit.store import Store

DECISIONS = ("include", "exclude", "maybe")
# Offered in the interactive screen (any other reason may be typed). A review replaces
# them with its own protocol's list in kratomlit-reasons.txt beside the database.
EXCLUSION_REASONS = (
    "not about kratom",
    "wrong design",
    "wrong outcome",
    "wrong population",
    "not primary research",
    "duplicate",
    "not in English",
    "retracted",
)


def exclusion_reasons(db_path: Path) -> tuple[str, ...]:
    """The review's exclusion reasons: kratomlit-reasons.txt beside the database, one per
    line (at most nine, one key each), or the defaults."""
    path = reasons_file(db_path)
    if not path.is_file():
        return EXCLUSION_REASONS
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the exclusion reasons ({exc})") from None
    reasons = tuple(line.strip() for line in lines if line.strip() and
                    not line.lstrip().startswith("#"))
    if not 1 <= len(reasons) <= 9:
        raise InputFileError(f"{path}: give between 1 and 9 reasons, one per line")
    return reasons


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Decision:
    decision: str  # include | exclude | maybe | conflict
    reason: str | None
    reviewers: tuple[str, ...]
    final: bool


def check_decision(decision: str, reason: str | None) -> str:
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise UsageError(f"unknown decision {decision!r} (use include, exclude or maybe)")
    if decision == "exclude" and not (reason or "").strip():
        raise UsageError("an exclusion needs a reason (--reason), for the PRISMA flow")
    return decision


def record(store: Store, pmid: int, decision: str, *, reviewer: str, reason: str | None = None,
           note: str | None = None, final: bool = False) -> None:
    """One reviewer's decision on one paper (``final``: a resolution that settles it).

    Only a paper some reviewer has screened can be resolved: a resolution settles their
    decisions, and one without any would enter the PRISMA flow unscreened."""
    decision = check_decision(decision, reason)
    if not reviewer.strip():
        raise UsageError("who is screening? give --reviewer NAME or set KRATOMLIT_REVIEWER")
    with store.transaction():
        store.require_paper(pmid)
        if final and not store.screened_by_anyone(pmid):
            raise UsageError(f"nobody has screened {label(store.identity(pmid)[1])}, so "
                             "there is nothing to "
                             "resolve; record a decision with `kratomlit screen set` first")
        store.add_decision(pmid, reviewer.strip(), decision, (reason or "").strip() or None,
                           note, final, _now())


def undo(store: Store, reviewer: str) -> int | None:
    """Remove the reviewer's latest decision; returns its PMID (None when there is none)."""
    with store.transaction():
        return store.remove_latest_decision(reviewer)


def effective_decisions(store: Store) -> dict[int, Decision]:
    """pmid -> the paper's effective decision (see the module docstring)."""
    latest: dict[int, dict[str, tuple[str, str | None]]] = {}
    final: dict[int, tuple[str, str | None, str]] = {}
    for pmid, reviewer, decision, reason, is_final in store.decision_rows():
        if is_final:
            final[pmid] = (decision, reason, reviewer)
        else:
            latest.setdefault(pmid, {})[reviewer] = (decision, reason)
    result: dict[int, Decision] = {}
    for pmid, by_reviewer in latest.items():
        decisions = {d for d, _ in by_reviewer.values()}
        reviewers = tuple(sorted(by_reviewer))
        if len(decisions) == 1:
            decision = decisions.pop()
            reason = next((r for d, r in reversed(by_reviewer.values()) if r), None)
            result[pmid] = Decision(decision, reason, reviewers, False)
        else:
            result[pmid] = Decision("conflict", None, reviewers, False)
    for pmid, (decision, reason, reviewer) in final.items():
        reviewers = tuple(sorted({*latest.get(pmid, {}), reviewer}))
        result[pmid] = Decision(decision, reason, reviewers, True)
    return result


def paper_decisions(store: Store, pmid: int) -> list[dict[str, Any]]:
    """Every decision on one paper, oldest first, with its reason and note; ``superseded``:
    a later decision by the same reviewer (or a later resolution) replaced it."""
    rows = store.decisions_on(pmid)

    def replaces(row: dict[str, Any]) -> str | None:  # a resolution replaces any earlier one
        return None if row["final"] else row["reviewer"]

    latest = {replaces(row): i for i, row in enumerate(rows)}
    for i, row in enumerate(rows):
        row["final"] = bool(row["final"])
        row["superseded"] = latest[replaces(row)] != i
    return rows


def notes(store: Store) -> dict[int, list[str]]:
    """pmid -> every screening note on it, oldest first, as "reviewer: note"."""
    found: dict[int, list[str]] = {}
    for pmid, reviewer, note in store.screening_notes():
        found.setdefault(pmid, []).append(f"{reviewer}: {note.strip()}")
    return found


STATUSES = ("included", "excluded", "maybe", "conflict", "screened", "unscreened")


def pmids_with_status(store: Store, status: str) -> set[int] | None:
    """PMIDs whose effective decision matches a table/export filter (None: no filter)."""
    if status not in STATUSES:
        raise UsageError(f"unknown screening status {status!r} (use {', '.join(STATUSES)})")
    decisions = effective_decisions(store)
    wanted = {"included": "include", "excluded": "exclude", "maybe": "maybe",
              "conflict": "conflict"}
    if status == "screened":
        return set(decisions)
    if status == "unscreened":
        return store.live_pmids() - set(decisions)
    return {pmid for pmid, d in decisions.items() if d.decision == wanted[status]}


def reviewer_decisions(store: Store) -> dict[str, dict[int, str]]:
    """reviewer -> pmid -> that reviewer's latest (non-final) decision."""
    found: dict[str, dict[int, str]] = {}
    for pmid, reviewer, decision, _, is_final in store.decision_rows():
        if not is_final:
            found.setdefault(reviewer, {})[pmid] = decision
    return found


def history(store: Store, reviewer: str) -> dict[int, str]:
    """pmid -> this reviewer's latest (non-final) decision, in the order they were made: a
    paper decided again moves to the end (what the screen's model and its run of
    exclusions count)."""
    found: dict[int, str] = {}
    for pmid, who, decision, _, is_final in store.decision_rows():
        if who == reviewer and not is_final:
            found.pop(pmid, None)
            found[pmid] = decision
    return found


def conflicts(store: Store) -> list[dict[str, Any]]:
    """Papers two or more reviewers decided differently and nobody has resolved: title, and
    each reviewer's latest decision with its reason and note. Like the PRISMA flow, this
    leaves out withdrawn papers and confirmed duplicates."""
    pending = [pmid for pmid, d in effective_decisions(store).items()
               if d.decision == "conflict"]
    found: dict[int, dict[str, Any]] = {}
    for paper_id, pmid, ref, title, reviewer, decision, reason, note, at in store.votes(
            pending):
        item = found.setdefault(paper_id, {"pmid": pmid, "id": paper_id, "paper": ref,
                                           "title": title, "votes": {}})
        item["votes"][reviewer] = {"decision": decision, "reason": reason, "note": note,
                                   "decided_at": at}  # the latest row wins
    for item in found.values():
        item["votes"] = dict(sorted(item["votes"].items()))
    return sorted(found.values(), key=lambda item: (item["pmid"] is None, item["pmid"],
                                                    item["id"]))


@dataclass(frozen=True)
class Agreement:
    reviewers: tuple[str, str]
    both_screened: int
    agreed: int
    kappa: float | None


def cohen_kappa(first: dict[int, str], second: dict[int, str]) -> tuple[int, int, float | None]:
    """(papers both rated, agreements, Cohen's kappa) over the papers both reviewers rated."""
    common = sorted(set(first) & set(second))
    if not common:
        return 0, 0, None
    agreed = sum(first[p] == second[p] for p in common)
    observed = agreed / len(common)
    a, b = Counter(first[p] for p in common), Counter(second[p] for p in common)
    expected = sum(a[k] * b[k] for k in DECISIONS) / len(common) ** 2
    if expected == 1:
        return len(common), agreed, 1.0 if observed == 1 else None
    return len(common), agreed, round((observed - expected) / (1 - expected), 3)


def agreement(store: Store) -> list[Agreement]:
    """Cohen's kappa for every pair of reviewers who screened the same papers."""
    per_reviewer = reviewer_decisions(store)
    names = sorted(per_reviewer)
    out = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            both, agreed, kappa = cohen_kappa(per_reviewer[first], per_reviewer[second])
            if both:
                out.append(Agreement((first, second), both, agreed, kappa))
    return out
