"""Terminal views of the evidence: the study table, the evidence map and the digest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from kratomlit.report.exports import marked_title
from kratomlit.report.extraction import countries_cell
from kratomlit.report.selection import BY, EvidenceMap
from kratomlit.tagging.taxonomy import SHORT_DESIGN
from kratomlit.wording import plural

_BARS = " ▁▂▃▄▅▆▇█"


def _n(row: dict[str, Any]) -> str:
    n = row.get("n_participants")
    population = row.get("population") or ""
    if n:
        return f"{n:,}"
    return {"animal": "animal", "in-vitro": "in vitro"}.get(population, "")


def summary_line(total: int, shown: int, per_design: dict[str, int], duplicates: int = 0,
                 short: bool = False) -> str:
    """``short``: the table showed design codes, so the summary names them (the legend)."""
    designs = ", ".join(f"{d} ({SHORT_DESIGN[d]}) {n}" if short else f"{d} {n}"
                        for d, n in per_design.items()) or "none"
    limited = f" (showing {shown})" if shown < total else ""
    marked = (f"; also {plural(duplicates, 'confirmed duplicate record')}, marked, not counted"
              if duplicates else "")
    return f"{plural(total, 'study', 'studies')}{limited}: {designs}{marked}"


WIDE = 120  # from this width the table also shows first author and journal
FULL_DESIGN = 150  # from this width the table spells designs out
MIN_TITLE = 30  # below this a row becomes a card: its facts on one line, the title under it
CHUNK = 300  # lines written at a time: the first rows appear at once and memory stays flat

# Control characters (a stray escape sequence in a title) never reach the terminal or a pipe.
_CONTROL = dict.fromkeys([*range(32), *range(127, 160)], " ")


def _clean(value: Any) -> str:
    return " ".join(str(value or "").translate(_CONTROL).split())


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int = 0  # 0: the title, which takes the rest of the line
    right: bool = False


def _fold(text: str, width: int, console: Console) -> list[str]:
    """Lines of at most ``width`` cells, broken between words (a longer word is cut)."""
    if not text.isascii() and cell_len(text) != len(text):  # wide characters: rich measures
        return [line.plain for line in Text(text).wrap(console, width)] or [""]
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) <= width:
            line += " " + word
            continue
        if line:
            lines.append(line)
        while len(word) > width:
            lines.append(word[:width])
            word = word[width:]
        line = word
    return [*lines, line] if line or not lines else lines


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - (len(text) if text.isascii() else cell_len(text)))
    return fill + text if right else text + fill


class Rows:
    """Fixed columns laid out by kratomlit itself, ``CHUNK`` rows at a time. rich's Table
    measures every row before printing the first, which took 40 s for 30,000 studies."""

    def __init__(self, console: Console, columns: list[Column]):
        self.console = console
        columns = [replace(c, width=max(c.width, len(c.header))) if c.width else c
                   for c in columns]  # a header never pushes its column out of line
        fixed = sum(c.width + 1 for c in columns if c.width)
        self.card = any(not c.width for c in columns) and console.width - fixed < MIN_TITLE
        self.columns = [replace(c, width=c.width or console.width - fixed) for c in columns]
        self.lines: list[tuple[str, str | None]] = []

    def header(self) -> None:
        if not self.card:
            self.add(" ".join(_pad(c.header, c.width, c.right) for c in self.columns).rstrip(),
                     "bold")

    def add(self, line: str, style: str | None = None) -> None:
        self.lines.append((line, style))
        if len(self.lines) >= CHUNK:
            self.flush()

    def row(self, cells: dict[str, str | list[str]], style: str | None = None) -> None:
        """``cells``: text (folded to its column) or a list of lines, by column key."""
        if self.card:
            *facts, title = self.columns
            line = "  ".join(", ".join(v) if isinstance(v, list) else v for c in facts
                             if (v := cells.get(c.key)))
            for part in _fold(line, self.console.width, self.console):
                self.add(part, style)
            for line in _fold(str(cells.get(title.key) or ""), self.console.width - 2,
                              self.console):
                self.add("  " + line, style)
            return
        folded = []
        for column in self.columns:
            value = cells.get(column.key) or ""
            if isinstance(value, list):  # an item per line, folded when too long
                folded.append([part for item in value for part in (
                    _fold(item, column.width, self.console)
                    if cell_len(item) > column.width else [item])] or [""])
            else:
                folded.append(_fold(value, column.width, self.console)
                              if cell_len(value) > column.width else [value])
        for i in range(max(len(lines) for lines in folded)):
            self.add(" ".join(_pad(lines[i] if i < len(lines) else "", c.width, c.right)
                              for c, lines in zip(self.columns, folded, strict=True)).rstrip(),
                     style)

    def flush(self) -> None:
        """Styled on a terminal; written straight through when piped (rich's own rendering
        of the lines would cost more than laying them out)."""
        if not self.lines:
            return
        if self.console.is_terminal:
            text = Text()
            for line, style in self.lines:
                text.append(line + "\n", style)
            self.console.print(text, end="", soft_wrap=True, highlight=False)
        else:
            self.console.file.write("".join(line + "\n" for line, _ in self.lines))
        self.lines = []


def _short_ref(row: dict[str, Any]) -> str:
    """The paper in the 8-column PMID column: its PMID, else id:N (a DOI would fold over
    several lines there; piped and exported tables give doi:…)."""
    return str(row["pmid"]) if row.get("pmid") else f"id:{row['id']}"


FINDING_WIDE = 160  # from this width the table also shows each study's key finding
# What `table --columns` may name, in the default order; title and finding share the rest
# of the line.
TABLE_COLUMNS = {
    "pmid": Column("PMID", "pmid", 8), "year": Column("Year", "year", 4),
    "author": Column("First author", "first_author", 14),
    "journal": Column("Journal", "journal_iso", 18), "design": Column("Design", "design", 17),
    "n": Column("N", "n", 9, right=True), "population": Column("Population", "population", 10),
    "outcomes": Column("Outcome", "outcomes", 7),
    "substances": Column("Substances", "substances", 20),
    "countries": Column("Countries", "countries", 16),
    "measures": Column("Measures", "measures", 12),
    "title": Column("Title", "title"), "finding": Column("Finding", "finding"),
}


def default_columns(width: int) -> list[str]:
    wide = ["author", "journal"] if width >= WIDE else []
    return ["pmid", "year", *wide, "design", "n", "outcomes", "title",
            *(["finding"] if width >= FINDING_WIDE else [])]


def table_columns(width: int, names: list[str] | None = None) -> list[Column]:
    """The columns for a terminal this wide (``names``: the user's choice, in order)."""
    names = names or default_columns(width)
    short = width < FULL_DESIGN
    columns = [replace(TABLE_COLUMNS[name], width=6) if name == "design" and short
               else TABLE_COLUMNS[name] for name in names]
    if "title" in names and "finding" in names:  # half the rest each
        rest = width - sum(c.width + 1 for c in columns if c.width) - 1
        columns = [replace(c, width=max(MIN_TITLE, rest // 2)) if c.key == "finding" else c
                   for c in columns]
    return columns


def _table_cells(row: dict[str, Any], short: bool, card: bool) -> dict[str, str | list[str]]:
    design = row.get("design") or "untagged"
    n = _n(row)
    return {"pmid": _short_ref(row), "year": str(row.get("year") or ""),
            "first_author": _clean(row.get("first_author")),
            "journal_iso": _clean(row.get("journal_iso")),
            "design": SHORT_DESIGN.get(design, design) if short else design,
            "n": "N " + n if card and n[:1].isdigit() else n,
            "outcomes": list(row.get("outcomes") or []), "title": _clean(marked_title(row)),
            "population": _clean(row.get("population")),
            "substances": list(row.get("substances") or []),
            "countries": [_clean(c) for c in countries_cell(row).split(", ") if c],
            "measures": list(row.get("measures") or []), "finding": _clean(row.get("finding"))}


def render_table(console: Console, rows: Iterable[dict[str, Any]], total: int,
                 per_design: dict[str, int], columns: list[str] | None = None) -> int:
    """One row per study in fixed columns (``columns``: names of TABLE_COLUMNS), written as
    the rows come; titles fold inside their column (below ``MIN_TITLE`` columns each study
    is a card). Confirmed duplicates (when asked for) are marked and not counted."""
    out = Rows(console, table_columns(console.width, columns))
    short = not out.card and console.width < FULL_DESIGN
    shown = duplicates = 0
    for row in rows:
        if not shown:
            out.header()
        shown += 1
        duplicates += bool(row.get("duplicate_of"))
        style = ("red" if row.get("retracted") else
                 "yellow" if row.get("duplicate_of") else None)
        out.row(_table_cells(row, short, out.card), style)
    out.flush()
    console.print(summary_line(total, shown - duplicates, per_design, duplicates,
                               short and shown > 0),
                  highlight=False, soft_wrap=True, markup=False)
    return shown


TSV_FIELDS = ("pmid", "year", "first_author", "journal_iso", "design", "n_participants",
              "population", "outcomes", "retracted", "duplicate_of", "title", "finding",
              "substances", "countries", "countries_inferred", "measures")
_LISTS = ("outcomes", "substances", "countries", "countries_inferred", "measures")


def write_tsv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """The table for scripts (stdout not a terminal): a header, then one line per study as it
    comes; lists joined with "; ", retracted yes/no, no tabs or newlines inside a cell."""
    out.write("\t".join(TSV_FIELDS) + "\n")
    shown = 0
    for row in rows:
        shown += 1
        cells = {**row, "pmid": row["reference"],
                 **{name: "; ".join(row.get(name) or []) for name in _LISTS},
                 "retracted": "yes" if row.get("retracted") else "no"}
        out.write("\t".join(_clean(cells.get(name)) for name in TSV_FIELDS) + "\n")
    return shown


def _spark(per_year: dict[int, int], first: int, last: int) -> str:
    top = max(per_year.values(), default=0) or 1
    return "".join(_BARS[min(8, -(-per_year.get(y, 0) * 8 // top))] for y in range(first, last + 1))


def render_map(console: Console, found: EvidenceMap) -> None:
    title = f"Evidence map: studies per {found.by} and design"
    table = Table(title=title, box=None, header_style="bold")
    table.add_column(found.by, no_wrap=True)
    short = console.width < 24 + 11 * len(found.designs)
    for design in found.designs:
        table.add_column(SHORT_DESIGN[design] if short else design, justify="right",
                         no_wrap=True)
    table.add_column("total", justify="right", style="bold", no_wrap=True)
    for outcome in found.outcomes:
        row = found.cells[outcome]
        table.add_row(outcome, *[str(row.get(d, "")) for d in found.designs],
                      str(sum(row.values())))
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if found.outcomes and natural <= console.width:
        console.print(table)
        if short:
            legend = ", ".join(f"{SHORT_DESIGN[d]} {d}" for d in found.designs)
            console.print(f"Designs: {legend}.", highlight=False)
    elif found.outcomes:  # too narrow for the grid (a cell would be cut): a list per outcome
        console.print(Text(title, style="bold"))
        _map_lists(console, found)
    several = "outcomes" if found.by == "outcome" else BY[found.by]
    console.print(f"{plural(found.studies, 'study', 'studies')} (a study with several "
                  f"{several} is counted under each).", highlight=False)
    _year_chart(console, found)


def _map_lists(console: Console, found: EvidenceMap) -> None:
    for outcome in found.outcomes:
        row = found.cells[outcome]
        line = f"{outcome} {sum(row.values())}:"
        pieces = [f"{d} {row[d]}" for d in found.designs if d in row]
        for i, piece in enumerate(pieces):
            piece += "," if i < len(pieces) - 1 else ""
            if len(line) + 1 + len(piece) > console.width:  # never between name and count
                console.print(line, highlight=False)
                line = "  " + piece
            else:
                line += " " + piece
        console.print(line, highlight=False)


def _year_chart(console: Console, found: EvidenceMap) -> None:
    years = [y for per in found.years.values() for y in per]
    if not years:
        return
    first, last = min(years), max(years)
    # One character per year: on a narrow terminal the latest years that fit, never a cut
    # chart under a title that claims more.
    label = max(len(o) for o in found.years)
    peak = max(4, *(len(str(n)) for per in found.years.values() for n in per.values()))
    first = max(first, last + 1 - (console.width - label - peak - 6))
    chart = Table(title=f"Studies per year, {first}–{last}", box=None, header_style="bold")
    chart.add_column("outcome", no_wrap=True)
    chart.add_column("per year", no_wrap=True)
    chart.add_column("peak", justify="right", no_wrap=True)
    for outcome, per_year in found.years.items():
        chart.add_row(outcome, _spark(per_year, first, last), str(max(per_year.values())))
    console.print(chart)


def render_digest(console: Console, heading: str, groups: dict[str, list[dict[str, Any]]]
                  ) -> None:
    out = Rows(console, [Column("PMID", "pmid", 8), Column("Year", "year", 4),
                         Column("Design", "design", 17), Column("Title", "title")])
    for line in _fold(_clean(heading), console.width, console):
        out.add(line, "bold")
    if not groups:
        out.add("Nothing new.")
    for outcome, rows in groups.items():
        out.add(f"{outcome} ({len(rows)})", "bold")
        for row in rows:
            out.row({"pmid": _short_ref(row), "year": str(row.get("year") or ""),
                     "design": row.get("design") or "",
                     "title": _clean(marked_title(row)) + _cited(row)},
                    "red" if row.get("retracted") else None)
    out.flush()


def _cited(row: dict[str, Any]) -> str:
    """What a paper in ``digest --citing`` cites among the included studies."""
    cites = row.get("cites")
    return f" [cites PMID {', '.join(map(str, cites))}]" if cites else ""
