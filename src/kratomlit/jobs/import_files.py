"""Import PubMed XML and MEDLINE text files through the same store code as fetch.

An import is all or nothing: every file is checked before anything is written,
and all records are saved in one transaction, so a malformed file, a full disk or
a killed process leaves the database as it was, and the run is never recorded as
finished unless it did.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kratomlit.errors import InputFileError
from kratomlit.records import Deletion, Paper
from kratomlit.store import SaveCounts, Store

# Records saved per batch inside the import's transaction: large enough to amortise
# the per-statement cost, small enough to keep memory flat on a 30,000-record file.
BATCH_SIZE = 1000
XML_SUFFIXES = (".xml", ".xml.gz")
MEDLINE_SUFFIXES = (".txt", ".nbib", ".medline")

Progress = Callable[[str, int, int], None]  # (file label, bytes read, total bytes)


@dataclass
class ImportResult:
    files: list[str] = field(default_factory=list)
    records: int = 0
    counts: SaveCounts = field(default_factory=SaveCounts)
    run_id: int | None = None


def _sniff(path: Path) -> str:
    """'xml' or 'medline', from the first bytes (decompressed when gzipped)."""
    try:
        with path.open("rb") as raw:
            head = raw.read(4096)
            if head[:2] == b"\x1f\x8b":
                raw.seek(0)
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    head = unzipped.read(4096)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"{path}: cannot read ({exc})") from None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    from kratomlit.parse.medline_text import looks_like_medline

    if looks_like_medline(text):
        return "medline"
    if not text:
        raise InputFileError(f"{path}: the file is empty")
    raise InputFileError(
        f"{path}: not a format kratomlit reads (PubMed XML .xml/.xml.gz or MEDLINE text .txt/.nbib)"
    )


class _CountingReader:
    """A read-only byte stream that remembers how far the underlying file has been read."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        return data


def _records(path: Path, kind: str, raw: IO[bytes]) -> Iterator[Paper | Deletion]:
    stream: IO[bytes] = raw
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        stream = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    try:
        if kind == "xml":
            from kratomlit.parse.pubmed_xml import iter_records

            yield from iter_records(stream, name=str(path))
        else:
            from kratomlit.parse.medline_text import iter_records as iter_medline

            yield from iter_medline(stream, name=str(path))
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"{path}: cannot read ({exc})") from None


def _batches(records: Iterator[Paper | Deletion]) -> Iterator[tuple[list[Paper], list[int]]]:
    papers: list[Paper] = []
    deletions: list[int] = []
    for record in records:
        if isinstance(record, Deletion):
            deletions.append(record.pmid)
        else:
            papers.append(record)
        if len(papers) >= BATCH_SIZE:
            yield papers, deletions
            papers, deletions = [], []
    if papers or deletions:
        yield papers, deletions


def import_files(
    store: Store, paths: Sequence[str | Path], progress: Progress | None = None
) -> ImportResult:
    files = [Path(p) for p in paths]
    if not files:
        raise InputFileError("no files to import")
    kinds = [_sniff(path) for path in files]  # every file is checked before anything is written
    result = ImportResult(files=[str(p) for p in files])
    with store.recorded_run("import", "import: " + ", ".join(p.name for p in files),
                            options={"files": result.files}, interrupted=_interrupted
                            ) as run_id:
        result.run_id = run_id
        with store.transaction(), ExitStack() as stack:
            for path, kind in zip(files, kinds, strict=True):
                raw = stack.enter_context(path.open("rb"))
                total = path.stat().st_size
                counter = _CountingReader(raw)
                source = f"import:{path.name}"
                for papers, deletions in _batches(_records(path, kind, counter)):  # type: ignore[arg-type]
                    result.records += len(papers) + len(deletions)
                    saved = store.save_papers(papers, source=source, run_id=run_id)
                    result.counts.add(saved)
                    store.record_import_hits(run_id, saved.ids)
                    if deletions:
                        result.counts.deleted += store.mark_deleted(deletions, run_id=run_id)
                    if progress:
                        progress(path.name, counter.position, total)
                if progress:
                    progress(path.name, total, total)
        store.finish_run(run_id, status="ok", counts=result.counts, found=result.records)
    return result


def _interrupted(run_id: int) -> str:
    return "interrupted; nothing was imported (an import is all or nothing)"
