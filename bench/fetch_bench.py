"""Count the HTTP requests a fetch costs, against a local fake E-utilities serving real records.

    python bench/fetch_bench.py [--records 2000] [--batch-size 500] [--no-pacing]

The fake server (tests/fake_eutils.py, werkzeug in a thread) serves the 604 real citations
of ../shared/pubmed/medline16n0902.xml.gz as PubmedArticle records under fresh PMIDs,
with entrez dates spread over ten years. Expected figures (issue 2):
N new records = 1 esearch + ceil(N / batch size) efetch; nothing new = 1 request.
Above 9,999 hits the esearch part becomes one request per date slice, shown as "(split)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import logging
import math
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from pytest_httpserver import HTTPServer  # noqa: E402

from kratomlit.jobs.fetch_pubmed import FetchPlan, run_fetch  # noqa: E402
from kratomlit.sources.eutils import EutilsClient  # noqa: E402
from kratomlit.store import Store  # noqa: E402

from fake_eutils import PUBMED, FakeEutils, Record, rate_limited  # noqa: E402

FIRST_PMID = 91_000_000


def real_citations() -> list[str]:
    text = gzip.open(PUBMED / "medline16n0902.xml.gz", "rt", encoding="utf-8").read()
    return re.findall(r"<MedlineCitation .*?</MedlineCitation>", text, flags=re.S)


def make_records(count: int, start: int = 0) -> list[Record]:
    citations = real_citations()
    pmid_tag = re.compile(r"<PMID Version=\"1\">\d+</PMID>")
    first_day = dt.date(2015, 1, 1)
    records = []
    for i in range(start, start + count):
        pmid = FIRST_PMID + i
        citation = pmid_tag.sub(f'<PMID Version="1">{pmid}</PMID>', citations[i % len(citations)],
                                count=1)
        day = first_day + dt.timedelta(days=i % 3650)
        records.append(Record(pmid, f"<PubmedArticle>{citation}</PubmedArticle>", day, day))
    return records


Figures = tuple[int, int, int, int, int, float]  # records, requests, esearch, efetch, new, s


def run(store: Store, client: EutilsClient, fake: FakeEutils, batch: int) -> Figures:
    fake.log.clear()
    started = time.perf_counter()
    result = run_fetch(store, client, FetchPlan.build("kratom[tiab]", batch_size=batch))
    elapsed = time.perf_counter() - started
    # What the server saw must match what the run recorded in fetch_runs.requests.
    assert len(fake.log) == result.requests, (len(fake.log), result.requests)
    return (result.records, result.requests, len(fake.calls("esearch")),
            len(fake.calls("efetch")), result.counts.new, elapsed)


def expected(new: int, batch: int) -> int | None:
    """1 esearch + ceil(N / batch) efetch while the query fits under the 9,999-id cap."""
    return 1 + math.ceil(new / batch) if new <= 9999 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--more", type=int, default=120, help="records added before run 3")
    parser.add_argument("--no-pacing", action="store_true",
                        help="skip the 3 requests/s spacing (counts are the same)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request access log

    fake = FakeEutils(make_records(args.records))
    server = HTTPServer()
    server.expect_request(re.compile(".*")).respond_with_handler(fake.handler)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
            client = EutilsClient(server.url_for("/entrez/eutils/"), backoff=0.05,
                                  interval=0.0 if args.no_pacing else None)
            n, b = args.records, args.batch_size
            rows = []
            got = run(store, client, fake, b)
            rows.append((f"first fetch, {n} new", expected(n, b), got))
            got = run(store, client, fake, b)
            rows.append(("re-run, nothing new", 1 if n <= 9999 else None, got))
            fake.records += make_records(args.more, start=n)
            fake.__post_init__()
            got = run(store, client, fake, b)
            rows.append((f"re-run, {args.more} new",
                         None if n + args.more > 9999 else expected(args.more, b), got))
            fake.fail("esearch", rate_limited(retry_after="1"))
            got = run(store, client, fake, b)
            rows.append(("re-run, nothing new, one 429", None if n + args.more > 9999 else 2,
                         got))
    finally:
        server.stop()

    pacing = "no pacing" if args.no_pacing else f"paced at {client.interval} s/request"
    print(f"fetch bench: batch size {args.batch_size}, {pacing}, fake server on loopback")
    print(f"{'scenario':32} {'expected':>8} {'requests':>8} {'esearch':>7} {'efetch':>6} "
          f"{'records':>7} {'new':>6} {'seconds':>7} {'records/s':>9}")
    for name, want, (records, requests, searches, fetches, new, seconds) in rows:
        rate = f"{records / seconds:9.0f}" if records else f"{'-':>9}"
        shown = f"{want:8d}" if want is not None else f"{'(split)':>8}"
        print(f"{name:32} {shown} {requests:8d} {searches:7d} {fetches:6d} {records:7d} "
              f"{new:6d} {seconds:7.2f} {rate}")
        assert want is None or requests == want, f"{name}: {requests} requests, want {want}"


if __name__ == "__main__":
    main()
