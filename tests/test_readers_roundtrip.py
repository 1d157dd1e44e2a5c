"""kratomlit's own RIS, BibTeX and CSV exports of the real records, read back with the readers:
the same papers, titles, DOIs, PMIDs, PMCIDs, years, journals and authors as the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.parse import sniff
from kratomlit.records import Paper


def _truth(db: Path) -> dict[int, dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        papers = {pmid: {"title": title, "doi": doi, "year": year, "pmcid": pmcid,
                         "journal": journal, "journal_iso": iso, "authors": []}
                  for pmid, title, doi, year, pmcid, journal, iso in conn.execute(
                      "SELECT pmid, title, doi, year, pmcid, journal, journal_iso FROM papers "
                      "WHERE deleted = 0")}
        for pmid, last, fore, initials, group in conn.execute(
                "SELECT p.pmid, last_name, fore_name, initials, collective_name FROM authors "
                "JOIN papers p ON p.id = paper_id ORDER BY p.pmid, position"):
            if pmid in papers:
                papers[pmid]["authors"].append((group or last, None if group else
                                                fore or initials))
    return papers


@pytest.mark.parametrize("fmt", ["ris", "bibtex", "csv"])
def test_own_exports_read_back_the_same(runner: CliRunner, real_db: Path, tmp_path: Path,
                                        fmt: str) -> None:
    target = tmp_path / f"export.{fmt}"
    result = runner.invoke(app, ["export", "--format", fmt, "--include-retracted",
                                 "--include-duplicates", "--output", str(target)])
    assert result.exit_code == 0, result.output
    truth = _truth(real_db)
    parsed = sniff.read(target)
    assert parsed.format == fmt
    papers = [p for p in parsed.records if isinstance(p, Paper)]
    assert len(papers) == len(parsed.records) == len(truth) > 600
    by_pmid = {p.pmid: p for p in papers}
    assert set(by_pmid) == set(truth)
    for pmid, expected in truth.items():
        paper = by_pmid[pmid]
        assert paper.title == expected["title"], pmid
        assert (paper.doi, paper.year, paper.pmcid) == (expected["doi"], expected["year"],
                                                        expected["pmcid"]), pmid
        assert paper.journal == (expected["journal"] or expected["journal_iso"]), pmid
        assert [(a.collective_name or a.last_name, a.fore_name or a.initials)
                for a in paper.authors] == expected["authors"], pmid
        assert paper.accession is None and paper.source_db is None  # nothing else to say
