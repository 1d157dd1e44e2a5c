"""EndNote XML (``<xml><records><record>...``), as EndNote's "Export → XML" writes it.

Text sits in ``<style>`` runs (one per change of font), which are joined as they are. The
PMID is EndNote's accession number when the record came from PubMed/MEDLINE (its remote
database says so), the PMCID its "custom2" field. Parsed as PubMed XML is, with lxml:
entities are never expanded and nothing is fetched, so a hostile file stays inert.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import TypeAlias

from lxml import etree

from kratomlit.errors import InputFileError
from kratomlit.parse import fields
from kratomlit.records import AbstractSection, Paper

Element: TypeAlias = etree._Element


def _text(el: Element | None) -> str | None:
    return fields.clean("".join(el.itertext())) or None if el is not None else None


def _all(record: Element, path: str) -> list[str]:
    return [t for t in (_text(el) for el in record.iterfind(path)) if t]


def _paper(record: Element, label: str, number: int) -> Paper:
    def get(*paths: str) -> str | None:
        return next((t for t in (_text(record.find(p)) for p in paths) if t), None)

    database = get("remote-database-name")
    provider = get("remote-database-provider")
    from_medline = any(w in f"{database} {provider}".lower() for w in ("pubmed", "medline", "nlm"))
    found = fields.ids_in_text(_all(record, "urls//url") + _all(record, "notes"))
    accession = get("accession-num")
    pmid = fields.pmid(accession) if from_medline else None
    if pmid is not None:
        accession = None
    ref_type = record.find("ref-type")
    kind = (ref_type.get("name") or "") if ref_type is not None else ""
    abstract = get("abstract")
    paper = Paper(
        pmid=pmid or fields.pmid(found.get("pmid")),
        title=get("titles/title") or "",
        abstract_sections=[AbstractSection(text=abstract)] if abstract else [],
        journal=get("periodical/full-title", "titles/secondary-title"),
        journal_iso=get("periodical/abbr-1", "alt-periodical/abbr-1", "titles/alt-title"),
        volume=get("volume"),
        issue=get("number"),
        pages=fields.pages(get("pages")),
        year=fields.year(get("dates/year")),
        authors=fields.authors(_all(record, "contributors/authors/author")),
        languages=_all(record, "language"),
        publication_types=[kind] if kind else [],
        keywords=fields.keywords(_all(record, "keywords/keyword")),
        doi=fields.doi(get("electronic-resource-num")) or fields.doi(found.get("doi")),
        pmcid=fields.pmcid(get("custom2")) or fields.pmcid(found.get("pmcid")),
        accession=accession,
        source_db=fields.database_name(database) or fields.database_of(accession)
        or fields.database_name(provider),
        record_type="book" if "book" in kind.lower() else "article",
    )
    if not (paper.title or paper.doi or paper.pmid):
        raise InputFileError(f"{label}: record {number} (line {record.sourceline}) has no "
                             "title, DOI or PMID")
    return paper


def iter_records(source: fields.Source, name: str | None = None) -> Iterator[Paper]:
    """Yield each ``<record>`` of an EndNote XML file as a paper.

    Raises ``InputFileError`` naming the file and line for malformed XML, XML that is not
    EndNote's, or a record with no title, DOI or PMID.
    """
    label = fields.label_of(source, name)
    context = etree.iterparse(
        io.BytesIO(fields.read_bytes(source, label)), events=("end",), tag="record",
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
        remove_comments=True)
    number = 0
    try:
        for _, record in context:
            number += 1
            yield _paper(record, label, number)
            record.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else "?"
        message = re.sub(r"(,)? line \d+.*$", "", " ".join(str(exc.msg).split()))
        raise InputFileError(f"{label}: malformed XML at line {line}: {message}") from None
    root = context.root
    if root is None or root.tag != "xml" or root.find("records") is None:
        found = "no root element" if root is None else f"root element <{root.tag}>"
        raise InputFileError(f"{label}: not EndNote XML ({found}; EndNote XML is "
                             "<xml><records><record>...)")
