"""The Typer application, its shared options, and the one place errors become messages."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

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
            # Jobs that keep part of their work raise Interrupted, saying what was kept.
            raise _fail("interrupted; nothing half-written was kept", 130) from None
        except BrokenPipeError:
            # The reader went away (`kratomlit table | head`): stop quietly with status 0,
            # as Unix tools do (Typer would exit 1).
            silence_stdout()
            raise typer.Exit(0) from None


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _NamedArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class NamedArguments(TyperCommand):
    """Help names arguments by their metavar (FILE...) alone: Typer would add the Python
    type of a repeated argument (<list[Path]>), which means nothing to a reader."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument) and param.metavar:
                param.__class__ = _NamedArgument


def make_app(help_text: str, **kwargs: Any) -> typer.Typer:
    return typer.Typer(
        cls=KratomlitGroup,
        help=help_text,
        no_args_is_help=kwargs.pop("no_args_is_help", False),
        add_completion=False,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
        **kwargs,
    )


app = make_app(
    "kratomlit: fetch, tag, screen and export the PubMed literature on kratom "
    "(Mitragyna speciosa).",
    invoke_without_command=True,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"kratomlit {version('kratomlit')}")
        raise typer.Exit()


@app.callback()
def _main(ctx: typer.Context, show_version: Annotated[bool, typer.Option(
        "--version", help="Show the version and exit.", callback=_version,
        is_eager=True)] = False) -> None:
    if ctx.invoked_subcommand is None:  # bare `kratomlit`: the help, as --help shows it
        typer.echo(ctx.get_help())

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="SQLite database file [env KRATOMLIT_DB; default data/kratomlit.db].",
        show_default=False,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summaries.")]


# PubMed IDs are positive; SQLite stores integers in 64 bits.
MAX_PMID = 2**63 - 1


def pmid_value(value: str) -> int:
    """A PMID typed on the command line, checked before it reaches the database."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PMID:
        raise typer.BadParameter(f"{value!r} is not a PubMed ID (a whole number from 1 to "
                                 f"{MAX_PMID:,})")
    return int(text)


PmidArgument = Annotated[int, typer.Argument(help="The PubMed ID.", show_default=False,
                                             metavar="PMID", parser=pmid_value)]


def open_store(db: Path | None, *, create: bool = False, write: bool = False) -> Store:
    """The database ``--db`` names. Readers (the default) open an existing one and never
    write it; ``write`` needs an existing one; ``create`` makes it when there is none."""
    from kratomlit.store import Store

    store = Store(Settings.resolve(db=db).db_path, create=create,
                  read_only=not (create or write))
    if store.upgraded:
        print(f"Upgraded the database {store.path} to this version of kratomlit "
              f"({', '.join(store.upgraded)})", file=sys.stderr)
    return store


def stdout_console() -> Console:
    from rich.console import Console

    class Stdout(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # main() then ends quietly, as `head` expects

    return Stdout()


def stderr_console(quiet: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=True, quiet=quiet)


def check_format(value: str, *allowed: str) -> str:
    """The --format in lower case; an unknown one is refused before any work is done
    (usage error, exit 2)."""
    choices = allowed or ("text", "json")
    if value.lower() not in choices:
        from kratomlit.errors import UsageError

        raise UsageError(f"unknown --format {value!r}: choose {', '.join(choices)}")
    return value.lower()
