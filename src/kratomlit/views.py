"""Rich rendering of the database status, one paper, and search hits."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
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
