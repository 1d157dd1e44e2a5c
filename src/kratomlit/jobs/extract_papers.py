"""What each study found and about what, worked out beside its tags (in the tag job's workers)
and stored with the reviewer's own values on top: like manual tags, they win over the
automatic ones and re-tagging never overwrites them.

A reviewer's finding should be the abstract's own words too; one that is not (written from
the full text, say) is kept, with a warning, since the reviewer decides.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from kratomlit.errors import UsageError
from kratomlit.records import AbstractSection, label
from kratomlit.store import Store
from kratomlit.store.extraction import MANUAL_FIELDS, ExtractionSource
from kratomlit.store.tags import TagSource
from kratomlit.tagging.extract import Extraction, Vocabulary, load_vocabulary

# One encoder for every row (json.dumps with options builds a new one per call).
_json = json.JSONEncoder(ensure_ascii=False).encode


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sections(sections_json: str | None, abstract: str | None) -> list[AbstractSection]:
    """A paper's abstract sections; an abstract stored without them is one section."""
    if sections_json:
        return [AbstractSection(**s) for s in json.loads(sections_json)]
    return [AbstractSection(abstract)] if abstract else []


Inputs = tuple[str, list[AbstractSection], list[str], list[str], str | None]


def _inputs(row: TagSource, source: ExtractionSource | None) -> Inputs:
    """(title, sections, keywords, MeSH descriptors, affiliation): what extraction reads."""
    _, title, abstract, keywords, mesh_terms, _ = row
    sections_json, affiliation = source or (None, None)
    mesh = [term.split("/")[0] for term in (mesh_terms or "").split("; ") if term]
    return (title or "", sections(sections_json, abstract),
            json.loads(keywords) if keywords else [], mesh, affiliation)


def extract_paper(vocabulary: Vocabulary, row: TagSource, source: ExtractionSource | None
                  ) -> Extraction:
    """The extraction of one paper from its tag source row and extraction source."""
    return vocabulary.extract(*_inputs(row, source))


def extraction_row(pmid: int, found: Extraction, manual: dict[str, Any], stamp: str
                   ) -> tuple[Any, ...]:
    """The ``paper_extraction`` row: the reviewer's values where set. Countries a reviewer
    lists replace the inferred ones too."""
    values: dict[str, Any] = {"finding": found.finding, "substances": list(found.substances),
                              "countries": list(found.countries),
                              "countries_inferred": list(found.countries_inferred),
                              "measures": list(found.measures)}
    values.update(manual)
    if "countries" in manual:
        values["countries_inferred"] = []
    lists = [_json(values[name]) if values[name] else "[]" for name in
             ("substances", "countries", "countries_inferred", "measures")]
    chosen = [name for name in MANUAL_FIELDS if name in manual]
    return (pmid, values["finding"], *lists, json.dumps(chosen) if chosen else None, stamp)


def names(vocabulary: Vocabulary, kind: str, text: str | list[str], option: str = ""
          ) -> list[str]:
    """"kratom, Mitragynine" (or a list of such) -> the vocabulary's names, in its spelling;
    "none" -> []. An unknown name is a usage error naming ``option``."""
    given = [v.strip() for part in ([text] if isinstance(text, str) else text)
             for v in part.split(",") if v.strip()]
    if [v.lower() for v in given] == ["none"]:
        return []
    unknown = [v for v in given if vocabulary.name_for(kind, v) is None]
    if unknown or not given:
        shown = ", ".join(vocabulary.known(kind)[:12])
        raise UsageError(f"{option or '--' + kind}: unknown name {', '.join(unknown) or repr(text)}"
                         f" (use names such as {shown}, …)")
    return list(dict.fromkeys(str(vocabulary.name_for(kind, v)) for v in given))


def reextract(store: Store, pmid: int, vocabulary: Vocabulary) -> None:
    """Recompute one paper's stored extraction (inside a transaction)."""
    row = store.tag_source(pmid)
    found = extract_paper(vocabulary, row, store.extraction_sources([pmid]).get(pmid))
    manual = store.manual_extraction([pmid]).get(pmid, {})
    store.replace_extraction([extraction_row(pmid, found, manual, _now())])


def set_manual_extraction(store: Store, pmid: int, values: dict[str, Any], note: str | None,
                          rule_files: list[Path] | None = None) -> list[str]:
    """A reviewer's values ({field: value}, already checked); returns warnings."""
    vocabulary = load_vocabulary(rule_files)
    warnings = []
    with store.transaction():
        abstract = " ".join((store.tag_source(pmid)[2] or "").split())
        finding = values.get("finding")
        if finding and " ".join(finding.removesuffix("…").split()) not in abstract:
            warnings.append(f"{label(store.identity(pmid)[1])}: the finding is not the "
                            "abstract's own words; kept as the reviewer's")
        store.set_manual_extraction(pmid, values, note, _now())
        reextract(store, pmid, vocabulary)
    return warnings


def clear_manual_extraction(store: Store, pmid: int, fields: list[str],
                            rule_files: list[Path] | None = None) -> list[str]:
    """Remove a reviewer's values so the automatic ones apply again; the fields that had
    one."""
    vocabulary = load_vocabulary(rule_files)
    with store.transaction():
        store.tag_source(pmid)
        removed = store.remove_manual_extraction(pmid, fields)
        reextract(store, pmid, vocabulary)
    return [name for name in fields if name in removed]


def explain_extraction(store: Store, pmid: int, rule_files: list[Path] | None = None
                       ) -> dict[str, Any]:
    """The stored extraction and a reviewer's values; what extraction gives now, the
    section its finding comes from and the words behind each name."""
    vocabulary = load_vocabulary(rule_files)
    with store.reading():
        row = store.tag_source(pmid)
        source = store.extraction_sources([pmid]).get(pmid)
        stored = store.stored_extraction(pmid)
        manual = store.manual_extraction_rows(pmid)
    inputs = _inputs(row, source)
    found = vocabulary.extract(*inputs)
    piece = found.finding.removesuffix("…").strip()
    section = next((s for s in inputs[1] if piece and piece[:80] in s.text), None)
    words = vocabulary.matches(*inputs)
    return {"stored": stored, "manual": manual,
            "current": {"finding": found.finding, "substances": list(found.substances),
                        "countries": list(found.countries),
                        "countries_inferred": list(found.countries_inferred),
                        "measures": list(found.measures)},
            "finding_section": (section.label or "unlabelled") if section else None,
            "matches": [{"kind": kind, "name": name, "words": text}
                        for kind, name, text in words]}
