"""BibTeX and BibLaTeX files (Zotero, JabRef, Scopus, Web of Science, kratomlit's own), read
with bibtexparser 2.

LaTeX in values (``{\\"u}``, ``\\&``, ``--``) becomes Unicode; a name wholly in braces
(``{Kratom Study Group}``) is a group, as BibTeX itself treats it. A block bibtexparser cannot
parse is refused with its line; a repeated citation key is not an error (merged libraries
often repeat them), the entry is read like any other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from bibtexparser import model
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import SeparateCoAuthors
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalkerError

from kratomlit.errors import InputFileError
from kratomlit.parse import fields
from kratomlit.parse.dates import iso_date
from kratomlit.records import AbstractSection, Author, Paper

_BOOKS = {"book", "inbook", "incollection", "booklet", "mvbook", "collection"}
_LATEX_MARKS = re.compile(r"[\\{}$~]|--")
# Values whose only LaTeX is escaped specials, braces, dashes and ties (nearly all: "\\&",
# "{DNA}", "61--76") are decoded here; pylatexenc, a hundred times slower on an abstract,
# reads the rest (accents, math, commands).
_HARDER = re.compile(r"\\[^&%$#_{}]|(?<!\\)\$")
_SIMPLE = ((re.compile(r"(?<!\\)[{}]"), ""), (re.compile(r"(?<!\\)~"), " "),
           (re.compile(r"---"), "\u2014"), (re.compile(r"--"), "\u2013"),
           (re.compile(r"\\([&%$#_{}])"), r"\1"))
_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_latex = LatexNodes2Text()
# Both libraries log what they could not parse, in several lines, to standard error when the
# application has no logging set up; the one-line InputFileError says it instead.
for _name in ("bibtexparser", "pylatexenc"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


def _text(value: object) -> str:
    text = str(value)
    if not _LATEX_MARKS.search(text):
        return fields.clean(text)
    if _HARDER.search(text):
        try:
            return fields.clean(_latex.latex_to_text(text))
        except LatexWalkerError:
            pass
    for pattern, replacement in _SIMPLE:
        text = pattern.sub(replacement, text)
    return fields.clean(text)


def _author(name: str) -> Author | None:
    name = name.strip()
    if name.startswith("{") and name.endswith("}") and "}" not in name[1:-1]:
        group = _text(name)
        return Author(collective_name=group) if group else None
    return fields.author(_text(name))


def _failure(block: model.ParsingFailedBlock, label: str) -> InputFileError:
    line = (block.start_line or 0) + 1  # bibtexparser counts lines from 0
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    reason = " ".join(reason.split()).rstrip(".")
    return InputFileError(f"{label}: malformed BibTeX in the entry at line {line}: {reason}")


def _paper(entry: model.Entry, label: str) -> Paper:
    values = {key.lower(): field.value for key, field in entry.fields_dict.items()}

    def get(*keys: str) -> str | None:
        for key in keys:
            value = values.get(key)
            if isinstance(value, str) and (text := _text(value)):
                return text
        return None

    names = values.get("author") or []
    found = fields.ids_in_text(t for t in (get("note"), get("annote"), get("extra"),
                                           get("url")) if t)
    eprint = get("eprint") if (get("eprinttype") or "").lower() == "pubmed" else None
    accession = get("unique-id", "accession-number") or found.get("eid")
    date = get("date") or ""
    iso = _ISO.match(date)
    abstract = get("abstract")
    kind = entry.entry_type.lower()
    paper = Paper(
        pmid=fields.pmid(get("pmid") or eprint) or fields.pmid(found.get("pmid")),
        title=get("title") or "",
        abstract_sections=[AbstractSection(text=abstract)] if abstract else [],
        journal=get("journal", "journaltitle", "booktitle" if kind != "book" else ""),
        journal_iso=get("shortjournal"),
        volume=get("volume"),
        issue=get("number", "issue"),
        pages=fields.pages(get("pages")),
        year=fields.year(get("year") or date),
        pub_date=iso_date(*iso.groups()) if iso else None,
        authors=[a for a in map(_author, names if isinstance(names, list) else [names]) if a],
        languages=[lang for lang in [get("language", "langid")] if lang],
        keywords=fields.keywords(re.split(r"\s*[,;]\s*", get("keywords") or "")),
        doi=fields.doi(get("doi")) or fields.doi(found.get("doi")),
        pmcid=fields.pmcid(get("pmcid")) or fields.pmcid(found.get("pmcid")),
        accession=accession,
        source_db=get("source") or fields.database_of(accession),
        record_type="book" if kind in _BOOKS else "article",
    )
    if not (paper.title or paper.doi or paper.pmid):
        line = (entry.start_line or 0) + 1
        raise InputFileError(f"{label}: the entry at line {line} ({entry.key}) has no title, "
                             "DOI or PMID")
    return paper


def iter_records(source: fields.Source, name: str | None = None) -> Iterator[Paper]:
    """Yield each entry of a BibTeX file as a paper.

    Raises ``InputFileError`` naming the file and line of the first block that cannot be
    parsed, an entry with no title, DOI or PMID, a file with no entries, or text that is
    not UTF-8.
    """
    label = fields.label_of(source, name)
    library = parse_string(fields.read_text(source, label),
                                        append_middleware=[SeparateCoAuthors()])
    entries = 0
    for block in library.blocks:
        if isinstance(block, model.ParsingFailedBlock):
            if not isinstance(block.ignore_error_block, model.Entry):
                raise _failure(block, label)
            block = block.ignore_error_block  # a repeated key or field: still an entry
        if isinstance(block, model.Entry):
            entries += 1
            yield _paper(block, label)
    if not entries:
        raise InputFileError(f"{label}: no BibTeX entries (an entry starts with "
                             "'@article{' or similar)")
