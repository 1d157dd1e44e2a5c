"""What each study found and about what, for people: the facts ``show`` lists, ``explain``'s
account of where each came from, and the cells and notes exports write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def countries_cell(row: dict[str, Any]) -> str:
    """Stated countries; else those inferred from the first author's affiliation, marked."""
    if row.get("countries"):
        return ", ".join(row["countries"])
    inferred = row.get("countries_inferred") or []
    return ", ".join(f"{c} (inferred)" for c in inferred)


def extraction_notes(row: dict[str, Any]) -> list[str]:
    """The extraction as notes (RIS N1, BibTeX note): one per field that has a value."""
    return [f"kratomlit {label}: {value}" for label, value in (
        ("finding", row.get("finding")),
        ("substances", "; ".join(row.get("substances") or [])),
        ("countries", "; ".join(row.get("countries") or [])),
        ("countries inferred from the first author's affiliation",
         "; ".join(row.get("countries_inferred") or [])),
        ("measures", "; ".join(row.get("measures") or []))) if value]


_EXTRACTED = (("Finding", "finding"), ("Substances", "substances"),
              ("Countries", "countries"), ("Measures", "measures"))


def manual_value(value: str | list[str]) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return f"“{value}”" if value else "none"


def extraction_facts(extraction: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The stored finding, substances, countries (inferred ones marked) and measures; a
    reviewer's values marked "(manual)"."""
    if not extraction:
        return []
    facts = []
    for label, key in _EXTRACTED:
        value = extraction[key]
        if key == "countries" and not value and extraction["countries_inferred"]:
            value = [", ".join(extraction["countries_inferred"])
                     + " (inferred from the first author's affiliation)"]
        text = ", ".join(value) if isinstance(value, list) else value
        if key in extraction["manual"]:
            text = f"{text or 'none'} (manual)"
        facts.append((label, text))
    return facts


def render_extraction(console: Console, found: dict[str, Any]) -> None:
    """``explain``, continued: the stored extraction, what extraction gives now, the section
    the finding comes from and the words behind each name."""
    from rich.text import Text

    from kratomlit.report.details import _noted

    stored = found["stored"]
    if stored:
        set_by_hand = ", ".join(stored["manual"])
        console.print(Text(f"Stored extraction (extracted {stored['extracted_at']}"
                           + (f"; set by a reviewer: {set_by_hand}" if set_by_hand else "")
                           + ")"))
    for item in found["manual"]:
        console.print(Text(f"Manual: {item['field']} {manual_value(item['value'])}{_noted(item)}"))
    current = found["current"]
    where = found["finding_section"]
    source = ("" if not current["finding"] else " (from the abstract's closing sentences)"
              if where == "unlabelled" else f" (from section {where})" if where else "")
    console.print(Text(f"Finding now{source}: {current['finding'] or 'none'}"))
    for item in found["matches"]:
        kind = {"countries_inferred": "country inferred from the affiliation",
                "substances": "substance", "countries": "country",
                "measures": "measure"}[item["kind"]]
        console.print(Text(f"  {kind} {item['name']}: “{item['words']}”"))
    if not found["matches"]:
        console.print(Text("  No substance, country or measure named."))
