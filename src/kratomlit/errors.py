"""The exception family every kratomlit module raises.

Core code raises these and never prints or exits; ``kratomlit.cli`` turns them
into one line on stderr and an exit status.
"""


class KratomlitError(Exception):
    """Base class: a problem the user can act on, described in one line."""

    exit_code = 1


class UsageError(KratomlitError):
    """Bad option values: an invalid date, an unknown format, a bad batch size."""

    exit_code = 2


class InputFileError(KratomlitError):
    """A file that is missing, unreadable, malformed or in a format we do not read."""


class DatabaseError(KratomlitError):
    """The database cannot be created, opened, read or written."""


class NotFoundError(KratomlitError):
    """An unknown PMID or other missing object."""


class EutilsError(KratomlitError):
    """NCBI E-utilities said no, or sent something we cannot trust."""


class QueryError(EutilsError):
    """NCBI rejected the search query itself (its message is kept)."""


class NetworkError(EutilsError):
    """The E-utilities API could not be reached."""


class SearchSyntaxError(UsageError):
    """A full-text search expression that SQLite FTS5 cannot parse."""


class Interrupted(KratomlitError):
    """Ctrl-C (or SIGTERM) stopped a job; the message says what was kept."""

    exit_code = 130
