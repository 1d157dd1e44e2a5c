"""Write selected studies as CSV, JSON, JSON lines, Markdown, HTML, RIS or BibTeX.

Every writer streams: it takes an iterator of study dicts (from ``evidence``) and a
text stream, so exporting 100,000 records never holds them all in memory.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

FORMATS = ("csv", "json", "jsonl", "md", "html", "ris", "bibtex")
FIELDS = ("pmid", "title", "abstract", "year", "journal", "journal_iso", "volume", "issue",
          "pages", "authors", "doi", "pmcid", "design", "outcomes", "n_participants",
          "population", "retracted", "url", "screening", "screening_reason", "screening_notes",
          "duplicate_of")


def record(row: dict[str, Any]) -> dict[str, Any]:
    """The exported fields of a study, in a stable order."""
    return {name: row.get(name) for name in FIELDS}


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    out.write("[")
    for row in rows:
        count += 1
        out.write(",\n" if count > 1 else "\n")
        out.write(json.dumps(record(row), ensure_ascii=False))
    out.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        count += 1
        out.write(json.dumps(record(row), ensure_ascii=False) + "\n")
    return count


_FORMULA = re.compile(r"^[=+@\t\r]|^-(?![\d.])")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    text = str(value)
    # A cell starting with = + - @ is run as a formula by spreadsheet programs: neutralise it.
    return "'" + text if _FORMULA.match(text) else text


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """UTF-8 with a byte-order mark, which Excel needs to read accents correctly."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    count = 0
    for row in rows:
        count += 1
        writer.writerow([_cell(row.get(name)) for name in FIELDS])
    return count


_MD_COLUMNS = ("pmid", "year", "authors", "journal_iso", "design", "n_participants",
               "outcomes", "title", "screening")


def _marked_title(row: dict[str, Any]) -> str:
    """The title, after RETRACTED and DUPLICATE marks where they apply."""
    marks = ["RETRACTED"] if row.get("retracted") else []
    if row.get("duplicate_of"):
        marks.append(f"DUPLICATE of PMID {row['duplicate_of']}")
    return "".join(f"{mark}: " for mark in marks) + (row.get("title") or "")


def _md(value: Any) -> str:
    text = _cell(value) if not isinstance(value, str) else value
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def write_md(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    out.write("| PMID | Year | First author | Journal | Design | N | Outcomes | Title | Screening |"
              "\n|---:|---:|---|---|---|---:|---|---|---|\n")
    count = 0
    for row in rows:
        count += 1
        authors = row.get("authors") or []
        first = (authors[0] + (" et al." if len(authors) > 1 else "")) if authors else ""
        cells = {**row, "authors": first, "outcomes": ", ".join(row.get("outcomes") or []),
                 "screening": _screening(row), "title": _marked_title(row)}
        out.write("| " + " | ".join(_md(cells.get(c)) for c in _MD_COLUMNS) + " |\n")
    return count


_HTML_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kratomlit evidence table</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;font-size:14px}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0}tr.retracted td{color:#a00}
input{margin-bottom:1em;padding:4px;width:30em}
</style></head><body>
<h1>kratomlit evidence table</h1>
<input id="filter" type="search" placeholder="Filter rows (any column)…">
<table id="studies"><thead><tr>
<th>PMID</th><th>Year</th><th>First author</th><th>Journal</th><th>Design</th><th>N</th>
<th>Population</th><th>Outcomes</th><th>Title</th><th>Screening</th></tr></thead><tbody>
"""
_HTML_TAIL = """</tbody></table>
<p id="count"></p>
<script>
const table = document.getElementById("studies"), body = table.tBodies[0];
const filter = document.getElementById("filter"), count = document.getElementById("count");
function show() {
  const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
  let shown = 0;
  for (const row of body.rows) {
    const text = row.textContent.toLowerCase();
    const keep = words.every(w => text.includes(w));
    row.style.display = keep ? "" : "none"; shown += keep;
  }
  count.textContent = shown + " of " + body.rows.length + " studies";
}
table.tHead.addEventListener("click", e => {
  const th = e.target.closest("th"); if (!th) return;
  const index = th.cellIndex, asc = th.dataset.dir !== "asc"; th.dataset.dir = asc ? "asc" : "desc";
  const key = r => r.cells[index].dataset.sort ?? r.cells[index].textContent;
  const rows = [...body.rows].sort((a, b) => {
    const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
    const c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
    return asc ? c : -c;
  });
  rows.forEach(r => body.appendChild(r));
});
filter.addEventListener("input", show); show();
</script></body></html>
"""


def write_html(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One self-contained page: inline style and script, no external assets."""
    out.write(_HTML_HEAD)
    count = 0
    for row in rows:
        count += 1
        esc = html.escape
        authors = row.get("authors") or []
        retracted = row.get("retracted")
        title = _marked_title(row)
        cells = [
            f'<a href="{esc(row["url"])}">{row["pmid"]}</a>', esc(str(row.get("year") or "")),
            esc(authors[0] if authors else ""), esc(row.get("journal_iso") or ""),
            esc(row.get("design") or ""), esc(str(row.get("n_participants") or "")),
            esc(row.get("population") or ""), esc(", ".join(row.get("outcomes") or [])),
            esc(title), esc(_screening(row)),
        ]
        css = ' class="retracted"' if retracted else ""
        out.write(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>\n")
    out.write(_HTML_TAIL)
    return count


def _keywords(row: dict[str, Any]) -> list[str]:
    words = [f"design: {row.get('design')}"] if row.get("design") else []
    words += [f"outcome: {o}" for o in row.get("outcomes") or []]
    if row.get("population"):
        words.append(f"population: {row['population']}")
    return words


def _screening(row: dict[str, Any]) -> str:
    """The decision, its reason and the reviewers' notes, for a table cell."""
    if not row.get("screening"):
        return ""
    reason = f" ({row['screening_reason']})" if row.get("screening_reason") else ""
    notes = row.get("screening_notes") or []
    return f"{row['screening']}{reason}" + (" — " + "; ".join(notes) if notes else "")


def _notes(row: dict[str, Any]) -> list[str]:
    """Screening decision and reason, and the reviewers' notes, where Zotero and ASReview
    keep them (notes)."""
    if not row.get("screening"):
        return []
    reason = f" ({row['screening_reason']})" if row.get("screening_reason") else ""
    return [f"kratomlit screening: {row['screening']}{reason}",
            *(f"kratomlit screening note, {note}" for note in row.get("screening_notes") or [])]


def _ris_lines(row: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "TY", "JOUR"
    for author in row.get("authors") or []:
        yield "AU", author
    yield "TI", row.get("title") or ""
    for tag, key in (("T2", "journal"), ("J2", "journal_iso"), ("PY", "year"),
                     ("VL", "volume"), ("IS", "issue"), ("DO", "doi"), ("UR", "url"),
                     ("AB", "abstract")):
        if row.get(key):
            yield tag, str(row[key])
    pages = row.get("pages") or ""
    if pages:
        start, _, end = pages.partition("-")
        yield "SP", start
        if end:
            yield "EP", end
    yield "AN", str(row["pmid"])
    if row.get("pmcid"):
        yield "C2", row["pmcid"]
    for word in _keywords(row):
        yield "KW", word
    if row.get("retracted"):
        yield "N1", "Retracted publication"
    if row.get("duplicate_of"):
        yield "N1", f"Duplicate of PMID {row['duplicate_of']}"
    for note in _notes(row):
        yield "N1", note
    yield "ER", ""


def write_ris(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        count += 1
        for tag, value in _ris_lines(row):
            value = " ".join(value.split())  # RIS is line-based: no newlines inside a field
            out.write(f"{tag}  - {value}".rstrip() + "\n" if tag == "ER" else
                      f"{tag}  - {value}\n")
        out.write("\n")
    return count


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                   "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}"}


def _bib(value: Any) -> str:
    text = " ".join(str(value).split())
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in text)


def write_bibtex(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        count += 1
        fields: list[tuple[str, Any]] = [
            ("title", row.get("title")),
            ("author", " and ".join(row.get("authors") or []) or None),
            ("journal", row.get("journal") or row.get("journal_iso")),
            ("year", row.get("year")), ("volume", row.get("volume")),
            ("number", row.get("issue")),
            ("pages", (row.get("pages") or "").replace("-", "--") or None),
            ("doi", row.get("doi")), ("pmid", row.get("pmid")), ("pmcid", row.get("pmcid")),
            ("url", row.get("url")), ("abstract", row.get("abstract")),
            ("keywords", ", ".join(_keywords(row)) or None),
            ("note", "; ".join((["Retracted publication"] if row.get("retracted") else [])
                               + ([f"Duplicate of PMID {row['duplicate_of']}"]
                                  if row.get("duplicate_of") else [])
                               + _notes(row)) or None),
        ]
        out.write(f"@article{{pmid{row['pmid']},\n")
        body = [f"  {name} = {{{_bib(value)}}}" for name, value in fields if value not in
                (None, "")]
        out.write(",\n".join(body) + "\n}\n\n")
    return count


WRITERS: dict[str, Callable[[Iterable[dict[str, Any]], TextIO], int]] = {
    "csv": write_csv, "json": write_json, "jsonl": write_jsonl, "md": write_md,
    "html": write_html, "ris": write_ris, "bibtex": write_bibtex,
}
