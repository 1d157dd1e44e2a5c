"""Extraction stored by the tag job (m010), with a reviewer's values on top: ``tag``,
``tag --all``, ``tag set --finding/--substances/--countries/--measures`` and ``tag clear``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kratomlit.cli import app
from kratomlit.jobs.extract_papers import extract_paper
from kratomlit.store import Store
from kratomlit.tagging.extract import load_vocabulary

from conftest import one_line_error

# A real cross-sectional survey whose abstract names the United States and alcohol.
SURVEY = 21784659


def _query(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _stored(db: Path, pmid: int) -> dict:
    with Store(db) as store:
        found = store.stored_extraction(store.find_paper("pmid", pmid))
    assert found is not None
    return found


def _tag(runner: CliRunner, *args: str) -> None:
    result = runner.invoke(app, ["tag", "-q", *args])
    assert result.exit_code == 0, result.output


def test_tag_stores_what_extraction_finds_for_every_paper(runner: CliRunner, real_db: Path
                                                         ) -> None:
    _tag(runner)
    vocabulary = load_vocabulary()
    stored = _query(real_db, "SELECT paper_id, finding, substances, countries, "
                    "countries_inferred, measures, manual FROM paper_extraction ORDER BY paper_id")
    assert len(stored) == _query(real_db, "SELECT count(*) FROM papers WHERE deleted = 0")[0][0]
    with Store(real_db) as store:
        for pmid, finding, *lists, manual in stored:
            expected = extract_paper(vocabulary, store.tag_source(pmid),
                                     store.extraction_sources([pmid])[pmid])
            assert (finding, *[json.loads(v) for v in lists]) == (
                expected.finding, list(expected.substances), list(expected.countries),
                list(expected.countries_inferred), list(expected.measures))
            assert manual is None
            abstract = store.tag_source(pmid)[2] or ""
            assert finding.removesuffix("…") in abstract  # verbatim, never invented
    assert _stored(real_db, SURVEY)["countries"] == ["United States"]
    assert "alcohol" in _stored(real_db, SURVEY)["substances"]


def test_workers_extract_as_one_process_does(runner: CliRunner, real_db: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _tag(runner)
    one = _query(real_db, "SELECT * FROM paper_extraction ORDER BY paper_id")
    from kratomlit.jobs import tag_papers

    monkeypatch.setattr(tag_papers, "CHUNK", 50)  # 617 papers: forked workers now
    assert tag_papers._workers(617) > 1 or __import__("os").cpu_count() == 1
    _query(real_db, "DELETE FROM paper_extraction")
    _tag(runner, "--all")
    several = _query(real_db, "SELECT * FROM paper_extraction ORDER BY paper_id")
    assert [r[:-1] for r in several] == [r[:-1] for r in one]  # all but the time stamp


def test_tag_fills_in_extraction_of_papers_tagged_before_it_existed(
        runner: CliRunner, real_db: Path) -> None:
    _tag(runner)
    _query(real_db, "DELETE FROM paper_extraction WHERE paper_id = "
           "(SELECT id FROM papers WHERE pmid = ?)", SURVEY)
    result = runner.invoke(app, ["tag", "--format", "json"])
    assert json.loads(result.stdout)["tagged"] == 1
    assert _stored(real_db, SURVEY)["countries"] == ["United States"]


def test_manual_values_win_and_survive_tag_all_until_cleared(runner: CliRunner,
                                                             real_db: Path) -> None:
    _tag(runner)
    auto = _stored(real_db, SURVEY)
    abstract = _query(real_db, "SELECT abstract FROM papers WHERE pmid = ?", SURVEY)[0][0]
    sentence = abstract.splitlines()[0]
    result = runner.invoke(app, ["tag", "set", str(SURVEY), "--finding", sentence,
                                 "--substances", "Kratom, mitragynine", "--countries",
                                 "thailand", "--measures", "none", "--note", "read it"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr  # the abstract's own words
    _tag(runner, "--all")
    manual = _stored(real_db, SURVEY)
    assert manual["finding"] == sentence
    assert manual["substances"] == ["kratom", "mitragynine"]
    assert manual["countries"] == ["Thailand"] and manual["countries_inferred"] == []
    assert manual["measures"] == []
    assert manual["manual"] == ["finding", "substances", "countries", "measures"]
    notes = _query(real_db, "SELECT DISTINCT note FROM extraction_manual WHERE paper_id = "
                   "(SELECT id FROM papers WHERE pmid = ?)", SURVEY)
    assert notes == [("read it",)]

    cleared = runner.invoke(app, ["tag", "clear", str(SURVEY), "--countries"])
    assert cleared.exit_code == 0 and "manual countries removed" in cleared.stdout
    after = _stored(real_db, SURVEY)
    assert after["countries"] == auto["countries"] and after["finding"] == sentence
    assert after["manual"] == ["finding", "substances", "measures"]
    runner.invoke(app, ["tag", "clear", str(SURVEY)])
    assert {k: v for k, v in _stored(real_db, SURVEY).items() if k != "extracted_at"} == {
        k: v for k, v in auto.items() if k != "extracted_at"}


def test_a_finding_not_in_the_abstract_is_kept_with_a_warning(runner: CliRunner,
                                                              real_db: Path) -> None:
    _tag(runner)
    result = runner.invoke(app, ["tag", "set", str(SURVEY), "--finding", "Kratom cures all."])
    assert result.exit_code == 0
    assert "not the abstract's own words" in result.stderr
    assert _stored(real_db, SURVEY)["finding"] == "Kratom cures all."


@pytest.mark.parametrize(("args", "fragment"), [
    (["--substances", "kratom,unobtainium"], "unobtainium"),
    (["--countries", "Atlantis"], "Atlantis"),
    (["--measures", "PHQ-10"], "PHQ-10"),
    ([], "nothing to set"),
])
def test_bad_manual_values_change_nothing(runner: CliRunner, real_db: Path, args: list[str],
                                          fragment: str) -> None:
    _tag(runner)
    before = _query(real_db, "SELECT * FROM paper_extraction ORDER BY paper_id")
    result = runner.invoke(app, ["tag", "set", str(SURVEY), "--finding", "x", *args]
                           if args else ["tag", "set", str(SURVEY)])
    one_line_error(result, fragment)
    assert result.exit_code == 2
    assert _query(real_db, "SELECT * FROM paper_extraction ORDER BY paper_id") == before
    assert _query(real_db, "SELECT count(*) FROM extraction_manual") == [(0,)]


def test_unknown_pmid_is_refused_cleanly(runner: CliRunner, real_db: Path) -> None:
    one_line_error(runner.invoke(app, ["tag", "set", "1", "--finding", "x"]), "PMID 1")
    one_line_error(runner.invoke(app, ["tag", "clear", "1", "--finding"]), "PMID 1")


def test_extraction_set_on_a_paper_never_tagged(runner: CliRunner, real_db: Path) -> None:
    result = runner.invoke(app, ["tag", "set", str(SURVEY), "--substances", "opioids"])
    assert result.exit_code == 0, result.output
    assert "not tagged yet" in result.stdout
    assert _stored(real_db, SURVEY)["substances"] == ["opioids"]
    _tag(runner)  # tagging later keeps the reviewer's value
    assert _stored(real_db, SURVEY)["substances"] == ["opioids"]
    assert _query(real_db, "SELECT count(*) FROM paper_tags WHERE paper_id = "
                  "(SELECT id FROM papers WHERE pmid = ?)",
                  SURVEY) == [(1,)]
