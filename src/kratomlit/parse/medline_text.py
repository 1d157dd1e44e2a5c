"""Parser for MEDLINE text exports from the PubMed website (``.txt``, ``.nbib``).

The format is a sequence of records separated by blank lines; each line is a
four-character tag padded with spaces, ``- ``, then the value, and long values
continue on lines indented by six spaces. Exports are meant to be UTF-8, but
files passed through older reference managers arrive in Latin-1 or cp1252, so
lines that are not valid UTF-8 are decoded leniently rather than refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from kratomlit.errors import InputFileError
from kratomlit.parse.dates import free_text_date, iso_date
from kratomlit.records import AbstractSection, Author, MeshHeading, Paper

_LINE = re.compile(r"^([A-Z][A-Z0-9 ]{1,3})- ?(.*)$")
_FIRST_LINE = re.compile(rb"^\s*PMID- ?\d+", re.MULTILINE)
# A structured abstract in MEDLINE text is one paragraph whose sections start with
# an upper-case label and a colon ("BACKGROUND: ... METHODS: ...").
_SECTION = re.compile(r"(?:^|(?<=[.?!)\]]\s))([A-Z][A-Z0-9 ,&/()-]{2,60}[A-Z)]):\s")
_ID_KIND = re.compile(r"^(.*?)\s*\[([a-z-]+)\]$")


def looks_like_medline(head: bytes) -> bool:
    """True when the first bytes of a file are a MEDLINE text record."""
    return bool(_FIRST_LINE.match(head.lstrip(b"\xef\xbb\xbf")))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _fields(lines: Iterable[tuple[int, str]], label: str
            ) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """Group lines into records: (line number of the PMID, [(tag, value), ...])."""
    record: list[tuple[str, str]] = []
    start = 0
    for number, line in lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            if record:
                yield start, record
                record = []
            continue
        if line.startswith("      ") and record:
            tag, value = record[-1]
            record[-1] = (tag, f"{value} {line.strip()}")
            continue
        match = _LINE.match(line)
        if match is None:
            raise InputFileError(f"{label}: not MEDLINE text at line {number}: {line[:60]!r}")
        if not record:
            start = number
        record.append((match.group(1).strip(), match.group(2).strip()))
    if record:
        yield start, record


def _sections(text: str) -> list[AbstractSection]:
    matches = list(_SECTION.finditer(text))
    if not matches or matches[0].start() != 0:
        return [AbstractSection(text=text)] if text else []
    sections = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        sections.append(AbstractSection(text=text[match.end():end].strip(), label=match.group(1)))
    return sections


def _compact_date(value: str | None) -> str | None:
    """"20060110" or "2002/09/17 10:00" -> ISO."""
    if not value:
        return None
    digits = value.split(" ")[0].replace("/", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    return iso_date(digits[:4], digits[4:6], digits[6:8])


def _authors(fields: list[tuple[str, str]]) -> list[Author]:
    """FAU/AU pairs, CN collective names, and the AD/AUID lines that follow an author."""
    authors: list[Author] = []
    current: Author | None = None
    pending_affiliation: str | None = None
    awaiting_au = False  # an FAU line is followed by its AU line, which gives the initials
    for tag, value in fields:
        if tag == "FAU":
            last, _, fore = value.partition(",")
            current = Author(last_name=last.strip() or None, fore_name=fore.strip() or None,
                             affiliation=pending_affiliation)
            authors.append(current)
            pending_affiliation = None
            awaiting_au = True
        elif tag == "AU" and awaiting_au and current is not None:
            last = current.last_name or ""
            current.initials = value[len(last):].strip() or None if value.startswith(last) else None
            awaiting_au = False
        elif tag == "AU":  # older records have AU ("Smith JA") without FAU
            last, _, initials = value.rpartition(" ")
            current = Author(last_name=last or value, initials=initials if last else None)
            authors.append(current)
        elif tag == "CN":
            current = Author(collective_name=value)
            authors.append(current)
        elif tag == "AD" and current is None:
            pending_affiliation = value  # older records give AD before the authors
        elif current is None:
            continue
        elif tag == "AD" and current.affiliation is None:
            current.affiliation = value
        elif tag == "AUID" and current is not None and "ORCID" in value:
            current.orcid = value.split(":", 1)[-1].strip()
    return authors


def _paper(fields: list[tuple[str, str]], label: str, line: int) -> Paper:
    values: dict[str, list[str]] = {}
    for tag, value in fields:
        values.setdefault(tag, []).append(value)

    def first(tag: str) -> str | None:
        found = values.get(tag)
        return found[0] if found else None

    pmid_text = first("PMID") or ""
    if not pmid_text.isdigit():
        raise InputFileError(f"{label}: record at line {line} has no valid PMID")
    ids: dict[str, str] = {}
    for value in values.get("AID", []) + values.get("LID", []):
        match = _ID_KIND.match(value)
        if match:
            ids.setdefault(match.group(2), match.group(1))
    pub_date, year = free_text_date(first("DP") or "")
    pmc = first("PMC")
    publication_types = values.get("PT", [])
    return Paper(
        pmid=int(pmid_text),
        title=first("TI") or first("BTI") or "",
        abstract_sections=_sections(first("AB") or ""),
        journal=first("JT"),
        journal_iso=first("TA"),
        volume=first("VI"),
        issue=first("IP"),
        pages=first("PG"),
        year=year,
        pub_date=pub_date,
        electronic_date=_compact_date(first("DEP")),
        entrez_date=_compact_date(first("EDAT")),
        revised_date=_compact_date(first("LR")),
        authors=_authors(fields),
        languages=values.get("LA", []),
        publication_types=publication_types,
        mesh=[_mesh(v) for v in values.get("MH", [])],
        keywords=values.get("OT", []),
        doi=ids.get("doi"),
        pmcid=pmc if pmc and pmc.startswith("PMC") else None,
        pii=ids.get("pii"),
        citation_status=first("STAT"),
        record_type="book" if first("BTI") and not first("TI") else "article",
        retracted="Retracted Publication" in publication_types or bool(values.get("RIN")),
        errata=values.get("EIN", []),
    )


def _mesh(value: str) -> MeshHeading:
    """"*Computational Biology" or "Mitragyna/*chemistry/toxicity"."""
    descriptor, *qualifiers = value.split("/")
    major = descriptor.startswith("*") or any(q.startswith("*") for q in qualifiers)
    return MeshHeading(descriptor=descriptor.lstrip("*"), major=major,
                       qualifiers=[q.lstrip("*") for q in qualifiers])


def _raw_lines(source: IO[bytes]) -> Iterator[bytes]:
    """Lines of a byte stream that offers only ``read`` (import counts bytes as it reads)."""
    pending = b""
    while chunk := source.read(1 << 16):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


def iter_records(source: str | Path | IO[bytes], name: str | None = None) -> Iterator[Paper]:
    """Yield each record of a MEDLINE text export, one at a time (memory stays flat).

    Raises ``InputFileError`` naming the file and line for text that is not MEDLINE.
    """
    label = name or (str(source) if isinstance(source, str | Path) else
                     str(getattr(source, "name", "<stream>")))
    if isinstance(source, str | Path):
        with open(source, "rb") as stream:
            yield from iter_records(stream, name=label)
        return
    lines = ((number, _decode(raw).lstrip("\ufeff") if number == 1 else _decode(raw))
             for number, raw in enumerate(_raw_lines(source), 1))
    for line, fields in _fields(lines, label):
        yield _paper(fields, label, line)
