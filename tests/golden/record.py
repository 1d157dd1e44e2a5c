"""What the reading commands print on the real records, recorded as SHA-256 hashes.

    python tests/golden/record.py              # rewrite tests/golden/outputs.json
    python tests/golden/record.py --dump DIR   # also write each normalised output to DIR

A database is built from every record file of ../shared/pubmed (plus one real record again
under a fresh PMID, confirmed as a duplicate), a fetch against the loopback stand-in for
E-utilities (so PRISMA has a PubMed source), tagging, and scripted screening by two reviewers.
Each command's standard output is normalised (timestamps, today's date, temporary paths,
process ids, the stand-in's port) and hashed: the outputs hold real record text, which must
not be copied into the repository. test_outputs_unchanged.py compares a fresh run with the
recorded hashes; on a mismatch, dump both versions (this script on the old commit, the test's
file on the new) and diff them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from conftest import PUBMED, RECORD_FILES  # noqa: E402
from fake_eutils import FakeEutils, article_set, real_articles, with_pmid  # noqa: E402

HASHES = Path(__file__).resolve().parent / "outputs.json"
ORIGINAL = 28786991  # a real record with a DOI, imported again under COPY
COPY = 99_000_001
SHOWN = (ORIGINAL, 29768149, COPY)
WIDTHS = (80, 120)


def _ok(runner, env: dict[str, str | None], *args: str):  # type: ignore[no-untyped-def]
    from kratomlit.cli import app

    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.output)
    return result


def build(folder: Path) -> dict[str, str | None]:
    """Build the database in ``folder``; the environment the commands run with."""
    from pytest_httpserver import HTTPServer
    from typer.testing import CliRunner

    runner = CliRunner()
    env = {"KRATOMLIT_DB": str(folder / "golden.db"), "COLUMNS": "80", "NO_COLOR": "1",
           "TERM": "dumb", "KRATOMLIT_EUTILS_URL": "http://127.0.0.1:9/entrez/eutils/"}
    for name in ("NCBI_API_KEY", "NCBI_EMAIL", "KRATOMLIT_REVIEWER", "KRATOMLIT_TRACEBACK",
                 "TTY_COMPATIBLE", "KRATOMLIT_SHARED"):
        env[name] = None  # unset while the commands run
    texts = sorted(PUBMED.glob("medline-pubmed_result*.txt"))
    _ok(runner, env, "import", *map(str, RECORD_FILES), *map(str, texts), "--quiet")
    record = next(r for r in real_articles() if r.pmid == ORIGINAL)
    again = folder / "again.xml"
    again.write_text(article_set([with_pmid(record, COPY)]), "utf-8")
    _ok(runner, env, "import", str(again), "--quiet")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile(".*")).respond_with_handler(
        FakeEutils(real_articles()).handler)
    server.start()
    try:
        fetch_env = {**env, "KRATOMLIT_EUTILS_URL": server.url_for("/entrez/eutils/")}
        _ok(runner, fetch_env, "fetch", "--quiet")
    finally:
        server.stop()
    _ok(runner, env, "tag", "--quiet")
    _ok(runner, env, "screen", "duplicates", "--confirm", str(COPY))
    _screen(runner, env)
    return env


def _screen(runner, env: dict[str, str | None]) -> None:  # type: ignore[no-untyped-def]
    """Two reviewers screen the first papers of the table: agreements, conflicts, a maybe,
    notes, one conflict resolved."""
    listed = _ok(runner, env, "table", "--limit", "12").stdout.splitlines()[1:]
    pmids = [line.split("\t")[0] for line in listed]
    plan = [("include", "include"), ("exclude", "exclude"), ("include", "exclude"),
            ("maybe", "include"), ("exclude", "include"), ("include", None),
            ("exclude", "maybe"), (None, "exclude"), ("include", "include")]
    for pmid, decisions in zip(pmids, plan, strict=False):
        for reviewer, decision in zip(("alice", "bob"), decisions, strict=True):
            if decision is None:
                continue
            args = ["screen", "set", pmid, decision, "--reviewer", reviewer]
            if decision == "exclude":
                args += ["--reason", "wrong design"]
            if reviewer == "alice" and decision == "maybe":
                args += ["--note", "full text needed: dose not in the abstract"]
            _ok(runner, env, *args)
    _ok(runner, env, "screen", "resolve", pmids[2], "include", "--reviewer", "carol")


def commands() -> Iterator[tuple[str, list[str]]]:
    """(name, arguments) of every recorded output."""
    yield "table", ["table"]
    yield "table-all", ["table", "--include-retracted", "--include-duplicates"]
    yield "table-safety", ["table", "--outcome", "safety", "--since", "2010"]
    for fmt in ("text", "json", "csv", "md"):
        yield f"map-{fmt}", ["map", "--format", fmt]
    for pmid in SHOWN:
        yield f"show-{pmid}", ["show", str(pmid)]
        yield f"show-{pmid}-json", ["show", str(pmid), "--format", "json"]
    for fmt in ("json", "jsonl", "csv", "ris", "bibtex", "md"):
        yield f"export-{fmt}", ["export", "--format", fmt]
    yield "export-csv-duplicates", ["export", "--format", "csv", "--include-duplicates"]
    for fmt in ("json", "text", "md"):
        yield f"prisma-{fmt}", ["prisma", "--format", fmt]
    yield "status-json", ["status", "--format", "json"]
    yield "search", ["search", "kratom withdrawal"]
    yield "explain-json", ["explain", str(ORIGINAL), "--format", "json"]
    yield "digest", ["digest"]
    yield "conflicts-json", ["screen", "conflicts", "--format", "json"]
    yield "agreement", ["screen", "agreement"]


def normalise(text: str, folder: Path) -> str:
    today = dt.datetime.now(dt.UTC).date()
    for path, shown in ((PUBMED, "<PUBMED>"), (PUBMED.resolve(), "<PUBMED>"),
                        (folder, "<TMP>"), (folder.resolve(), "<TMP>")):
        text = text.replace(str(path), shown)
    text = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?", "<TIME>",
                  text)
    for day in {today, dt.date.today(), today - dt.timedelta(days=1)}:
        for shown in (day.isoformat(), day.strftime("%Y/%m/%d")):
            text = text.replace(shown, "<TODAY>")
    # The run's owner, kept in its options (JSON inside JSON, so maybe escaped).
    text = re.sub(r'(\\?"pid\\?": )\d+', r"\g<1>0", text)
    text = re.sub(r'(\\?"host\\?": \\?")[^"\\]*', r"\g<1>HOST", text)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<PORT>", text)


def outputs(folder: Path, env: dict[str, str | None]) -> dict[str, str]:
    """Every recorded output, normalised: piped, and on a terminal 80 and 120 columns wide."""
    from typer.testing import CliRunner

    runner = CliRunner()
    found: dict[str, str] = {}
    for name, args in commands():
        for width in WIDTHS:
            for terminal in (False, True):
                # TERM and the colour switches pinned: rich renders a "dumb" terminal 80 wide
                # whatever COLUMNS says, and colours follow TERM/COLORTERM
                run_env = {**env, "COLUMNS": str(width), "TERM": "xterm-256color",
                           "COLORTERM": None, "NO_COLOR": None, "FORCE_COLOR": None,
                           "TTY_COMPATIBLE": "1" if terminal else None}
                key = f"{name}@{width}{'-tty' if terminal else ''}"
                found[key] = normalise(_ok(runner, run_env, *args).stdout, folder)
    return found


def hashes(found: dict[str, str]) -> dict[str, dict[str, int | str]]:
    return {name: {"sha256": hashlib.sha256(text.encode()).hexdigest(), "length": len(text)}
            for name, text in sorted(found.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", type=Path, help="write each normalised output here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        found = outputs(folder, build(folder))
    HASHES.write_text(json.dumps(hashes(found), indent=1) + "\n", "utf-8")
    print(f"{len(found)} outputs recorded in {HASHES}", file=sys.stderr)
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for name, text in found.items():
            (args.dump / name).write_text(text, "utf-8")


if __name__ == "__main__":
    main()
