"""Field values as the databases write them, made uniform for every reader.

DOIs lose their ``https://doi.org/`` and ``doi:`` prefixes but keep their case (a DOI is
shown as its publisher wrote it; matching lower-cases it). PMIDs, PMCIDs and years are taken
only when they are well formed. Names in any of the usual forms ("Last, First",
"Last FM", "First Last", a group) become ``Author``s. Titles and abstracts lose HTML
entities and inline markup, which several databases leave in.
"""

from __future__ import annotations

import codecs
import gzip
import html
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from kratomlit.errors import InputFileError
from kratomlit.parse.dates import YEAR
from kratomlit.records import Author

Source = str | Path | IO[bytes]

GZIP = b"\x1f\x8b"
MAX_PMID = 2**63 - 1
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_PMCID = re.compile(r"^PMC\d+$", re.IGNORECASE)
_PMID = re.compile(r"(?:PMID:?\s*)?(\d{1,19})(?:\s*\[pmid\])?", re.IGNORECASE)
_NAME_MARKS = re.compile(r"[\s.-]+")
_SEMICOLON = re.compile(r"\s*;\s*")
# Identifiers written inside notes, links and "extra" fields, as Zotero, Scopus, EndNote and
# kratomlit's own exports write them.
_PMID_IN_TEXT = re.compile(
    r"(?:\bPMID|\bPubMed\s+ID)\s*:?\s*(\d{1,19})\b|"
    r"pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,19})\b|ncbi\.nlm\.nih\.gov/pubmed/(\d{1,19})\b",
    re.IGNORECASE)
_PMCID_IN_TEXT = re.compile(r"\b(PMC\d{3,})\b")
_DOI_LINK = re.compile(r"doi\.org/(10\.\d{4,9}/\S+)", re.IGNORECASE)
_SCOPUS_EID = re.compile(r"\beid=(2-s2\.0-\d+)")
_CENTRAL_ID = re.compile(r"\b(CN-\d{6,})\b")
_ACCESSION = re.compile(r"\bAccession Number:\s*([\w.:-]*\w)")  # EBSCOhost's notes

# Inline markup (italics, super/subscripts, JATS and MathML elements) is dropped; block
# elements (paragraphs, line breaks) become a space.
_TAG = re.compile(r"</?((?:[a-z]+:)?[a-z][a-z0-9-]*)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_INLINE = {"i", "b", "u", "em", "strong", "sup", "sub", "sc", "span", "inf", "a", "font",
           "italic", "bold", "underline", "small", "mi", "mo", "mn", "math", "mrow", "msub",
           "msup", "mtext"}
_BLOCK = {"p", "br", "div", "title", "sec", "list", "list-item", "abstract", "li"}

# A name is a group's when it has one of these words, or an acronym ("Gruppo Tecnico PASSI").
_COLLECTIVE = re.compile(
    r"\b(group|gruppo|grupo|groupe|gruppe|consortium|collaborat\w*|committee|network|"
    r"investigators|society|association|organi[sz]ation|council|team|institute|foundation|"
    r"agency|administration|cent(er|re)|board|panel|working|office|department|university|"
    r"ministry|task force|study|trial)\b", re.IGNORECASE)
_ACRONYM = re.compile(r"\b[A-Z0-9]{4,}\b")
_PARTICLES = {"van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le",
              "ten", "ter", "dos", "das", "bin", "binti", "al", "el", "st"}
_ID_SUFFIX = re.compile(r"\s*\(\d+\)$")  # Scopus "Author full names": "Smith, John (57193460800)"


def label_of(source: Source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str | Path):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


@contextmanager
def reading(label: str) -> Iterator[None]:
    """Turn the ways opening or reading a file fails into one-line errors naming it."""
    try:
        yield
    except FileNotFoundError:
        raise InputFileError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{label}: is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(f"{label}: permission denied") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"{label}: cannot read ({exc})") from None


def open_binary(path: str | Path) -> IO[bytes]:
    """The file as a byte stream, gunzipped as it is read when it is gzip."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == GZIP
    return cast(IO[bytes], gzip.open(path, "rb")) if gzipped else open(path, "rb")


def read_bytes(source: Source, label: str, size: int = -1) -> bytes:
    """The content (its first ``size`` bytes), gunzipped when it is gzip."""
    with reading(label):
        if isinstance(source, str | Path):
            with open_binary(source) as stream:
                return stream.read(size)
        raw = source.read()
        return (gzip.decompress(raw) if raw[:2] == GZIP else raw)[:size if size >= 0 else None]


def decode(raw: bytes, label: str) -> str:
    """UTF-8 (with or without a byte-order mark), or UTF-16 with one (Excel's "Unicode
    text"). Anything else is refused with the line it fails on: guessing an encoding would
    store wrong letters in names and titles without a word."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(f"{label}: the file says it is UTF-16 but is not") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputFileError(
            f"{label}: not UTF-8 text at line {line} (byte 0x{raw[exc.start]:02x}); "
            "save the file as UTF-8 and import it again") from None


def read_text(source: Source, label: str) -> str:
    return decode(read_bytes(source, label), label)


def _untag(match: re.Match[str]) -> str:
    name = match.group(1).lower().rpartition(":")[2]
    if name in _INLINE:
        return ""
    return " " if name in _BLOCK else match.group(0)


def clean(text: str | None) -> str:
    """Text without HTML entities (even double-escaped ones), inline markup or runs of
    whitespace: "Kratom &amp; <i>Mitragyna</i>" -> "Kratom & Mitragyna"."""
    if not text:
        return ""
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(_untag, text)
    return " ".join(text.split())


def doi(value: str | None) -> str | None:
    """"https://doi.org/10.1000/ABC." -> "10.1000/ABC"; None when there is no DOI in it."""
    if not value:
        return None
    text = _DOI_PREFIX.sub("", value.strip())
    found = _DOI.search(text.replace("%2F", "/").replace("%2f", "/"))
    return found.group(0).rstrip(".,;") if found else None


def doi_key(value: str | None) -> str | None:
    """A DOI as matching compares it: DOIs are case-insensitive."""
    found = doi(value)
    return found.lower() if found else None


def pmid(value: str | int | None) -> int | None:
    """A PMID from "12345", "PMID: 12345" or "12345 [pmid]"; None when it is not one."""
    if value is None:
        return None
    text = str(value).strip()
    found = _PMID.fullmatch(text)
    if not found:
        return None
    number = int(found.group(1))
    return number if 0 < number <= MAX_PMID else None


def pmcid(value: str | None) -> str | None:
    text = (value or "").strip()
    return "PMC" + text[3:] if _PMCID.match(text) else None


def year(value: str | int | None) -> int | None:
    """The publication year in "2020", "2020//", "2020/03/01/", "Mar 2020" or "2019-11"."""
    if value is None:
        return None
    found = YEAR.search(str(value))
    return int(found.group(1)) if found else None


def pages(start: str | None, end: str | None = None) -> str | None:
    """"107" + "110" -> "107-110"; a range given whole (en dashes too) is kept as a range."""
    first = (start or "").strip().replace("\u2013", "-").replace("\u2014", "-").replace("--", "-")
    last = (end or "").strip()
    if first and last and "-" not in first and last != first:
        return f"{first}-{last}"
    return first or last or None


def ids_in_text(texts: Iterable[str]) -> dict[str, str]:
    """Identifiers written inside notes and links: pmid, pmcid, doi, Scopus eid, CENTRAL id,
    an accession number."""
    found: dict[str, str] = {}
    for text in texts:
        for key, pattern in (("pmcid", _PMCID_IN_TEXT), ("doi", _DOI_LINK),
                             ("eid", _SCOPUS_EID), ("central", _CENTRAL_ID),
                             ("accession", _ACCESSION)):
            match = pattern.search(text)
            if match and key not in found:
                found[key] = match.group(1)
        match = _PMID_IN_TEXT.search(text)
        if match and "pmid" not in found:
            found["pmid"] = next(g for g in match.groups() if g)
    return found


# Database names as some exports abbreviate them (EBSCOhost's codes, EndNote's "NLM").
_DATABASES = {"psyh": "APA PsycInfo", "rzh": "CINAHL", "cmedm": "MEDLINE",
              "mdc": "MEDLINE Complete", "nlm": "PubMed"}


def database_name(value: str | None) -> str | None:
    text = clean(value)
    return _DATABASES.get(text.lower(), text) or None


def database_of(accession: str | None) -> str | None:
    """The database an accession number belongs to, when its form says so."""
    text = (accession or "").upper()
    if text.startswith(("WOS:", "ISI:")):
        return "Web of Science"
    if text.startswith("2-S2.0-"):
        return "Scopus"
    if text.startswith("CN-"):
        return "Cochrane CENTRAL"
    return None


def _is_initials(text: str) -> bool:
    """Initials: "JA", "PHCG", "J.A.", "J. A.", "J.-P.", "Ş". Five capitals in a row are a
    name or an acronym ("PASSI")."""
    letters = _NAME_MARKS.sub("", text)
    longest = 4 if letters == text else 6
    return 0 < len(letters) <= longest and letters.isalpha() and letters.isupper()


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())


def _initials(fore: str) -> str | None:
    letters = [part[0].upper() for part in _NAME_MARKS.split(fore) if part and
               part[0].isalpha()]
    return "".join(letters) or None


def author(name: str | None) -> Author | None:
    """One name as databases write them: "Smith, John A.", "Smith, J.A.", "Smith JA",
    "Garcia-Romeu A.", "John A. Smith", or a group ("Kratom Study Group")."""
    text = _ID_SUFFIX.sub("", clean(name)).strip(" ;")
    if not text:
        return None
    if "," in text:
        last, _, rest = text.partition(",")
        rest = rest.split(",")[0].strip()  # "Smith, John, Jr." keeps "John"
        if not rest:
            return Author(last_name=last.strip())
        initials = _letters(rest) if _is_initials(rest) else _initials(rest)
        return Author(last_name=last.strip(), fore_name=rest, initials=initials)
    words = text.split()
    if len(words) == 1:
        return Author(last_name=text)
    if _COLLECTIVE.search(text):
        return Author(collective_name=text)
    trailing = len(words)
    while trailing > 1 and _is_initials(words[trailing - 1]):
        trailing -= 1
    if trailing < len(words):  # "Smith JA", "van der Berg J. A."
        initials = _letters("".join(words[trailing:]))
        return Author(last_name=" ".join(words[:trailing]), initials=initials)
    if _ACRONYM.search(text) or len(words) > 4:
        return Author(collective_name=text)
    first = len(words) - 1  # "John A. Smith", "Anna van der Berg"
    while first > 1 and words[first - 1].lower() in _PARTICLES:
        first -= 1
    fore = " ".join(words[:first])
    return Author(last_name=" ".join(words[first:]), fore_name=fore, initials=_initials(fore))


def authors(names: Iterable[str]) -> list[Author]:
    return [a for a in (author(n) for n in names) if a is not None]


def split_names(value: str | None) -> list[str]:
    """A cell listing several authors: "Smith J; Doe JA" (Scopus, Web of Science, Zotero,
    Covidence), "Smith, John and Doe, Jane" (Rayyan, BibTeX), "Smith J, Doe JA." (PubMed)."""
    text = (value or "").strip()
    if ";" in text:
        parts = text.split(";")
    elif " and " in text:
        parts = text.split(" and ")
    else:
        parts = text.split(",")
        # "Smith J, Doe JA" are two authors; "Smith, John" is one.
        if not all(" " in p.strip() and _is_initials(p.strip().rpartition(" ")[2])
                   for p in parts):
            parts = [text]
    return [p.strip() for p in parts if p.strip()]


def keywords(values: Iterable[str]) -> list[str]:
    """Keywords one per value or several in one ("a; b"); Embase's "*" for a major term goes."""
    found: list[str] = []
    for value in values:
        for word in _SEMICOLON.split(clean(value)):
            word = word.lstrip("*").strip()
            if word and word not in found:
                found.append(word)
    return found
