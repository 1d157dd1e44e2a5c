"""CSV and tab-separated files with a header row: the exports of Scopus, Web of Science
(tab-delimited, or its Excel export saved as CSV), PubMed, Zotero, Covidence, Rayyan and
ASReview, and kratomlit's own.

Each field is read from the first of its usual headers (``COLUMNS``; any case) that the file
has; ``--map FIELD=HEADER`` names the column for a field when a file's headers are unusual.
The delimiter (comma, tab or semicolon) is the one the header row uses most. Text must be
UTF-8, with or without a byte-order mark (or UTF-16 with one, as Excel's "Unicode text").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from kratomlit.errors import InputFileError, UsageError
from kratomlit.parse import fields
from kratomlit.records import AbstractSection, Paper

# field -> the headers that hold it, in order of preference (compared in lower case).
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "article title", "document title", "ti", "primary_title"),
    # Full names first: "Smith, John" says more than "Smith J".
    "authors": ("author full names", "af", "authors", "author", "au", "author names"),
    "year": ("year", "publication year", "published year", "py", "date"),
    "journal": ("source title", "journal", "journal/book", "publication title", "so",
                "journal title", "secondary_title"),
    "journal_iso": ("abbreviated source title", "journal_iso", "journal iso abbreviation",
                    "ji", "j9", "journal abbreviation"),
    "volume": ("volume", "vl"),
    "issue": ("issue", "is", "number"),
    "pages": ("pages", "page range"),
    "start_page": ("page start", "start page", "bp"),
    "end_page": ("page end", "end page", "ep"),
    "article_number": ("art. no.", "article number", "ar"),
    "doi": ("doi", "di"),
    "pmid": ("pubmed id", "pmid", "pm", "pubmed_id"),
    "pmcid": ("pmcid",),
    "abstract": ("abstract", "abstract note", "ab"),
    "keywords": ("author keywords", "keywords", "de", "manual tags"),
    "language": ("language of original document", "language", "la"),
    "type": ("document type", "publication type", "dt"),
    "accession": ("accession number", "eid", "ut", "ut (unique wos id)", "an"),
    "database": ("database", "source database", "data source"),
    # Read only for the identifiers written in them ("PMID: 123", a PubMed or DOI link).
    "notes": ("notes", "extra"),
    "url": ("url", "link"),
}
# kratomlit's CSV export puts "'" before a cell that a spreadsheet would run as a formula.
_FORMULA_GUARD = re.compile(r"^'[=+\-@\t\r]")


def parse_map(values: Iterable[str]) -> dict[str, str]:
    """``["title=Article Name", ...]`` -> ``{"title": "Article Name"}``."""
    mapping = {}
    for value in values:
        name, sep, header = value.partition("=")
        name, header = name.strip().lower(), header.strip()
        if not sep or not header or name not in COLUMNS:
            raise UsageError(f"--map {value!r}: use FIELD=HEADER, FIELD one of "
                             f"{', '.join(COLUMNS)}")
        mapping[name] = header
    return mapping


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in ("\t", ",", ";")}
    return max(counts, key=lambda d: counts[d])  # ties: tab, then comma


def _columns(header: list[str], mapping: dict[str, str], label: str) -> dict[str, int]:
    position = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    found = {}
    for name, choices in COLUMNS.items():
        if name in mapping:
            wanted = mapping[name].lower()
            if wanted not in position:
                raise InputFileError(f"{label}: line 1 has no column {mapping[name]!r} "
                                     f"(--map {name}=...)")
            found[name] = position[wanted]
            continue
        index = next((position[c] for c in choices if c in position), None)
        if index is not None:
            found[name] = index
    if "title" not in found:
        shown = ", ".join(repr(h) for h in header[:8]) + (", ..." if len(header) > 8 else "")
        raise InputFileError(f"{label}: line 1 has no title column (headers: {shown}); "
                             "name it with --map title=HEADER")
    return found


def _paper(cells: dict[str, str], label: str, line: int, database: str | None) -> Paper:
    def get(name: str) -> str | None:
        return fields.clean(cells.get(name)) or None

    found = fields.ids_in_text([cells.get("notes") or "", cells.get("url") or ""])
    accession = get("accession")
    abstract = get("abstract")
    paper = Paper(
        pmid=fields.pmid(get("pmid")) or fields.pmid(found.get("pmid")),
        title=get("title") or "",
        abstract_sections=[AbstractSection(text=abstract)] if abstract else [],
        journal=get("journal"),
        journal_iso=get("journal_iso"),
        volume=get("volume"),
        issue=get("issue"),
        pages=fields.pages(get("pages") or get("start_page"), get("end_page"))
        or get("article_number"),
        year=fields.year(get("year")),
        authors=fields.authors(fields.split_names(cells.get("authors"))),
        languages=[lang for lang in [get("language")] if lang],
        publication_types=fields.keywords([get("type") or ""]),
        keywords=fields.keywords([get("keywords") or ""]),
        doi=fields.doi(get("doi")) or fields.doi(found.get("doi")),
        pmcid=fields.pmcid(get("pmcid")) or fields.pmcid(found.get("pmcid")),
        accession=accession,
        source_db=get("database") or fields.database_of(accession) or database,
    )
    if not (paper.title or paper.doi or paper.pmid):
        raise InputFileError(f"{label}: the row at line {line} has no title, DOI or PMID")
    return paper


def iter_records(source: fields.Source, name: str | None = None,
                 mapping: dict[str, str] | None = None) -> Iterator[Paper]:
    """Yield each row of a CSV or TSV file as a paper (empty rows are skipped).

    Raises ``InputFileError`` naming the file and line for a file without a title column,
    a column named by ``mapping`` that is missing, a row with more cells than the header,
    a row with no title, DOI or PMID, a malformed CSV line, or text that is not UTF-8.
    """
    label = fields.label_of(source, name)
    text = fields.read_text(source, label)
    delimiter = _delimiter(text.partition("\n")[0])
    # Web of Science's tab-delimited files quote nothing: a title may start with '"'.
    wos = delimiter == "\t" and text.lstrip("\ufeff").startswith("PT\t")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True,
                        quoting=csv.QUOTE_NONE if wos else csv.QUOTE_MINIMAL)
    try:
        header = next(reader, [])
        line = reader.line_num
        columns = _columns(header, mapping or {}, label)
        database = "PubMed" if "journal/book" in (h.lower() for h in header) else None
        for row in reader:
            line, end = line + 1, reader.line_num
            if any(cell.strip() for cell in row[len(header):]):
                raise InputFileError(f"{label}: line {line} has {len(row)} cells where the "
                                     f"header has {len(header)}")
            if any(cell.strip() for cell in row):
                cells = {name: row[i][1:] if _FORMULA_GUARD.match(row[i]) else row[i]
                         for name, i in columns.items() if i < len(row)}
                yield _paper(cells, label, line, database)
            line = end
    except csv.Error as exc:
        raise InputFileError(f"{label}: malformed CSV at line {reader.line_num}: {exc}") from None
