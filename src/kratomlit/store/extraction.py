"""Extraction: each paper's finding, substances, countries and measures (``paper_extraction``,
the effective values), and a reviewer's own values (``extraction_manual``), which tagging
never overwrites. Writes run inside the caller's ``transaction()``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kratomlit.store.connection import Connection

FIELDS = ("finding", "substances", "countries", "countries_inferred", "measures")
MANUAL_FIELDS = ("finding", "substances", "countries", "measures")
# (abstract_sections JSON, the first author's affiliation): what extraction reads beyond
# what the tagger does.
ExtractionSource = tuple[str | None, str | None]

_IN_JSON = "IN (SELECT value FROM json_each(?))"
_UPSERT = (
    "INSERT INTO paper_extraction (paper_id, finding, substances, countries, "
    "countries_inferred, measures, manual, extracted_at) VALUES (?,?,?,?,?,?,?,?) "
    "ON CONFLICT (paper_id) DO UPDATE "
    "SET finding = excluded.finding, substances = excluded.substances, "
    "countries = excluded.countries, countries_inferred = excluded.countries_inferred, "
    "measures = excluded.measures, manual = excluded.manual, "
    "extracted_at = excluded.extracted_at")


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A row's extraction columns as values: lists decoded, a missing finding empty."""
    row["finding"] = row.get("finding") or ""
    for name in FIELDS[1:]:
        row[name] = json.loads(row[name]) if row.get(name) else []
    return row


class ExtractionQueries(Connection):
    def extraction_sources(self, paper_ids: Sequence[int]) -> dict[int, ExtractionSource]:
        sql = ("SELECT p.id, p.abstract_sections, a.affiliation FROM papers p "
               "LEFT JOIN authors a ON a.paper_id = p.id AND a.position = (SELECT min(position) "
               f"FROM authors WHERE paper_id = p.id) WHERE p.id {_IN_JSON}")
        with self.reading() as db:
            return {paper_id: (sections, affiliation) for paper_id, sections, affiliation
                    in db.execute(sql, [json.dumps(list(paper_ids))])}

    def manual_extraction(self, paper_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """paper_id -> {field: value} a reviewer set."""
        found: dict[int, dict[str, Any]] = {}
        sql = f"SELECT paper_id, field, value FROM extraction_manual WHERE paper_id {_IN_JSON}"
        with self.reading() as db:
            for paper_id, name, value in db.execute(sql, [json.dumps(list(paper_ids))]):
                found.setdefault(paper_id, {})[name] = json.loads(value)
        return found

    def replace_extraction(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(paper_id, finding, substances, countries, countries_inferred, measures, manual,
        extracted_at) rows, lists already JSON."""
        self.db.conn.executemany(_UPSERT, rows)

    def set_manual_extraction(self, paper_id: int, values: dict[str, Any], note: str | None,
                              stamp: str) -> None:
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO extraction_manual (paper_id, field, value, note, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(paper_id, name, json.dumps(value, ensure_ascii=False), note, stamp)
             for name, value in values.items()])

    def remove_manual_extraction(self, paper_id: int, fields: Sequence[str]) -> list[str]:
        """Delete a reviewer's values of these fields; the fields that had one."""
        return [name for (name,) in self.db.execute(
            f"DELETE FROM extraction_manual WHERE paper_id = ? AND field {_IN_JSON} "
            "RETURNING field",
            [paper_id, json.dumps(list(fields))])]

    def manual_extraction_rows(self, paper_id: int) -> list[dict[str, Any]]:
        """A reviewer's values for one paper: field, value, note, when."""
        with self.reading() as db:
            return [{"field": name, "value": json.loads(value), "note": note,
                     "created_at": created}
                    for name, value, note, created in db.execute(
                        "SELECT field, value, note, created_at FROM extraction_manual "
                        "WHERE paper_id = ? ORDER BY field", [paper_id])]

    def stored_extraction(self, paper_id: int) -> dict[str, Any] | None:
        """The effective extraction, with ``manual`` (fields a reviewer set) and
        ``extracted_at``; None before the paper is tagged."""
        names = (*FIELDS, "manual", "extracted_at")
        with self.reading() as db:
            row = db.execute(f"SELECT {', '.join(names)} FROM paper_extraction WHERE paper_id = ?",
                             [paper_id]).fetchone()
        if row is None:
            return None
        found = decoded(dict(zip(names, row, strict=True)))
        found["manual"] = json.loads(found["manual"] or "[]")
        return found
