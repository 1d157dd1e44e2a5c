"""Tags: the papers to tag, a chunk at a time; automatic and manual tags; the effective tags
(``paper_tags``) that tables, exports, screening and ``evaluate`` read.

Automatic tags (``tags`` rows with source "auto") are replaced freely; manual ones (source
"manual") only by a reviewer. Writes here run inside the caller's ``transaction()``, so a
chunk of tags is committed whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from kratomlit.errors import NotFoundError
from kratomlit.store.connection import Connection

# (paper id, title, abstract, keywords JSON, mesh_terms, publication_types JSON): what a rule reads.
TagSource = tuple[int, str, str | None, str | None, str | None, str | None]
# (axis, value, negated) of one manual tag row.
ManualTag = tuple[str, str, int]

_SOURCE_COLUMNS = "id, title, abstract, keywords, mesh_terms, publication_types"
# Never tagged, or tagged before extraction was stored (so `tag` fills it in after m010).
_TO_TAG = {True: "deleted = 0", False: "deleted = 0 AND (id NOT IN (SELECT paper_id FROM "
           "paper_tags) OR id NOT IN (SELECT paper_id FROM paper_extraction))"}
_INSERT_TAG = ("INSERT INTO tags (paper_id, axis, value, source, rule_id, field, matched, "
               "confidence, negated, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
_UPSERT_PAPER_TAGS = (
    "INSERT INTO paper_tags (paper_id, design, outcomes, n_participants, population, "
    "design_source, tagged_at, margin, margins) VALUES (?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (paper_id) DO UPDATE "
    "SET design = excluded.design, outcomes = excluded.outcomes, "
    "n_participants = excluded.n_participants, population = excluded.population, "
    "design_source = excluded.design_source, tagged_at = excluded.tagged_at, "
    "margin = excluded.margin, margins = excluded.margins")


@dataclass(frozen=True)
class StoredTags:
    """A paper's effective tags, as ``paper_tags`` holds them."""

    design: str
    outcomes: list[str]
    n_participants: int | None
    population: str | None
    design_source: str
    tagged_at: str
    margin: float | None  # the closest of its automatic tags' margins (none when all manual)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TagQueries(Connection):
    def count_to_tag(self, everything: bool) -> int:
        """Papers not withdrawn (``everything``), or only those never tagged."""
        sql = f"SELECT count(*) FROM papers WHERE {_TO_TAG[everything]}"
        with self.reading() as db:
            return int(db.execute(sql).fetchone()[0])

    def papers_to_tag(self, everything: bool, chunk: int) -> Iterator[list[TagSource]]:
        """Papers to tag, in id order, ``chunk`` at a time (keyset paging, no OFFSET)."""
        last = -1
        while True:
            rows = self.db.execute(
                f"SELECT {_SOURCE_COLUMNS} FROM papers WHERE {_TO_TAG[everything]} "
                f"AND id > ? ORDER BY id LIMIT {int(chunk)}", [last]).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def tag_source(self, paper_id: int) -> TagSource:
        """One paper's fields a rule reads; an unknown PMID is an error."""
        with self.reading() as db:
            row = db.execute(f"SELECT {_SOURCE_COLUMNS} FROM papers WHERE id = ?",
                             [paper_id]).fetchone()
        if row is None:
            raise NotFoundError(f"id:{paper_id} is not in the database {self.path}")
        return (row[0], row[1], row[2], row[3], row[4], row[5])

    def manual_tags(self, paper_ids: Sequence[int]) -> dict[int, list[ManualTag]]:
        found: dict[int, list[ManualTag]] = {}
        sql = ("SELECT paper_id, axis, value, negated FROM tags WHERE source = 'manual' "
               "AND paper_id IN (SELECT value FROM json_each(?)) ORDER BY id")
        with self.reading() as db:
            for paper_id, axis, value, negated in db.execute(sql, [json.dumps(list(paper_ids))]):
                found.setdefault(paper_id, []).append((axis, value, negated))
        return found

    def replace_auto_tags(self, paper_ids: Sequence[int], evidence: Sequence[tuple[Any, ...]],
                          effective: Sequence[tuple[Any, ...]]) -> None:
        """The automatic evidence rows and effective tags of these papers, replaced."""
        self.db.execute("DELETE FROM tags WHERE source = 'auto' AND paper_id IN "
                        "(SELECT value FROM json_each(?))", [json.dumps(list(paper_ids))])
        self.db.conn.executemany(_INSERT_TAG, evidence)
        self.db.conn.executemany(_UPSERT_PAPER_TAGS, effective)

    def remove_manual_tags(self, paper_id: int, axes: Sequence[str]) -> list[str]:
        """Delete a reviewer's tags on these axes; the axes that had any."""
        return [axis for (axis,) in self.db.execute(
            "DELETE FROM tags WHERE source = 'manual' AND paper_id = ? AND axis IN "
            "(SELECT value FROM json_each(?)) RETURNING axis", [paper_id, json.dumps(list(axes))])]

    def add_manual_tags(self, rows: Sequence[tuple[int, str, str, int]], note: str | None,
                        stamp: str) -> None:
        """(paper_id, axis, value, negated) rows a reviewer set, with one note."""
        self.db.conn.executemany(
            "INSERT INTO tags (paper_id, axis, value, source, rule_id, field, matched, confidence, "
            "negated, note, created_at) VALUES (?, ?, ?, 'manual', NULL, NULL, NULL, 1.0, ?, "
            "?, ?)", [(*row, note, stamp) for row in rows])

    def manual_tag_rows(self, paper_id: int) -> list[dict[str, Any]]:
        """A reviewer's tag rows for one paper, as set: axis, value, negated, note, when."""
        with self.reading() as db:
            return [dict(zip(("axis", "value", "negated", "note", "created_at"), r,
                             strict=True))
                    for r in db.execute(
                        "SELECT axis, value, negated, note, created_at FROM tags "
                        "WHERE source = 'manual' AND paper_id = ? ORDER BY id", [paper_id])]

    def stored_tags(self, paper_id: int) -> StoredTags | None:
        with self.reading() as db:
            row = db.execute(
                "SELECT design, outcomes, n_participants, population, design_source, "
                "tagged_at, margin FROM paper_tags WHERE paper_id = ?", [paper_id]).fetchone()
        if row is None:
            return None
        return StoredTags(row[0], json.loads(row[1] or "[]"), *row[2:])

    def effective_tags(self) -> dict[int, tuple[str, list[str]]]:
        """paper_id -> (design, outcomes) of every tagged paper."""
        with self.reading() as db:
            return {paper_id: (design, json.loads(outcomes or "[]"))
                    for paper_id, design, outcomes in db.execute(
                        "SELECT paper_id, design, outcomes FROM paper_tags")}
