"""HTTP for the E-utilities client: one paced, retrying ``requests`` session, and the API key
kept out of every message and log line.

urllib3's ``Retry`` does what HTTP-level retries fix (connection errors, timeouts, 429 with
``Retry-After``, 5xx); the ``Pacer`` spaces every request, retries included, to NCBI's limit.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from kratomlit.config import TOOL_NAME

# The longest pause between two retries, and the HTTP statuses worth retrying.
BACKOFF_MAX = 30.0
RETRY_STATUSES = (429, 500, 502, 503, 504)

_KEY_IN_TEXT = re.compile(r"(api_key=)[^&\s'\"]+", re.IGNORECASE)

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


class PacedRetry(Retry):
    """urllib3's Retry that also paces each retry and counts it.

    urllib3 retries inside the adapter, out of the client's sight: without this hook a
    burst of retries could break NCBI's rate limit and the run's request count.
    """

    interval: float = 0.0
    on_retry: Callable[[], None] | None = None

    def new(self, **kw: Any) -> PacedRetry:
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


def paced_session(retries: int, connect_retries: int, backoff: float, retry_after_max: float,
                  interval: float, on_retry: Callable[[], None]) -> requests.Session:
    """A session whose every request and retry is paced to ``interval`` and counted."""
    session = requests.Session()
    session.headers["User-Agent"] = f"{TOOL_NAME} (+https://pubmed.ncbi.nlm.nih.gov/)"
    retry = PacedRetry(
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
    retry.on_retry = on_retry
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def network_reason(exc: BaseException) -> str:
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
