"""The interactive ``kratomlit screen`` on a real pseudo-terminal: typed text, reading the
whole abstract, highlighted keywords, notes, plain terminals."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from conftest import Terminal


def _stored(db: Path) -> list[tuple]:
    """Each decision with its reason and note exactly as SQLite holds them (bytes)."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT decision, CAST(reason AS BLOB), CAST(note AS BLOB) "
                            "FROM screening ORDER BY id").fetchall()


def _screen(db: Path, *args: str, **kwargs) -> Terminal:  # type: ignore[no-untyped-def]
    term = Terminal("screen", "--reviewer", "ana", *args,
                    env={**os.environ, "KRATOMLIT_DB": str(db)}, **kwargs)
    term.expect("[q] quit")
    return term


@pytest.mark.parametrize(("typed", "stored"), [
    ("étude non-pertinentf\x7fe", "étude non-pertinente"),  # backspace after ASCII
    ("研究対象外字\x7f", "研究対象外"),                       # backspace takes one CJK char
    ("naïve\x7f\x7fve", "naïve"),                             # ... and one accented char
])
def test_typed_reason_is_stored_exactly(real_db: Path, typed: str, stored: str) -> None:
    term = _screen(real_db)
    term.send("e")
    term.expect("[o] other")
    term.send("o")
    term.expect("press Enter")
    term.send(typed + "\r")
    term.expect("2/617")
    term.send("q")
    assert term.finish() == 0
    assert _stored(real_db) == [("exclude", stored.encode("utf-8"), None)]


def test_backspace_erases_a_wide_character_on_screen(real_db: Path) -> None:
    term = _screen(real_db)
    term.send("e")
    term.expect("[o] other")
    term.send("o")
    term.expect("press Enter")
    term.send("研")
    term.expect("研")
    term.send("\x7f")
    term.expect("\b\b  \b\b")  # two columns back, blanked, and back again
    term.send("\x1b")  # escape: no reason typed, nothing excluded
    term.expect("1/617")
    term.send("q")
    assert term.finish() == 0
    assert _stored(real_db) == []
