"""Write selected studies as CSV, JSON, JSON lines, Markdown, HTML, RIS or BibTeX.

Every writer streams: it takes an iterator of study dicts (from ``evidence``) and a
text stream, so exporting 100,000 records never holds them all in memory.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from kratomlit.records import label
from kratomlit.report.extraction import countries_cell, extraction_notes

if TYPE_CHECKING:
    from kratomlit.report.selection import EvidenceMap

FORMATS = ("csv", "json", "jsonl", "md", "html", "ris", "bibtex")
FIELDS = ("pmid", "title", "abstract", "year", "journal", "journal_iso", "volume", "issue",
          "pages", "authors", "doi", "pmcid", "design", "outcomes", "n_participants",
          "population", "finding", "substances", "countries", "countries_inferred", "measures",
          "retracted", "url", "screening", "screening_reason", "screening_notes",
          "duplicate_of", "id", "accession", "source_databases")


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
               "outcomes", "substances", "countries", "measures", "title", "finding",
               "screening")


def marked_title(row: dict[str, Any]) -> str:
    """The title, after RETRACTED and DUPLICATE marks where they apply."""
    marks = ["RETRACTED"] if row.get("retracted") else []
    if row.get("duplicate_of"):
        marks.append(f"DUPLICATE of {label(str(row['duplicate_of']))}")
    return "".join(f"{mark}: " for mark in marks) + (row.get("title") or "")


def _md(value: Any) -> str:
    text = _cell(value) if not isinstance(value, str) else value
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def write_md(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    out.write("| PMID | Year | First author | Journal | Design | N | Outcomes | Substances | "
              "Countries | Measures | Title | Finding | Screening |\n"
              "|---:|---:|---|---|---|---:|---|---|---|---|---|---|---|\n")
    count = 0
    for row in rows:
        count += 1
        authors = row.get("authors") or []
        first = (authors[0] + (" et al." if len(authors) > 1 else "")) if authors else ""
        cells = {**row, "pmid": row["reference"], "authors": first,
                 "outcomes": ", ".join(row.get("outcomes") or []),
                 "screening": _screening(row), "title": marked_title(row),
                 "substances": ", ".join(row.get("substances") or []),
                 "countries": countries_cell(row),
                 "measures": ", ".join(row.get("measures") or [])}
        out.write("| " + " | ".join(_md(cells.get(c)) for c in _MD_COLUMNS) + " |\n")
    return count


# The page holds every study, but only a page of them (the first _HTML_PAGE passing the
# filter, in the current order) is in the document at a time: a browser lays out 500 rows
# in a blink and 30,000 in seconds, on every sort and keystroke. Until the script has run,
# CSS hides the rows past the first page (without JavaScript nothing is hidden).
_HTML_PAGE = 500
_HTML_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kratomlit evidence table</title>
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src '@HASH@'; style-src 'unsafe-inline'">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;font-size:14px}
th{background:#f3f3f3;position:sticky;top:0;text-align:left;white-space:nowrap}
th button{all:inherit;cursor:pointer;padding:0}th button::after{color:#999;content:" \\2195";
content:" \\2195"/""}th[aria-sort] button::after{color:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2";content:" \\25B2"/""}
th[aria-sort=descending] button::after{content:" \\25BC";content:" \\25BC"/""}
tr.retracted td{color:#a00}td.doi{word-break:break-all}
.about{color:#444;margin:0 0 1em}input{margin-bottom:1em;padding:4px;width:30em}
.loading tbody tr:nth-child(n+@NEXT@){display:none}
</style><noscript><style>.loading tbody tr{display:table-row!important}</style></noscript>
</head><body>
<h1>kratomlit evidence table</h1>
""".replace("@NEXT@", str(_HTML_PAGE + 1))
_HTML_TAIL = """</tbody></table>
<script>
const table = document.getElementById("studies"), body = table.tBodies[0];
const filter = document.getElementById("filter"), count = document.getElementById("count");
const more = document.getElementById("more"), all = document.getElementById("all");
const collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
let rows = Array.from(body.rows), limit = @PAGE@, texts = null, keys = [];  // rows: in order
function show() {
  const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
  if (words.length && !texts) texts = new Map(rows.map(r => [r, r.textContent.toLowerCase()]));
  const matching = words.length ? rows.filter(r => words.every(w => texts.get(r).includes(w)))
                                : rows;
  const page = document.createDocumentFragment();
  for (const row of matching.slice(0, limit)) page.appendChild(row);
  body.replaceChildren(page);
  const shown = Math.min(limit, matching.length);
  count.textContent = matching.length.toLocaleString() + " of " + rows.length.toLocaleString() +
    " studies" + (shown < matching.length ? ", the first " + shown.toLocaleString() +
    " shown" : "");
  more.hidden = all.hidden = shown === matching.length;
}
table.tHead.addEventListener("click", e => {
  const th = e.target.closest("th"); if (!th) return;
  const index = th.cellIndex, dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
  const numeric = th.dataset.type === "number";
  const key = keys[index] ??= new Map(rows.map(row => {  // read each column once
    const cell = row.cells[index], text = cell.dataset.sort ?? cell.textContent;
    return [row, numeric && text !== "" ? Number(text) : text];
  }));
  const keyed = rows.map(row => [key.get(row), row]);
  // Empty cells last either way; ties keep their order (the sort is stable).
  keyed.sort(([x], [y]) => (x === "") - (y === "") ||
    dir * (numeric ? x - y : collator.compare(x, y)));
  rows = keyed.map(([, row]) => row);
  for (const other of th.parentNode.cells) other.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
  show();
});
filter.addEventListener("input", () => { limit = @PAGE@; show(); });
more.addEventListener("click", () => { limit += @PAGE@; show(); });
all.addEventListener("click", () => { limit = Infinity; show(); });
show(); table.classList.remove("loading");
</script></body></html>
""".replace("@PAGE@", str(_HTML_PAGE))
# The page's policy lets only its own script run (pinned by hash) and fetch nothing, so even
# a title that got past escaping could not run.
_SCRIPT = _HTML_TAIL[_HTML_TAIL.index("<script>") + 8:_HTML_TAIL.index("</script>")]
_HTML_HEAD = _HTML_HEAD.replace("@HASH@", "sha256-" + base64.b64encode(
    hashlib.sha256(_SCRIPT.encode()).digest()).decode())
# (header, numeric sort): numbers sort as numbers, designs by strength (a rank in data-sort).
_HTML_COLUMNS = (("PMID", True), ("Year", True), ("First author", False), ("Journal", False),
                 ("Design", True), ("N", True), ("Population", False), ("Outcomes", False),
                 ("Title", False), ("Finding", False), ("Substances", False),
                 ("Countries", False), ("Measures", False), ("DOI", False), ("Screening", False))


def write_html(rows: Iterable[dict[str, Any]], out: TextIO, *, source: str = "",
               selection: str = "", generated: str | None = None) -> int:
    """One self-contained page: inline style and script, no external assets. Above the
    table: when and from which database it was made, and the filters that chose the rows."""
    from kratomlit import __version__
    from kratomlit.report.details import DOI_URL
    from kratomlit.tagging.taxonomy import DESIGNS

    esc = html.escape
    rank = {design: i for i, design in enumerate(DESIGNS)}
    generated = generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.write(_HTML_HEAD)
    out.write(f'<p class="about">Generated {esc(generated)} by kratomlit {__version__}'
              + (f" from {esc(source)}" if source else "") + ".<br>Selection: "
              + esc(selection or "all studies") + ".</p>\n")
    out.write('<input id="filter" type="search" placeholder="Filter rows (any column)…" '
              'aria-label="Filter rows">\n<p><span id="count" aria-live="polite"></span> '
              '<button id="more" type="button" hidden>Show more</button> '
              '<button id="all" type="button" hidden>Show all</button></p>\n'
              '<table id="studies" class="loading"><thead><tr>')
    out.write("".join(f'<th{" data-type=number" if numeric else ""}><button type="button">'
                      f"{name}</button></th>" for name, numeric in _HTML_COLUMNS))
    out.write("</tr></thead><tbody>\n")
    count = 0
    for row in rows:
        count += 1
        authors = row.get("authors") or []
        retracted = row.get("retracted")
        design = row.get("design") or ""
        doi = row.get("doi") or ""
        link = esc(DOI_URL.format(doi=quote(doi, safe="/()._-;:")))
        cells = [
            (f'<td><a href="{esc(row["url"])}">{esc(row["reference"])}</a>' if row["url"]
             else f'<td>{esc(row["reference"])}'),
            f'<td>{esc(str(row.get("year") or ""))}', f"<td>{esc(authors[0] if authors else '')}",
            f'<td>{esc(row.get("journal_iso") or "")}',
            f'<td data-sort="{rank.get(design, len(rank))}">{esc(design)}',
            f'<td>{esc(str(row.get("n_participants") or ""))}',
            f'<td>{esc(row.get("population") or "")}',
            f'<td>{esc(", ".join(row.get("outcomes") or []))}', f"<td>{esc(marked_title(row))}",
            f'<td>{esc(row.get("finding") or "")}',
            f'<td>{esc(", ".join(row.get("substances") or []))}',
            f"<td>{esc(countries_cell(row))}", f'<td>{esc(", ".join(row.get("measures") or []))}',
            f'<td class="doi"><a href="{link}">{esc(doi)}</a>' if doi else "<td>",
            f"<td>{esc(_screening(row))}",
        ]
        css = ' class="retracted"' if retracted else ""
        out.write(f"<tr{css}>" + "</td>".join(cells) + "</td></tr>\n")
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
    """What the study found and about what, the screening decision and reason, and the
    reviewers' notes, where Zotero and ASReview keep them (notes)."""
    notes = extraction_notes(row)
    if not row.get("screening"):
        return notes
    reason = f" ({row['screening_reason']})" if row.get("screening_reason") else ""
    return [*notes, f"kratomlit screening: {row['screening']}{reason}",
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
    yield "AN", str(row["pmid"] or row["id"])
    if row.get("pmcid"):
        yield "C2", row["pmcid"]
    for word in _keywords(row):
        yield "KW", word
    if row.get("retracted"):
        yield "N1", "Retracted publication"
    if row.get("duplicate_of"):
        yield "N1", f"Duplicate of {label(str(row['duplicate_of']))}"
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
                               + ([f"Duplicate of {label(str(row['duplicate_of']))}"]
                                  if row.get("duplicate_of") else [])
                               + _notes(row)) or None),
        ]
        key = f"pmid{row['pmid']}" if row["pmid"] else f"id{row['id']}"
        out.write(f"@article{{{key},\n")
        body = [f"  {name} = {{{_bib(value)}}}" for name, value in fields if value not in
                (None, "")]
        out.write(",\n".join(body) + "\n}\n\n")
    return count


WRITERS: dict[str, Callable[[Iterable[dict[str, Any]], TextIO], int]] = {
    "csv": write_csv, "json": write_json, "jsonl": write_jsonl, "md": write_md,
    "html": write_html, "ris": write_ris, "bibtex": write_bibtex,
}


def write_map(found: EvidenceMap, fmt: str, stream: TextIO) -> None:
    """The evidence map as CSV or Markdown: two tables, a blank line apart: outcomes x
    designs, then studies per year (every year from the first to the last, so a chart made
    from it shows the gaps)."""
    header = [found.by, *found.designs, "total"]
    lines = [[o, *[str(found.cells[o].get(d, 0)) for d in found.designs],
              str(sum(found.cells[o].values()))] for o in found.outcomes]
    years = [y for per in found.years.values() for y in per]
    per_year = [["year", *found.years]] + [
        [str(y), *[str(per.get(y, 0)) for per in found.years.values()]]
        for y in range(min(years, default=0), max(years, default=-1) + 1)]
    tables = [[header, *lines], per_year] if years else [[header, *lines]]
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        for i, table in enumerate(tables):
            writer.writerows([[], *table] if i else table)
        return
    for i, (first, *rest) in enumerate(tables):
        stream.write(("\n" if i else "") + "| " + " | ".join(first) + " |\n")
        stream.write("|" + "---|" + "---:|" * (len(first) - 1) + "\n")
        for line in rest:
            stream.write("| " + " | ".join(line) + " |\n")
