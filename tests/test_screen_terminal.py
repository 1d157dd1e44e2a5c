"""The interactive ``kratomlit screen`` on a real pseudo-terminal: typed text, reading the
whole abstract, highlighted keywords, notes, plain terminals."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import Terminal, paper_id


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


LONG = 26432320  # a real RCT whose abstract (7 sections) is three screens long at 80x24


def _sections(db: Path, pmid: int) -> list[dict]:
    from kratomlit.store import Store

    with Store(db) as store:
        return store.get_paper(paper_id(store, pmid))["abstract_sections"]


def _status(term: Terminal) -> tuple[int, int, int]:
    """The abstract lines shown (first, last) and how many there are, from the "more" line."""
    found = re.findall(r"lines (\d+)–(\d+) of (\d+)", term.text())
    assert found, term.text()
    first, last, total = map(int, found[-1])
    return first, last, total


def test_the_hidden_end_of_a_long_abstract_scrolls_into_view(real_db: Path) -> None:
    sections = _sections(real_db, LONG)
    conclusions = " ".join(next(s["text"] for s in sections
                                if s["label"] == "CONCLUSIONS").split()[-8:])
    end = " ".join(sections[-1]["text"].split()[-6:])
    term = _screen(real_db, "--search", "maxillary protraction")
    assert f"PMID {LONG}" in term.text()
    first, last, total = _status(term)
    assert first == 1 and last < total
    assert conclusions not in term.text() and end not in term.text()
    seen = term.text()
    for _ in range(total):  # page on with space until the last line shows
        if _status(term)[1] == total:
            break
        term.send(" ")
        term.expect("of ")
        term.expect("[q] quit")
        seen += term.text()
    assert _status(term)[1] == total
    assert conclusions in seen and end in term.text()
    assert "[q] quit" in term.text()  # the keys stay on screen
    term.send("k")  # a line back
    term.expect("[q] quit")
    assert _status(term)[0] == total - (last - first + 1)
    for key in ["\x1b[5~", "b"] * total:  # page up and b, a page back each, to the top
        before = _status(term)[0]
        term.send(key)
        term.expect("[q] quit")
        assert _status(term)[0] == max(1, before - (last - first))
        if _status(term)[0] == 1:
            break
    assert _status(term)[0] == 1
    term.send("\x1b[B")
    term.expect("[q] quit")
    assert _status(term)[0] == 2
    term.send("i")  # one key still decides, wherever the abstract is
    term.expect("2/2")
    term.send("q")
    assert term.finish() == 0
    assert _stored(real_db) == [("include", None, None)]


def _screens(term: Terminal) -> list[bytes]:
    """Each full screen drawn since the last keys (the terminal is cleared before each)."""
    return [part for part in term.seen.split(b"\x1b[2J") if b"[q] quit" in part
            or b"[o] other" in part]


@pytest.mark.parametrize(("rows", "columns"), [(24, 80), (30, 120), (16, 60)])
def test_every_screen_fits_the_terminal(real_db: Path, rows: int, columns: int) -> None:
    term = _screen(real_db, "--search", "maxillary protraction", size=(rows, columns))
    drawn = _screens(term)
    term.send("e")  # the reasons take the keys' place, the paper stays
    term.expect("[o] other")
    drawn += _screens(term)
    term.send("\x1b")
    term.expect("[q] quit")
    term.send("q")
    assert term.finish() == 0
    assert len(drawn) >= 2
    for screen in drawn:
        lines = screen.decode().split("\r\n")
        # at most rows - 1 lines, so nothing scrolls off and the cursor line stays free
        assert len(lines) <= rows, lines
        assert f"PMID {LONG}" in lines[0]
        plain = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line) for line in lines]
        assert all(len(line) <= columns for line in plain), plain
        assert "[q] quit" in plain[-2] or "[o] other" in plain[-2], plain


def test_highlighted_keywords(real_db: Path) -> None:
    term = _screen(real_db, "--search", "maxillary protraction", "--highlight",
                   "protraction", "--highlight", "expan*,randomized controlled")
    screen = term.seen.decode()
    reversed_words = re.findall(r"\x1b\[(?:\d+;)*7m([^\x1b]+)\x1b\[0m", screen)
    words = {w.lower() for w in reversed_words}
    assert {"protraction", "expansion", "randomized controlled"} <= words, reversed_words
    assert "Protraction" in reversed_words or "protraction" in reversed_words
    term.send("q")
    assert term.finish() == 0


def test_plain_terminal_screens_with_marked_keywords(real_db: Path) -> None:
    term = _screen(real_db, "--search", "maxillary protraction", "--highlight", "protraction",
                   term="dumb")
    assert b"\x1b[" not in term.seen  # no escape codes at all
    assert f"PMID {LONG}" in term.text() and "**protraction**" in term.text()
    term.send(" ")
    term.expect("[q] quit")
    assert _status(term)[0] > 1
    term.send("e")
    term.expect("[o] other")
    term.send("2")
    term.expect("2/2")
    term.send("q")
    assert term.finish() == 0
    assert _stored(real_db) == [("exclude", b"wrong design", None)]


def test_a_typed_note_is_saved_with_the_decision(real_db: Path) -> None:
    term = _screen(real_db)
    term.send("n")
    term.expect("Type a note")
    term.send("à relire : 研究対象外?\r")
    term.expect("Note: à relire : 研究対象外?")
    term.send("m")
    term.expect("2/617")
    assert "Note:" not in term.text()  # the note belonged to the first paper
    term.send("q")
    assert term.finish() == 0
    assert _stored(real_db) == [("maybe", None, "à relire : 研究対象外?".encode())]


@pytest.mark.parametrize(("words", "text", "marked"), [
    (["kratom"], "Kratom, kratom's and kratoms", ["Kratom", "kratom"]),
    (["depress*"], "Depression and depressive, not antidepressant", ["Depression",
                                                                    "depressive"]),
    (["opioid use", "opioid"], "opioid  use disorder; opioids", ["opioid  use"]),
    (["7-oh"], "7-OH and 7-OHMG", ["7-OH"]),
])
def test_highlight_words_stems_and_phrases(words: list[str], text: str,
                                           marked: list[str]) -> None:
    from kratomlit.cli.screen_session import highlighter as _highlighter

    pattern = _highlighter(words)
    assert pattern is not None
    assert pattern.findall(text) == marked


def test_bad_highlight_is_one_line(runner, real_db: Path) -> None:  # type: ignore[no-untyped-def]
    from kratomlit.cli import app

    from conftest import one_line_error

    result = runner.invoke(app, ["screen", "--reviewer", "ana", "--highlight", "*"])
    one_line_error(result, "--highlight")
    assert result.exit_code == 2


def test_a_retraction_shows_even_when_the_journal_is_cut(real_db: Path) -> None:
    import io

    from kratomlit.parse.pubmed_xml import iter_records
    from kratomlit.store import Store

    from conftest import retracted_record

    with Store(real_db) as store:
        store.save_papers(list(iter_records(io.BytesIO(retracted_record()))), source="test")
    term = _screen(real_db, "--search", "budesonide formoterol", size=(24, 44))
    first = term.text().split(" Inhaled")[0]
    assert "RETRACTED" in first and "PMID 29768149" in first
    term.send("q")
    assert term.finish() == 0
