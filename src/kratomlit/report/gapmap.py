"""The evidence gap map: one self-contained HTML page to open, filter and share offline.

The page (``templates/gapmap.html``) draws everything in the browser from the studies
embedded in it as JSON: the outcome x design grid, the per-year chart, the drill-down
lists. Only the fields the page shows are embedded, each study as an array in the order of
``FIELDS`` (empty fields null, trailing ones dropped), journals and designs as indexes into
lists written once: 30,000 studies, key finding included, stay a file people can mail.
Optional fields (``substances``, ``countries``, ``finding``) are passed through when the
rows carry them; the page shows their filters and text only when some study has them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from importlib import resources
from typing import Any, TextIO

from kratomlit import __version__
from kratomlit.report.selection import NO_OUTCOME, Filters, rows
from kratomlit.store import Store
from kratomlit.tagging.taxonomy import DESIGNS, FAMILIES, OUTCOMES

OPTIONAL = ("substances", "countries", "finding")
# Most often present first, so that dropping trailing nulls saves the most.
FIELDS = ("pmid", "title", "year", "author", "journal", "design", "outcomes", "doi", "finding",
          "n", "population", "substances", "countries", "screening", "retracted", "id")
LOOKUP = ("journal", "design")  # few distinct values, repeated on every row
_MARK = "__GAPMAP_DATA__"
# Inside <script type="application/json"> only "</script" or "<!--" could end the data
# early; escaping every <, > and & keeps any title inert whatever it holds.
_UNSAFE = re.compile("[<>&]")


def _template() -> tuple[str, str]:
    page = resources.files("kratomlit.report").joinpath("templates/gapmap.html").read_text("utf-8")
    # The page's policy lets only its own script run (pinned by hash) and fetch nothing.
    script = page[page.rindex("<script>") + len("<script>"):page.rindex("</script>")]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    head, tail = page.replace("__SCRIPT_HASH__", f"sha256-{digest}").split(_MARK)
    return head, tail


def _json(value: Any) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                       json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def study(row: dict[str, Any]) -> dict[str, Any]:
    """The fields the page shows, without empty ones."""
    found = {"pmid": row["pmid"], "id": None if row["pmid"] else row["id"],
             "title": row.get("title"), "year": row.get("year"),
             "author": row.get("first_author"),
             "journal": row.get("journal_iso") or row.get("journal"),
             "design": row.get("design") or "untagged", "outcomes": row.get("outcomes"),
             "n": row.get("n_participants"), "population": row.get("population"),
             "doi": row.get("doi"), "screening": row.get("screening"),
             "retracted": row.get("retracted") or None}
    found.update({key: row.get(key) for key in OPTIONAL})
    return {key: value for key, value in found.items() if value not in (None, "", [])}


def describe(filters: Filters) -> str:
    """The selection in words, for the page's footer."""
    parts = []
    if filters.outcomes:
        parts.append("outcome " + " or ".join(filters.outcomes))
    if filters.designs:
        parts.append("design " + " or ".join(filters.designs))
    if filters.since or filters.until:
        parts.append("published " + (f"{filters.since or '…'}–{filters.until or '…'}"))
    if filters.search:
        parts.append(f"matching {filters.search!r}")
    if filters.new:
        parts.append("added by the last fetch or import")
    if filters.screening:
        parts.append(f"screening {filters.screening}")
    for label, names in (("substance", filters.substances), ("country", filters.countries),
                         ("measure", filters.measures)):
        if names:
            parts.append(f"{label} " + " or ".join(names))
    return "; ".join(parts) or "all studies"


def write_page(studies: Iterable[dict[str, Any]], out: TextIO, *, query: str, source: str,
               show_retracted: bool = False, generated: str | None = None) -> int:
    """Write the page for these study rows (as ``evidence.rows`` makes them, plus an
    optional ``screening`` decision); returns how many studies it holds."""
    head, tail = _template()
    meta = {"generated": generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "query": query, "source": source, "version": __version__,
            "designs": [*DESIGNS, "untagged"], "outcomes": [*OUTCOMES, NO_OUTCOME],
            "no_outcome": NO_OUTCOME,
            "families": [{"name": name, "designs": designs} for name, designs in FAMILIES],
            "show_retracted": show_retracted}
    out.write(head)
    out.write(_json(meta)[:-1] + ',"studies":[')
    count = 0
    lookup: dict[str, dict[Any, int]] = {name: {} for name in LOOKUP}
    for row in studies:
        out.write(("," if count else "") + "\n" + _json(_compact(study(row), lookup)))
        count += 1
    out.write("],\"fields\":" + _json(FIELDS) + ',"lookup":'
              + _json({name: list(values) for name, values in lookup.items()}) + "}")
    out.write(tail)
    return count


def _compact(found: dict[str, Any], lookup: dict[str, dict[Any, int]]) -> list[Any]:
    values = [found.get(name) for name in FIELDS]
    for i, name in enumerate(FIELDS):
        if name in lookup and values[i] is not None:
            values[i] = lookup[name].setdefault(values[i], len(lookup[name]))
    while values and values[-1] is None:
        values.pop()
    return values


def select(store: Store, filters: Filters) -> Iterator[dict[str, Any]]:
    """The filters' studies with their screening decision, retracted ones included (the
    page hides them unless asked, as the CLI does)."""
    from kratomlit.review.screening import effective_decisions

    decisions = effective_decisions(store)
    for row in rows(store, replace(filters, include_retracted=True)):
        decision = decisions.get(row["id"])
        row["screening"] = decision.decision if decision else None
        yield row
