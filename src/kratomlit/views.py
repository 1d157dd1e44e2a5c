"""Rich rendering: database status, one paper, search hits, tag explanations, evaluations."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

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
            str(run["updated"]), Text(_shorten(run["query"] or "", 60)),
        )
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
    links = [PUBMED_URL.format(pmid=paper["pmid"])]
    if paper["doi"]:
        links.append(DOI_URL.format(doi=paper["doi"]))
    ids = [f"PMID {paper['pmid']}"] + [
        f"{label} {paper[key]}" for label, key in (("PMCID", "pmcid"), ("DOI", "doi"))
        if paper[key]
    ]
    body.append(Text(" · ".join(ids), style="dim"))
    body.append(Text("\n".join(links), style="blue"))
    sections = paper["abstract_sections"]
    if sections:
        body.append(Text(""))
        for section in sections:
            line = Text()
            if section.get("label"):
                line.append(section["label"] + ": ", style="bold")
            line.append(section["text"])
            body.append(line)
    else:
        body.append(Text("(no abstract)", style="dim"))
    facts = [
        ("Publication types", ", ".join(paper["publication_types"])),
        ("Languages", ", ".join(paper["languages"])),
        ("Keywords", "; ".join(paper["keywords"])),
        ("MeSH", "; ".join(("*" if m["major"] else "") + m["descriptor"] for m in paper["mesh"])),
        ("Citation status", paper["citation_status"] or ""),
        ("Entrez date", paper["entrez_date"] or ""),
        ("Errata", ", ".join(paper["errata"])),
        ("First seen", paper["first_seen"] or ""),
    ]
    tags = paper.get("tags")
    if tags:
        outcomes = ", ".join(_json_list(tags["outcomes"])) or "none"
        size = f"n={tags['n_participants']}" if tags["n_participants"] else ""
        facts.insert(0, ("Tags", f"design {tags['design']} ({tags['design_source']}); "
                                 f"outcomes {outcomes}; {tags['population'] or ''} {size}"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in facts:
        if value:
            grid.add_row(label, value)
    body.extend([Text(""), grid])
    console.print(Panel(Group(*body), title=f"PMID {paper['pmid']}", title_align="left"))


def _json_list(value: Any) -> list[str]:
    import json

    if isinstance(value, list):
        return value
    return json.loads(value) if value else []


def render_hits(console: Console, text: str, hits: list[dict[str, Any]]) -> None:
    if not hits:
        console.print(f"No papers match {text!r}.", highlight=False)
        return
    for hit in hits:
        head = Text(f"{hit['pmid']}  ", style="bold cyan")
        head.append(f"{hit['year'] or '----'}  {hit['first_author'] or ''}  ")
        head.append(hit["journal_iso"] or "", style="italic")
        if hit["retracted"]:
            head.append("  RETRACTED", style="bold red")
        console.print(head)
        console.print(Text(hit["title"], style="bold"))
        snippet = Text()
        for i, piece in enumerate(_split_marks(hit["snippet"] or "")):
            snippet.append(piece, style="reverse" if i % 2 else "")
        console.print(snippet)
        console.print()
    console.print(f"{len(hits)} result(s) for {text!r}", highlight=False)


def _split_marks(snippet: str) -> list[str]:
    """Alternating plain and matched pieces of a snippet marked by ``Store.search``."""
    return snippet.replace("\x03", "\x02").split("\x02")


def render_explanation(console: Console, found: Any) -> None:
    """``explain``: the stored tags, then every rule that matches now and on which words."""
    console.print(f"[bold]PMID {found.pmid}[/bold] {escape(found.title)}")
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
    table = Table("axis", "tag", "rule", "field", "matched", "weight", "note", box=None)
    for item in found.rules_fired:
        table.add_row(item.axis, item.value, item.rule_id, item.field, escape(item.matched[:60]),
                      f"{item.weight:.2f}",
                      "negated" if item.negated else "covered" if item.covered
                      else "background" if item.background else "")
    console.print(table if found.rules_fired else "No rule matches this paper.")


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
    console.print(f"Compared {result.compared} papers ({len(result.missing)} labelled papers "
                  f"not tagged in this database)")
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
    from kratomlit.tables import SHORT_DESIGN

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


def render_prisma(console: Console, found: Any) -> None:
    """The PRISMA flow as stacked boxes, exclusions beside the stage they leave."""
    sources = "\n".join(f"  {s['kind']}: {escape(str(s['source']))[:60]} (n = {s['records']})"
                        for s in found.sources)
    reasons = "\n".join(f"  {escape(r)}: {n}" for r, n in found.excluded_reasons.items())
    stages = [
        (f"Records identified: {found.identified}" + (f"\n{sources}" if sources else ""),
         f"Duplicates removed: {found.duplicates_removed}"),
        (f"Records screened: {found.screened}",
         f"Excluded: {found.excluded}" + (f"\n{reasons}" if reasons else "")),
        (f"Studies included: {found.included}",
         f"Maybe: {found.maybe}\nConflicts: {found.conflicts}\nAwaiting screening: "
         f"{found.awaiting}"),
    ]
    table = Table(box=None, show_header=False, expand=True)
    table.add_column(ratio=1)
    table.add_column(width=3)
    table.add_column(ratio=1)
    for i, (main, side) in enumerate(stages):
        table.add_row(Panel(main), "→", Panel(side))
        if i < len(stages) - 1:
            table.add_row("        ↓", "", "")
    console.print(Panel(table, title="PRISMA 2020 flow"))
