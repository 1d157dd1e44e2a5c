"""Publication dates as PubMed writes them, turned into ISO strings without guessing."""

from __future__ import annotations

import re

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def month_number(value: str | None) -> int | None:
    """1-12 from "3", "03", "Mar" or "March"; None for seasons and nonsense."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    return MONTHS.get(value[:3].lower())


def iso_date(year: str | None, month: str | None = None, day: str | None = None) -> str | None:
    """An ISO date as precise as the parts allow; impossible parts are dropped, not guessed."""
    if not year or not year.strip().isdigit():
        return None
    out = year.strip()
    number = month_number(month)
    if number is None:
        return out
    out += f"-{number:02d}"
    if day and day.strip().isdigit() and 1 <= int(day) <= 31:
        out += f"-{int(day):02d}"
    return out


def free_text_date(text: str) -> tuple[str | None, int | None]:
    """A MEDLINE ``DP``/``MedlineDate`` value -> (date, year).

    "2006 Mar 1" becomes "2006-03-01"; ranges and seasons ("1998 Dec-1999 Jan",
    "2000 Spring") stay verbatim, because any single date made from them would be wrong.
    """
    text = " ".join(text.split())
    parts = text.split(" ")
    if parts and parts[0].isdigit() and len(parts) <= 3 and all(
        p.isdigit() or month_number(p) and p.isalpha() and len(p) <= 9 for p in parts[1:]
    ) and (len(parts) < 2 or month_number(parts[1]) is not None):
        return iso_date(*parts), int(parts[0])
    found = YEAR.search(text)
    return text or None, int(found.group(1)) if found else None
