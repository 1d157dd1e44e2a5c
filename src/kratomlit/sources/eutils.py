"""HTTP client for NCBI's E-utilities: esearch, efetch and elink, paced, retried and checked.

One ``requests.Session`` per client, with urllib3's ``Retry`` for what HTTP-level
retries fix (connection errors, timeouts, 429 with ``Retry-After``, 5xx). Replies
that come with HTTP 200 but cannot be trusted (an ``ERROR`` element, an empty,
non-XML or truncated body, fewer records than asked for) are retried here, a
bounded number of times, and then raised: a failure is never read as "0 results".

Every request carries ``tool``, the email when set and the API key when set. The
key is a secret: it is scrubbed from every message this module produces and from
urllib3's debug log, and ``repr(client)`` does not show it.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kratomlit.config import TOOL_NAME
from kratomlit.errors import EutilsError, InputFileError, NetworkError, QueryError
from kratomlit.parse.elink_xml import LinkSet, parse_elink
from kratomlit.records import Deletion, Paper

# NCBI allows 3 requests/s per IP without a key and 10 with one. Bio.Entrez found that
# 0.333 s spacing still trips the limit without a key and uses 0.37 s; with a key we keep
# a small margin above 0.1 s so that 11 requests never land inside one second.
INTERVAL_NO_KEY = 0.37
INTERVAL_WITH_KEY = 0.11
# esearch returns at most the first 9,999 ids of a query (see ../shared/EUTILS.md).
ESEARCH_MAX_IDS = 9999
EFETCH_MAX_BATCH = 10_000
# Seeds per ELink request. A reply without a link name carries every list NCBI holds for
# each seed, a few hundred links (mostly similar articles), so 200 seeds already make a
# reply of a few MB and a slow query at NCBI; a bigger batch would save one paced request
# per 200 seeds while a failed one would cost more to send again.
ELINK_BATCH = 200
# Connect quickly or fail; an efetch of 10,000 records can take a minute to stream.
TIMEOUT = (10.0, 120.0)
# HTTP-level retries: waits of backoff, 2x, 4x ... seconds (capped), about a minute in all
# for 429/5xx. A refused or unresolvable connection rarely heals within seconds: fewer tries.
HTTP_RETRIES = 5
CONNECT_RETRIES = 3
BACKOFF = 1.0
BACKOFF_MAX = 30.0
# A Retry-After longer than this is cut short: the user is waiting at a terminal.
RETRY_AFTER_MAX = 60.0
# Retries of a batch whose HTTP 200 reply is an error page or broken XML.
PAYLOAD_RETRIES = 2
RETRY_STATUSES = (429, 500, 502, 503, 504)
# Queries longer than this go by POST: servers and proxies reject URLs of a few KB.
LONG_TERM = 1500

_KEY_IN_TEXT = re.compile(r"(api_key=)[^&\s'\"]+", re.IGNORECASE)
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                               huge_tree=False)

log = logging.getLogger(__name__)


def scrub(text: str, api_key: str | None = None) -> str:
    """``text`` with any API key (by parameter name and by value) replaced by ``***``."""
    text = _KEY_IN_TEXT.sub(r"\1***", text)
    if api_key:
        text = text.replace(api_key, "***")
    return text


class _ScrubKeys(logging.Filter):
    """urllib3 logs request URLs at DEBUG level; keep the key out of anyone's log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "api_key" in message.lower():
            record.msg, record.args = scrub(message), ()
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(_ScrubKeys())


class Pacer:
    """Spaces requests across the whole process (all clients, all threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = float("-inf")

    def wait(self, interval: float) -> None:
        with self._lock:
            delay = self._last + interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()


PACER = Pacer()


class _PacedRetry(Retry):
    """urllib3's Retry that also paces each retry and counts it.

    urllib3 retries inside the adapter, out of the client's sight: without this hook a
    burst of retries could break NCBI's rate limit and the run's request count.
    """

    interval: float = 0.0
    on_retry: Callable[[], None] | None = None

    def new(self, **kw: Any) -> _PacedRetry:
        retry = super().new(**kw)
        retry.interval, retry.on_retry = self.interval, self.on_retry
        return retry

    def get_backoff_time(self) -> float:
        # urllib3 retries the first failure at once; NCBI's 429 without Retry-After asks
        # for a pause every time.
        errors = len(self.history)
        if errors == 0:
            return 0.0
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (errors - 1)))

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        PACER.wait(self.interval)
        if self.on_retry:
            self.on_retry()


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
        return {p.pmid for p in self.papers} | set(self.deletions)


@dataclass
class LinkedBatch:
    linksets: dict[int, LinkSet]  # seed -> its own LinkSet, in the order asked
    missing: list[int] = field(default_factory=list)  # seeds NCBI did not answer


class PayloadError(EutilsError):
    """An HTTP 200 reply that stayed unusable (error page, broken XML, short) after retries."""


class _BadPayload(Exception):
    """An HTTP 200 reply that cannot be trusted; retried, then raised as EutilsError."""


class _NcbiError(_BadPayload):
    """An HTTP 200 reply whose body is NCBI's own ``ERROR`` message."""


class EutilsClient:
    """esearch/efetch/elink against ``base_url`` (NCBI's, or a local server in tests)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        email: str | None = None,
        timeout: tuple[float, float] | None = None,
        retries: int | None = None,
        connect_retries: int | None = None,
        backoff: float | None = None,
        retry_after_max: float | None = None,
        payload_retries: int | None = None,
        interval: float | None = None,
    ) -> None:
        # Defaults are read from the module when the client is built, so a test (or a
        # tuning experiment) can change them for every client the CLI makes.
        timeout = timeout or TIMEOUT
        retries = HTTP_RETRIES if retries is None else retries
        connect_retries = CONNECT_RETRIES if connect_retries is None else connect_retries
        backoff = BACKOFF if backoff is None else backoff
        retry_after_max = RETRY_AFTER_MAX if retry_after_max is None else retry_after_max
        payload_retries = PAYLOAD_RETRIES if payload_retries is None else payload_retries
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        parts = urlsplit(self.base_url)
        self.host = parts.hostname or self.base_url
        if parts.port:
            self.host += f":{parts.port}"
        self._api_key = api_key or None
        self.email = email or None
        self.timeout = timeout
        self.backoff = backoff
        self.payload_retries = payload_retries
        if interval is None:
            interval = INTERVAL_WITH_KEY if self._api_key else INTERVAL_NO_KEY
        self.interval = interval
        self.requests = 0  # HTTP requests sent, retries included
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"{TOOL_NAME} (+https://pubmed.ncbi.nlm.nih.gov/)"
        retry = _PacedRetry(
            total=retries,
            connect=connect_retries,
            read=connect_retries,
            status=retries,
            other=0,
            redirect=3,
            allowed_methods=frozenset({"GET", "POST"}),  # the E-utilities are read-only
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_max=BACKOFF_MAX,
            retry_after_max=retry_after_max,  # type: ignore[arg-type]  # urllib3 takes float
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 429/5xx reply comes back to be explained
        )
        retry.interval = interval
        retry.on_retry = self._count_retry
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        key = "set" if self._api_key else None
        return f"EutilsClient(base_url={self.base_url!r}, api_key={key!r}, email={self.email!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count_retry(self) -> None:
        self.requests += 1

    # -- transport --------------------------------------------------------------------------

    def _params(self, params: dict[str, Any]) -> dict[str, Any]:
        full = {"db": "pubmed", **params, "tool": TOOL_NAME}
        if self.email:
            full["email"] = self.email
        if self._api_key:
            full["api_key"] = self._api_key
        return full

    def scrub(self, text: str) -> str:
        return scrub(text, self._api_key)

    def _request(self, utility: str, params: dict[str, Any], post: bool = False) -> bytes:
        """One call (plus urllib3's retries); returns the body of an HTTP 200 reply."""
        url = self.base_url + utility + ".fcgi"
        data = self._params(params)
        PACER.wait(self.interval)
        self.requests += 1
        try:
            if post:
                response = self.session.post(url, data=data, timeout=self.timeout)
            else:
                response = self.session.get(url, params=data, timeout=self.timeout)
        except (requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError):
            # The connection dropped mid-reply: a truncated body, retried like one.
            raise _BadPayload("connection dropped in the middle of the reply") from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError(
                f"cannot reach the PubMed E-utilities API at {self.host} ({_reason(exc)})"
            ) from None
        if response.status_code != 200:
            raise EutilsError(self._status_message(utility, response))
        return response.content

    def _status_message(self, utility: str, response: requests.Response) -> str:
        code = response.status_code
        detail = _one_line(self.scrub(_error_text(response.content)))
        if code == 429:
            hint = "" if self._api_key else "; an NCBI API key (NCBI_API_KEY) allows 10/s"
            return (
                f"PubMed E-utilities kept refusing requests (HTTP 429, rate limit exceeded) "
                f"after retries; try again later{hint}"
            )
        if code >= 500:
            return (f"PubMed E-utilities {utility} failed with HTTP {code} after retries"
                    + (f": {detail}" if detail else "") + "; try again later")
        return f"PubMed E-utilities {utility} answered HTTP {code}" + (
            f": {detail}" if detail else "")

    def _with_payload_retries(
        self, what: str, attempt: Callable[[], Any], ncbi_error: type[EutilsError] = PayloadError
    ) -> Any:
        """Run ``attempt`` again when its HTTP 200 reply is unusable, then give up loudly.

        NCBI's own ``ERROR`` text is raised as ``ncbi_error`` (``QueryError`` for esearch),
        anything else as ``PayloadError``.
        """
        for n in range(self.payload_retries + 1):
            try:
                return attempt()
            except _BadPayload as exc:
                problem = self.scrub(str(exc))
                if n == self.payload_retries:
                    if isinstance(exc, _NcbiError):
                        raise ncbi_error(f"PubMed E-utilities {what} error: {problem}") from None
                    raise PayloadError(
                        f"PubMed E-utilities {what}: {problem} (after {n + 1} attempts)"
                    ) from None
                log.info("retrying %s: %s", what, problem)
                time.sleep(min(BACKOFF_MAX, self.backoff * 2**n))
        raise AssertionError("unreachable")

    # -- esearch ----------------------------------------------------------------------------

    def esearch(
        self,
        term: str,
        *,
        retmax: int | None = None,
        retstart: int = 0,
        datetype: str | None = None,
        mindate: str | None = None,
        maxdate: str | None = None,
        usehistory: bool = True,
    ) -> SearchResult:
        """One esearch call. A query error (NCBI's ``ERROR``) raises ``QueryError``."""
        if retmax is None:
            retmax = ESEARCH_MAX_IDS
        params: dict[str, Any] = {"term": term, "retmax": retmax, "retstart": retstart,
                                  "retmode": "xml"}
        if usehistory:
            params["usehistory"] = "y"
        if mindate or maxdate:
            params.update(datetype=datetype or "edat", mindate=mindate, maxdate=maxdate)

        # Long hand-written strategies can outgrow a URL; esearch accepts POST as well.
        post = len(term) > LONG_TERM

        def attempt() -> SearchResult:
            return _parse_esearch(self._request("esearch", params, post=post), retmax, retstart)

        return self._with_payload_retries(  # type: ignore[no-any-return]
            "esearch", attempt, ncbi_error=QueryError
        )

    # -- efetch -----------------------------------------------------------------------------

    def efetch_history(self, webenv: str, query_key: str, retstart: int, retmax: int
                       ) -> FetchedBatch:
        """A page of a history set: exactly ``retmax`` records are expected."""
        params = {"WebEnv": webenv, "query_key": query_key, "retstart": retstart,
                  "retmax": retmax, "retmode": "xml"}
        what = f"efetch (records {retstart + 1}-{retstart + retmax})"

        def attempt() -> FetchedBatch:
            batch = _parse_efetch(self._request("efetch", params))
            got = len(batch.pmids)
            if got < retmax:
                raise _BadPayload(f"returned {got} of {retmax} records")
            return batch

        return self._with_payload_retries(what, attempt)  # type: ignore[no-any-return]

    def efetch_ids(self, pmids: Sequence[int]) -> FetchedBatch:
        """Records for explicit PMIDs, sent by POST (long id lists break GET URLs).

        NCBI leaves unknown or withdrawn PMIDs out of the set. After the retries, ids
        still missing are reported in ``missing`` rather than failing the whole fetch
        forever; the caller records them and the next run asks again.
        """
        wanted = list(dict.fromkeys(int(p) for p in pmids))
        params = {"id": ",".join(map(str, wanted)), "retmode": "xml"}

        def attempt() -> FetchedBatch:
            batch = _parse_efetch(self._request("efetch", params, post=True))
            batch.missing = [p for p in wanted if p not in batch.pmids]
            return batch

        return self._accepting_gaps(  # type: ignore[no-any-return]
            f"efetch ({len(wanted)} PMIDs)", attempt, len(wanted), "records")

    def _accepting_gaps(self, what: str, attempt: Callable[[], Any], asked: int, noun: str
                        ) -> Any:
        """Ask again while a reply leaves out some of the ``asked`` ids; then accept the gap.

        ``attempt`` returns a batch whose ``missing`` lists the ids left out. Once the retries
        are spent the last batch is returned with its gap rather than failing forever.
        """
        last: list[Any] = []

        def checked() -> Any:
            last.clear()
            batch = attempt()
            last.append(batch)
            if batch.missing:
                raise _BadPayload(f"returned {asked - len(batch.missing)} of {asked} {noun}")
            return batch

        try:
            return self._with_payload_retries(what, checked)
        except PayloadError:
            if last and last[0].missing:
                return last[0]
            raise

    # -- elink ------------------------------------------------------------------------------

    def elink(self, seeds: Sequence[int], linkname: str | None = None, *, scored: bool = False
              ) -> LinkedBatch:
        """PubMed-to-PubMed links of several seeds in one request, each traced to its seed.

        The seeds go as repeated ``id=`` parameters, so NCBI answers each in its own LinkSet
        (a comma-joined list would merge their links). With ``linkname`` only that list
        comes back; without it, every link name that has links (``cmd=neighbor``).
        ``scored`` asks for ``cmd=neighbor_score``: similar articles with their scores. A seed
        without links is an empty LinkSet, not an error. Seeds NCBI leaves unanswered or
        answers with an ``ERROR`` are asked again, then reported in ``missing``. Callers send
        at most ``ELINK_BATCH`` seeds at a time.
        """
        wanted = list(dict.fromkeys(int(p) for p in seeds))
        if not wanted:
            return LinkedBatch({})
        params: dict[str, Any] = {"dbfrom": "pubmed", "id": [str(p) for p in wanted],
                                  "cmd": "neighbor_score" if scored else "neighbor"}
        if linkname:
            params["linkname"] = linkname
        # Each seed adds "&id=NNNNNNNN" to a URL: long lists go by POST, as NCBI asks.
        post = sum(len(p) + 4 for p in params["id"]) > LONG_TERM

        def attempt() -> LinkedBatch:
            return _parse_elink(self._request("elink", params, post=post), wanted)

        return self._accepting_gaps(  # type: ignore[no-any-return]
            f"elink ({len(wanted)} PMIDs)", attempt, len(wanted), "LinkSets")


# -- reply parsing ----------------------------------------------------------------------------


def _xml_root(body: bytes) -> etree._Element:
    if not body.strip():
        raise _BadPayload("empty reply")
    try:
        return etree.fromstring(body, _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        if body.lstrip()[:1] != b"<":
            raise _BadPayload(f"reply is not XML ({_snippet(body)!r})") from None
        raise _BadPayload(f"truncated or malformed XML ({exc.msg})") from None


def _parse_esearch(body: bytes, retmax: int, retstart: int) -> SearchResult:
    root = _xml_root(body)
    error = root.findtext("ERROR")
    if root.tag != "eSearchResult" or error is not None:
        message = _one_line(error or "")
        if message:
            raise _NcbiError(message)
        raise _BadPayload(f"unexpected reply <{root.tag}>")
    count_text = (root.findtext("Count") or "").strip()
    if not count_text.isdigit():
        # An esearch reply without a count is never an answer of "no results".
        raise _BadPayload("reply has no result count")
    count = int(count_text)
    ids = [int(t) for t in (x.strip() for x in root.xpath("IdList/Id/text()")) if t.isdigit()]
    expected = max(0, min(count - retstart, retmax, ESEARCH_MAX_IDS - retstart))
    if len(ids) < expected:
        raise _BadPayload(f"returned {len(ids)} of {expected} ids")
    warnings = [_one_line(t) for t in root.xpath("ErrorList/*/text() | WarningList/*/text()")]
    return SearchResult(
        count=count,
        ids=ids,
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        translation=root.findtext("QueryTranslation"),
        warnings=[w for w in warnings if w],
    )


def _parse_elink(body: bytes, wanted: list[int]) -> LinkedBatch:
    try:
        reply = parse_elink(body)
    except EutilsError as exc:
        raise _BadPayload(_one_line(str(exc))) from None
    if reply.error is not None:
        raise _NcbiError(_one_line(reply.error))
    asked = set(wanted)
    answered: dict[int, LinkSet] = {}
    for linkset in reply.linksets:
        if linkset.error is not None:
            continue  # NCBI could not answer for this seed: it stays missing
        if linkset.seed is None:
            # Never guess which seed a link came from: provenance is the point.
            raise _BadPayload(f"reply has a LinkSet for {len(linkset.ids)} PMIDs, so its "
                              "links cannot be traced to one seed")
        if linkset.seed not in asked:
            raise _BadPayload(f"reply answers PMID {linkset.seed}, which was not asked for")
        answered[linkset.seed] = linkset
    return LinkedBatch({p: answered[p] for p in wanted if p in answered},
                       [p for p in wanted if p not in answered])


def _parse_efetch(body: bytes) -> FetchedBatch:
    head = body.lstrip()[:4096]
    if not head:
        raise _BadPayload("empty reply")
    if b"<eFetchResult" in head or b"<ERROR>" in head:
        root = _xml_root(body)
        raise _NcbiError(_one_line(root.findtext(".//ERROR") or "unknown error"))
    if not head.startswith(b"<"):
        raise _BadPayload(f"reply is not XML ({_snippet(head)!r})")
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
        raise _BadPayload(problem.replace("malformed XML", "truncated or malformed XML")) from None
    return FetchedBatch(papers=papers, deletions=deletions)


# -- messages ---------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snippet(body: bytes) -> str:
    return _one_line(body[:80].decode("utf-8", "replace"), 60)


def _error_text(body: bytes) -> str:
    """The human part of an error page: the ERROR element, a JSON "error", or the text."""
    text = body[:2000].decode("utf-8", "replace")
    for pattern in (r"<ERROR>(.*?)</ERROR>", r'"error"\s*:\s*"([^"]*)"'):
        found = re.search(pattern, text, re.S)
        if found:
            return found.group(1)
    return re.sub(r"<[^>]+>", " ", text)


def _reason(exc: BaseException) -> str:
    """A short cause for a network failure, without the URL (which may carry the key)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout | requests.exceptions.Timeout):
        return "no reply in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/SSL error"
    text = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("temporary failure in name resolution", "host name not found"),
        ("getaddrinfo failed", "host name not found"),
        ("network is unreachable", "network is unreachable"),
        ("no route to host", "no route to host"),
        ("reset by peer", "connection reset"),
        ("remotedisconnected", "connection closed by the server"),
        ("connection aborted", "connection closed by the server"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


def batched(items: Iterable[int], size: int) -> Iterable[list[int]]:
    chunk: list[int] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
