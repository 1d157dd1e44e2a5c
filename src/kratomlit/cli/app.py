"""The Typer application, the one place errors become messages, and what commands share:
opening the store, and the consoles for data (stdout) and messages (stderr)."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from kratomlit.config import Settings, show_tracebacks
from kratomlit.errors import KratomlitError

if TYPE_CHECKING:
    from rich.console import Console

    from kratomlit.store import Store


class KratomlitGroup(TyperGroup):
    """Typer's group, with the one error edge of the command line (``main``)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        """Run the command line; every error becomes one line on stderr and its exit status:
        a ``KratomlitError`` its own (1, 2 for bad usage), a usage error found while the
        options are read 2, an abort 1, Ctrl-C 130. A reader that went away
        (``kratomlit table | head``) ends it quietly with 0, as Unix tools do.
        ``KRATOMLIT_TRACEBACK=1`` shows the traceback of any of them instead."""
        try:
            with self.make_context(prog_name or "kratomlit",
                                   list(sys.argv[1:] if args is None else args),
                                   **extra) as ctx:
                self.invoke(ctx)
            sys.stdout.flush()  # a reader gone since the last write shows here, not at exit
            code = 0
        except typer.Exit as exc:  # --help, --version, or a command that ends early
            code = exc.exit_code
        except BaseException as exc:  # noqa: B036  (Ctrl-C and the rest, each in one line)
            if show_tracebacks() and not isinstance(exc, BrokenPipeError):
                raise
            code = _exit_status(exc)
        if standalone_mode:
            sys.exit(code)
        return code


def _exit_status(exc: BaseException) -> int:
    """Say what went wrong in one line, and return the exit status it gets."""
    if isinstance(exc, BrokenPipeError):
        silence_stdout()
        return 0
    if isinstance(exc, KratomlitError):
        return _say(str(exc), exc.exit_code)
    if isinstance(exc, sqlite3.Error):  # the store translates its own; this is a last resort
        from kratomlit.store.connection import translate

        return _say(str(translate(exc, None)), 1)
    if isinstance(exc, KeyboardInterrupt):
        # Jobs that keep part of their work raise Interrupted, saying what was kept.
        return _say("interrupted; nothing half-written was kept", 130)
    if isinstance(exc, EOFError):  # input ended at a prompt
        print(file=sys.stderr)
    if isinstance(exc, typer.Abort | EOFError):
        return _say("aborted", 1)
    if isinstance(exc, typer.TyperException):  # bad options or arguments, found while parsing
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        context = getattr(exc, "ctx", None)
        hint = f" (see `{context.command_path} --help`)" if context is not None else ""
        return _say(message + hint, int(getattr(exc, "exit_code", 2)))
    raise exc


def _say(message: str, code: int) -> int:
    # Messages go to stderr in plain text so they stay one line whatever the terminal width,
    # and whatever a library put in them.
    print(f"Error: {' '.join(message.split())}", file=sys.stderr)
    return code


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
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

def open_store(db: Path | None, *, settings: Settings | None = None, create: bool = False,
               write: bool = False) -> Store:
    """The database ``--db`` names (or ``settings``, when the command resolved them already).
    Readers (the default) open an existing one and never write it; ``write`` needs an
    existing one; ``create`` makes it when there is none."""
    from kratomlit.store import Store

    store = Store((settings or Settings.resolve(db=db)).db_path, create=create,
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
