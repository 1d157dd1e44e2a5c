"""The database schema, and nothing else.

Each migration is applied once, inside a transaction together with its record
in ``_sqlite_migrations`` (sqlite-utils' ``Migrations``). Never edit a migration
that has shipped: add a new one at the end.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("kratomlit")

SCHEMA_VERSION_NAMES: list[str] = []


def _register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    SCHEMA_VERSION_NAMES.append(fn.__name__)
    migrations()(fn)
    return fn


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
def m005_import_hits(db: Database) -> None:
    # Which PMIDs each import run contained, new to the database or not (as query_hits
    # does for queries): each import is a PRISMA source. Runs before this migration kept
    # only the papers they added or changed, which is all that can be carried over.
    db.table("import_hits").create(
        {"run_id": int, "pmid": int},
        pk=("run_id", "pmid"),
        foreign_keys=[("run_id", "fetch_runs", "id")],
    )
    db.execute(
        "INSERT INTO import_hits (run_id, pmid) SELECT rp.run_id, rp.pmid FROM run_papers rp "
        "JOIN fetch_runs r ON r.id = rp.run_id WHERE r.kind = 'import' "
        "AND rp.action IN ('new', 'updated')")


@_register
def m006_fts_authors(db: Database) -> None:
    # Author names join the full-text index, so `search "O'Byrne"` finds papers by author.
    # Like mesh_terms they are kept on the paper row (author_names, written by
    # Store.save_papers) for the external-content index to read. An FTS5 table cannot gain
    # a column, so the index and its update/delete triggers are rebuilt, in this transaction
    # (by hand: sqlite-utils' enable_fts runs a script, which would commit half-way).
    from kratomlit.records import Author, author_names

    for trigger in ("papers_ai", "papers_ad", "papers_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    db.table("papers").add_column("author_names", str)
    by_paper: dict[int, list[Author]] = {}
    for pmid, last, fore, initials, collective in db.execute(
            "SELECT pmid, last_name, fore_name, initials, collective_name FROM authors "
            "ORDER BY pmid, position").fetchall():
        by_paper.setdefault(pmid, []).append(Author(last, fore, initials, collective))
    db.conn.executemany("UPDATE papers SET author_names = ? WHERE pmid = ?",
                        [(author_names(names), pmid) for pmid, names in by_paper.items()])
    db.execute("DROP TABLE papers_fts")
    columns = ("title", "abstract", "keywords", "mesh_terms", "author_names")
    listed = ", ".join(f'"{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    db.execute(f'CREATE VIRTUAL TABLE "papers_fts" USING FTS5 ({listed}, tokenize=\'porter\', '
               'content="papers")')
    db.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")
    delete = (f'INSERT INTO "papers_fts" ("papers_fts", rowid, {listed}) '
              f"VALUES ('delete', old.rowid, {old});")
    db.execute(f'CREATE TRIGGER "papers_ad" AFTER DELETE ON "papers" BEGIN {delete} END')
    db.execute(f'CREATE TRIGGER "papers_au" AFTER UPDATE ON "papers" BEGIN {delete} '
               f'INSERT INTO "papers_fts" (rowid, {listed}) VALUES (new.rowid, {new}); END')


@_register
def m007_views(db: Database) -> None:
    # What a reviewer opens first in Datasette, without writing SQL. `studies` holds the
    # papers tables and exports show (withdrawn ones left out, retracted ones flagged) with
    # their effective tags and screening decision, worked out as screening.py does: the
    # latest final decision; else the reviewers' latest decisions when they agree (the
    # reason of the reviewer who started screening the paper last), or "conflict".
    db.execute("""
        CREATE VIEW studies AS
        WITH ranked AS (
            SELECT pmid, decision, reason,
                   row_number() OVER (PARTITION BY pmid, reviewer ORDER BY id DESC) AS newest,
                   min(id) OVER (PARTITION BY pmid, reviewer) AS first_id
            FROM screening WHERE is_final = 0),
        latest AS (SELECT * FROM ranked WHERE newest = 1),
        agreed AS (
            SELECT pmid,
                   CASE WHEN count(DISTINCT decision) = 1 THEN max(decision)
                        ELSE 'conflict' END AS decision,
                   CASE WHEN count(DISTINCT decision) = 1 THEN (
                       SELECT r.reason FROM latest r WHERE r.pmid = latest.pmid
                       AND r.reason <> '' ORDER BY r.first_id DESC LIMIT 1) END AS reason
            FROM latest GROUP BY pmid),
        final AS (
            SELECT pmid, decision, reason,
                   row_number() OVER (PARTITION BY pmid ORDER BY id DESC) AS newest
            FROM screening WHERE is_final = 1),
        effective AS (
            SELECT pmid, decision, reason FROM final WHERE newest = 1
            UNION ALL
            SELECT pmid, decision, reason FROM agreed
            WHERE pmid NOT IN (SELECT pmid FROM final))
        SELECT p.pmid, p.year, p.title, p.first_author, p.journal_iso AS journal,
               coalesce(t.design, 'untagged') AS design, t.design_source, t.outcomes,
               t.n_participants, t.population, e.decision AS screening,
               e.reason AS screening_reason, p.retracted, p.doi,
               'https://pubmed.ncbi.nlm.nih.gov/' || p.pmid || '/' AS url
        FROM papers p
        LEFT JOIN paper_tags t ON t.pmid = p.pmid
        LEFT JOIN effective e ON e.pmid = p.pmid
        WHERE p.deleted = 0""")
    # Every decision as recorded (undone ones are gone), with the paper's title.
    db.execute("""
        CREATE VIEW screening_decisions AS
        SELECT s.id, s.pmid, p.title, s.reviewer, s.decision, s.reason, s.note,
               s.is_final AS final, s.created_at
        FROM screening s JOIN papers p ON p.pmid = s.pmid""")


@_register
def m008_tag_margins(db: Database) -> None:
    # How clear each automatic tag was (score points; manual tags have none): "margins"
    # per tag as JSON, "margin" the closest of them, so uncertain papers select in SQL.
    db.table("paper_tags").add_column("margin", float)
    db.table("paper_tags").add_column("margins", str)
    db.table("paper_tags").create_index(["margin"])


@_register
def m009_citation_links(db: Database) -> None:
    # Citation tracking (issue 15): every link PubMed's ELink gave, with its seed, so each
    # paper found by following citations keeps where it was found. "backward": the seed
    # cites ``linked``; "forward": ``linked`` cites the seed; "similar": PubMed's similar
    # articles (with their score). A link keeps the run and time it was first seen.
    db.table("links").create(
        {"seed": int, "linked": int, "direction": str, "score": int, "first_seen": str,
         "run_id": int},
        pk=("seed", "linked", "direction"),
        foreign_keys=[("run_id", "fetch_runs", "id")],
    )
    db.table("links").create_index(["linked"])
    db.table("links").create_index(["run_id"])


@_register
def m010_extraction(db: Database) -> None:
    # What each study found and about what, worked out when it is tagged: the effective
    # values (a reviewer's where one was set, listed in "manual"; lists as JSON) ...
    db.table("paper_extraction").create(
        {
            "pmid": int,
            "finding": str,
            "substances": str,
            "countries": str,
            "countries_inferred": str,  # from the first author's affiliation
            "measures": str,
            "manual": str,  # JSON list of the fields a reviewer set, or NULL
            "extracted_at": str,
        },
        pk="pmid",
        foreign_keys=[("pmid", "papers", "pmid")],
    )
    # ... and what a reviewer set, field by field (value as JSON), which tagging never
    # overwrites.
    db.table("extraction_manual").create(
        {"pmid": int, "field": str, "value": str, "note": str, "created_at": str},
        pk=("pmid", "field"),
        foreign_keys=[("pmid", "papers", "pmid")],
    )


# Tables whose ``pmid`` column named the paper; after m011 it is ``paper_id`` (papers.id).
# (query_hits keeps ``pmid``: it is what a PubMed query returned.)
_PAPER_CHILDREN = ("authors", "mesh", "publication_types", "run_papers", "import_hits", "tags",
                   "paper_tags", "screening", "duplicates", "paper_extraction",
                   "extraction_manual")


@_register
def m011_paper_ids(db: Database) -> None:
    # Records from databases other than PubMed may have no PMID, so a paper's identity
    # becomes an opaque rowid ``id`` and ``pmid`` a nullable unique attribute beside doi,
    # pmcid and the source database's accession. Existing rows keep id = their PMID, so
    # the full-text index (keyed by rowid) stays valid and child rows only rename their
    # column; SQLite's RENAME COLUMN rewrites indexes and foreign keys with it. The views
    # are rebuilt on the new names.
    db.execute("DROP VIEW IF EXISTS studies")
    db.execute("DROP VIEW IF EXISTS screening_decisions")
    db.execute("ALTER TABLE papers RENAME COLUMN pmid TO id")
    # Setting pmid below touches no indexed text: re-indexing every row would be wasted.
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'papers_au'").fetchone()
    db.execute("DROP TRIGGER IF EXISTS papers_au")
    db.execute("ALTER TABLE papers ADD COLUMN pmid INTEGER")
    db.execute("ALTER TABLE papers ADD COLUMN accession TEXT")
    db.execute("ALTER TABLE papers ADD COLUMN source_db TEXT")
    db.execute("UPDATE papers SET pmid = id")
    if trigger is not None:
        db.execute(trigger[0])
    db.execute("CREATE UNIQUE INDEX idx_papers_pmid ON papers (pmid)")
    for table in _PAPER_CHILDREN:
        db.execute(f"ALTER TABLE {table} RENAME COLUMN pmid TO paper_id")
    # Every record each source (a PubMed search, an imported file) contributed, as received,
    # and the study it belongs to: a study found by three databases has three.
    db.table("source_records").create(
        {
            "id": int,
            "paper_id": int,
            "run_id": int,
            "source_db": str,  # the database that found it: "PubMed", "Embase", ...
            "accession": str,  # the source's own id (RIS AN, EndNote accession...)
            "pmid": int,
            "doi": str,
            "title": str,
            "year": int,
            "first_author": str,
            "record": str,  # JSON: the metadata as the file gave it
            "matched_by": str,  # "new" | "pmid" | "doi" | "duplicate": how it joined
        },
        pk="id",
        foreign_keys=[("paper_id", "papers", "id"), ("run_id", "fetch_runs", "id")],
    )
    db.table("source_records").create_index(["paper_id"])
    db.table("source_records").create_index(["run_id"])
    _m011_views(db)


# The effective screening decision of each paper, as screening.py works it out (see m007):
# the CTEs of the ``studies`` view, by paper id.
_EFFECTIVE_DECISIONS = """
        WITH ranked AS (
            SELECT paper_id, decision, reason,
                   row_number() OVER (PARTITION BY paper_id, reviewer ORDER BY id DESC)
                       AS newest,
                   min(id) OVER (PARTITION BY paper_id, reviewer) AS first_id
            FROM screening WHERE is_final = 0),
        latest AS (SELECT * FROM ranked WHERE newest = 1),
        agreed AS (
            SELECT paper_id,
                   CASE WHEN count(DISTINCT decision) = 1 THEN max(decision)
                        ELSE 'conflict' END AS decision,
                   CASE WHEN count(DISTINCT decision) = 1 THEN (
                       SELECT r.reason FROM latest r WHERE r.paper_id = latest.paper_id
                       AND r.reason <> '' ORDER BY r.first_id DESC LIMIT 1) END AS reason
            FROM latest GROUP BY paper_id),
        final AS (
            SELECT paper_id, decision, reason,
                   row_number() OVER (PARTITION BY paper_id ORDER BY id DESC) AS newest
            FROM screening WHERE is_final = 1),
        effective AS (
            SELECT paper_id, decision, reason FROM final WHERE newest = 1
            UNION ALL
            SELECT paper_id, decision, reason FROM agreed
            WHERE paper_id NOT IN (SELECT paper_id FROM final))"""


def _studies(found: str = "", join: str = "") -> str:
    """The ``studies`` view: m011's, and m012's with what each study found (``found``:
    more columns after the population, ``join``: the table they come from)."""
    return f"""
        CREATE VIEW studies AS {_EFFECTIVE_DECISIONS}
        SELECT p.id, p.pmid, p.year, p.title, p.first_author, p.journal_iso AS journal,
               coalesce(t.design, 'untagged') AS design, t.design_source, t.outcomes,
               t.n_participants, t.population, {found}e.decision AS screening,
               e.reason AS screening_reason, p.retracted, p.doi, p.source_db, p.accession,
               CASE WHEN p.pmid IS NOT NULL
                    THEN 'https://pubmed.ncbi.nlm.nih.gov/' || p.pmid || '/' END AS url
        FROM papers p
        LEFT JOIN paper_tags t ON t.paper_id = p.id{join}
        LEFT JOIN effective e ON e.paper_id = p.id
        WHERE p.deleted = 0"""


def _m011_views(db: Database) -> None:
    # As m007's views, keyed by paper id; a record without a PMID has no PubMed url.
    db.execute(_studies())
    db.execute("""
        CREATE VIEW screening_decisions AS
        SELECT s.id, s.paper_id, p.pmid, p.title, s.reviewer, s.decision, s.reason, s.note,
               s.is_final AS final, s.created_at
        FROM screening s JOIN papers p ON p.id = s.paper_id""")


@_register
def m012_studies_extraction(db: Database) -> None:
    # The studies view says what each study found, as the evidence table and the exports
    # do: m010's finding, substances, countries (stated, and inferred from the first
    # author's affiliation) and measures, the lists as JSON (Datasette facets them).
    db.execute("DROP VIEW IF EXISTS studies")
    db.execute(_studies(
        "x.finding, x.substances, x.countries, x.countries_inferred, x.measures, ",
        "\n        LEFT JOIN paper_extraction x ON x.paper_id = p.id"))


def apply(db: Database) -> None:
    migrations.apply(db)


def applied_names(db: Database) -> list[str]:
    return [m.name for m in migrations.applied(db)]


def pending_names(db: Database) -> list[str]:
    """Migrations this database still needs (reads only)."""
    return [m.name for m in migrations.pending(db)]
