"""RIS files as Embase (Ovid), Scopus, Web of Science, APA PsycInfo (EBSCO), Cochrane
CENTRAL, Zotero and EndNote export them, and Web of Science's own plain-text format.

The flavours put the same things under different tags: the title in ``TI`` or ``T1``; the
journal in ``JF``, ``T2`` or ``JO`` and its abbreviation in ``J2`` or ``JA``; the year in
``PY``, ``Y1`` or ``DA``; the abstract in ``AB`` or ``N2``; authors in ``AU`` or ``A1``; the
database's accession number in ``AN`` (``ID`` for CENTRAL, the ``eid`` of Scopus' links);
the PMID in ``AN`` for MEDLINE and PubMed records, ``C2`` for Scopus, or a note or link.
rispy maps the tags to names and joins continuation lines. The file is cut into records
here first, so that a record without its ``ER`` (a truncated file) or text outside any record
is reported with its line instead of being dropped without a word, as rispy alone would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import rispy
from rispy.config import LIST_TYPE_TAGS

from kratomlit.errors import InputFileError
from kratomlit.parse import fields
from kratomlit.parse.dates import free_text_date, iso_date
from kratomlit.records import AbstractSection, Author, Paper

_BOOKS = {"BOOK", "CHAP", "EBOOK", "ECHAP", "EDBOOK"}
# Publishers' RIS files (Wiley, ACS...) may open with "Provider:/Database:/Content:" lines.
_HEADER = re.compile(r"^(Provider|Database|Content):\s*(.*)$")
# Tags read as lists: rispy's, and those some flavours repeat (CENTRAL's AN cross-references,
# Ovid's two SN). Other repeated tags keep their first value.
_LIST_TAGS = [*LIST_TYPE_TAGS, "AN", "C2", "DO", "LA", "M3", "SN", "ID"]
_PUBMED_ACCESSION = re.compile(r"^PUBMED\s+(\d+)$", re.IGNORECASE)  # CENTRAL's cross-reference


def _tag(line: str) -> str | None:
    """The tag of a RIS line, read as rispy reads it ("TY  - JOUR" -> "TY")."""
    if line[2:5] == "  -" and line[:2].isupper() and line[:1].isalpha():
        return line[:2]
    return None


def is_wos(lines: list[str]) -> bool:
    """Web of Science plain text opens with "FN Clarivate Analytics Web of Science"."""
    head = [line for line in lines[:5] if line.strip()]
    return bool(head) and head[0].lstrip("\ufeff").startswith("FN ")


def _ris_records(lines: list[str], label: str) -> Iterator[tuple[int, list[str]]]:
    """(line number of TY, the record's lines), checking that every record is closed."""
    start, record = 0, []
    for number, line in enumerate(lines, 1):
        tag = _tag(line)
        if not start:
            if tag == "TY":
                start, record = number, [line]
            elif line.strip() and not (number < 10 and _HEADER.match(line)):
                raise InputFileError(f"{label}: line {number} is outside any record (a RIS "
                                     f"record starts with 'TY  - '): {line[:60]!r}")
            continue
        if tag == "TY":
            raise InputFileError(f"{label}: the record at line {start} has no end (ER) "
                                 f"before the next record at line {number}")
        record.append(line)
        if tag == "ER":
            yield start, record
            start = 0
    if start:
        raise InputFileError(f"{label}: the record at line {start} has no end (ER); the "
                             "file may be cut short")


def _wos_records(lines: list[str], label: str) -> Iterator[tuple[int, list[str]]]:
    start, record = 0, []
    for number, line in enumerate(lines, 1):
        if not start:
            if line.startswith("PT "):
                start, record = number, [line]
            elif line.strip() and not line.lstrip("\ufeff").startswith(("FN ", "VR ", "EF")):
                raise InputFileError(f"{label}: line {number} is outside any record (a Web "
                                     f"of Science record starts with 'PT '): {line[:60]!r}")
            continue
        if line.startswith("PT "):
            raise InputFileError(f"{label}: the record at line {start} has no end (ER) "
                                 f"before the next record at line {number}")
        record.append(line)
        if line.rstrip() == "ER":
            yield start, record
            start = 0
    if start:
        raise InputFileError(f"{label}: the record at line {start} has no end (ER); the "
                             "file may be cut short")


def _each(entry: dict[str, Any], keys: tuple[str, ...]) -> Iterator[str]:
    for key in keys:
        value = entry.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and (text := fields.clean(item)):
                yield text


def _values(entry: dict[str, Any], *keys: str) -> list[str]:
    return list(_each(entry, keys))


def _first(entry: dict[str, Any], *keys: str) -> str | None:
    return next(_each(entry, keys), None)


def _date(value: str | None) -> str | None:
    """"2020/03/01/" or "2020//" (RIS) or "2020 Mar" -> ISO, as precise as it is."""
    if not value or fields.year(value) is None:
        return None
    if "/" in value:
        year, month, day, *_ = [*value.split("/"), "", "", ""]
        return iso_date(year, month, day)
    return free_text_date(value)[0]


def _checked(paper: Paper, label: str, line: int) -> Paper:
    if not (paper.title or paper.doi or paper.pmid):
        raise InputFileError(f"{label}: the record at line {line} has no title, DOI or PMID")
    return paper


def _identifiers(entry: dict[str, Any], header_db: str | None) -> dict[str, Any]:
    """PMID, PMCID, DOI, accession number and database, wherever the flavour keeps them."""
    db = _first(entry, "name_of_database")
    provider = _first(entry, "database_provider")
    where = f"{db or ''} {provider or ''}".lower()
    from_medline = any(word in where for word in ("medline", "pubmed", "nlm"))
    found = fields.ids_in_text(_values(entry, "notes", "note", "urls", "file_attachments1",
                                       "file_attachments2"))
    pmid, accession = None, None
    for value in _values(entry, "accession_number"):
        cross = _PUBMED_ACCESSION.match(value)
        if cross or (from_medline and value.isdigit()):
            pmid = pmid or fields.pmid(cross.group(1) if cross else value)
        elif accession is None:
            accession = value
    # CENTRAL's own id comes first; its AN lines cross-reference PubMed and Embase.
    accession = next((v for v in _values(entry, "id") if v.startswith("CN-")), None) \
        or accession or found.get("eid") or found.get("central") or found.get("accession")
    custom2 = _values(entry, "custom2")  # Scopus: the PMID; EndNote: the PMCID
    if custom2 and ("scopus" in where or "eid" in found):
        pmid = pmid or fields.pmid(custom2[0])
    pmid = pmid or fields.pmid(found.get("pmid"))
    if pmid is not None and accession == str(pmid):
        accession = None  # kratomlit's own exports put the PMID in AN
    return {
        "pmid": pmid, "accession": accession,
        "doi": fields.doi(_first(entry, "doi")) or fields.doi(found.get("doi")),
        "pmcid": next((fields.pmcid(v) for v in custom2 if fields.pmcid(v)), None)
        or fields.pmcid(found.get("pmcid")),
        "source_db": fields.database_name(db) or fields.database_of(accession)
        or fields.database_name(provider) or header_db,
    }


def _ris_paper(entry: dict[str, Any], label: str, line: int, header_db: str | None) -> Paper:
    journal = _first(entry, "alternate_title3", "secondary_title", "journal_name")
    other = _first(entry, "journal_name")
    # Web of Science writes its abbreviations in JI (ISO) and J9 (29 characters).
    abbreviation = _first(entry, "alternate_title2", "alternate_title1") or _first(
        entry.get("unknown_tag") or {}, "JI", "J9") or (other if other != journal else None)
    dates = [_first(entry, key) for key in ("date", "publication_year", "year")]
    abstract = _first(entry, "abstract", "notes_abstract")
    kind = (_first(entry, "type_of_reference") or "").upper()
    return _checked(Paper(
        title=_first(entry, "title", "primary_title") or "",
        abstract_sections=[AbstractSection(text=abstract)] if abstract else [],
        journal=journal,
        journal_iso=abbreviation,
        volume=_first(entry, "volume"),
        issue=_first(entry, "number"),
        pages=fields.pages(_first(entry, "start_page"), _first(entry, "end_page")),
        year=next((y for y in map(fields.year, reversed(dates)) if y), None),
        pub_date=next((d for d in map(_date, dates) if d), None),
        authors=fields.authors(_values(entry, "authors") or _values(entry, "first_authors")),
        languages=_values(entry, "language"),
        publication_types=_values(entry, "type_of_work"),
        keywords=fields.keywords(_values(entry, "keywords")),
        record_type="book" if kind in _BOOKS else "article",
        **_identifiers(entry, header_db),
    ), label, line)


def _wos_paper(entry: dict[str, Any], label: str, line: int) -> Paper:
    abstract = _first(entry, "abstract")
    names = _values(entry, "author_full_name") or _values(entry, "authors")
    groups = [Author(collective_name=name) for name in _values(entry, "group_authors")]
    return _checked(Paper(
        pmid=fields.pmid(_first(entry, "pubmed_id")),
        title=_first(entry, "document_title") or "",
        abstract_sections=[AbstractSection(text=abstract)] if abstract else [],
        journal=_first(entry, "publication_name"),
        journal_iso=_first(entry, "iso_source_abbreviation", "source_abbreviation_29c"),
        volume=_first(entry, "volume"),
        issue=_first(entry, "issue"),
        pages=fields.pages(_first(entry, "beginning_page"), _first(entry, "ending_page"))
        or _first(entry, "article_number"),
        year=fields.year(_first(entry, "publication_year", "early_access_year")),
        authors=fields.authors(names) + groups,
        languages=_values(entry, "language"),
        publication_types=fields.keywords(_values(entry, "document_type")),
        keywords=fields.keywords(_values(entry, "author_keywords")),
        doi=fields.doi(_first(entry, "doi")),
        accession=_first(entry, "accession_number"),
        source_db="Web of Science",
    ), label, line)


def iter_records(source: fields.Source, name: str | None = None) -> Iterator[Paper]:
    """Yield each record of a RIS or Web of Science plain-text file.

    Raises ``InputFileError`` naming the file and line for a record that is not closed,
    text outside any record, a record with no title, DOI or PMID, or text that is not UTF-8.
    """
    label = fields.label_of(source, name)
    lines = fields.read_text(source, label).splitlines()
    if is_wos(lines):
        wos = rispy.WokParser(skip_unknown_tags=True)  # (its mapping has no "unknown" key)
        for line, record in _wos_records(lines, label):
            yield _wos_paper(wos.parse_lines(iter(record))[0], label, line)
        return
    header_db = next((m.group(2).strip() for m in map(_HEADER.match, lines[:10])
                      if m and m.group(1) == "Database" and m.group(2).strip()), None)
    parser = rispy.RisParser(list_tags=_LIST_TAGS)
    for line, record in _ris_records(lines, label):
        yield _ris_paper(parser.parse_lines(iter(record))[0], label, line, header_db)
