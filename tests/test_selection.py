"""Selecting studies: filters combine, order is strongest design then newest, SQL does it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kratomlit.errors import SearchSyntaxError, UsageError
from kratomlit.parse.pubmed_xml import iter_records
from kratomlit.report.selection import Filters, count, design_counts, evidence_map, rows
from kratomlit.store import Store
from kratomlit.tagging.rules import DESIGNS

from conftest import retracted_record


@pytest.fixture
def tagged(real_tagged_db: Path) -> Store:
    return Store(real_tagged_db)


def test_order_is_design_strength_then_newest(tagged: Store) -> None:
    found = list(rows(tagged, Filters()))
    ranks = [DESIGNS.index(r["design"]) for r in found]
    assert ranks == sorted(ranks)
    for design in DESIGNS:
        years = [r["year"] or 0 for r in found if r["design"] == design]
        assert years == sorted(years, reverse=True)


def test_filters_combine(tagged: Store) -> None:
    filters = Filters(outcomes=["safety"], designs=["rct", "cohort"], since=2015, until=2016)
    found = list(rows(tagged, filters))
    assert found and count(tagged, filters) == len(found)
    for row in found:
        assert "safety" in row["outcomes"] and row["design"] in ("rct", "cohort")
        assert 2015 <= row["year"] <= 2016
    expected = tagged.db.execute(
        "SELECT count(*) FROM papers p JOIN paper_tags t ON t.paper_id = p.id "
        "WHERE p.retracted = 0 AND "
        "p.deleted = 0 AND t.design IN ('rct', 'cohort') AND p.year BETWEEN 2015 AND 2016 AND "
        "t.outcomes LIKE '%\"safety\"%'").fetchone()[0]
    assert len(found) == expected


def test_search_filter_uses_full_text(tagged: Store) -> None:
    found = {r["pmid"] for r in rows(tagged, Filters(search="budesonide formoterol"))}
    assert 29768149 in found
    with pytest.raises(SearchSyntaxError):
        list(rows(tagged, Filters(search='"unbalanced')))


def _retract(store: Store) -> None:
    """Re-import a real record as NCBI sends it once a retraction notice is linked."""
    store.save_papers(list(iter_records(io.BytesIO(retracted_record()))), source="test")


def test_retracted_left_out_unless_asked(tagged: Store) -> None:
    _retract(tagged)
    retracted = {p for (p,) in tagged.db.execute("SELECT pmid FROM papers WHERE retracted = 1")}
    assert retracted == {29768149}
    assert not retracted & {r["pmid"] for r in rows(tagged, Filters())}
    kept = [r for r in rows(tagged, Filters(include_retracted=True)) if r["pmid"] in retracted]
    assert len(kept) == len(retracted) and all(r["retracted"] for r in kept)


def test_limit_and_summary_counts(tagged: Store) -> None:
    assert len(list(rows(tagged, Filters(limit=5)))) == 5
    per_design = design_counts(tagged, Filters())
    assert sum(per_design.values()) == count(tagged, Filters())
    assert list(per_design) == [d for d in DESIGNS if d in per_design]


def test_map_cells_add_up(tagged: Store) -> None:
    found = evidence_map(tagged, Filters())
    tagged_outcomes = tagged.db.execute(
        "SELECT count(*) FROM paper_tags t JOIN papers p ON p.id = t.paper_id, "
        "json_each(t.outcomes) "
        "WHERE p.retracted = 0 AND p.deleted = 0").fetchone()[0]
    no_outcome = sum(found.cells.get("no outcome", {}).values())
    assert sum(sum(row.values()) for row in found.cells.values()) == tagged_outcomes + no_outcome
    assert found.studies == count(tagged, Filters())


@pytest.mark.parametrize("filters", [Filters(outcomes=["happiness"]), Filters(designs=["trial"]),
                                     Filters(since=15), Filters(since=2020, until=2010),
                                     Filters(limit=0)])
def test_bad_filters_are_usage_errors(filters: Filters) -> None:
    with pytest.raises(UsageError):
        filters.check()
