"""Count the requests citation tracking costs, against the stand-in E-utilities on loopback.

    python bench/snowball_bench.py [--seeds 1,200,1000] [--batch-size 500]

The stand-in (tests/fake_eutils.py, werkzeug in a thread) serves a made-up citation graph:
each seed cites 5 papers (neighbouring seeds share 4 of them), is cited by 3 and has 12
similar articles with scores. It enforces NCBI's rate limit as NCBI does (HTTP 429 for a
fourth request within a second, an eleventh with an API key), so a run with zero 429s kept
to it. ``citations.follow`` runs one step for 1, 200 and 1,000 seeds: backward and forward
(the default), then with similar articles (top 10) as well. "With new" stores only the
seeds; "nothing new" stores every linked paper as well, as a re-run would find them.

Expected (issue 15): ELink requests = ceil(seeds / 200), twice that with similar; the efetch
requests the snowball job will add = ceil(new / batch size), computed here from the links,
0 when nothing is new. Every gap between two arrivals at the server is at least the pacing
interval.

Then the real command, end to end: ``kratomlit snowball --seeds @FILE --format json`` in a
subprocess against the same stand-in, which now also serves a record (a synthetic one under
the linked PMID) for every linked paper: a fresh database ("with new": every linked paper is
fetched) and the same command again ("nothing new": only the ELink requests). Its requests
are counted at the server and must be exactly ceil(seeds / 200) ELink + ceil(new / batch
size) efetch, with zero 429s and never more in a second than NCBI allows.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from pytest_httpserver import HTTPServer  # noqa: E402

from kratomlit.jobs.fetch_pubmed import DEFAULT_BATCH  # noqa: E402
from kratomlit.jobs.follow_links import follow  # noqa: E402
from kratomlit.sources.eutils import ELINK_BATCH, EutilsClient  # noqa: E402

from conftest import SYNTHETIC_XML  # noqa: E402
from fake_eutils import FakeEutils, articles, max_in_window, with_pmid  # noqa: E402

SEED0, REF0, CITER0, SIMILAR0 = 95_000_000, 96_000_000, 97_000_000, 98_000_000
# The key is never sent anywhere but the loopback stand-in; it only switches the pacing.
MODES = [("no key", None, 3), ("API key", "bench-key-not-a-real-one", 10)]


def graph(count: int) -> tuple[list[int], dict[int, list[int]], dict[int, list[tuple[int, int]]]]:
    seeds = [SEED0 + i for i in range(count)]
    citations = {seed: [REF0 + i + j for j in range(5)] for i, seed in enumerate(seeds)}
    for i, seed in enumerate(seeds):
        citations.update({CITER0 + 3 * i + j: [seed] for j in range(3)})
    similar = {seed: [(SIMILAR0 + 12 * i + j, 1000 - j) for j in range(12)]
               for i, seed in enumerate(seeds)}
    return seeds, citations, similar


@dataclass
class Row:
    mode: str
    limit: int
    seeds: int
    lists: str
    store: str
    expected: int
    elink: int
    posts: int
    links: int
    linked: int
    new: int
    efetch: int
    refused: int
    gap: float | None
    peak: int
    seconds: float


def run(fake: FakeEutils, client: EutilsClient, mode: str, limit: int, count: int,
        directions: list[str], stored_all: bool, batch_size: int) -> Row:
    seeds, fake.citations, fake.similar = graph(count)
    time.sleep(1.0)  # a clean second: runs never share a rate-limit window
    fake.log.clear()
    started = time.perf_counter()
    links = follow(client, seeds, directions)
    seconds = time.perf_counter() - started
    linked = {link.linked for link in links}
    new = 0 if stored_all else len(linked - set(seeds))
    times = [h.time for h in fake.log]
    per_batch = 2 if "similar" in directions else 1
    return Row(mode, limit, count, "refs+citedin" + ("+similar" if per_batch == 2 else ""),
               "nothing new" if stored_all else "with new",
               per_batch * math.ceil(count / ELINK_BATCH), len(fake.log),
               sum(h.method == "POST" for h in fake.log), len(links), len(linked), new,
               math.ceil(new / batch_size), sum(h.status == 429 for h in fake.log),
               min((b - a for a, b in itertools.pairwise(times)), default=None),
               max_in_window(times), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="1,200,1000")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help="efetch batch size the job would use (default: fetch's)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The stand-in runs in this process: with Python's default 5 ms thread switch its
    # arrival stamps can wait that long for the GIL, a delay NCBI's clock never sees.
    sys.setswitchinterval(0.0005)

    fake = FakeEutils([])
    server = HTTPServer()
    server.expect_request(re.compile(".*")).respond_with_handler(fake.handler)
    server.start()
    rows = []
    intervals = {}
    try:
        for mode, key, limit in MODES:
            fake.rate_limit = limit
            client = EutilsClient(server.url_for("/entrez/eutils/"), api_key=key)
            intervals[mode] = client.interval
            for count in (int(n) for n in args.seeds.split(",")):
                for directions in (["backward", "forward"], ["backward", "forward", "similar"]):
                    for stored_all in (False, True):
                        rows.append(run(fake, client, mode, limit, count, directions,
                                        stored_all, args.batch_size))
        commands = [command(fake, server.url_for("/entrez/eutils/"), mode, key, limit, count,
                            args.batch_size, again)
                    for mode, key, limit in MODES for count in (int(n) for n in
                                                                args.seeds.split(","))
                    for again in (False, True)]
    finally:
        server.stop()
    report(rows, intervals, args.batch_size)
    report_commands(commands)


def report(rows: list[Row], intervals: dict[str, float], batch_size: int) -> None:
    print(f"snowball bench: ELink batch {ELINK_BATCH} seeds, efetch batch {batch_size}, "
          "stand-in on loopback enforcing NCBI's rate limit; pacing "
          + ", ".join(f"{mode} {interval} s" for mode, interval in intervals.items()))
    print(f"{'mode':7} {'seeds':>5} {'lists':20} {'store':11} {'expect':>6} {'elink':>5} "
          f"{'POST':>4} {'links':>6} {'linked':>6} {'new':>6} {'efetch':>6} {'429s':>4} "
          f"{'min gap':>7} {'max/1s':>6} {'seconds':>7}")
    for r in rows:
        gap = f"{r.gap:7.3f}" if r.gap is not None else f"{'-':>7}"
        print(f"{r.mode:7} {r.seeds:5d} {r.lists:20} {r.store:11} {r.expected:6d} "
              f"{r.elink:5d} {r.posts:4d} {r.links:6d} {r.linked:6d} {r.new:6d} {r.efetch:6d} "
              f"{r.refused:4d} {gap} {r.peak:6d} {r.seconds:7.2f}")
        where = f"{r.mode}, {r.seeds} seeds, {r.lists}"
        assert r.elink == r.expected, f"{where}: {r.elink} ELink requests, want {r.expected}"
        assert r.refused == 0, f"{where}: {r.refused} requests refused with 429"
        assert r.peak <= r.limit, f"{where}: {r.peak} requests within one second"
        # The client spaces its sends by the interval; arrivals can come a few ms closer
        # (each request opens its own connection to the stand-in, which takes a varying
        # time), which is what the interval's margin over NCBI's 1/limit s is for.
        assert r.gap is None or r.gap >= 1 / r.limit, f"{where}: gap {r.gap:.3f} s"



@dataclass
class Command:
    mode: str
    limit: int
    seeds: int
    store: str
    new: int  # papers the command fetched, by its own summary
    elink: int  # requests as the stand-in saw them
    efetch: int
    expected: tuple[int, int]  # (ELink, efetch) by issue 15's formula
    refused: int
    peak: int
    seconds: float


def command(fake: FakeEutils, url: str, mode: str, key: str | None, limit: int, count: int,
            batch_size: int, again: bool) -> Command:
    """``kratomlit snowball`` for ``count`` seeds in a subprocess; ``again``: the second run
    on the same database, which finds nothing new."""
    seeds, fake.citations, _ = graph(count)
    fake.similar, fake.rate_limit = {}, limit
    cited = {p for refs in fake.citations.values() for p in refs}  # the seeds among them
    new = sorted((cited | set(fake.citations)) - set(seeds))  # references and citing papers
    base = articles([SYNTHETIC_XML])
    fake.by_pmid = {p: with_pmid(base[i % len(base)], p) for i, p in enumerate(new)}
    work = Path(tempfile.gettempdir()) / f"snowball-bench-{os.getpid()}-{count}-{limit}"
    work.mkdir(exist_ok=True)
    (work / "seeds.txt").write_text("\n".join(map(str, seeds)))
    if not again:
        (work / "k.db").unlink(missing_ok=True)
    env = {**os.environ, "KRATOMLIT_DB": str(work / "k.db"), "KRATOMLIT_EUTILS_URL": url,
           "NCBI_EMAIL": "bench@example.org"}
    env.pop("NCBI_API_KEY", None)
    if key:
        env["NCBI_API_KEY"] = key
    time.sleep(1.0)
    fake.log.clear()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kratomlit", "snowball", "--seeds",
                           f"@{work / 'seeds.txt'}", "--batch-size", str(batch_size),
                           "--format", "json", "--quiet"], env=env, capture_output=True,
                          text=True, timeout=600)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    fetched = 0 if again else len(new)
    return Command(mode, limit, count, "nothing new" if again else "with new", summary["new"],
                   len(fake.calls("elink")), len(fake.calls("efetch")),
                   (math.ceil(count / ELINK_BATCH), math.ceil(fetched / batch_size)),
                   sum(h.status == 429 for h in fake.log),
                   max_in_window([h.time for h in fake.log]), seconds)


def report_commands(commands: list[Command]) -> None:
    print("\nthe command end to end: kratomlit snowball --seeds @FILE (references and citing "
          "papers, depth 1)")
    print(f"{'mode':7} {'seeds':>5} {'store':11} {'new':>6} {'elink':>5} {'efetch':>6} "
          f"{'expect':>7} {'429s':>4} {'max/1s':>6} {'seconds':>7}")
    for c in commands:
        print(f"{c.mode:7} {c.seeds:5d} {c.store:11} {c.new:6d} {c.elink:5d} {c.efetch:6d} "
              f"{c.expected[0]:>3d}+{c.expected[1]:<3d} {c.refused:4d} {c.peak:6d} "
              f"{c.seconds:7.2f}")
        where = f"{c.mode}, {c.seeds} seeds, {c.store}"
        assert (c.elink, c.efetch) == c.expected, f"{where}: {c.elink}+{c.efetch} requests"
        assert c.refused == 0, f"{where}: {c.refused} requests refused with 429"
        assert c.peak <= c.limit, f"{where}: {c.peak} requests within one second"


if __name__ == "__main__":
    main()
