"""The database schema, and nothing else.

Each migration is applied once, inside a transaction together with its record
in ``_sqlite_migrations`` (sqlite-utils' ``Migrations``). Never edit a migration
that has shipped: add a new one at the end.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kratomlit")

SCHEMA_VERSION_NAMES: list[str] = []


def _register(fn):  # type: ignore[no-untyped-def]
    SCHEMA_VERSION_NAMES.append(fn.__name__)
    return migrations()(fn)


@_register
def m001_papers(db: Database) -> None:
    db.table("papers").create(
        {
            "pmid": int,
            "title": str,
            "abstract": str,
            "abstract_sections": str,  # JSON: [{"label", "category", "text"}]
            "journal": str,
            "journal_iso": str,
            "volume": str,
            "issue": str,
            "pages": str,
            "year": int,
            "pub_date": str,
            "electronic_date": str,
            "entrez_date": str,
            "revised_date": str,
            "first_author": str,
            "author_count": int,
            "languages": str,  # JSON list
            "publication_types": str,  # JSON list (also rows in publication_types)
            "keywords": str,  # JSON list
            "mesh_terms": str,  # "Descriptor; Descriptor/qualifier" for full-text search
            "doi": str,
            "pmcid": str,
            "pii": str,
            "citation_status": str,
            "record_type": str,
            "retracted": int,
            "errata": str,  # JSON list
            "deleted": int,
            "source": str,  # where the record was first seen: "fetch" or "import:<file>"
            "first_seen": str,
            "updated_at": str,
            "content_hash": str,
        },
        pk="pmid",
        not_null={"title"},
        defaults={"retracted": 0, "deleted": 0, "record_type": "article"},
    )
    db.table("papers").create_index(["year"])
    db.table("papers").create_index(["doi"])
    db.table("papers").create_index(["first_seen"])
    db.table("papers").enable_fts(
        ["title", "abstract", "keywords", "mesh_terms"], create_triggers=True, tokenize="porter"
    )

    db.table("authors").create(
        {
            "pmid": int,
            "position": int,
            "last_name": str,
            "fore_name": str,
            "initials": str,
            "collective_name": str,
            "orcid": str,
            "affiliation": str,
        },
        pk=("pmid", "position"),
        foreign_keys=[("pmid", "papers", "pmid")],
    )
    db.table("mesh").create(
        {
            "pmid": int,
            "position": int,
            "descriptor": str,
            "descriptor_ui": str,
            "major": int,
            "qualifiers": str,  # "; "-joined qualifier names
        },
        pk=("pmid", "position"),
        foreign_keys=[("pmid", "papers", "pmid")],
    )
    db.table("mesh").create_index(["descriptor"])
    db.table("publication_types").create(
        {"pmid": int, "position": int, "publication_type": str},
        pk=("pmid", "position"),
        foreign_keys=[("pmid", "papers", "pmid")],
    )
    db.table("publication_types").create_index(["publication_type"])

    # Every fetch or import is one run: auditable, and never "ok" unless it finished.
    db.table("fetch_runs").create(
        {
            "id": int,
            "kind": str,  # "fetch" | "import"
            "query": str,  # the PubMed query, or the imported file names
            "mindate": str,
            "maxdate": str,
            "options": str,  # JSON of the other settings (never the API key)
            "started_at": str,
            "finished_at": str,
            "status": str,  # "running" | "ok" | "failed"
            "found": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "deleted": int,
            "requests": int,
            "error": str,
        },
        pk="id",
        defaults={"found": 0, "new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "requests": 0},
    )
    db.table("fetch_runs").create_index(["query"])
    # Which papers a run added or changed: the basis of --new, digests and PRISMA sources.
    db.table("run_papers").create(
        {"run_id": int, "pmid": int, "action": str},  # action: "new" | "updated" | "deleted"
        pk=("run_id", "pmid"),
        foreign_keys=[("run_id", "fetch_runs", "id")],
    )
    db.table("run_papers").create_index(["pmid"])
    # Which PMIDs each query has returned (set membership, so it grows only with unique hits).
    db.table("query_hits").create(
        {"query": str, "pmid": int, "first_run_id": int},
        pk=("query", "pmid"),
    )


@_register
def m002_tags(db: Database) -> None:
    # Evidence: one row per rule that fired (auto) or per reviewer decision (manual).
    db.table("tags").create(
        {
            "id": int,
            "pmid": int,
            "axis": str,  # "design" | "outcome" | "population" | "n"
            "value": str,
            "source": str,  # "auto" | "manual"
            "rule_id": str,
            "field": str,  # which field the rule read: title, abstract, mesh, ...
            "matched": str,  # the words that matched
            "confidence": float,
            "negated": int,  # manual only: 1 = "this tag does NOT apply"
            "note": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("pmid", "papers", "pmid")],
        defaults={"negated": 0},
    )
    db.table("tags").create_index(["pmid", "axis"])
    # The effective result per paper (manual overrides applied): what tables, exports
    # and screening read.
    db.table("paper_tags").create(
        {
            "pmid": int,
            "design": str,
            "outcomes": str,  # JSON list, in taxonomy order
            "n_participants": int,
            "population": str,  # "human" | "animal" | "in-vitro" | None
            "design_source": str,  # "auto" | "manual"
            "tagged_at": str,
        },
        pk="pmid",
        foreign_keys=[("pmid", "papers", "pmid")],
    )
    db.table("paper_tags").create_index(["design"])


@_register
def m003_screening(db: Database) -> None:
    db.table("screening").create(
        {
            "id": int,
            "pmid": int,
            "reviewer": str,
            "decision": str,  # "include" | "exclude" | "maybe"
            "reason": str,
            "note": str,
            "is_final": int,  # 1 = resolution recorded as the final decision
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("pmid", "papers", "pmid")],
        defaults={"is_final": 0},
    )
    db.table("screening").create_index(["pmid", "reviewer"])
    db.table("duplicates").create(
        {
            "pmid": int,  # the record to remove
            "duplicate_of": int,  # the record kept
            "method": str,  # "doi" | "title-year-author"
            "status": str,  # "candidate" | "confirmed" | "rejected"
            "created_at": str,
            "decided_at": str,
        },
        pk=("pmid", "duplicate_of"),
    )



@_register
def m004_fts_bulk_insert(db: Database) -> None:
    # Indexing each inserted paper from a trigger costs three times more than one
    # INSERT ... SELECT per batch, so Store.save_papers (the only code that inserts
    # papers) indexes new rows itself. Updates and deletes keep their triggers.
    db.execute("DROP TRIGGER IF EXISTS papers_ai")


@_register
def m008_tag_margins(db: Database) -> None:
    # How clear each automatic tag was (score points; manual tags have none): "margins"
    # per tag as JSON, "margin" the closest of them, so uncertain papers select in SQL.
    db.table("paper_tags").add_column("margin", float)
    db.table("paper_tags").add_column("margins", str)
    db.table("paper_tags").create_index(["margin"])


def apply(db: Database) -> None:
    migrations.apply(db)


def applied_names(db: Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]
