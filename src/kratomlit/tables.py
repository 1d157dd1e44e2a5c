"""Terminal views of the evidence: the study table, the evidence map and the digest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kratomlit.evidence import EvidenceMap
from kratomlit.wording import plural

_BARS = " ▁▂▃▄▅▆▇█"


def _n(row: dict[str, Any]) -> str:
    n = row.get("n_participants")
    population = row.get("population") or ""
    if n:
        return f"{n:,}"
    return {"animal": "animal", "in-vitro": "in vitro"}.get(population, "")


def summary_line(total: int, shown: int, per_design: dict[str, int], duplicates: int = 0
                 ) -> str:
    designs = ", ".join(f"{d} {n}" for d, n in per_design.items()) or "none"
    limited = f" (showing {shown})" if shown < total else ""
    marked = (f"; also {plural(duplicates, 'confirmed duplicate record')}, marked, not counted"
              if duplicates else "")
    return f"{plural(total, 'study', 'studies')}{limited}: {designs}{marked}"


# Short forms for narrow terminals (the map's column headers, the table's design column).
SHORT_DESIGN = {"meta-analysis": "MA", "systematic-review": "SR", "rct": "RCT",
                "controlled-trial": "CT", "cohort": "Coh", "case-control": "CC",
                "cross-sectional": "XS", "qualitative": "Qual", "case-report": "CR",
                "animal": "Anim", "in-vitro": "InV", "review": "Rev", "other": "Oth",
                "untagged": "?"}
WIDE = 120  # from this width the table also shows first author and journal


def render_table(console: Console, rows: Iterable[dict[str, Any]], total: int,
                 per_design: dict[str, int]) -> int:
    """One row per study; titles fold inside their column, so 80 columns never break it.
    Confirmed duplicates (when asked for) are marked and not counted as studies."""
    wide = console.width >= WIDE
    table = Table(box=None, header_style="bold", pad_edge=False, expand=True)
    table.add_column("PMID", no_wrap=True)
    table.add_column("Year", no_wrap=True)
    if wide:
        table.add_column("First author", max_width=18, overflow="ellipsis", no_wrap=True)
        table.add_column("Journal", max_width=16, overflow="ellipsis", no_wrap=True)
    table.add_column("Design", no_wrap=True)
    table.add_column("N", justify="right", no_wrap=True)
    table.add_column("Outcomes", max_width=13, overflow="fold")
    table.add_column("Title", ratio=1, min_width=24, overflow="fold")
    shown = duplicates = 0
    for row in rows:
        shown += 1
        title = escape(row.get("title") or "")
        if row.get("retracted"):
            title = "[bold red]RETRACTED[/bold red] " + title
        if row.get("duplicate_of"):
            duplicates += 1
            title = f"[bold yellow]DUPLICATE of PMID {row['duplicate_of']}[/bold yellow] " + title
        cells = [str(row["pmid"]), str(row.get("year") or "")]
        if wide:
            cells += [escape(row.get("first_author") or ""), escape(row.get("journal_iso") or "")]
        cells += [row.get("design") or "", _n(row), ", ".join(row.get("outcomes") or []), title]
        table.add_row(*cells)
    if shown:
        console.print(table)
    console.print(summary_line(total, shown - duplicates, per_design, duplicates),
                  highlight=False, soft_wrap=True)
    return shown


def _spark(per_year: dict[int, int], first: int, last: int) -> str:
    top = max(per_year.values(), default=0) or 1
    return "".join(_BARS[min(8, -(-per_year.get(y, 0) * 8 // top))] for y in range(first, last + 1))


def render_map(console: Console, found: EvidenceMap) -> None:
    table = Table(title="Evidence map: studies per outcome and design", box=None,
                  header_style="bold")
    table.add_column("outcome", no_wrap=True)
    short = console.width < 24 + 11 * len(found.designs)
    for design in found.designs:
        table.add_column(SHORT_DESIGN[design] if short else design, justify="right")
    table.add_column("total", justify="right", style="bold")
    for outcome in found.outcomes:
        row = found.cells[outcome]
        table.add_row(outcome, *[str(row.get(d, "")) for d in found.designs],
                      str(sum(row.values())))
    console.print(table)
    if short:
        legend = ", ".join(f"{SHORT_DESIGN[d]} {d}" for d in found.designs)
        console.print(f"Designs: {legend}.", highlight=False)
    console.print(f"{plural(found.studies, 'study', 'studies')} (a study with several "
                  "outcomes is counted under each).", highlight=False)
    years = [y for per in found.years.values() for y in per]
    if not years:
        return
    first, last = min(years), max(years)
    chart = Table(title=f"Studies per year, {first}–{last}", box=None, header_style="bold")
    chart.add_column("outcome", no_wrap=True)
    chart.add_column("per year", no_wrap=True, overflow="crop")
    chart.add_column("peak", justify="right")
    for outcome, per_year in found.years.items():
        chart.add_row(outcome, _spark(per_year, first, last), str(max(per_year.values())))
    console.print(chart)


def render_digest(console: Console, heading: str, groups: dict[str, list[dict[str, Any]]]
                  ) -> None:
    console.print(f"[bold]{escape(heading)}[/bold]")
    if not groups:
        console.print("Nothing new.")
        return
    for outcome, rows in groups.items():
        table = Table(title=f"{outcome} ({len(rows)})", title_justify="left", box=None,
                      show_header=False, pad_edge=False, expand=True)
        table.add_column("PMID", no_wrap=True)
        table.add_column("Year", no_wrap=True)
        table.add_column("Design", no_wrap=True)
        table.add_column("Title", ratio=1, overflow="fold")
        for row in rows:
            mark = "[red]RETRACTED[/red] " if row.get("retracted") else ""
            table.add_row(str(row["pmid"]), str(row.get("year") or ""), row.get("design") or "",
                          mark + escape(row.get("title") or ""))
        console.print(table)
