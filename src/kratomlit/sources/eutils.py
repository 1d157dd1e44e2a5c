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

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from kratomlit.config import TOOL_NAME
from kratomlit.errors import EutilsError, NetworkError, QueryError
from kratomlit.sources.http import BACKOFF_MAX, PACER, network_reason, paced_session, scrub
from kratomlit.sources.replies import (
    BadPayload,
    FetchedBatch,
    LinkedBatch,
    NcbiError,
    PayloadError,
    SearchResult,
    error_text,
    one_line,
    parse_efetch,
    parse_elink_batch,
    parse_esearch,
)

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
# A Retry-After longer than this is cut short: the user is waiting at a terminal.
RETRY_AFTER_MAX = 60.0
# Retries of a batch whose HTTP 200 reply is an error page or broken XML.
PAYLOAD_RETRIES = 2
# Queries longer than this go by POST: servers and proxies reject URLs of a few KB.
LONG_TERM = 1500

log = logging.getLogger(__name__)


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
        self.session = paced_session(retries, connect_retries, backoff, retry_after_max,
                                     interval, self._count_retry)

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
            raise BadPayload("connection dropped in the middle of the reply") from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError(
                f"cannot reach the PubMed E-utilities API at {self.host} ({network_reason(exc)})"
            ) from None
        if response.status_code != 200:
            raise EutilsError(self._status_message(utility, response))
        return response.content

    def _status_message(self, utility: str, response: requests.Response) -> str:
        code = response.status_code
        detail = one_line(self.scrub(error_text(response.content)))
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
            except BadPayload as exc:
                problem = self.scrub(str(exc))
                if n == self.payload_retries:
                    if isinstance(exc, NcbiError):
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
            return parse_esearch(self._request("esearch", params, post=post), retmax, retstart,
                                 ESEARCH_MAX_IDS)

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
            batch = parse_efetch(self._request("efetch", params))
            got = len(batch.pmids)
            if got < retmax:
                raise BadPayload(f"returned {got} of {retmax} records")
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
            batch = parse_efetch(self._request("efetch", params, post=True))
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
                raise BadPayload(f"returned {asked - len(batch.missing)} of {asked} {noun}")
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
            return parse_elink_batch(self._request("elink", params, post=post), wanted)

        return self._accepting_gaps(  # type: ignore[no-any-return]
            f"elink ({len(wanted)} PMIDs)", attempt, len(wanted), "LinkSets")


# -- messages ---------------------------------------------------------------------------------


def batched(items: Iterable[int], size: int) -> Iterable[list[int]]:
    chunk: list[int] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
