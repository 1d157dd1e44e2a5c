"""What E-utilities replies mean: esearch counts and ids, efetch records, elink links, and
the replies that cannot be trusted (an NCBI ``ERROR``, an empty, non-XML or short body).

Parsing only: ``eutils.EutilsClient`` asks, retries what ``BadPayload`` marks, and raises.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from lxml import etree

from kratomlit.errors import EutilsError, InputFileError
from kratomlit.parse.elink_xml import LinkSet, parse_elink
from kratomlit.records import Deletion, Paper

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                               huge_tree=False)


@dataclass
class SearchResult:
    """One esearch reply: the total count, the ids returned and the history handle."""

    count: int
    ids: list[int]
    webenv: str | None = None
    query_key: str | None = None
    translation: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class FetchedBatch:
    papers: list[Paper]
    deletions: list[int]
    missing: list[int] = field(default_factory=list)  # asked for, not returned

    @property
    def pmids(self) -> set[int]:
        return {p.pmid for p in self.papers if p.pmid is not None} | set(self.deletions)


@dataclass
class LinkedBatch:
    linksets: dict[int, LinkSet]  # seed -> its own LinkSet, in the order asked
    missing: list[int] = field(default_factory=list)  # seeds NCBI did not answer


class PayloadError(EutilsError):
    """An HTTP 200 reply that stayed unusable (error page, broken XML, short) after retries."""


class BadPayload(Exception):
    """An HTTP 200 reply that cannot be trusted; retried, then raised as EutilsError."""


class NcbiError(BadPayload):
    """An HTTP 200 reply whose body is NCBI's own ``ERROR`` message."""


# -- reply parsing ----------------------------------------------------------------------------


def xml_root(body: bytes) -> etree._Element:
    if not body.strip():
        raise BadPayload("empty reply")
    try:
        return etree.fromstring(body, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        if body.lstrip()[:1] != b"<":
            raise BadPayload(f"reply is not XML ({snippet(body)!r})") from None
        raise BadPayload(f"truncated or malformed XML ({exc.msg})") from None


def parse_esearch(body: bytes, retmax: int, retstart: int, cap: int) -> SearchResult:
    """``cap``: the most ids esearch returns for one query (PubMed's 9,999)."""
    root = xml_root(body)
    error = root.findtext("ERROR")
    if root.tag != "eSearchResult" or error is not None:
        message = one_line(error or "")
        if message:
            raise NcbiError(message)
        raise BadPayload(f"unexpected reply <{root.tag}>")
    count_text = (root.findtext("Count") or "").strip()
    if not count_text.isdigit():
        # An esearch reply without a count is never an answer of "no results".
        raise BadPayload("reply has no result count")
    count = int(count_text)
    ids = [int(t) for t in (x.strip() for x in root.xpath("IdList/Id/text()")) if t.isdigit()]
    expected = max(0, min(count - retstart, retmax, cap - retstart))
    if len(ids) < expected:
        raise BadPayload(f"returned {len(ids)} of {expected} ids")
    warnings = [one_line(t) for t in root.xpath("ErrorList/*/text() | WarningList/*/text()")]
    return SearchResult(
        count=count,
        ids=ids,
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        translation=root.findtext("QueryTranslation"),
        warnings=[w for w in warnings if w],
    )


def parse_elink_batch(body: bytes, wanted: list[int]) -> LinkedBatch:
    try:
        reply = parse_elink(body)
    except EutilsError as exc:
        raise BadPayload(one_line(str(exc))) from None
    if reply.error is not None:
        raise NcbiError(one_line(reply.error))
    asked = set(wanted)
    answered: dict[int, LinkSet] = {}
    for linkset in reply.linksets:
        if linkset.error is not None:
            continue  # NCBI could not answer for this seed: it stays missing
        if linkset.seed is None:
            # Never guess which seed a link came from: provenance is the point.
            raise BadPayload(f"reply has a LinkSet for {len(linkset.ids)} PMIDs, so its "
                              "links cannot be traced to one seed")
        if linkset.seed not in asked:
            raise BadPayload(f"reply answers PMID {linkset.seed}, which was not asked for")
        answered[linkset.seed] = linkset
    return LinkedBatch({p: answered[p] for p in wanted if p in answered},
                       [p for p in wanted if p not in answered])


def parse_efetch(body: bytes) -> FetchedBatch:
    head = body.lstrip()[:4096]
    if not head:
        raise BadPayload("empty reply")
    if b"<eFetchResult" in head or b"<ERROR>" in head:
        root = xml_root(body)
        raise NcbiError(one_line(root.findtext(".//ERROR") or "unknown error"))
    if not head.startswith(b"<"):
        raise BadPayload(f"reply is not XML ({snippet(head)!r})")
    from kratomlit.parse.pubmed_xml import iter_records

    papers: list[Paper] = []
    deletions: list[int] = []
    try:
        for record in iter_records(io.BytesIO(body), name="efetch reply"):
            if isinstance(record, Deletion):
                deletions.append(record.pmid)
            else:
                papers.append(record)
    except InputFileError as exc:
        problem = str(exc).replace("efetch reply: ", "")
        raise BadPayload(problem.replace("malformed XML", "truncated or malformed XML")) from None
    return FetchedBatch(papers=papers, deletions=deletions)




def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snippet(body: bytes) -> str:
    return one_line(body[:80].decode("utf-8", "replace"), 60)


def error_text(body: bytes) -> str:
    """The human part of an error page: the ERROR element, a JSON "error", or the text."""
    text = body[:2000].decode("utf-8", "replace")
    for pattern in (r"<ERROR>(.*?)</ERROR>", r'"error"\s*:\s*"([^"]*)"'):
        found = re.search(pattern, text, re.S)
        if found:
            return found.group(1)
    return re.sub(r"<[^>]+>", " ", text)
