"""PRISMA 2020 flow counts for the database, and an SVG flow diagram of them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from kratomlit import duplicates, screening
from kratomlit.store import Store


@dataclass
class Flow:
    sources: list[dict[str, Any]] = field(default_factory=list)
    identified: int = 0
    duplicates_removed: int = 0
    screened: int = 0
    included: int = 0
    excluded: int = 0
    excluded_reasons: dict[str, int] = field(default_factory=dict)
    maybe: int = 0
    conflicts: int = 0
    awaiting: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sources(store: Store) -> list[dict[str, Any]]:
    with store.reading() as db:
        fetched = db.execute(
            "SELECT h.query, count(DISTINCT h.pmid), min(r.started_at), max(r.finished_at) "
            "FROM query_hits h JOIN papers p ON p.pmid = h.pmid AND p.deleted = 0 "
            "LEFT JOIN fetch_runs r ON r.query = h.query AND r.kind = 'fetch' AND r.status = 'ok' "
            "GROUP BY h.query ORDER BY 2 DESC").fetchall()
        imported = db.execute(
            "SELECT r.query, count(DISTINCT rp.pmid), min(r.started_at), max(r.finished_at) "
            "FROM run_papers rp JOIN fetch_runs r ON r.id = rp.run_id AND r.kind = 'import' "
            "JOIN papers p ON p.pmid = rp.pmid AND p.deleted = 0 WHERE rp.action = 'new' "
            "GROUP BY r.query ORDER BY 2 DESC").fetchall()
    keys = ("source", "records", "first", "last")
    return ([{"kind": "PubMed search", **dict(zip(keys, row, strict=True))} for row in fetched]
            + [{"kind": "file import", **dict(zip(keys, row, strict=True))} for row in imported])


def flow(store: Store) -> Flow:
    """Identified = screened + duplicates removed;
    screened = included + excluded + maybe + conflicts + awaiting screening."""
    with store.reading() as db:
        every = {row[0] for row in db.execute("SELECT pmid FROM papers WHERE deleted = 0")}
    removed = duplicates.removed(store) & every
    pool = every - removed
    decisions = {p: d for p, d in screening.effective_decisions(store).items() if p in pool}
    kinds = Counter(d.decision for d in decisions.values())
    reasons = Counter((d.reason or "no reason given") for d in decisions.values()
                      if d.decision == "exclude")
    return Flow(
        sources=_sources(store), identified=len(every), duplicates_removed=len(removed),
        screened=len(pool), included=kinds["include"], excluded=kinds["exclude"],
        excluded_reasons=dict(reasons.most_common()), maybe=kinds["maybe"],
        conflicts=kinds["conflict"], awaiting=len(pool) - len(decisions),
    )


def markdown(found: Flow) -> str:
    lines = ["| PRISMA 2020 stage | Records |", "|---|---:|",
             f"| Records identified | {found.identified} |"]
    lines += [f"| — {s['kind']}: {s['source']} | {s['records']} |" for s in found.sources]
    lines += [f"| Duplicates removed | {found.duplicates_removed} |",
              f"| Records screened | {found.screened} |",
              f"| Records excluded | {found.excluded} |"]
    lines += [f"| — {reason} | {n} |" for reason, n in found.excluded_reasons.items()]
    lines += [f"| Maybe (awaiting full text) | {found.maybe} |",
              f"| Reviewer conflicts to resolve | {found.conflicts} |",
              f"| Awaiting screening | {found.awaiting} |",
              f"| Studies included | {found.included} |"]
    return "\n".join(lines) + "\n"


def svg(found: Flow) -> str:
    """A PRISMA-style flow diagram: boxes down the left, exclusions on the right."""
    width, box_w, side_x, side_w = 760, 340, 400, 340

    def box(x: int, y: int, w: int, lines: list[str]) -> tuple[str, int]:
        h = 18 * len(lines) + 16
        text = "".join(
            f'<text x="{x + 10}" y="{y + 22 + 18 * i}" font-size="13" '
            f'font-family="Helvetica, Arial, sans-serif">{escape(line)}</text>'
            for i, line in enumerate(lines))
        return (f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#fff" '
                f'stroke="#333"/>{text}'), h

    def arrow(x1: int, y1: int, x2: int, y2: int) -> str:
        return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" '
                f'marker-end="url(#arrow)"/>')

    parts = []
    y = 20
    source_lines = [f"Records identified (n = {found.identified})"] + [
        f"  {s['kind']}: n = {s['records']}" for s in found.sources[:6]]
    drawn, h = box(20, y, box_w, source_lines)
    parts.append(drawn)
    side, side_h = box(side_x, y, side_w, [f"Duplicates removed (n = {found.duplicates_removed})"])
    parts += [side, arrow(20 + box_w, y + h // 2, side_x, y + side_h // 2)]
    y_next = y + max(h, side_h) + 40
    parts.append(arrow(20 + box_w // 2, y + h, 20 + box_w // 2, y_next))
    y = y_next
    drawn, h = box(20, y, box_w, [f"Records screened (n = {found.screened})"])
    parts.append(drawn)
    reasons = [f"Records excluded (n = {found.excluded})"] + [
        f"  {reason}: n = {n}" for reason, n in list(found.excluded_reasons.items())[:8]]
    side, side_h = box(side_x, y, side_w, reasons)
    parts += [side, arrow(20 + box_w, y + h // 2, side_x, y + h // 2)]
    y_next = y + max(h, side_h) + 40
    parts.append(arrow(20 + box_w // 2, y + h, 20 + box_w // 2, y_next))
    y = y_next
    pending = [f"Maybe (n = {found.maybe})", f"Conflicts to resolve (n = {found.conflicts})",
               f"Awaiting screening (n = {found.awaiting})"]
    drawn, h = box(20, y, box_w, [f"Studies included (n = {found.included})"])
    side, side_h = box(side_x, y, side_w, pending)
    parts += [drawn, side]
    height = y + max(h, side_h) + 20
    defs = ('<defs><marker id="arrow" markerWidth="10" markerHeight="7" refX="9" refY="3.5" '
            'orient="auto"><polygon points="0 0, 10 3.5, 0 7" fill="#333"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{defs}<rect width="100%" height="100%" '
            f'fill="#fff"/>{"".join(parts)}</svg>\n')
