"""Bad files for the readers: one line naming the file and the line (or record) at fault,
and never anything but ``InputFileError``, whatever the bytes."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kratomlit.errors import InputFileError, UsageError
from kratomlit.parse import csv_records, sniff

from conftest import FIXTURES

EXPORTS = FIXTURES / "exports"


def _error(path: Path, **options: dict[str, str]) -> str:
    with pytest.raises(InputFileError) as caught:
        sniff.read(path, **options)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)), message
    return message


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def _line_of(text: str, start: str, nth: int = 1) -> int:
    found = [i for i, line in enumerate(text.splitlines(), 1) if line.startswith(start)]
    return found[nth - 1]


def test_truncated_ris_names_the_unclosed_record(tmp_path: Path) -> None:
    text = (EXPORTS / "scopus.ris").read_text()
    cut = _write(tmp_path, "cut.ris", text[:text.rindex("ER  -")])
    second = _line_of(text, "TY  -", 2)
    assert f"the record at line {second} has no end (ER)" in _error(cut)


def test_ris_record_missing_its_end_before_the_next(tmp_path: Path) -> None:
    text = (EXPORTS / "scopus.ris").read_text()
    first_end = text.index("ER  -")
    second = text.index("TY  -", first_end)
    joined = _write(tmp_path, "joined.ris", text[:first_end] + text[second:])
    assert "the record at line 1 has no end (ER) before the next record at line" in \
        _error(joined)


def test_ris_text_outside_records_and_empty_records(tmp_path: Path) -> None:
    text = (EXPORTS / "zotero.ris").read_text()
    stray = _write(tmp_path, "stray.ris", text.replace("ER  - \n\n", "ER  - \nstray words\n", 1))
    assert "is outside any record" in _error(stray) and "stray words" in _error(stray)
    empty = _write(tmp_path, "empty.ris", "TY  - JOUR\nPY  - 2020\nER  - \n")
    assert "the record at line 1 has no title, DOI or PMID" in _error(empty)


def test_wos_plain_text_cut_short(tmp_path: Path) -> None:
    text = (EXPORTS / "wos.txt").read_text()
    cut = _write(tmp_path, "savedrecs.txt", text[:text.rindex("ER\n")])
    assert f"the record at line {_line_of(text, 'PT ', 2)} has no end (ER)" in _error(cut)


def test_malformed_bibtex_names_the_entry(tmp_path: Path) -> None:
    text = (EXPORTS / "zotero.bib").read_text()
    broken = _write(tmp_path, "broken.bib", text.replace("year = {2019},", "year = {2019,", 1))
    line = _line_of(text, "@book")
    assert f"malformed BibTeX in the entry at line {line}" in _error(broken)
    none = _write(tmp_path, "none.bib", "@comment{nothing here}\n")
    assert "no BibTeX entries" in _error(none)
    untitled = _write(tmp_path, "untitled.bib", "\n@article{key1,\n  year = {2020}\n}\n")
    assert "the entry at line 2 (key1) has no title, DOI or PMID" in _error(untitled)


def test_csv_without_a_title_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "odd.csv", "Name,Year\nKratom survey,2020\n")
    message = _error(path)
    assert "line 1 has no title column" in message and "--map title=HEADER" in message
    parsed = sniff.read(path, mapping=csv_records.parse_map(["title=Name"]))
    assert parsed.records[0].title == "Kratom survey"  # type: ignore[union-attr]
    assert "line 1 has no column 'Heading'" in _error(path, mapping={"title": "Heading"})


def test_csv_rows_that_do_not_fit_the_header(tmp_path: Path) -> None:
    extra = _write(tmp_path, "extra.csv", "Title,Year\nOne,2020\nTwo,2021,oops\n")
    assert "line 3 has 3 cells where the header has 2" in _error(extra)
    quoted = _write(tmp_path, "quoted.csv", 'Title,Year\n"One",2020\n"Two" x,2021\n')
    assert "malformed CSV at line 3" in _error(quoted)
    blank = _write(tmp_path, "blank.csv", "Title,DOI,Year\n,,2020\n")
    assert "the row at line 2 has no title, DOI or PMID" in _error(blank)


def test_csv_rows_are_numbered_by_their_first_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "multi.csv",
                  'Title,Abstract,Year\nOne,"two\nlines",2020\n,,2021\nThree,x,2022\n')
    assert "the row at line 4 has no title" in _error(path)


def test_empty_rows_are_skipped_and_utf16_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "gaps.csv", "Title,Year\n\nOne,2020\n,\n")
    assert [p.title for p in sniff.read(path).records] == ["One"]  # type: ignore[union-attr]
    excel = _write(tmp_path, "unicode.txt",
                   codecs.BOM_UTF16_LE + "Title\tYear\r\nMüller's kratom\t2020\r\n"
                   .encode("utf-16-le"))
    assert sniff.read(excel).records[0].title == "Müller's kratom"  # type: ignore[union-attr]


def test_text_in_another_encoding_names_the_line(tmp_path: Path) -> None:
    latin1 = _write(tmp_path, "latin1.csv", "Title,Year\nKratom,2020\nM\xfcller,2021\n"
                    .encode("latin-1"))
    assert "not UTF-8 text at line 3 (byte 0xfc); save the file as UTF-8" in _error(latin1)
    ris = _write(tmp_path, "cp1252.ris", "TY  - JOUR\nTI  - Caf\xe9\nER  - \n".encode("cp1252"))
    assert "not UTF-8 text at line 2" in _error(ris)


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"\n\n  \n", "the file is empty"),
    (bytes(range(256)) * 8, "binary data, not a format kratomlit reads"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    (b"Just some prose\nwith no structure at all\n", "not a format kratomlit reads"),
    (b"<?xml version='1.0'?>\n<!-- <xml> --><library><item/></library>",
     "XML, but neither PubMed XML nor EndNote XML (root element <library>)"),
])
def test_files_in_no_known_format(tmp_path: Path, content: bytes, expected: str) -> None:
    assert expected in _error(_write(tmp_path, "junk.dat", content))


def test_missing_files_and_folders(tmp_path: Path) -> None:
    assert _error(tmp_path / "nowhere.ris").endswith("no such file")
    assert _error(tmp_path).endswith("is a folder, not a file")


def test_bad_endnote_xml(tmp_path: Path) -> None:
    text = (EXPORTS / "endnote.xml").read_text()
    broken = _write(tmp_path, "broken.xml", text.replace("</titles>", "", 1))
    assert "malformed XML at line 1" in _error(broken)
    untitled = _write(tmp_path, "untitled.xml", text.replace(
        "<title><style face=\"normal\" font=\"default\" size=\"100%\">A made-up survey of kratom "
        "vendors in a synthetic province</style></title>", ""))
    assert "record 2 (line 1) has no title, DOI or PMID" in _error(untitled)
    hostile = _write(tmp_path, "hostile.xml",
                     '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     "<xml><records><record><titles><title>&x;</title></titles></record>"
                     "</records></xml>")
    title = sniff.read(hostile).records[0].title  # type: ignore[union-attr]
    assert title == "&x;"  # the entity is never expanded: nothing is read from disk


@pytest.mark.parametrize("value", ["title", "title=", "colour=Colour", "=Title"])
def test_bad_map_options_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        csv_records.parse_map([value])
    assert caught.value.exit_code == 2
    assert "use FIELD=HEADER" in str(caught.value)


FILES = sorted(EXPORTS.iterdir())


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(FILES) - 1), cut=st.integers(0, 4000),
       junk=st.binary(max_size=8), at=st.integers(0, 4000))
def test_damaged_exports_are_read_or_refused_cleanly(tmp_path: Path, index: int, cut: int,
                                                     junk: bytes, at: int) -> None:
    data = FILES[index].read_bytes()
    data = data[:at] + junk + data[at:cut] if cut > at else data[:cut] + junk + data[cut:at]
    path = tmp_path / FILES[index].name
    path.write_bytes(data)
    try:
        sniff.read(path)
    except InputFileError as exc:
        assert "\n" not in str(exc)
