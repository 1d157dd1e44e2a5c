"""A fake NCBI E-utilities (esearch, efetch, elink) serving PubMed records, for tests and bench.

The records are ``PubmedArticle`` elements sliced verbatim out of their files: the real
ones of ../shared/pubmed, or the synthetic ones of tests/fixtures; their entrez and
revision dates (from the records themselves) drive esearch's date filters. The fake
behaves like NCBI where it matters to a client: the 9,999-id cap, history sets
(WebEnv/query_key), unknown PMIDs left out of efetch replies, and date windows. Its
elink follows a citation graph given to it (``citations``: paper -> the papers it cites, from
which "cited by" is derived; ``similar``: paper -> (PMID, score)) and answers as NCBI does:
one LinkSet per ``id=`` parameter, the union for a comma-joined one; a LinkSetDb per link
name with links (every name without ``linkname``), scores with ``cmd=neighbor_score``.
An id the fake does not know gets a LinkSet holding an ``ERROR`` (our real replies do not
show how NCBI answers one; the client also handles an id left out).
``rate_limit`` makes the fake refuse, as NCBI does, a request beyond that many in a second.
``faults`` injects failures (429, 5xx, error pages, truncated XML) in front of the next
requests, and ``log`` keeps every request with its arrival time, as the server saw it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug import Request, Response

from conftest import PUBMED, require_pubmed

ARTICLE_FILES = [
    PUBMED / "test_current_medline.xml.gz",
    PUBMED / "pubmed-29768149.xml",
    *sorted(PUBMED.glob("efetch-pubmed*.xml")),
]
ESEARCH_DOCTYPE = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD '
    'esearch 20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)
ELINK_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink '
    '20101123//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
)
_ARTICLE = re.compile(r"<PubmedArticle\b[^>]*>.*?</PubmedArticle>", re.S)
_PMID = re.compile(r"<PMID Version=\"\d+\">(\d+)</PMID>")
_UID_RANGE = re.compile(r"\s+AND\s+(\d+):(\d+)\[uid\]$")
# "10.1000/x"[aid] terms (fetch --match-dois), and a record's DOI as PubMed XML has it.
_AID = re.compile(r'"?(10\.[^"\s]+?)"?\[aid\]', re.IGNORECASE)
_ARTICLE_DOI = re.compile(r'<ArticleId IdType="doi">([^<]+)</ArticleId>')


def _history_date(xml: str, status: str) -> dt.date:
    found = re.search(
        rf'<PubMedPubDate PubStatus="{status}">\s*<Year>(\d+)</Year>\s*<Month>(\d+)</Month>'
        rf"\s*<Day>(\d+)</Day>", xml)
    assert found, f"record without a {status} date"
    return dt.date(*map(int, found.groups()))


def _revised(xml: str) -> dt.date:
    found = re.search(r"<DateRevised>\s*<Year>(\d+)</Year>\s*<Month>(\d+)</Month>\s*"
                      r"<Day>(\d+)</Day>", xml)
    assert found
    return dt.date(*map(int, found.groups()))


@dataclass
class Record:
    pmid: int
    xml: str
    edat: dt.date
    mdat: dt.date


def real_articles() -> list[Record]:
    """The 13 real PubmedArticle records of ../shared/pubmed, verbatim (the test skips
    when they are absent)."""
    require_pubmed()
    return articles(ARTICLE_FILES)


def articles(paths: Iterable[Path]) -> list[Record]:
    """Every PubmedArticle record of these PubMed XML files (.xml or .xml.gz), verbatim."""
    records = []
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            text = handle.read()
        for xml in _ARTICLE.findall(text):
            pmid = int(_PMID.search(xml).group(1))  # type: ignore[union-attr]
            records.append(Record(pmid, xml, _history_date(xml, "entrez"), _revised(xml)))
    return records


def with_pmid(record: Record, pmid: int, edat: dt.date | None = None) -> Record:
    """The same real record under a fresh PMID (only the record's own first PMID changes)."""
    xml = _PMID.sub(f'<PMID Version="1">{pmid}</PMID>', record.xml, 1)
    xml = re.sub(r'(<ArticleId IdType="pubmed">)\d+(</ArticleId>)', rf"\g<1>{pmid}\g<2>", xml,
                 count=1)
    return Record(pmid, xml, edat or record.edat, record.mdat)


@dataclass
class Hit:
    time: float
    utility: str
    method: str
    params: dict[str, str]  # the first value of each parameter
    ids: list[str] = field(default_factory=list)  # every id= value, repeated ones included
    status: int = 200


def _parse_date(value: str, end: bool) -> dt.date:
    parts = [int(p) for p in value.split("/")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        first = dt.date(parts[0], parts[1], 1)
        if not end:
            return first
        nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31) if end else dt.date(parts[0], 1, 1)


Fault = Callable[[Request], Response]


@dataclass
class FakeEutils:
    records: list[Record]
    cap: int = 9999
    log: list[Hit] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(
        default_factory=lambda: {"esearch": [], "efetch": [], "elink": []})
    histories: dict[str, list[int]] = field(default_factory=dict)
    # PMIDs esearch lists but efetch leaves out (withdrawn between the two calls).
    hidden: set[int] = field(default_factory=set)
    citations: dict[int, list[int]] = field(default_factory=dict)
    similar: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    rate_limit: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.by_pmid = {r.pmid: r for r in self.records}

    # -- fault injection ---------------------------------------------------------------------

    def fail(self, utility: str, *faults: Fault) -> None:
        self.faults[utility].extend(faults)

    def calls(self, utility: str | None = None) -> list[Hit]:
        return [h for h in self.log if utility is None or h.utility == utility]

    # -- WSGI --------------------------------------------------------------------------------

    def handler(self, request: Request) -> Response:
        utility = _utility(request)
        params = {**request.args.to_dict(), **request.form.to_dict()}
        with self.lock:
            now = time.monotonic()
            hit = Hit(now, utility, request.method, params, request.values.getlist("id"))
            self.log.append(hit)
            if self.rate_limit and sum(now - h.time < 1 for h in self.log) > self.rate_limit:
                hit.status = 429
                return rate_limited()(request)
            queued = self.faults.get(utility)
            fault = queued.pop(0) if queued else None
        response = fault(request) if fault is not None else self.answer(request)
        hit.status = response.status_code
        return response

    def answer(self, request: Request) -> Response:
        """The reply a healthy NCBI would send."""
        utility = _utility(request)
        params = {**request.args.to_dict(), **request.form.to_dict()}
        if utility == "esearch":
            return self.esearch(params)
        if utility == "efetch":
            return self.efetch(params)
        if utility == "elink":
            return self.elink(request.values.getlist("id"), params)
        return Response("unknown utility", status=404)

    def _matching(self, params: dict[str, str]) -> list[int]:
        term = params.get("term", "")
        ids = list(self.by_pmid)
        dois = {doi.lower() for doi in _AID.findall(term)}
        if dois:  # PubMed's [aid] field: the article's identifiers, DOIs among them
            ids = [i for i in ids if {d.lower() for d in _ARTICLE_DOI.findall(
                self.by_pmid[i].xml)} & dois]
        found = _UID_RANGE.search(term)
        if found:
            low, high = int(found.group(1)), int(found.group(2))
            ids = [i for i in ids if low <= i <= high]
        if params.get("mindate") and params.get("maxdate"):
            field_name = "mdat" if params.get("datetype") == "mdat" else "edat"
            low_d = _parse_date(params["mindate"], end=False)
            high_d = _parse_date(params["maxdate"], end=True)
            ids = [i for i in ids if low_d <= getattr(self.by_pmid[i], field_name) <= high_d]
        # PubMed's default order: most recently added first.
        return sorted(ids, key=lambda i: (self.by_pmid[i].edat, i), reverse=True)

    def esearch(self, params: dict[str, str]) -> Response:
        ids = self._matching(params)
        retstart = int(params.get("retstart", 0))
        retmax = min(int(params.get("retmax", 20)), self.cap)
        if retstart >= self.cap:
            return xml_response(
                "<eSearchResult><ERROR>Search Backend failed: Exception:\n'retstart' cannot be "
                f"larger than {self.cap - 1}.</ERROR></eSearchResult>")
        page = ids[retstart : min(retstart + retmax, self.cap)]
        history = ""
        if params.get("usehistory") == "y":
            webenv = f"MCID_fake{len(self.histories) + 1:04d}"
            self.histories[webenv] = ids
            history = f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
        body = (
            f"<eSearchResult><Count>{len(ids)}</Count><RetMax>{len(page)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>{history}<IdList>\n"
            + "".join(f"<Id>{i}</Id>\n" for i in page)
            + "</IdList><TranslationSet/><QueryTranslation>fake</QueryTranslation>"
            "</eSearchResult>\n"
        )
        return xml_response(ESEARCH_DOCTYPE + body)

    def efetch(self, params: dict[str, str]) -> Response:
        if "id" in params:
            wanted = [int(i) for i in params["id"].split(",") if i.strip()]
        else:
            history = self.histories.get(params.get("WebEnv", ""))
            if history is None or params.get("query_key") != "1":
                return xml_response("<eFetchResult><ERROR>Unable to obtain query #1</ERROR>"
                                    "</eFetchResult>")
            start = int(params.get("retstart", 0))
            wanted = history[start : start + int(params.get("retmax", 20))]
        known = (self.by_pmid[i] for i in wanted if i in self.by_pmid and i not in self.hidden)
        return xml_response(article_set(known))

    # -- elink ------------------------------------------------------------------------------

    def links(self, pmid: int, cited_by: dict[int, list[int]]
              ) -> dict[str, list[tuple[int, int | None]]]:
        """Every link list of one paper, by link name, as (PMID, score)."""
        lists: dict[str, list[tuple[int, int | None]]] = {
            "pubmed_pubmed_citedin": [(p, None) for p in cited_by.get(pmid, [])],
            "pubmed_pubmed_refs": [(p, None) for p in self.citations.get(pmid, [])],
        }
        if pmid in self.similar:
            # PubMed lists a paper first among its own similar articles, with the top score.
            neighbours = self.similar[pmid]
            top = max((score for _, score in neighbours), default=0) + 1
            lists["pubmed_pubmed"] = [(pmid, top), *neighbours]
            lists["pubmed_pubmed_five"] = sorted(lists["pubmed_pubmed"],
                                                 key=lambda link: -(link[1] or 0))[:5]
        return lists

    def elink(self, ids: list[str], params: dict[str, str]) -> Response:
        if params.get("dbfrom") != "pubmed" or params.get("db", "pubmed") != "pubmed":
            return xml_response("<eLinkResult><ERROR>Invalid dbfrom or db</ERROR></eLinkResult>")
        cmd = params.get("cmd", "neighbor")
        if cmd not in ("neighbor", "neighbor_score"):
            return xml_response(f"<eLinkResult><ERROR>cmd {cmd} is not served by the fake"
                                "</ERROR></eLinkResult>")
        if not ids:
            return xml_response("<eLinkResult><ERROR>Empty id list - nothing todo</ERROR>"
                                "</eLinkResult>")
        cited_by: dict[int, list[int]] = {}
        for paper, refs in self.citations.items():
            for ref in refs:
                cited_by.setdefault(ref, []).append(paper)
        known = {*self.by_pmid, *self.citations, *cited_by, *self.similar,
                 *(p for found in self.similar.values() for p, _ in found)}
        sets = [self._linkset([int(i) for i in value.split(",") if i.strip()],
                              params.get("linkname"), cmd == "neighbor_score", cited_by, known)
                for value in ids]
        return xml_response(ELINK_HEAD + "<eLinkResult>\n" + "".join(sets) + "</eLinkResult>\n")

    def _linkset(self, pmids: list[int], linkname: str | None, scored: bool,
                 cited_by: dict[int, list[int]], known: set[int]) -> str:
        id_list = "<IdList>" + "".join(f"<Id>{p}</Id>" for p in pmids) + "</IdList>"
        unknown = [p for p in pmids if p not in known]
        if unknown:
            return (f"<LinkSet><DbFrom>pubmed</DbFrom>{id_list}<ERROR>Invalid uid {unknown[0]}"
                    "</ERROR></LinkSet>\n")
        union: dict[str, dict[int, int | None]] = {}
        for pmid in pmids:
            for name, found in self.links(pmid, cited_by).items():
                for linked, score in found:
                    union.setdefault(name, {}).setdefault(linked, score)
        dbs = []
        for name in sorted(union):
            if linkname not in (None, name) or not union[name]:
                continue
            # Newest (highest PMID) first, as the unscored lists of elink3.xml and elink4.xml
            # roughly run; scored ones too, so a client must rank by score itself.
            links = "".join(
                f"<Link><Id>{p}</Id>" + (f"<Score>{union[name][p] or 0}</Score>" if scored else "")
                + "</Link>" for p in sorted(union[name], reverse=True))
            dbs.append(f"<LinkSetDb><DbTo>pubmed</DbTo><LinkName>{name}</LinkName>{links}"
                       "</LinkSetDb>")
        return f"<LinkSet><DbFrom>pubmed</DbFrom>{id_list}{''.join(dbs)}</LinkSet>\n"


def _utility(request: Request) -> str:
    return request.path.rsplit("/", 1)[-1].removesuffix(".fcgi")


def article_set(records: Iterable[Record]) -> str:
    return EFETCH_HEAD + "".join(r.xml + "\n" for r in records) + "</PubmedArticleSet>\n"


def xml_response(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/xml; charset=UTF-8")


# -- faults --------------------------------------------------------------------------------------


def status(code: int, body: str = "", headers: dict[str, str] | None = None) -> Fault:
    return lambda request: Response(body, status=code, headers=headers or {})


def rate_limited(retry_after: str | None = None) -> Fault:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return status(429, '{"error":"API rate limit exceeded","count":"4","limit":"3"}', headers)


def body(text: str) -> Fault:
    return lambda request: xml_response(text)


def truncated(fake: FakeEutils, cut: int = 2000) -> Fault:
    """The fake's own reply to this request, cut off mid-record (at ``cut`` characters, or
    halfway through a shorter reply)."""

    def respond(request: Request) -> Response:
        full = fake.answer(request).get_data(as_text=True)
        return xml_response(full[: min(cut, len(full) // 2)])

    return respond


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The largest number of requests that arrived within any ``window`` seconds."""
    times = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
