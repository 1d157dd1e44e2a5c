"""Fuzzing the importers with mutated real records: stored whole or refused cleanly."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratomlit.errors import InputFileError
from kratomlit.jobs.import_files import import_files
from kratomlit.store import Store

from conftest import PUBMED, require_pubmed

require_pubmed()  # the mutations below are built from real files, at import
XML = (PUBMED / "efetch-pubmed1.xml").read_bytes()
MEDLINE = (PUBMED / "medline-pubmed_result2.txt").read_bytes()
ELEMENTS = [b"ArticleTitle", b"AbstractText", b"PMID", b"Author", b"PubDate", b"Year",
            b"Month", b"Day", b"Journal", b"MeshHeading", b"ArticleId", b"MedlineCitation"]
ODD = ["\x00", "\x01", "\x0b", "\u202e", "\ufeff", "\U0001f9ea", "&", "<", "]]>", "\ud7ff",
       "é", "\u2028", "'", '"']


def _element(data: bytes, tag: bytes, nth: int) -> tuple[int, int] | None:
    """Start and end offsets of the nth <tag> element, or None."""
    start = -1
    for _ in range(nth + 1):
        start = data.find(b"<" + tag, start + 1)
        if start < 0:
            return None
    end = data.find(b"</" + tag + b">", start)
    return None if end < 0 else (start, end + len(tag) + 3)


def _drop(data: bytes, tag: bytes, nth: int) -> bytes:
    found = _element(data, tag, nth)
    return data if found is None else data[:found[0]] + data[found[1]:]


def _duplicate(data: bytes, tag: bytes, nth: int) -> bytes:
    found = _element(data, tag, nth)
    return data if found is None else data[:found[1]] + data[found[0]:]


def _insert_text(data: bytes, position: int, text: str) -> bytes:
    # Put odd text inside an element's content (after a '>'), where parsers read text.
    spot = data.find(b">", position % len(data))
    spot = spot if spot >= 0 else 0
    return data[:spot + 1] + text.encode("utf-8", "surrogatepass") + data[spot + 1:]


mutation = st.one_of(
    st.tuples(st.just("truncate"), st.integers(1, len(XML) - 1)),
    st.tuples(st.just("drop"), st.sampled_from(ELEMENTS), st.integers(0, 5)),
    st.tuples(st.just("duplicate"), st.sampled_from(ELEMENTS), st.integers(0, 5)),
    st.tuples(st.just("odd"), st.integers(0, len(XML)), st.sampled_from(ODD)),
    st.tuples(st.just("long"), st.integers(0, len(XML)), st.integers(10_000, 200_000)),
    st.tuples(st.just("date"), st.sampled_from([b"<Year>20x5</Year>", b"<Month>13</Month>",
                                                b"<Day>45</Day>", b"<Year></Year>",
                                                b"<Month>Smarch</Month>"])),
)


def _mutate(data: bytes, how: tuple) -> bytes:
    kind = how[0]
    if kind == "truncate":
        return data[:how[1]]
    if kind == "drop":
        return _drop(data, how[1], how[2])
    if kind == "duplicate":
        return _duplicate(data, how[1], how[2])
    if kind == "odd":
        return _insert_text(data, how[1], how[2])
    if kind == "long":
        return _insert_text(data, how[1], "kratom " * (how[2] // 7))
    tag = how[1].split(b">")[0] + b">"
    closing = b"</" + tag[1:]
    start = data.find(tag)
    end = data.find(closing, start)
    return data if start < 0 or end < 0 else data[:start] + how[1] + data[end + len(closing):]


def _outcome(payload: bytes, suffix: str) -> tuple[str, int]:
    """('stored'|'rejected', papers in the database) for one mutated file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"mutant{suffix}"
        path.write_bytes(payload)
        with Store(Path(tmp) / "fuzz.db") as store:
            try:
                result = import_files(store, [path])
            except InputFileError as exc:
                assert "mutant" in str(exc) and "\n" not in str(exc)
                kind = "rejected"
            else:
                kind = "stored"
                assert result.counts.new == result.records - result.counts.deleted
            count = store.db.execute("SELECT count(*) FROM papers").fetchone()[0]
            fts = store.db.execute("SELECT count(*) FROM papers_fts").fetchone()[0]
            assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with sqlite3.connect(Path(tmp) / "fuzz.db") as conn:
            runs = conn.execute("SELECT status FROM fetch_runs").fetchall()
    assert fts == count
    if kind == "rejected":
        assert count == 0, "a refused file must leave nothing behind"
        assert runs in ([], [("failed",)])  # refused before starting, or recorded as failed
    else:
        assert runs == [("ok",)]
    return kind, count


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation)
def test_mutated_xml_is_stored_or_refused_cleanly(how: tuple) -> None:
    _outcome(_mutate(XML, how), ".xml")


medline_mutation = st.one_of(
    st.tuples(st.just("truncate"), st.integers(1, len(MEDLINE) - 1)),
    st.tuples(st.just("bytes"), st.integers(0, len(MEDLINE) - 1),
              st.binary(min_size=1, max_size=8)),
)


@settings(max_examples=40, deadline=None)
@given(medline_mutation)
def test_mutated_medline_text_is_stored_or_refused_cleanly(how: tuple) -> None:
    if how[0] == "truncate":
        payload = MEDLINE[:how[1]]
    else:
        payload = MEDLINE[:how[1]] + how[2] + MEDLINE[how[1]:]
    if not payload.lstrip().startswith(b"PMID-"):
        payload = MEDLINE[:6] + payload  # keep it recognisable as MEDLINE text
    _outcome(payload, ".txt")
