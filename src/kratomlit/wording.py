"""Counts in messages and views, worded once: "1 record", "1,642 records"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` with thousands separators and the noun in the right number."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"
