"""The ``kratomlit`` command line: thin commands over the library modules.

Each module below registers its commands on the shared ``app``; heavy libraries
are imported inside the commands so ``kratomlit --help`` stays fast.
"""

from kratomlit.cli import fetch, importing, look, report, screen, tag  # noqa: F401  (registers)
from kratomlit.cli.app import app


def main() -> None:
    app(prog_name="kratomlit")


__all__ = ["app", "main"]
