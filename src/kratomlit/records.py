"""Plain data passed from the parsers to the store: no I/O, no third-party imports.

Dates are ISO strings, as precise as the source allows ("2019", "2019-03",
"2019-03-14"); free-text publication dates ("1998 Dec-1999 Jan", "2000 Spring")
are kept verbatim in ``pub_date`` with ``year`` taken from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Author:
    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    collective_name: str | None = None
    orcid: str | None = None
    affiliation: str | None = None

    @property
    def display(self) -> str:
        if self.collective_name:
            return self.collective_name
        return " ".join(p for p in (self.last_name, self.initials) if p)


def author_names(authors: Iterable[Author]) -> str | None:
    """Authors as the full-text index holds them: "O'Byrne PM (Paul M); ...", so a search
    finds them by surname, by PubMed's "surname initials" and by full name."""
    names = [a.display + (f" ({a.fore_name})" if a.fore_name and not a.collective_name
                          else "") for a in authors]
    return "; ".join(n for n in names if n) or None



def reference(pmid: int | None, doi: str | None, paper_id: int) -> str:
    """How output names a paper, so that the CLI takes it back: its PMID; a record without
    one by its DOI (``doi:…``), else its internal id (``id:N``)."""
    if pmid is not None:
        return str(pmid)
    return f"doi:{doi}" if doi else f"id:{paper_id}"


def label(found: str) -> str:
    """A reference in a sentence: "PMID 123", "doi:10.…", "id:7"."""
    return f"PMID {found}" if found.isdigit() else found

@dataclass
class MeshHeading:
    descriptor: str
    ui: str | None = None
    major: bool = False
    qualifiers: list[str] = field(default_factory=list)


@dataclass
class AbstractSection:
    text: str
    label: str | None = None
    category: str | None = None


@dataclass
class Paper:
    pmid: int | None = None  # None: a record from another database that PubMed lacks
    title: str = ""
    abstract_sections: list[AbstractSection] = field(default_factory=list)
    journal: str | None = None
    journal_iso: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    year: int | None = None
    pub_date: str | None = None
    electronic_date: str | None = None
    entrez_date: str | None = None
    revised_date: str | None = None
    authors: list[Author] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    mesh: list[MeshHeading] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    doi: str | None = None
    pmcid: str | None = None
    pii: str | None = None
    accession: str | None = None  # the source database's own id: Embase AN, Scopus EID, WOS:...
    source_db: str | None = None  # the database the file says the record came from
    citation_status: str | None = None
    record_type: str = "article"  # "article" | "book"
    retracted: bool = False
    errata: list[str] = field(default_factory=list)  # PMIDs or citations of ErratumIn notices

    @property
    def abstract(self) -> str:
        """The abstract as one text, each structured section led by its label."""
        parts = []
        for section in self.abstract_sections:
            parts.append(f"{section.label}: {section.text}" if section.label else section.text)
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Deletion:
    """A ``DeleteCitation`` entry: NLM withdrew this PMID."""

    pmid: int


# What each direction of a link follows, in words for reports.
LINK_DIRECTIONS = {"backward": "references", "forward": "citing papers",
                   "similar": "similar articles"}


@dataclass(frozen=True)
class Link:
    """``linked`` is tied to ``seed`` by PubMed: ``backward`` (the seed cites it), ``forward``
    (it cites the seed) or ``similar`` (PubMed's similar articles, with their score)."""

    seed: int
    linked: int
    direction: str
    score: int | None = None
