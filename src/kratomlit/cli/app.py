"""The Typer application, its shared options, and the one place errors become messages."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from kratomlit.config import Settings, show_tracebacks
from kratomlit.errors import KratomlitError

if TYPE_CHECKING:
    from rich.console import Console

    from kratomlit.store import Store


def _fail(message: str, code: int) -> typer.Exit:
    # Messages go to stderr in plain text so they stay one line whatever the terminal width,
    # and whatever a library put in them.
    print(f"Error: {' '.join(message.split())}", file=sys.stderr)
    return typer.Exit(code)


class KratomlitGroup(TyperGroup):
    """Runs a command and turns the kratomlit exception family into one clean line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KratomlitError as exc:
            if show_tracebacks():
                raise
            raise _fail(str(exc), exc.exit_code) from None
        except sqlite3.Error as exc:
            if show_tracebacks():
                raise
            raise _fail(f"database error: {exc}", 1) from None
        except KeyboardInterrupt:
            raise _fail("interrupted; nothing half-written was kept", 130) from None


def make_app(help_text: str, **kwargs: Any) -> typer.Typer:
    return typer.Typer(
        cls=KratomlitGroup,
        help=help_text,
        no_args_is_help=kwargs.pop("no_args_is_help", True),
        add_completion=False,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        **kwargs,
    )


app = make_app(
    "kratomlit: fetch, tag, screen and export the PubMed literature on kratom "
    "(Mitragyna speciosa)."
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database file [env KRATOMLIT_DB; default data/kratomlit.db].",
        show_default=False,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summaries.")]


def open_store(db: Path | None) -> Store:
    from kratomlit.store import Store

    return Store(Settings.resolve(db=db).db_path)


def stdout_console() -> Console:
    from rich.console import Console

    return Console()


def stderr_console(quiet: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=True, quiet=quiet)


def check_format(value: str, *allowed: str) -> None:
    """Refuse an unknown --format before any work is done (usage error, exit 2)."""
    choices = allowed or ("text", "json")
    if value not in choices:
        from kratomlit.errors import UsageError

        raise UsageError(f"unknown --format {value!r}: choose {', '.join(choices)}")
