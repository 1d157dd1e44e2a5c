"""The ``kratomlit`` command line: thin commands over the library modules.

Each module below registers its commands on the shared ``app``; heavy libraries
are imported inside the commands so ``kratomlit --help`` stays fast.
"""

from kratomlit.cli import (  # noqa: F401  (registers)
    fetch,
    importing,
    look,
    screen,
    simulate,
    studies,
    tag,
)
from kratomlit.cli.app import app


def main() -> None:
    """The console script: usage errors, like every other error, are one line on stderr."""
    import sys

    import typer

    from kratomlit.cli.app import silence_stdout

    try:
        code = app(prog_name="kratomlit", standalone_mode=False)
        sys.stdout.flush()  # a reader gone since the last write shows here, not at exit
    except BrokenPipeError:
        silence_stdout()
        sys.exit(0)
    except typer.Abort:
        print("Error: aborted", file=sys.stderr)
        sys.exit(1)
    except typer.TyperException as exc:  # bad options or arguments, found while parsing
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        context = getattr(exc, "ctx", None)
        hint = f" (see `{context.command_path} --help`)" if context is not None else ""
        print(f"Error: {' '.join(message.split())}{hint}", file=sys.stderr)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
