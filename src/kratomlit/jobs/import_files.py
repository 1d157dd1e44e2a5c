"""Import PubMed XML and MEDLINE text files through the same store code as fetch, and
database exports through ``import_exports``.

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
from kratomlit.jobs.match_dois import pubmed_into
from kratomlit.records import Deletion, Paper
from kratomlit.store import SaveCounts, Store

# Records saved per batch inside the import's transaction: large enough to amortise
# the per-statement cost, small enough to keep memory flat on a 30,000-record file.
BATCH_SIZE = 1000
XML_SUFFIXES = (".xml", ".xml.gz")
# sniff's names of the PubMed formats -> the streaming readers below.
_PUBMED = {"pubmed-xml": "xml", "medline": "medline"}
MEDLINE_SUFFIXES = (".txt", ".nbib", ".medline")

Progress = Callable[[str, int, int], None]  # (file label, bytes read, total bytes)


@dataclass
class ImportResult:
    files: list[str] = field(default_factory=list)
    records: int = 0
    counts: SaveCounts = field(default_factory=SaveCounts)
    run_id: int | None = None
    candidates: int = 0  # possible duplicates found among the exports' records


def _sniff(path: Path) -> str:
    """The file's format (``sniff.FORMATS``), from its first bytes (decompressed when
    gzipped); a missing, unreadable or unknown file is a one-line error naming it."""
    from kratomlit.parse import sniff

    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file")
    return sniff.sniff(path)


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
    store: Store, paths: Sequence[str | Path], progress: Progress | None = None, *,
    source: str | None = None, mapping: dict[str, str] | None = None,
) -> ImportResult:
    """Import files of any format kratomlit reads, all or nothing. PubMed XML and MEDLINE
    files are one run, streamed; each database export (RIS, BibTeX, CSV...) is a run of its
    own, named by ``source`` (else the file's database, else its name), whose records are
    matched against the stored studies (``import_exports``)."""
    from kratomlit.jobs.import_exports import read_export, save_exports

    files = [Path(p) for p in paths]
    if not files:
        raise InputFileError("no files to import")
    kinds = [_sniff(path) for path in files]  # every file is checked before anything is written
    exports = [read_export(path, kind, source, mapping)
               for path, kind in zip(files, kinds, strict=True) if kind not in _PUBMED]
    pubmed = [(path, _PUBMED[kind]) for path, kind in zip(files, kinds, strict=True)
              if kind in _PUBMED]
    result = ImportResult(files=[str(p) for p in files])
    with ExitStack() as runs:
        export_runs = [runs.enter_context(store.recorded_run(
            "import", f"import: {e.path.name}", interrupted=_interrupted,
            options={"files": [str(e.path)], "source": e.source, "format": e.format}))
            for e in exports]
        if pubmed:
            result.run_id = runs.enter_context(store.recorded_run(
                "import", "import: " + ", ".join(p.name for p, _ in pubmed),
                options={"files": [str(p) for p, _ in pubmed], **_named(source)},
                interrupted=_interrupted))
        with store.transaction():
            if pubmed:
                _import_pubmed(store, pubmed, result, progress)
            found, result.candidates = (save_exports(store, exports, export_runs)
                                        if exports else ({}, 0))
            for export in exports:  # read whole and matched: done at once
                size = export.path.stat().st_size
                if progress:
                    progress(export.path.name, size, size)
        if result.run_id is not None:
            store.finish_run(result.run_id, status="ok", counts=result.counts,
                             found=result.records)
        for run, export in zip(export_runs, exports, strict=True):
            store.finish_run(run, status="ok", counts=found[run], found=len(export.papers))
            result.counts.add(found[run])
            result.records += len(export.papers)
        result.run_id = result.run_id or (export_runs[-1] if export_runs else None)
    return result


def _named(source: str | None) -> dict[str, str]:
    return {"source": source} if source else {}


def _import_pubmed(store: Store, files: list[tuple[Path, str]], result: ImportResult,
                   progress: Progress | None) -> None:
    with ExitStack() as stack:
        for path, kind in files:
            raw = stack.enter_context(path.open("rb"))
            total = path.stat().st_size
            counter = _CountingReader(raw)
            source = f"import:{path.name}"
            for papers, deletions in _batches(_records(path, kind, counter)):  # type: ignore[arg-type]
                result.records += len(papers) + len(deletions)
                saved = store.save_papers(papers, source=source, run_id=result.run_id,
                                          into=pubmed_into(store, papers))
                result.counts.add(saved)
                store.record_import_hits(result.run_id or 0, saved.ids)
                if deletions:
                    result.counts.deleted += store.mark_deleted(deletions, run_id=result.run_id)
                if progress:
                    progress(path.name, counter.position, total)
            if progress:
                progress(path.name, total, total)


def _interrupted(run_id: int) -> str:
    return "interrupted; nothing was imported (an import is all or nothing)"
