"""Dates: the one parser for every date option, and publication dates as PubMed writes
them, turned into ISO strings without guessing."""

from __future__ import annotations

import datetime as dt
import re

from kratomlit.errors import UsageError

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


_OPTION_DATE = re.compile(r"^(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?$")


def tomorrow() -> dt.date:
    # NCBI dates records in US Eastern time and first_seen is UTC; a day of margin covers
    # every time zone.
    return dt.date.today() + dt.timedelta(days=1)


def parse_date(value: str, option: str, *, end: bool = False) -> dt.date:
    """A date option's value: ``YYYY``, ``YYYY/MM`` or ``YYYY/MM/DD`` (``-`` also accepted).

    A partial date means its first day, or with ``end`` its last day, so
    ``--since 2020 --until 2020`` covers the whole year. Impossible dates (2026-02-30,
    0000) and dates wholly in the future are usage errors, the same for every option.
    """
    found = _OPTION_DATE.match(value.strip())
    try:
        if not found:
            raise ValueError
        year, month, day = (int(g) if g else None for g in found.groups())
        assert year is not None
        first = dt.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        raise UsageError(
            f"invalid date for {option}: {value!r} (use YYYY, YYYY/MM or YYYY/MM/DD)"
        ) from None
    if first > tomorrow():
        raise UsageError(f"{option} {value} is in the future")
    if not end or day is not None:
        return first
    if month is None:
        return dt.date(year, 12, 31)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)
