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
    "INSERT INTO paper_extraction (pmid, finding, substances, countries, countries_inferred, "
    "measures, manual, extracted_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (pmid) DO UPDATE "
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
    def extraction_sources(self, pmids: Sequence[int]) -> dict[int, ExtractionSource]:
        sql = ("SELECT p.pmid, p.abstract_sections, a.affiliation FROM papers p "
               "LEFT JOIN authors a ON a.pmid = p.pmid AND a.position = (SELECT min(position) "
               f"FROM authors WHERE pmid = p.pmid) WHERE p.pmid {_IN_JSON}")
        with self.reading() as db:
            return {pmid: (sections, affiliation) for pmid, sections, affiliation
                    in db.execute(sql, [json.dumps(list(pmids))])}

    def manual_extraction(self, pmids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """pmid -> {field: value} a reviewer set."""
        found: dict[int, dict[str, Any]] = {}
        sql = f"SELECT pmid, field, value FROM extraction_manual WHERE pmid {_IN_JSON}"
        with self.reading() as db:
            for pmid, name, value in db.execute(sql, [json.dumps(list(pmids))]):
                found.setdefault(pmid, {})[name] = json.loads(value)
        return found

    def replace_extraction(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """(pmid, finding, substances, countries, countries_inferred, measures, manual,
        extracted_at) rows, lists already JSON."""
        self.db.conn.executemany(_UPSERT, rows)

    def set_manual_extraction(self, pmid: int, values: dict[str, Any], note: str | None,
                              stamp: str) -> None:
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO extraction_manual (pmid, field, value, note, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(pmid, name, json.dumps(value, ensure_ascii=False), note, stamp)
             for name, value in values.items()])

    def remove_manual_extraction(self, pmid: int, fields: Sequence[str]) -> list[str]:
        """Delete a reviewer's values of these fields; the fields that had one."""
        return [name for (name,) in self.db.execute(
            f"DELETE FROM extraction_manual WHERE pmid = ? AND field {_IN_JSON} RETURNING field",
            [pmid, json.dumps(list(fields))])]

    def manual_extraction_rows(self, pmid: int) -> list[dict[str, Any]]:
        """A reviewer's values for one paper: field, value, note, when."""
        with self.reading() as db:
            return [{"field": name, "value": json.loads(value), "note": note,
                     "created_at": created}
                    for name, value, note, created in db.execute(
                        "SELECT field, value, note, created_at FROM extraction_manual "
                        "WHERE pmid = ? ORDER BY field", [pmid])]

    def stored_extraction(self, pmid: int) -> dict[str, Any] | None:
        """The effective extraction, with ``manual`` (fields a reviewer set) and
        ``extracted_at``; None before the paper is tagged."""
        names = (*FIELDS, "manual", "extracted_at")
        with self.reading() as db:
            row = db.execute(f"SELECT {', '.join(names)} FROM paper_extraction WHERE pmid = ?",
                             [pmid]).fetchone()
        if row is None:
            return None
        found = decoded(dict(zip(names, row, strict=True)))
        found["manual"] = json.loads(found["manual"] or "[]")
        return found
