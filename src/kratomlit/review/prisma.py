"""PRISMA 2020 flow counts for the database, and an SVG flow diagram of them.

The sources are each PubMed query (the distinct PMIDs it returned, over all its runs) and
each import run (every record its files contained, new to the database or not). A record
counts once per source that found it, so the records identified are the sum over the
sources, and the duplicates removed are the records another source had found too plus
the confirmed duplicate records (the same article under a second PMID). Records NLM has
withdrawn count nowhere: a search today would not find them. Retracted papers count
like any other; screening excludes them with a reason. So, exactly:

    identified - duplicates removed = screened + awaiting screening
    screened = included + excluded + maybe + conflicts
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from kratomlit.review import duplicates, screening
from kratomlit.store import Store

SEARCH, IMPORT, UNRECORDED = "PubMed search", "file import", "not recorded"


@dataclass(frozen=True)
class Source:
    name: str  # "PubMed: <query>" or "File: <names>"
    kind: str  # SEARCH, IMPORT, or UNRECORDED (papers saved without a run)
    records: int  # distinct records it found that are still in PubMed
    first: str | None = None  # when it first ran, and last finished
    last: str | None = None
    # The PRISMA 2020 column it feeds: databases and registers. Citation searching will be
    # "other methods", a second column of boxes beside the first.
    method: str = "databases"

    def label(self) -> str:
        if not self.last:
            return self.name
        done = "searched" if self.kind == SEARCH else "imported"
        return f"{self.name}; {done} {self.last[:10]}"


@dataclass
class Flow:
    sources: list[Source] = field(default_factory=list)
    identified: int = 0
    duplicates_removed: int = 0  # duplicates_across_sources + duplicate_records
    duplicates_across_sources: int = 0  # the same PMID found again by another source
    duplicate_records: int = 0  # confirmed duplicates: the same article, another record
    screened: int = 0
    included: int = 0
    excluded: int = 0
    excluded_reasons: dict[str, int] = field(default_factory=dict)
    maybe: int = 0
    conflicts: int = 0
    awaiting: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sources(store: Store) -> list[Source]:
    """Every source, in the order it first ran."""
    # Papers no run recorded (saved by other tools) still count, once, under where they
    # were first seen.
    searches, imports, unrecorded = store.source_counts()
    found = [(run or 0, Source(f"PubMed: {query}", SEARCH, n, first, last))
             for query, n, first, last, run in searches]
    for paths, n, first, last, run, database in imports:
        files = [Path(f).name for f in paths]
        name = f"File{'s' if len(files) > 1 else ''}: {', '.join(files) or 'unknown'}"
        if database and database not in files:  # named by --source or the file itself
            name = f"{database} ({name[0].lower()}{name[1:]})"
        found.append((run, Source(name, IMPORT, n, first, last)))
    ordered = [source for _, source in sorted(found, key=lambda item: item[0])]
    for origin, n in unrecorded:
        if origin == "fetch":
            name = "PubMed (query not recorded)"
        elif (origin or "").startswith("import:"):
            name = f"File: {origin.removeprefix('import:')}"
        else:
            name = f"Other: {origin or 'unknown'}"
        ordered.append(Source(name, UNRECORDED, n))
    return ordered


def flow(store: Store) -> Flow:
    """The PRISMA 2020 counts (see the module docstring for what counts where)."""
    with store.snapshot():
        sources = _sources(store)
        live = store.live_pmids()
        removed = duplicates.removed(store)
        decisions = [d for pmid, d in screening.effective_decisions(store).items()
                     if pmid in live and pmid not in removed]
    unique = len(live)
    kinds = Counter(d.decision for d in decisions)
    reasons = Counter((d.reason or "no reason given") for d in decisions
                      if d.decision == "exclude")
    identified = sum(s.records for s in sources)
    return Flow(
        sources=sources, identified=identified,
        duplicates_removed=identified - unique + len(removed),
        duplicates_across_sources=identified - unique, duplicate_records=len(removed),
        screened=len(decisions), included=kinds["include"], excluded=kinds["exclude"],
        excluded_reasons=dict(reasons.most_common()), maybe=kinds["maybe"],
        conflicts=kinds["conflict"], awaiting=unique - len(removed) - len(decisions),
    )


def markdown(found: Flow) -> str:
    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    lines = ["| PRISMA 2020 stage | Records |", "|---|---:|", "| **Identification** | |",
             f"| Records identified | {found.identified} |"]
    lines += [f"| — {cell(s.label())} | {s.records} |" for s in found.sources]
    lines += [f"| Duplicate records removed | {found.duplicates_removed} |",
              f"| — found by more than one source | {found.duplicates_across_sources} |",
              f"| — confirmed duplicates of another record | {found.duplicate_records} |",
              "| **Screening** | |",
              f"| Records awaiting screening | {found.awaiting} |",
              f"| Records screened | {found.screened} |",
              f"| Records excluded | {found.excluded} |"]
    lines += [f"| — {cell(reason)} | {n} |" for reason, n in found.excluded_reasons.items()]
    lines += [f"| Maybe (awaiting full text) | {found.maybe} |",
              f"| Reviewer conflicts to resolve | {found.conflicts} |",
              "| **Included** | |", f"| Studies included | {found.included} |"]
    return "\n".join(lines) + "\n"


# -- the SVG diagram -----------------------------------------------------------------------

FONT = 13  # px
LINE = 18  # px from one baseline to the next
PAD = 10  # px inside a box
INDENT = 12  # px for a source or a reason under its box's heading
PHASE_W = 26  # the phase labels' bars down the left side
BOX_W = 340
GAP = 60  # between a column's main and side boxes, where the arrows run
MAIN_X = 20 + PHASE_W + 14  # the first column of boxes

# Advance widths of Helvetica (and its metric twins Arial and Liberation Sans), in em,
# rounded up by group; other ASCII characters are 0.59 em, anything else a full em.
_EM = {**dict.fromkeys(" !',./:;I[\\]fijlt|", 0.28), **dict.fromkeys('"()*-`r{}', 0.39),
       **dict.fromkeys("FTZ", 0.62), **dict.fromkeys("ABEKPSVXY&", 0.67),
       **dict.fromkeys("CDHNRU", 0.73), **dict.fromkeys("GOQ", 0.78),
       **dict.fromkeys("mM%", 0.89), **dict.fromkeys("wW@", 1.02)}
# Lines wrap a tenth short of the box, so a wider fallback font (DejaVu Sans) still fits.
_ROOM = 0.9


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """An upper estimate of the rendered width of ``text`` in px."""
    em = 0.0
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[:1] or ch
        em += _EM.get(base, 0.59) if base.isascii() else 1.0
    return em * size * (1.1 if bold else 1.0)


_WORDS = re.compile(r"\(n = \d+\)\S*|\S+")  # a count "(n = 12)" stays on one line


def _wrap(text: str, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` px; a word longer than a line is cut where it ends."""
    room = width * _ROOM
    lines: list[str] = []
    line = ""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    for word in _WORDS.findall(printable):
        joined = f"{line} {word}" if line else word
        if text_width(joined, bold=bold) <= room:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if line and text_width(line + ch, bold=bold) > room:
                lines.append(line)
                line = ""
            line += ch
    return [*lines, line] if line or not lines else lines


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def mid_x(self) -> float:
        return self.x + self.w / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h


class _Drawing:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: float, y: float, heading: str, items: Sequence[str] = (), *,
            w: float = BOX_W, min_h: float = 0, css: str = "box") -> _Box:
        """A box: a bold heading, then indented items (sources, reasons), all wrapped (an
        item's later lines hang further in)."""
        lines = [(0, True, line) for line in _wrap(heading, w - 2 * PAD, bold=True)]
        for item in items:
            first, *rest = _wrap(item, w - 2 * PAD - 2 * INDENT)
            lines += [(INDENT, False, first), *((2 * INDENT, False, line) for line in rest)]
        drawn = _Box(x, y, w, max(min_h, 2 * PAD + LINE * len(lines)))
        fill = "#fff" if css == "box" else "#fdf0c2"
        self.parts.append(f'<rect class="{css}" x="{x}" y="{y}" width="{w}" '
                          f'height="{drawn.h}" fill="{fill}" stroke="#333"/>')
        for i, (indent, bold, line) in enumerate(lines):
            weight = ' font-weight="bold"' if bold else ""
            self.parts.append(f'<text x="{x + PAD + indent}" y="{y + PAD + LINE * i + FONT}"'
                              f'{weight}>{escape(line)}</text>')
        return drawn

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.parts.append(f'<line class="arrow" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                          'stroke="#333" marker-end="url(#head)"/>')

    def phase(self, label: str, top: float, bottom: float) -> None:
        """A phase label (Identification, Screening, Included) in a bar down the left."""
        x, mid = 20, (top + bottom) / 2
        self.parts.append(f'<rect class="phase" x="{x}" y="{top}" width="{PHASE_W}" '
                          f'height="{bottom - top}" rx="4" fill="#c6dbef" stroke="#333"/>')
        self.parts.append(
            f'<text x="{x + PHASE_W / 2}" y="{mid}" dy="0.35em" text-anchor="middle" '
            f'font-weight="bold" transform="rotate(-90 {x + PHASE_W / 2} {mid})">'
            f"{escape(label)}</text>")


def _phase_height(label: str) -> float:
    return text_width(label, bold=True) / _ROOM + 2 * PAD


def _column(draw: _Drawing, found: Flow, x: float, top: float
            ) -> tuple[float, float, _Box]:
    """The databases-and-registers column, from the records identified to those still
    undecided; returns where identification ends and screening ends, and the box of the
    records screened. Citation searching ("other methods") will be a second column to the
    right, its own sources feeding the same included box."""
    side_x = x + BOX_W + GAP
    sources = [f"{s.label()} (n = {s.records})" for s in found.sources]
    identified = draw.box(x, top, f"Records identified (n = {found.identified})", sources,
                          min_h=_phase_height("Identification"))
    removed = draw.box(side_x, top, "Records removed before screening:", [
        f"Duplicate records removed (n = {found.duplicates_removed}): "
        f"{found.duplicates_across_sources} found by more than one source, "
        f"{found.duplicate_records} confirmed duplicates of another record"])
    middle = top + min(identified.h, removed.h) / 2
    draw.arrow(x + BOX_W, middle, side_x, middle)
    identification_end = max(identified.bottom, removed.bottom)

    waiting = draw.box(side_x, identification_end + 30,
                       f"Records awaiting screening (n = {found.awaiting})")
    draw.arrow(identified.mid_x, waiting.y + waiting.h / 2, side_x, waiting.y + waiting.h / 2)
    screened = draw.box(x, waiting.bottom + 30, f"Records screened (n = {found.screened})")
    draw.arrow(identified.mid_x, identified.bottom, identified.mid_x, screened.y)
    reasons = [f"{reason} (n = {n})" for reason, n in found.excluded_reasons.items()]
    excluded = draw.box(side_x, screened.y, f"Records excluded (n = {found.excluded})",
                        reasons)
    middle = screened.y + min(screened.h, excluded.h) / 2
    draw.arrow(x + BOX_W, middle, side_x, middle)
    pending = draw.box(side_x, max(screened.bottom, excluded.bottom) + 30, "Not decided yet:",
                       [f"Maybe, awaiting full text (n = {found.maybe})",
                        f"Reviewer conflicts to resolve (n = {found.conflicts})"])
    draw.arrow(screened.mid_x, pending.y + pending.h / 2, side_x, pending.y + pending.h / 2)
    return identification_end, pending.bottom, screened


def svg(found: Flow) -> str:
    """The PRISMA 2020 flow diagram: phases down the left, the records' path down the main
    column, and what leaves it (duplicates, exclusions, pending decisions) on the right.
    Every box but the first has an arrow into it; text wraps inside its box."""
    draw = _Drawing()
    heading = draw.box(MAIN_X, 20, "Identification of studies via databases and registers",
                       w=2 * BOX_W + GAP, css="heading")
    top = heading.bottom + 20
    identification_end, screening_end, screened = _column(draw, found, MAIN_X, top)
    included = draw.box(MAIN_X, screening_end + 30,
                        f"Studies included in review (n = {found.included})",
                        min_h=_phase_height("Included"))
    draw.arrow(screened.mid_x, screened.bottom, screened.mid_x, included.y)
    draw.phase("Identification", top, identification_end)
    draw.phase("Screening", identification_end + 30, screening_end)
    draw.phase("Included", included.y, included.bottom)

    width, height = MAIN_X + 2 * BOX_W + GAP + 20, included.bottom + 20
    head = ('<defs><marker id="head" markerWidth="10" markerHeight="7" refX="10" refY="3.5" '
            'orient="auto"><polygon points="0 0, 10 3.5, 0 7" fill="#333"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="{FONT}">{head}<rect width="100%" height="100%" fill="#fff"/>'
            f'{"".join(draw.parts)}</svg>\n')
