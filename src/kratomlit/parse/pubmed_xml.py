"""Streaming parser for PubMed XML: efetch replies, baseline/update files, old MEDLINE sets.

Reads ``PubmedArticle`` (today's format), ``MedlineCitation`` inside a
``MedlineCitationSet`` (the pre-2017 format), ``PubmedBookArticle`` and
``DeleteCitation``. Memory stays constant in the file's size: each record is
cleared as soon as it is parsed. Entities are never expanded and nothing is
fetched from the network (no DTD loading), so hostile files cannot blow up or
read local files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeAlias

from lxml import etree

from kratomlit.errors import InputFileError
from kratomlit.parse.dates import YEAR as _YEAR
from kratomlit.parse.dates import iso_date as _iso
from kratomlit.records import AbstractSection, Author, Deletion, MeshHeading, Paper

RECORD_TAGS = ("PubmedArticle", "MedlineCitation", "PubmedBookArticle", "DeleteCitation")
ROOT_TAGS = {"PubmedArticleSet", "MedlineCitationSet", "PubmedBookArticleSet", "PubmedArticle",
             "MedlineCitation"}

Element: TypeAlias = etree._Element


def _text(el: Element | None) -> str:
    """All inner text (through <i>, <sup>, MathML ...), whitespace folded."""
    if el is None:
        return ""
    if len(el):  # inline markup: gather every text node, not just the first
        return " ".join("".join(el.itertext()).split())
    text = el.text
    return " ".join(text.split()) if text else ""


def _leaf(el: Element | None) -> str | None:
    """Text of a short element that has no markup in practice (names, numbers, codes)."""
    if el is None:
        return None
    if len(el):
        return _text(el) or None
    text = el.text
    return text.strip() or None if text else None


def _opt(el: Element | None) -> str | None:
    return _text(el) or None


def _date_of(el: Element | None) -> str | None:
    if el is None:
        return None
    return _iso(el.findtext("Year"), el.findtext("Month"), el.findtext("Day"))


def _pub_date(el: Element | None) -> tuple[str | None, int | None]:
    """``PubDate`` -> (date text, year). Seasons and ``MedlineDate`` ranges stay verbatim."""
    if el is None:
        return None, None
    medline = el.findtext("MedlineDate")
    if medline:
        found = _YEAR.search(medline)
        return " ".join(medline.split()), int(found.group(1)) if found else None
    year = (el.findtext("Year") or "").strip()
    season = el.findtext("Season")
    if season:
        return f"{year} {season.strip()}".strip() or None, int(year) if year.isdigit() else None
    if not year.isdigit():
        return None, None
    return _iso(year, el.findtext("Month"), el.findtext("Day")), int(year)


def _abstract(parent: Element | None) -> list[AbstractSection]:
    if parent is None:
        return []
    sections = []
    for node in parent.findall("Abstract/AbstractText"):
        text = _text(node)
        if text:
            sections.append(
                AbstractSection(text=text, label=node.get("Label") or None,
                                category=node.get("NlmCategory") or None)
            )
    return sections


def _author(node: Element) -> Author:
    # One pass over the author's children: much cheaper than a find() per field.
    author = Author()
    for child in node:
        tag = child.tag
        if tag == "LastName":
            author.last_name = _leaf(child)
        elif tag == "ForeName" or (tag == "FirstName" and not author.fore_name):
            author.fore_name = _leaf(child)
        elif tag == "Initials":
            author.initials = _leaf(child)
        elif tag == "CollectiveName":
            author.collective_name = _opt(child)
        elif tag == "Identifier" and (child.get("Source") or "").upper() == "ORCID":
            author.orcid = _leaf(child)
        elif tag == "AffiliationInfo" and author.affiliation is None:
            author.affiliation = _opt(child.find("Affiliation"))
        elif tag == "Affiliation" and author.affiliation is None:
            author.affiliation = _opt(child)
    return author


def _authors(parent: Element | None) -> list[Author]:
    if parent is None:
        return []
    authors = [_author(node) for node in parent.iterfind("AuthorList/Author")]
    return [a for a in authors if a.last_name or a.collective_name]


def _mesh(citation: Element) -> list[MeshHeading]:
    headings = []
    for node in citation.iterfind("MeshHeadingList/MeshHeading"):
        descriptor, major, qualifiers = None, False, []
        for child in node:
            if child.tag == "DescriptorName":
                descriptor = child
                major = major or child.get("MajorTopicYN") == "Y"
            elif child.tag == "QualifierName":
                name = _leaf(child)
                if name:
                    qualifiers.append(name)
                major = major or child.get("MajorTopicYN") == "Y"
        name = _leaf(descriptor)
        if descriptor is None or not name:
            continue
        headings.append(MeshHeading(descriptor=name, ui=descriptor.get("UI"), major=major,
                                    qualifiers=qualifiers))
    return headings


def _ids(id_list: list[Element]) -> dict[str, str]:
    """The first identifier of each type, from the record's own ``ArticleIdList`` only."""
    found: dict[str, str] = {}
    for node in id_list:
        kind = (node.get("IdType") or "").lower()
        value = _text(node)
        if kind and value and kind not in found:
            found[kind] = value
    return found


def _pmid(record: Element, path: str) -> int:
    raw = (record.findtext(path) or "").strip()
    if not raw.isdigit():
        line = record.sourceline or "?"
        raise ValueError(f"record at line {line} has no valid PMID ({raw!r})")
    return int(raw)


def _comments(citation: Element) -> tuple[bool, list[str]]:
    retracted, errata = False, []
    for node in citation.findall("CommentsCorrectionsList/CommentsCorrections"):
        kind = node.get("RefType")
        if kind == "RetractionIn":
            retracted = True
        elif kind == "ErratumIn":
            errata.append(_text(node.find("PMID")) or _text(node.find("RefSource")))
    return retracted, [e for e in errata if e]


def _citation_ids(citation: Element, pubmed_data: Element | None) -> dict[str, str]:
    """doi, pii and pmc: PubmedData's ArticleIdList first, then the citation's own."""
    ids = _ids(pubmed_data.findall("ArticleIdList/ArticleId")) if pubmed_data is not None else {}
    for node in citation.findall("Article/ELocationID"):
        kind = (node.get("EIdType") or "").lower()
        if node.get("ValidYN", "Y") == "Y" and kind in ("doi", "pii"):
            ids.setdefault(kind, _text(node))
    for node in citation.findall("OtherID"):  # old format carries the PMCID here
        value = _text(node)
        if value.upper().startswith("PMC"):
            ids.setdefault("pmc", value.split()[0])
    return ids


def _electronic_and_entrez(citation: Element, pubmed_data: Element | None
                           ) -> tuple[str | None, str | None]:
    electronic = None
    for node in citation.findall("Article/ArticleDate"):
        if node.get("DateType", "Electronic") == "Electronic":
            electronic = _date_of(node)
    entrez = None
    if pubmed_data is not None:
        for node in pubmed_data.findall("History/PubMedPubDate"):
            if node.get("PubStatus") == "entrez":
                entrez = _date_of(node)
    return electronic, entrez


def _pages(citation: Element) -> str | None:
    pages = _opt(citation.find("Article/Pagination/MedlinePgn"))
    if pages is None:
        start = citation.findtext("Article/Pagination/StartPage")
        end = citation.findtext("Article/Pagination/EndPage")
        pages = "-".join(p.strip() for p in (start, end) if p and p.strip()) or None
    return pages


def parse_citation(citation: Element, pubmed_data: Element | None = None) -> Paper:
    """One ``MedlineCitation`` (with its ``PubmedData`` sibling when there is one)."""
    article = citation.find("Article")
    journal = article.find("Journal") if article is not None else None
    issue = journal.find("JournalIssue") if journal is not None else None
    pub_date, year = _pub_date(issue.find("PubDate") if issue is not None else None)
    pub_types = [_text(n) for n in citation.findall("Article/PublicationTypeList/PublicationType")]
    retracted, errata = _comments(citation)
    ids = _citation_ids(citation, pubmed_data)
    electronic, entrez = _electronic_and_entrez(citation, pubmed_data)
    pages = _pages(citation)
    title = _text(citation.find("Article/ArticleTitle")) or _text(
        citation.find("Article/VernacularTitle")
    )
    return Paper(
        pmid=_pmid(citation, "PMID"),
        title=title,
        abstract_sections=_abstract(article),
        journal=_opt(journal.find("Title")) if journal is not None else None,
        journal_iso=(_opt(journal.find("ISOAbbreviation")) if journal is not None else None)
        or _opt(citation.find("MedlineJournalInfo/MedlineTA")),
        volume=_opt(issue.find("Volume")) if issue is not None else None,
        issue=_opt(issue.find("Issue")) if issue is not None else None,
        pages=pages,
        year=year,
        pub_date=pub_date,
        electronic_date=electronic,
        entrez_date=entrez,
        revised_date=_date_of(citation.find("DateRevised")),
        authors=_authors(article),
        languages=[_text(n) for n in citation.findall("Article/Language") if _text(n)],
        publication_types=[t for t in pub_types if t],
        mesh=_mesh(citation),
        keywords=[_text(k) for k in citation.findall("KeywordList/Keyword") if _text(k)],
        doi=ids.get("doi"),
        pmcid=ids.get("pmc"),
        pii=ids.get("pii"),
        citation_status=citation.get("Status"),
        record_type="article",
        retracted=retracted or "Retracted Publication" in pub_types,
        errata=errata,
    )


def parse_book(record: Element) -> Paper:
    """A ``PubmedBookArticle`` (StatPearls, GeneReviews ...): what a book record has."""
    doc = record.find("BookDocument")
    if doc is None:
        raise ValueError(f"book record at line {record.sourceline} has no BookDocument")
    book = doc.find("Book")
    pub_date, year = _pub_date(book.find("PubDate") if book is not None else None)
    ids = _ids(doc.findall("ArticleIdList/ArticleId"))
    ids.update({k: v for k, v in _ids(record.findall("PubmedBookData/ArticleIdList/ArticleId"))
                .items() if k not in ids})
    entrez = None
    for node in record.findall("PubmedBookData/History/PubMedPubDate"):
        if node.get("PubStatus") == "entrez":
            entrez = _date_of(node)
    book_title = _opt(book.find("BookTitle")) if book is not None else None
    authors = _authors(doc) or (_authors(book) if book is not None else [])
    return Paper(
        pmid=_pmid(doc, "PMID"),
        title=_text(doc.find("ArticleTitle")) or book_title or "",
        abstract_sections=_abstract(doc),
        journal=book_title,
        year=year,
        pub_date=pub_date,
        entrez_date=entrez,
        revised_date=_date_of(doc.find("DateRevised")),
        authors=authors,
        languages=[_text(n) for n in doc.findall("Language") if _text(n)],
        publication_types=[_text(n) for n in doc.findall("PublicationType") if _text(n)],
        keywords=[_text(k) for k in doc.findall("KeywordList/Keyword") if _text(k)],
        doi=ids.get("doi"),
        pmcid=ids.get("pmc"),
        citation_status=None,
        record_type="book",
    )


def _parse_record(elem: Element) -> list[Paper | Deletion]:
    tag = elem.tag
    if tag == "PubmedArticle":
        citation = elem.find("MedlineCitation")
        if citation is None:
            raise ValueError(f"PubmedArticle at line {elem.sourceline} has no MedlineCitation")
        return [parse_citation(citation, elem.find("PubmedData"))]
    if tag == "MedlineCitation":
        return [parse_citation(elem)]
    if tag == "PubmedBookArticle":
        return [parse_book(elem)]
    return [Deletion(int(p)) for p in (_text(n) for n in elem.findall("PMID")) if p.isdigit()]


def iter_records(source: str | Path | IO[bytes], name: str | None = None
                 ) -> Iterator[Paper | Deletion]:
    """Yield each record of a PubMed XML document, clearing it from memory once parsed.

    Raises ``InputFileError`` naming the file and line for malformed XML, a record
    without a PMID, or a document that is not PubMed XML.
    """
    label = name or (str(source) if isinstance(source, str | Path) else
                     getattr(source, "name", "<stream>"))
    context = etree.iterparse(
        source,
        events=("end",),
        tag=RECORD_TAGS,
        resolve_entities=False,  # no entity expansion: billion-laughs and XXE stay inert
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        for _, elem in context:
            parent = elem.getparent()
            in_article = parent is not None and parent.tag == "PubmedArticle"
            if elem.tag == "MedlineCitation" and in_article:
                continue  # parsed with its PubmedArticle, which carries PubmedData
            try:
                yield from _parse_record(elem)
            except ValueError as exc:
                raise InputFileError(f"{label}: {exc}") from None
            # Free the record and every finished sibling so memory stays flat.
            elem.clear(keep_tail=False)
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else "?"
        text = " ".join(str(getattr(exc, "msg", exc)).split())  # libxml2 ends it with "\n"
        message = re.sub(r"(,)? line \d+.*$", "", text)
        raise InputFileError(f"{label}: malformed XML at line {line}: {message}") from None
    root = context.root
    if root is None or root.tag not in ROOT_TAGS:
        found = "no root element" if root is None else f"root element <{root.tag}>"
        raise InputFileError(f"{label}: not PubMed XML ({found})")
