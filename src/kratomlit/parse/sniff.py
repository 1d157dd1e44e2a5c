"""Which format a file is in, told from its content (a Scopus ``.txt`` or an Embase file
saved as ``.csv`` is still read right), and reading any of them into papers.

Formats: PubMed XML, MEDLINE text, RIS, Web of Science plain text, BibTeX, CSV/TSV, and
EndNote XML; gzip-compressed files too.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kratomlit.errors import InputFileError
from kratomlit.parse import fields
from kratomlit.records import Deletion, Paper

FORMATS = ("pubmed-xml", "medline", "ris", "wos", "bibtex", "csv", "endnote-xml")
NAMES = "PubMed XML, MEDLINE text, RIS, Web of Science text, BibTeX, CSV/TSV or EndNote XML"
_HEAD = 8192
_XML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_XML_ROOT = re.compile(r"<(?![?!])([A-Za-z_][\w:.-]*)")
_RIS_HEADER = re.compile(r"^(Provider|Database|Content):")
_BIBTEX = re.compile(r"^@[A-Za-z]+\s*[{(]")
_DELIMITERS = re.compile(r"[\t,;]")


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _binary(head: bytes) -> bool:
    controls = sum(b < 32 and b not in b"\t\n\r\f" for b in head)
    return b"\x00" in head or controls > len(head) // 50


def _format(head: bytes, label: str) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    elif _binary(head):
        raise InputFileError(f"{label}: binary data, not a format kratomlit reads ({NAMES})")
    else:
        text = head.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff").lstrip()
    lines = _lines(text)
    if not lines:
        raise InputFileError(f"{label}: the file is empty")
    if text.startswith("<"):
        root = _XML_ROOT.search(_XML_COMMENT.sub("", text))
        name = root.group(1) if root else ""
        from kratomlit.parse.pubmed_xml import ROOT_TAGS

        if name in ROOT_TAGS:
            return "pubmed-xml"
        if name == "xml":
            return "endnote-xml"
        found = f"root element <{name}>" if name else "no root element"
        raise InputFileError(f"{label}: XML, but neither PubMed XML nor EndNote XML ({found})")
    from kratomlit.parse.medline_text import looks_like_medline

    if looks_like_medline(text.encode()):
        return "medline"
    if lines[0].startswith("FN "):
        return "wos"
    records = [line for line in lines[:10] if not _RIS_HEADER.match(line)]
    if records and records[0].startswith("TY  -"):
        return "ris"
    first = next((line for line in lines if not line.lstrip().startswith("%")), "")
    if _BIBTEX.match(first.lstrip()):
        return "bibtex"
    header = lines[0]
    cells = _DELIMITERS.split(header)
    if len(cells) > 1 and max(len(cell) for cell in cells) <= 200:
        return "csv"
    raise InputFileError(f"{label}: not a format kratomlit reads ({NAMES})")


def sniff(source: str | Path, name: str | None = None) -> str:
    """The file's format, one of ``FORMATS``, from its first bytes.

    Raises ``InputFileError`` for a missing, unreadable, empty or binary file, or text in no
    format kratomlit reads.
    """
    label = fields.label_of(source, name)
    return _format(fields.read_bytes(source, label, _HEAD), label)


def iter_records(source: str | Path, fmt: str, name: str | None = None,
                 mapping: dict[str, str] | None = None) -> Iterator[Paper | Deletion]:
    """The records of a file in format ``fmt``; ``mapping`` (``--map``) applies to CSV."""
    label = fields.label_of(source, name)
    if fmt == "csv":
        from kratomlit.parse import csv_records

        yield from csv_records.iter_records(source, label, mapping)
    elif fmt in ("ris", "wos"):
        from kratomlit.parse import ris

        yield from ris.iter_records(source, label)
    elif fmt == "bibtex":
        from kratomlit.parse import bibtex

        yield from bibtex.iter_records(source, label)
    elif fmt == "endnote-xml":
        from kratomlit.parse import endnote_xml

        yield from endnote_xml.iter_records(source, label)
    else:
        from kratomlit.parse import medline_text, pubmed_xml

        reader = pubmed_xml.iter_records if fmt == "pubmed-xml" else medline_text.iter_records
        with fields.reading(label), fields.open_binary(source) as stream:
            yield from reader(stream, name=label)


def source_name(records: Iterable[Paper | Deletion]) -> str | None:
    """The database most of the records say they came from, if any say."""
    counts = Counter(r.source_db for r in records if isinstance(r, Paper) and r.source_db)
    return counts.most_common(1)[0][0] if counts else None


@dataclass
class Parsed:
    format: str
    records: list[Paper | Deletion]
    source_db: str | None  # the file's database, for ``import --source``'s default


def read(source: str | Path, name: str | None = None,
         mapping: dict[str, str] | None = None) -> Parsed:
    """Every record of a file in any format kratomlit reads, held in memory (database
    exports are small; PubMed baseline files go through the streaming import)."""
    fmt = sniff(source, name)
    records = list(iter_records(source, fmt, name, mapping))
    return Parsed(fmt, records, source_name(records))
