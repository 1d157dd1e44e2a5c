"""Rich rendering: database status, one paper, search hits, tag explanations, evaluations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kratomlit.records import reference
from kratomlit.wording import plural

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
DOI_URL = "https://doi.org/{doi}"


def render_status(console: Console, path: str, stats: dict[str, Any],
                  runs: list[dict[str, Any]]) -> None:
    first, last = stats["years"]
    lines = [
        f"Database: {path}",
        f"Papers: {stats['papers']} ({stats['with_abstract']} with abstract, "
        f"{stats['retracted']} retracted, {stats['deleted']} withdrawn by NLM)",
        f"Years: {first}–{last}" if first else "Years: none yet",
        f"Untagged: {stats['untagged']}" + ("  (run: kratomlit tag)" if stats["untagged"] else ""),
    ]
    for line in lines:
        console.print(line, highlight=False)
    if not runs:
        console.print("No fetch or import has run yet: kratomlit fetch", highlight=False)
        return
    table = Table(title="Last runs", title_justify="left", expand=False)
    for name in ("#", "kind", "started", "status", "found", "new", "upd.", "query"):
        table.add_column(name, overflow="fold")
    for run in runs:
        style = {"ok": "green", "failed": "red"}.get(run["status"], "yellow")
        table.add_row(
            str(run["id"]), run["kind"], (run["started_at"] or "")[:16].replace("T", " "),
            Text(run["status"], style=style), str(run["found"]), str(run["new"]),
            str(run["updated"]), Text(_shorten(run["query"] or "", 60)))
    console.print(table)
    failed = [r for r in runs if r["status"] == "failed" and r["error"]]
    if failed:
        console.print(Text(f"Run {failed[0]['id']} failed: {failed[0]['error']}", style="red"))


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _authors(paper: dict[str, Any]) -> str:
    names = []
    for a in paper["authors"]:
        if a["collective_name"]:
            names.append(a["collective_name"])
        else:
            names.append(" ".join(p for p in (a["last_name"], a["initials"]) if p))
    return ", ".join(names) or "(no authors listed)"


def _citation(paper: dict[str, Any]) -> str:
    parts = [paper["journal_iso"] or paper["journal"] or ""]
    if paper["pub_date"]:
        parts.append(str(paper["pub_date"]))
    volume = paper["volume"] or ""
    if paper["issue"]:
        volume += f"({paper['issue']})"
    if paper["pages"]:
        volume += f":{paper['pages']}"
    if volume:
        parts.append(volume)
    return ". ".join(p for p in parts if p)


def render_paper(console: Console, paper: dict[str, Any]) -> None:
    header = Text(paper["title"] or "(no title)", style="bold")
    if paper["retracted"]:
        header = Text("RETRACTED  ", style="bold white on red") + header
    if paper["deleted"]:
        header = Text("WITHDRAWN BY NLM  ", style="bold white on red") + header
    body: list[Any] = [header, Text(_authors(paper)), Text(_citation(paper), style="italic")]
    links = [PUBMED_URL.format(pmid=paper["pmid"])] if paper["pmid"] else []
    if paper["doi"]:
        links.append(DOI_URL.format(doi=paper["doi"]))
    ids = [f"PMID {paper['pmid']}" if paper["pmid"] else f"id:{paper['id']}"] + [
        f"{label} {paper[key]}" for label, key in (("PMCID", "pmcid"), ("DOI", "doi"),
                                                    ("Accession", "accession")) if paper[key]
    ]
    body.append(Text(" · ".join(ids), style="dim"))
    body.append(Text("\n".join(links), style="blue"))
    body.extend(_abstract(paper["abstract_sections"]))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in _facts(paper):
        if value:
            grid.add_row(label, Text(value))  # Text: brackets in a note are not markup
    body.extend([Text(""), grid])
    console.print(Panel(Group(*body), title=_label(paper), title_align="left"))


def _label(paper: dict[str, Any]) -> str:
    """A paper as output names it: "PMID 123", "doi:10.…" or "id:7"."""
    found = reference(paper.get("pmid"), paper.get("doi"), paper["id"])
    return f"PMID {found}" if paper.get("pmid") else found


def _abstract(sections: list[dict[str, Any]]) -> list[Text]:
    """The abstract, a paragraph per section led by its label."""
    if not sections:
        return [Text("(no abstract)", style="dim")]
    lines = [Text("")]
    for section in sections:
        line = Text()
        if section.get("label"):
            line.append(section["label"] + ": ", style="bold")
        line.append(section["text"])
        lines.append(line)
    return lines


def _facts(paper: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the record's facts, the reviewers' tags and decisions among them."""
    facts = [
        ("Publication types", ", ".join(paper["publication_types"])),
        ("Languages", ", ".join(paper["languages"])),
        ("Keywords", "; ".join(paper["keywords"])),
        ("MeSH", "; ".join(("*" if m["major"] else "") + m["descriptor"] for m in paper["mesh"])),
        ("Citation status", paper["citation_status"] or ""),
        ("Entrez date", paper["entrez_date"] or ""),
        ("Errata", ", ".join(paper["errata"])),
        ("First seen", paper["first_seen"] or ""),
        ("Sources", "\n".join(_source(s) for s in paper.get("sources") or [])),
    ]
    tags = paper.get("tags")
    if tags:
        outcomes = ", ".join(_json_list(tags["outcomes"])) or "none"
        size = f"n={tags['n_participants']}" if tags["n_participants"] else ""
        facts.insert(0, ("Tags", f"design {tags['design']} ({tags['design_source']}); "
                                 f"outcomes {outcomes}; {tags['population'] or ''} {size}"))
    from kratomlit.report.extraction import extraction_facts, manual_value

    facts[1:1] = extraction_facts(paper.get("extraction"))
    manual = [f"{m['axis']} {', '.join(m['values']) or 'none'}{_noted(m)}"
              for m in paper.get("manual_tags") or []]
    manual += [f"{m['field']} {manual_value(m['value'])}{_noted(m)}"
               for m in paper.get("manual_extraction") or []]
    decisions = [f"{d['reviewer']}{' (resolution)' if d['final'] else ''}: {d['decision']}"
                 + (f" ({d['reason']})" if d["reason"] else "") + _noted(d)
                 + (" (superseded)" if d["superseded"] else "")
                 for d in paper.get("screening") or []]
    facts[1:1] = [("Manual tags", "\n".join(manual)), ("Screening", "\n".join(decisions))]
    return facts + _citations(paper.get("citations"))


LINKS_SHOWN = 10  # per relation; the JSON view lists them all
_FOUND_BY = {"backward": "in the references of PMID {}", "forward": "cites PMID {}",
             "similar": "similar to PMID {}"}


def _citations(links: dict[str, Any] | None) -> list[tuple[str, str]]:
    """What a paper cites and is cited by within the database, and how citation searching
    found it, as facts of its record."""
    if not links:
        return []
    facts = []
    for key, label in (("cites", "Cites"), ("cited_by", "Cited by"), ("similar", "Similar")):
        papers = links[key]
        lines = [f"PMID {p['pmid']} ({p['year'] or 'n.d.'}) {_shorten(p['title'] or '', 70)}"
                 for p in papers[:LINKS_SHOWN]]
        if len(papers) > LINKS_SHOWN:
            lines.append(f"... and {len(papers) - LINKS_SHOWN:,} more (--format json)")
        facts.append((f"{label} ({len(papers)})" if papers else label, "\n".join(lines)))
    found = [_FOUND_BY[f["direction"]].format(f["seed"])
             + f" (run {f['run_id']}, {(f['first_seen'] or '')[:10]})"
             for f in links["found_by_citation"]]
    facts.append(("Found by citation searching", "\n".join(found)))
    return facts


def _source(found: dict[str, Any]) -> str:
    """One source record: "Embase, AN 2039990001 (embase.ris, joined by doi)"."""
    ids = ", ".join(f"{label} {found[key]}" for label, key in (("AN", "accession"),
                                                             ("PMID", "pmid")) if found[key])
    where = ", ".join(w for w in (found["file"] and Path(found["file"]).name,
                                  f"joined by {found['matched_by']}"
                                  if found["matched_by"] != "new" else "") if w)
    return f"{found['source_db'] or 'unknown'}{', ' + ids if ids else ''}" + (
        f" ({where})" if where else "")


def _noted(item: dict[str, Any]) -> str:
    """A reviewer's note and the day it was written, after what it is about."""
    note = f" — note: {item['note']}" if (item["note"] or "").strip() else ""
    return f"{note}, {(item['created_at'] or '')[:10]}"


def _json_list(value: Any) -> list[str]:
    import json

    if isinstance(value, list):
        return value
    return json.loads(value) if value else []


def hits_summary(text: str, shown: int, total: int) -> str:
    if shown < total:
        return f"showing {shown:,} of {plural(total, 'paper')} matching {text!r}"
    return f"{plural(total, 'paper')} {'matches' if total == 1 else 'match'} {text!r}"


def render_hits(console: Console, text: str, hits: list[dict[str, Any]], total: int) -> None:
    if not hits:
        console.print(f"No papers match {text!r}.", highlight=False)
        return
    for hit in hits:
        head = Text(f"{reference(hit['pmid'], hit['doi'], hit['id'])}  ", style="bold cyan")
        head.append(f"{hit['year'] or '----'}  {hit['first_author'] or ''}  ")
        head.append(hit["journal_iso"] or "", style="italic")
        if hit["retracted"]:
            head.append("  RETRACTED", style="bold red")
        console.print(head)
        console.print(Text(hit["title"], style="bold"))
        if hit["snippet"]:  # a NOT search has no matched words to show
            snippet = Text()
            for i, piece in enumerate(_split_marks(hit["snippet"])):
                snippet.append(piece, style="reverse" if i % 2 else "")
            console.print(snippet)
        console.print()
    console.print(hits_summary(text, len(hits), total), highlight=False)


def _split_marks(snippet: str) -> list[str]:
    """Alternating plain and matched pieces of a snippet marked by ``Store.search``."""
    return snippet.replace("\x03", "\x02").split("\x02")


def render_explanation(console: Console, found: Any) -> None:
    """``explain``: the stored tags, then every rule that matches now and on which words."""
    shown = f"PMID {found.pmid}" if found.pmid else found.reference
    console.print(f"[bold]{escape(shown)}[/bold] {escape(found.title)}")
    if found.stored:
        stored = found.stored
        console.print(f"Stored: design [bold]{stored['design']}[/bold] ({stored['design_source']}),"
                      f" outcomes {', '.join(stored['outcomes']) or 'none'}, "
                      f"N {stored['n_participants'] or '-'}, population "
                      f"{stored['population'] or '-'} (tagged {stored['tagged_at']}"
                      + (f", closest margin {stored['margin']:.2f})"
                         if stored["margin"] is not None else ")"))
    else:
        console.print("Stored: not tagged yet (run `kratomlit tag`)")
    for item in found.manual:
        sign = "not " if item["negated"] else ""
        note = f" — {escape(item['note'])}" if item["note"] else ""
        console.print(f"Manual: {item['axis']} {sign}{item['value']} ({item['created_at']}){note}")
    current = found.current
    console.print(f"Current rules give: design [bold]{current.design}[/bold] "
                  f"(rule {current.design_rule or 'none fired: default other'}), outcomes "
                  f"{', '.join(current.outcomes) or 'none'}, N {current.n_participants or '-'}")
    _render_scores(console, found)
    if not found.rules_fired:
        console.print("No rule matches this paper.")
        return
    # The rule id is what a reviewer needs to override a rule: it is never cut. Where a table
    # would have to cut it, each rule gets its id on a line of its own instead.
    longest = max(len(item.rule_id) for item in found.rules_fired)
    if console.width < longest + 85:
        for item in found.rules_fired:
            note = f", {_note(item)}" if _note(item) else ""
            console.print(Text(item.rule_id), soft_wrap=True)
            console.print(Padding(Text(f"{item.axis} {item.value}, {item.field}: "
                                       f"{item.matched[:60]} ({item.weight:.2f}{note})"),
                                  (0, 0, 0, 2), expand=False))
        return
    table = Table("axis", "tag", "rule", "field", "matched", "weight", "note", box=None)
    for column in table.columns:
        column.no_wrap = column.header != "matched"
    for item in found.rules_fired:
        table.add_row(item.axis, item.value, item.rule_id, item.field, escape(item.matched[:60]),
                      f"{item.weight:.2f}", _note(item))
    console.print(table)


def _note(item: Any) -> str:
    """Why a match adds nothing to its tag's score (its zone, for one in the background)."""
    return ("negated" if item.negated else "covered" if item.covered
            else "background" if item.background else "")


def _render_scores(console: Console, found: Any) -> None:
    """The design and its runner-up with the cues that scored them, and each outcome's
    score against its threshold."""
    current = found.current
    for label, design in (("Design", current.design), ("Runner-up", current.runner_up)):
        cues = sorted((c for c in current.cues if c.axis == "design" and c.tag == design),
                      key=lambda c: -c.points)
        console.print(f"{label} [bold]{design}[/bold]: score {current.scores[design]:.2f}"
                      + (f" (margin {current.margins['design']:.2f})" if label == "Design"
                         else ""), highlight=False)
        for cue in cues:
            console.print(f"  {cue.points:5.2f}  {cue.rule_id} ({cue.zone}, {cue.hits}x)",
                          highlight=False, markup=False)
    console.print("Outcomes (score / threshold):", highlight=False)
    for outcome, threshold in found.thresholds.items():
        score = current.scores[outcome]
        sign = "tagged" if outcome in current.outcomes else "not tagged"
        console.print(f"  {outcome:7} {score:5.2f} / {threshold:.2f}  {sign}", highlight=False)


def render_evaluation(console: Console, result: Any) -> None:
    """``evaluate``: headline figures, per-class table and the design confusion matrix."""
    high = (f" (high-confidence labels: {result.design_accuracy_high:.3f})"
            if result.design_accuracy_high is not None else "")
    console.print(f"Compared {plural(result.compared, 'paper')} "
                  f"({plural(len(result.missing), 'labelled paper')} not tagged in this database)")
    console.print(f"Design accuracy: [bold]{result.design_accuracy:.3f}[/bold]{high}")
    high_f1 = (f" (high-confidence labels: {result.outcome_micro_f1_high:.3f})"
               if result.outcome_micro_f1_high is not None else "")
    console.print(f"Outcome micro-F1: [bold]{result.outcome_micro_f1:.3f}[/bold]{high_f1}, "
                  f"macro-F1: {result.outcome_macro_f1:.3f}")
    table = Table("class", "precision", "recall", "F1", "support", box=None)
    for name, scores in [*result.design_classes.items(), *result.outcome_classes.items()]:
        table.add_row(name, f"{scores['precision']:.2f}", f"{scores['recall']:.2f}",
                      f"{scores['f1']:.2f}", str(scores["support"]))
    console.print(table)
    from kratomlit.tagging.taxonomy import SHORT_DESIGN

    designs = sorted(result.confusion)
    predicted = sorted({p for row in result.confusion.values() for p in row})
    short = console.width < 20 + 8 * len(predicted)
    name = (lambda d: SHORT_DESIGN.get(d, d)) if short else (lambda d: d)
    matrix = Table("label \\ tagged", *[str(name(p)) for p in predicted], box=None,
                   title="Design confusion (rows: labels, columns: tags)")
    for design in designs:
        row = result.confusion[design]
        matrix.add_row(name(design), *[str(row.get(p, "")) for p in predicted])
    console.print(matrix)
    if short:
        legend = ", ".join(f"{SHORT_DESIGN[d]} {d}" for d in predicted if d in SHORT_DESIGN)
        console.print(f"Designs: {legend}.", highlight=False)


NARROW_PRISMA = 70  # below this width the flow's boxes are stacked, not side by side


def render_prisma(console: Console, found: Any) -> None:
    """The PRISMA flow by phase: the records' path down the left, what leaves it beside; with
    citation searching, a flow for each PRISMA 2020 column, then the studies included."""
    if found.other_methods is None:
        console.print(Panel(_flow_table(console, found, found.sources, "Studies included"),
                            title="PRISMA 2020 flow"))
        return
    for method, column, title in (
            ("databases", found.databases, "databases and registers"),
            ("other methods", found.other_methods, "other methods")):
        sources = [s for s in found.sources if s.method == method]
        console.print(Panel(_flow_table(console, column, sources, f"Included via {title}"),
                            title=f"PRISMA 2020: via {title}"))
    console.print(Panel(f"Studies included in review: {found.included}"))


def _flow_table(console: Console, found: Any, sources: list[Any], included: str) -> Table:
    listed = "".join(f"\n  {escape(_shorten(s.label(), 90))}: {s.records}" for s in sources)
    reasons = "".join(f"\n  {escape(r)}: {n}" for r, n in found.excluded_reasons.items())
    down = Text("↓", justify="center")
    rows: list[tuple[str, Any, str, Any]] = [
        ("Identification", Panel(f"Records identified: {found.identified}{listed}"), "→",
         Panel(f"Removed before screening: {found.duplicates_removed}\n"
               f"  duplicates found by more than one source: "
               f"{found.duplicates_across_sources}\n"
               f"  confirmed duplicates of another record: {found.duplicate_records}")),
        ("Screening", down, "→", Panel(f"Awaiting screening: {found.awaiting}")),
        ("", Panel(f"Records screened: {found.screened}"), "→",
         Panel(f"Excluded: {found.excluded}{reasons}")),
        ("", down, "→", Panel(f"Maybe: {found.maybe}\nConflicts: {found.conflicts}")),
        ("Included", Panel(f"{included}: {found.included}"), "", ""),
    ]
    table = Table(box=None, show_header=False, expand=True)
    if console.width < NARROW_PRISMA:  # side by side, the boxes would split their lines
        table.add_column(ratio=1)
        for phase, main, _, side in rows:
            if phase:
                table.add_row(Text(phase, style="bold"))
            table.add_row(main)
            if side:
                table.add_row(Padding(side, (0, 0, 0, 4)))
    else:
        table.add_column(ratio=1)
        table.add_column(width=1)
        table.add_column(ratio=1)
        for phase, main, arrow, side in rows:
            if phase:
                table.add_row(Text(phase, style="bold"), "", "")
            table.add_row(main, arrow, side)
    return table
