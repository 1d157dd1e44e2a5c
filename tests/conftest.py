"""Shared fixtures: every test runs against its own temporary database and never the network."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
# The real PubMed fixtures live beside the checkout (../shared), or wherever
# KRATOMLIT_SHARED points; a fresh clone has neither, and tests that need them skip.
SHARED = Path(os.environ.get("KRATOMLIT_SHARED") or REPO.parent / "shared")
PUBMED = SHARED / "pubmed"
LABELS = SHARED / "labels" / "dev.jsonl"
HAVE_PUBMED = (PUBMED / "medline16n0902.xml.gz").is_file()
NO_PUBMED = (f"real PubMed fixtures not found at {PUBMED} "
             "(set KRATOMLIT_SHARED to the folder that holds pubmed/)")
needs_pubmed = pytest.mark.skipif(not HAVE_PUBMED, reason=NO_PUBMED)
# Small, made-up records written for the tests, so the core behaviours are covered anywhere.
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SYNTHETIC_XML = FIXTURES / "synthetic-pubmed.xml"
SYNTHETIC_MEDLINE = FIXTURES / "synthetic-medline.nbib"


def require_pubmed() -> None:
    """Skip the calling test, fixture or module (at import) when the real fixtures are absent."""
    if not HAVE_PUBMED:
        pytest.skip(NO_PUBMED, allow_module_level=True)

# The real records in ../shared/pubmed that the parser reads (esearch replies excluded).
RECORD_FILES = [
    PUBMED / "medline16n0902.xml.gz",
    PUBMED / "test_current_medline.xml.gz",
    PUBMED / "pubmed-29768149.xml",
    *sorted(PUBMED.glob("efetch-pubmed*.xml")),
]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point kratomlit at a temporary database; no real API key, email or NCBI URL leaks in."""
    db = tmp_path / "kratomlit.db"
    monkeypatch.setenv("KRATOMLIT_DB", str(db))
    for name in ("NCBI_API_KEY", "NCBI_EMAIL", "KRATOMLIT_REVIEWER", "KRATOMLIT_TRACEBACK"):
        monkeypatch.delenv(name, raising=False)
    # Any accidental real request goes nowhere rather than to NCBI.
    monkeypatch.setenv("KRATOMLIT_EUTILS_URL", "http://127.0.0.1:9/entrez/eutils/")
    monkeypatch.chdir(tmp_path)
    return db


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def real_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding every real record of ../shared/pubmed, built once per session."""
    from kratomlit.jobs.import_files import import_files
    from kratomlit.store import Store

    require_pubmed()
    path = tmp_path_factory.mktemp("real") / "real.db"
    with Store(path) as store:
        import_files(store, RECORD_FILES)
    return path


def _copy(template: Path, target_path: Path) -> Path:
    import sqlite3

    source = sqlite3.connect(template)
    target = sqlite3.connect(target_path)
    source.backup(target)
    source.close()
    target.close()
    return target_path


@pytest.fixture
def real_db(real_db_template: Path, isolated_env: Path) -> Path:
    """A private copy of the real-records database at the path KRATOMLIT_DB names."""
    return _copy(real_db_template, isolated_env)


@pytest.fixture(scope="session")
def real_tagged_template(real_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                         ) -> Path:
    """The real-records database, tagged (as `kratomlit tag` does), built once per session."""
    from kratomlit.jobs.tag_papers import tag_store
    from kratomlit.store import Store

    path = _copy(real_db_template, tmp_path_factory.mktemp("tagged") / "tagged.db")
    with Store(path) as store:
        tag_store(store)
    return path


@pytest.fixture
def real_tagged_db(real_tagged_template: Path, isolated_env: Path) -> Path:
    """A private copy of the tagged real-records database at the path KRATOMLIT_DB names."""
    return _copy(real_tagged_template, isolated_env)


@pytest.fixture
def synthetic_db(isolated_env: Path) -> Path:
    """The synthetic records imported (MEDLINE text first, then the XML file that withdraws
    one of them) into the database KRATOMLIT_DB names."""
    from kratomlit.jobs.import_files import import_files
    from kratomlit.store import Store

    with Store(isolated_env) as store:
        import_files(store, [SYNTHETIC_MEDLINE, SYNTHETIC_XML])
    return isolated_env


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright not installed (pip install -e '.[test]')")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=args)
        yield launched
        launched.close()


def one_line_error(result, *fragments: str) -> str:  # type: ignore[no-untyped-def]
    """Assert a CLI result failed with one clean "Error: ..." line, the last thing on stderr
    (progress lines may come before it); return that line."""
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert errors[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return str(errors[0])


def retracted_record() -> bytes:
    """A real record as NCBI sends it once a retraction notice is linked to it."""
    return (PUBMED / "pubmed-29768149.xml").read_bytes().replace(
        b"<MeshHeadingList>",
        b'<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
        b"<RefSource>N Engl J Med. 2019</RefSource></CommentsCorrections>"
        b"</CommentsCorrectionsList><MeshHeadingList>", 1)


class Terminal:
    """A kratomlit process on a pseudo-terminal (80x24 unless told): send keys, wait for
    screens."""

    def __init__(self, *args: str, env: dict[str, str], size: tuple[int, int] = (24, 80),
                 term: str = "xterm") -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        rows, columns = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kratomlit", *args], stdin=slave, stdout=slave, stderr=slave,
            env={**env, "TERM": term, "COLUMNS": str(columns), "LINES": str(rows)},
            close_fds=True)
        os.close(slave)
        self.seen = b""

    def expect(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r}; got {self.seen[-600:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break
        assert text.encode() in self.seen, self.seen[-600:]

    def text(self) -> str:
        """What was drawn since the last keys, without escape codes, whitespace collapsed
        (so words wrapped onto two lines still read as one phrase)."""
        plain = re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Z0-9]|[=>])", "",
                       self.seen.decode("utf-8", "replace"))
        return " ".join(plain.split())

    def send(self, keys: str) -> None:
        self.seen = b""
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        try:
            while True:  # drain so the child never blocks on a full terminal
                ready, _, _ = select.select([self.master], [], [], 5)
                if not ready:
                    break
                chunk = os.read(self.master, 65536)
                if not chunk:
                    break
                self.seen += chunk
        except OSError:
            pass
        return self.process.wait(timeout=20)


def paper_id(store: Any, pmid: int) -> int:
    """The id of the stored paper with this PMID (ids are not PMIDs: records from other
    databases may have none)."""
    return int(store.find_paper("pmid", pmid))


# SQL for the id of the paper with the PMID bound to the next ``?``.
PAPER_OF_PMID = "(SELECT id FROM papers WHERE pmid = ?)"
