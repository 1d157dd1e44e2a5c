"""PRISMA 2020 flow counts for the database, and an SVG flow diagram of them.

The sources are each PubMed query (the distinct PMIDs it returned, over all its runs) and
each import run (every record its files contained, new to the database or not). A record
counts once per source that found it, so the records identified are the sum over the
sources, and the duplicates removed are the records another source had found too plus
the confirmed duplicate records (the same article under a second PMID). Records NLM has
withdrawn count nowhere: a search today would not find them. Retracted papers count
like any other; screening excludes them with a reason.

Records that only citation searching found (``kratomlit snowball``; no search or import
found them) are PRISMA 2020's "identification via other methods": a second column of its
own, from records identified down to those included, beside the databases and registers.
The identities hold in each column, and so in the totals, exactly:

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

from kratomlit.records import LINK_DIRECTIONS
from kratomlit.review import duplicates, screening
from kratomlit.store import Store
from kratomlit.store.links import SOURCE as CITED

SEARCH, IMPORT, UNRECORDED = "PubMed search", "file import", "not recorded"
CITATION = "citation searching"
DATABASES, OTHER = "databases", "other methods"  # PRISMA 2020's two columns


@dataclass(frozen=True)
class Source:
    name: str  # "PubMed: <query>" or "File: <names>"
    kind: str  # SEARCH, IMPORT, CITATION, or UNRECORDED (papers saved without a run)
    records: int  # distinct records it found that are still in PubMed
    first: str | None = None  # when it first ran, and last finished
    last: str | None = None
    # The PRISMA 2020 column it feeds: DATABASES (and registers), or OTHER methods.
    method: str = DATABASES

    def label(self) -> str:
        if not self.last:
            return self.name
        done = {SEARCH: "searched", CITATION: "followed"}.get(self.kind, "imported")
        return f"{self.name}; {done} {self.last[:10]}"


@dataclass
class Column:
    """The counts of one column of the flow, from the records identified to the studies
    included (and, in ``Flow`` itself, their totals over both columns)."""

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


@dataclass
class Flow(Column):
    """The totals over both columns, the sources, and each column's counts."""

    sources: list[Source] = field(default_factory=list)
    databases: Column = field(default_factory=Column)
    other_methods: Column | None = None  # None: no citation searching was done

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        return {"sources": found.pop("sources"), **found}


def _sources(store: Store) -> list[Source]:
    """Every source, in the order it first ran; citation searching, when done, last."""
    # Papers no run recorded (saved by other tools) still count, once, under where they
    # were first seen; those first stored by citation searching count as its own.
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
        if origin == CITED:
            continue  # citation_only_pmids(), counted below
        if origin == "fetch":
            name = "PubMed (query not recorded)"
        elif (origin or "").startswith("import:"):
            name = f"File: {origin.removeprefix('import:')}"
        else:
            name = f"Other: {origin or 'unknown'}"
        ordered.append(Source(name, UNRECORDED, n))
    runs, first, last, directions = store.citation_searches()
    cited = len(store.citation_only_pmids())
    if runs or directions or cited:
        lists = ", ".join(LINK_DIRECTIONS[d] for d in LINK_DIRECTIONS if d in directions)
        ordered.append(Source("Citation searching" + (f": {lists}" if lists else ""),
                              CITATION, cited, first, last, OTHER))
    return ordered


def _column(identified: int, unique: set[int], removed: set[int],
            decided: dict[int, screening.Decision]) -> Column:
    """The counts of one column: ``unique``, the distinct records its sources found."""
    removed = removed & unique
    decisions = [d for pmid, d in decided.items() if pmid in unique and pmid not in removed]
    kinds = Counter(d.decision for d in decisions)
    reasons = Counter((d.reason or "no reason given") for d in decisions
                      if d.decision == "exclude")
    return Column(
        identified=identified, duplicates_removed=identified - len(unique) + len(removed),
        duplicates_across_sources=identified - len(unique), duplicate_records=len(removed),
        screened=len(decisions), included=kinds["include"], excluded=kinds["exclude"],
        excluded_reasons=dict(reasons.most_common()), maybe=kinds["maybe"],
        conflicts=kinds["conflict"], awaiting=len(unique) - len(removed) - len(decisions),
    )


def flow(store: Store) -> Flow:
    """The PRISMA 2020 counts (see the module docstring for what counts where)."""
    with store.snapshot():
        sources = _sources(store)
        live = store.live_pmids()
        cited = store.citation_only_pmids()
        removed = duplicates.removed(store)
        decided = screening.effective_decisions(store)
    found = sum(s.records for s in sources if s.method == DATABASES)
    databases = _column(found, live - cited, removed, decided)
    other = (_column(len(cited), cited, removed, decided)
             if any(s.method == OTHER for s in sources) else None)
    columns = [c for c in (databases, other) if c is not None]
    totals = {name: sum(getattr(c, name) for c in columns) for name in (
        "identified", "duplicates_removed", "duplicates_across_sources", "duplicate_records",
        "screened", "included", "excluded", "maybe", "conflicts", "awaiting")}
    reasons = sum((Counter(c.excluded_reasons) for c in columns), Counter[str]())
    return Flow(**totals, excluded_reasons=dict(reasons.most_common()), sources=sources,
                databases=databases, other_methods=other)


def markdown(found: Flow) -> str:
    """A table of the flow: one column of records, or with citation searching, one for each
    PRISMA 2020 column and their total."""
    other = found.other_methods
    two = other is not None
    columns = [found.databases] if other is None else [found.databases, other, found]

    def row(label: str, values: Sequence[object]) -> str:
        text = label.replace("\\", "\\\\").replace("|", "\\|")
        return "| " + " | ".join([text, *map(str, values)]) + " |"

    def counts(label: str, name: str) -> str:
        return row(label, [getattr(column, name) for column in columns])

    def phase(name: str) -> str:
        return f"| **{name}** |" + " |" * len(columns)

    def source(s: Source) -> str:
        if not two:
            return row(f"— {s.label()}", [s.records])
        return row(f"— {s.label()}", [s.records, "", s.records] if s.method == DATABASES
                   else ["", s.records, s.records])

    heads = ["Databases and registers", "Other methods", "Total"] if two else ["Records"]
    lines = [row("PRISMA 2020 stage", heads), "|---|" + "---:|" * len(columns),
             phase("Identification"), counts("Records identified", "identified")]
    lines += [source(s) for s in found.sources]
    lines += [counts("Duplicate records removed", "duplicates_removed"),
              counts("— found by more than one source", "duplicates_across_sources"),
              counts("— confirmed duplicates of another record", "duplicate_records"),
              phase("Screening"), counts("Records awaiting screening", "awaiting"),
              counts("Records screened", "screened"), counts("Records excluded", "excluded")]
    lines += [row(f"— {reason}", [c.excluded_reasons.get(reason, 0) for c in columns])
              for reason in columns[-1].excluded_reasons]
    lines += [counts("Maybe (awaiting full text)", "maybe"),
              counts("Reviewer conflicts to resolve", "conflicts"),
              phase("Included"), counts("Studies included", "included")]
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


def _identification(draw: _Drawing, column: Column, sources: list[Source], x: float,
                    top: float) -> tuple[float, _Box]:
    """A column's records identified, and those removed beside it; returns where they end,
    and the box of the records identified."""
    side_x = x + BOX_W + GAP
    listed = [f"{s.label()} (n = {s.records})" for s in sources]
    identified = draw.box(x, top, f"Records identified (n = {column.identified})", listed,
                          min_h=_phase_height("Identification"))
    removed = draw.box(side_x, top, "Records removed before screening:", [
        f"Duplicate records removed (n = {column.duplicates_removed}): "
        f"{column.duplicates_across_sources} found by more than one source, "
        f"{column.duplicate_records} confirmed duplicates of another record"])
    middle = top + min(identified.h, removed.h) / 2
    draw.arrow(x + BOX_W, middle, side_x, middle)
    return max(identified.bottom, removed.bottom), identified


def _screening(draw: _Drawing, column: Column, identified: _Box, top: float
               ) -> tuple[float, _Box]:
    """A column's screening, from ``top``: the records awaiting screening, screened,
    excluded and not decided yet; returns where it ends, and the box of those screened."""
    x, side_x = identified.x, identified.x + BOX_W + GAP
    waiting = draw.box(side_x, top, f"Records awaiting screening (n = {column.awaiting})")
    draw.arrow(identified.mid_x, waiting.y + waiting.h / 2, side_x, waiting.y + waiting.h / 2)
    screened = draw.box(x, waiting.bottom + 30, f"Records screened (n = {column.screened})")
    draw.arrow(identified.mid_x, identified.bottom, identified.mid_x, screened.y)
    reasons = [f"{reason} (n = {n})" for reason, n in column.excluded_reasons.items()]
    excluded = draw.box(side_x, screened.y, f"Records excluded (n = {column.excluded})",
                        reasons)
    middle = screened.y + min(screened.h, excluded.h) / 2
    draw.arrow(x + BOX_W, middle, side_x, middle)
    pending = draw.box(side_x, max(screened.bottom, excluded.bottom) + 30, "Not decided yet:",
                       [f"Maybe, awaiting full text (n = {column.maybe})",
                        f"Reviewer conflicts to resolve (n = {column.conflicts})"])
    draw.arrow(screened.mid_x, pending.y + pending.h / 2, side_x, pending.y + pending.h / 2)
    return pending.bottom, screened


COLUMN_W = 2 * BOX_W + GAP  # a column's main and side boxes
HEADINGS = {DATABASES: "Identification of studies via databases and registers",
            OTHER: "Identification of studies via other methods"}


def svg(found: Flow) -> str:
    """The PRISMA 2020 flow diagram: phases down the left; for each column (databases and
    registers, then other methods when citation searching was done) the records' path down
    its main boxes and what leaves it (duplicates, exclusions, pending decisions) beside
    them; both columns lead into the studies included. Every box but the records identified
    has an arrow into it; text wraps inside its box."""
    draw = _Drawing()
    columns = [(DATABASES, found.databases)]
    if found.other_methods is not None:
        columns.append((OTHER, found.other_methods))
    xs = [MAIN_X + i * (COLUMN_W + GAP) for i in range(len(columns))]
    top = max(draw.box(x, 20, HEADINGS[method], w=COLUMN_W, css="heading").bottom
              for x, (method, _) in zip(xs, columns, strict=True)) + 20
    identified = [_identification(draw, column, [s for s in found.sources if s.method == method],
                                  x, top) for x, (method, column) in zip(xs, columns, strict=True)]
    identification_end = max(end for end, _ in identified)
    screened = [_screening(draw, column, box, identification_end + 30)
                for (_, column), (_, box) in zip(columns, identified, strict=True)]
    screening_end = max(end for end, _ in screened)
    included = draw.box(MAIN_X, screening_end + 30,
                        f"Studies included in review (n = {found.included})",
                        min_h=_phase_height("Included"))
    first = screened[0][1]
    draw.arrow(first.mid_x, first.bottom, first.mid_x, included.y)
    for _, box in screened[1:]:  # down past the first column, then into the included box
        middle = included.y + included.h / 2
        draw.parts.append(f'<line x1="{box.mid_x}" y1="{box.bottom}" x2="{box.mid_x}" '
                          f'y2="{middle}" stroke="#333"/>')
        draw.arrow(box.mid_x, middle, included.x + included.w, middle)
    draw.phase("Identification", top, identification_end)
    draw.phase("Screening", identification_end + 30, screening_end)
    draw.phase("Included", included.y, included.bottom)

    width, height = xs[-1] + COLUMN_W + 20, included.bottom + 20
    head = ('<defs><marker id="head" markerWidth="10" markerHeight="7" refX="10" refY="3.5" '
            'orient="auto"><polygon points="0 0, 10 3.5, 0 7" fill="#333"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
            f'font-size="{FONT}">{head}<rect width="100%" height="100%" fill="#fff"/>'
            f'{"".join(draw.parts)}</svg>\n')
