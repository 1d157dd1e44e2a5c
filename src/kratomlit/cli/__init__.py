"""The ``kratomlit`` command line: thin commands over the library modules.

Each module below registers its commands on the shared ``app``; heavy libraries
are imported inside the commands so ``kratomlit --help`` stays fast. Errors become
messages in one place, ``app.KratomlitGroup.main``.
"""

from kratomlit.cli import (  # noqa: F401  (registers)
    fetch,
    importing,
    look,
    screen,
    simulate,
    snowball,
    studies,
    tag,
)
from kratomlit.cli.app import app


def main() -> None:
    """The console script."""
    app(prog_name="kratomlit")


__all__ = ["app", "main"]
