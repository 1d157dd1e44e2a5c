"""The options commands share: the database, --format (its choices from the registry of output
formats), the paper argument (PMID, doi: or id:) and its resolver, --quiet, the reviewer, and
the study filters with the one builder that table, map, digest, export and screen use.

Cheap to import (no rich, no store): ``kratomlit --help`` reads every one of these.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from kratomlit.errors import UsageError
from kratomlit.parse.fields import doi as normalise_doi
from kratomlit.report import formats
from kratomlit.tagging.taxonomy import OUTCOMES

if TYPE_CHECKING:
    from kratomlit.store import Store
    from kratomlit.store.selection import Filters

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database file [env KRATOMLIT_DB; default data/kratomlit.db].",
        show_default=False,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summaries.")]


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        """The --format in lower case; an unknown one is refused while the command line is
        read, before any work is done (usage error, exit 2)."""
        if value.lower() not in choices:
            raise UsageError(f"unknown --format {value!r}: choose {', '.join(choices)}")
        return value.lower()

    return parse


def format_option(choices: tuple[str, ...], help_text: str, **kwargs: Any) -> Any:
    """A ``--format``/``-f`` option taking one of ``choices`` (read in any case)."""
    return typer.Option("--format", "-f", help=help_text, parser=_choice(choices), **kwargs)


ViewFormat = Annotated[str, format_option(formats.VIEW, "text or json.")]

# PubMed IDs are positive; SQLite stores integers in 64 bits.
MAX_PMID = 2**63 - 1


def pmid_value(value: str, what: str = "a PubMed ID") -> int:
    """A PMID typed on the command line, checked before it reaches the database."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PMID:
        raise typer.BadParameter(f"{value!r} is not {what} (a whole number from 1 to "
                                 f"{MAX_PMID:,})")
    return int(text)






class PaperRef(NamedTuple):
    """A paper as the user named it: ``kind`` "pmid", "doi" or "id" (the internal id, shown
    for records without a PMID)."""

    kind: str
    value: str | int

    @property
    def label(self) -> str:
        return f"PMID {self.value}" if self.kind == "pmid" else f"{self.kind}:{self.value}"


def paper_ref(value: str) -> PaperRef:
    """A paper reference typed on the command line: digits (a PMID), ``doi:10.…`` or
    ``id:N``; checked before it reaches the database."""
    text = value.strip()
    prefix, _, rest = text.partition(":")
    if rest and prefix.lower() == "doi":
        doi = normalise_doi(rest)
        if doi:
            return PaperRef("doi", doi)
    elif rest and prefix.lower() == "id":
        return PaperRef("id", pmid_value(rest, "a kratomlit id"))
    elif not rest:
        return PaperRef("pmid", pmid_value(text))
    raise typer.BadParameter(f"{value!r} is not a paper: give a PMID (digits), doi:10.… or "
                             "id:N")


def paper_refs(values: list[str] | None, option: str) -> list[PaperRef]:
    """Papers given repeated or comma-separated (``--prior 1,doi:10.1/x --prior id:3``),
    each checked."""
    try:
        return [paper_ref(v) for value in values or [] for v in value.split(",") if v.strip()]
    except typer.BadParameter as exc:
        raise UsageError(f"{option}: {exc.message}") from None


def resolve(store: Store, ref: PaperRef) -> int:
    """The stored paper a reference names (its id); unknown: the one-line not-found error."""
    return store.find_paper(ref.kind, ref.value)


PmidArgument = Annotated[PaperRef, typer.Argument(
    help="The paper: its PMID, doi:10.… or id:N.", show_default=False, metavar="PAPER",
    parser=paper_ref)]
Reviewer = Annotated[str | None, typer.Option(
    "--reviewer", help="Who is screening [env KRATOMLIT_REVIEWER].", show_default=False)]

# -- study filters ---------------------------------------------------------------------------

Outcome = Annotated[list[str] | None, typer.Option(
    "--outcome", help="Only studies with this outcome (repeatable or comma-separated: "
    f"{', '.join(OUTCOMES)}).", show_default=False, metavar="OUTCOME")]
Design = Annotated[list[str] | None, typer.Option(
    "--design", help="Only this design (repeatable or comma-separated).", show_default=False,
    metavar="DESIGN")]
Since = Annotated[int | None, typer.Option("--since", help="Published in or after this year.",
                                           show_default=False, metavar="YEAR")]
Until = Annotated[int | None, typer.Option("--until", help="Published in or before this year.",
                                           show_default=False, metavar="YEAR")]
Search = Annotated[str | None, typer.Option("--search", help="Full-text search (as `search`).",
                                            show_default=False)]
New = Annotated[bool, typer.Option("--new", help="Only papers the last fetch or import added.")]
Retracted = Annotated[bool, typer.Option("--include-retracted",
                                         help="Keep retracted papers (clearly marked).")]
Duplicates = Annotated[bool, typer.Option(
    "--include-duplicates", help="Also show confirmed duplicate records, marked with the PMID "
    "they duplicate (never counted as studies).")]
Limit = Annotated[int | None, typer.Option("--limit", help="At most this many studies.",
                                           show_default=False)]
Status = Annotated[str | None, typer.Option(
    "--status", help="Screening status: included, excluded, maybe, conflict, screened, "
    "unscreened.", show_default=False)]
Included = Annotated[bool, typer.Option("--included", help="Only studies screened in "
                                        "(same as --status included).")]
Screened = Annotated[bool, typer.Option("--screened", help="Only studies with a screening "
                                        "decision (same as --status screened).")]
Uncertain = Annotated[bool, typer.Option(
    "--uncertain", help="Only papers whose automatic tags were a close call, closest first "
    "(check them with `kratomlit explain`).")]
Substance = Annotated[list[str] | None, typer.Option(
    "--substance", help="Only studies of this substance (repeatable or comma-separated: "
    "kratom, mitragynine, 7-hydroxymitragynine, opioids, ...).", show_default=False,
    metavar="NAME")]
Country = Annotated[list[str] | None, typer.Option(
    "--country", help="Only studies whose record names this country (repeatable or "
    "comma-separated; not countries inferred from an affiliation).", show_default=False,
    metavar="NAME")]
Measure = Annotated[list[str] | None, typer.Option(
    "--measure", help="Only studies using this instrument (repeatable or comma-separated: "
    "PHQ-9, COWS, ...).", show_default=False, metavar="NAME")]


def extraction_filters(db: Path | None, substance: list[str] | None = None,
                       country: list[str] | None = None, measure: list[str] | None = None
                       ) -> dict[str, list[str]]:
    """--substance, --country and --measure as the vocabulary's names (the shipped one and
    the user's rules file beside the database); an unknown name is a usage error."""
    given = {"substances": ("--substance", substance), "countries": ("--country", country),
             "measures": ("--measure", measure)}
    if not any(values for _, values in given.values()):
        return {}
    from kratomlit.config import Settings, rule_files
    from kratomlit.jobs.extract_papers import names
    from kratomlit.tagging.extract import load_vocabulary

    vocabulary = load_vocabulary(rule_files(Settings.resolve(db=db).db_path, None))
    chosen = {}
    for kind, (option, values) in given.items():
        if values:
            chosen[kind] = names(vocabulary, kind, values, option)
            if not chosen[kind]:
                raise UsageError(f"{option} wants a name, not none")
    return chosen


def split_values(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated values, in lower case: ``--outcome mood,safety``."""
    return [v.strip().lower() for value in values or [] for v in value.split(",") if v.strip()]


def study_filters(outcome: list[str] | None = None, design: list[str] | None = None,
                  since: int | None = None, until: int | None = None,
                  search: str | None = None, new: bool = False,
                  include_retracted: bool = False, limit: int | None = None,
                  status: str | None = None, included: bool = False, screened: bool = False,
                  include_duplicates: bool = False, uncertain: bool = False,
                  extracted: dict[str, list[str]] | None = None) -> Filters:
    """The filters the options chose, checked (a bad one is a usage error)."""
    from kratomlit.store.selection import Filters

    extracted = extracted or {}
    chosen = [s for s in (status, "included" if included else None,
                          "screened" if screened else None) if s]
    if len(set(chosen)) > 1:
        raise UsageError("choose one screening filter: --status, --included or --screened")
    return Filters(outcomes=split_values(outcome), designs=split_values(design), since=since,
                   until=until, search=search, new=new, include_retracted=include_retracted,
                   include_duplicates=include_duplicates,
                   screening=chosen[0] if chosen else None, limit=limit,
                   uncertain=uncertain, substances=extracted.get("substances", []),
                   countries=extracted.get("countries", []),
                   measures=extracted.get("measures", [])).check()
