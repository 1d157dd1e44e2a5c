"""Configuration in one place: option > environment variable > default.

The environment is read when a command runs (``Settings.resolve``), never at
import time, so tests and long-lived processes see the current values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_DB = Path("data") / "kratomlit.db"
TOOL_NAME = "kratomlit"

ENV_DB = "KRATOMLIT_DB"
ENV_EUTILS_URL = "KRATOMLIT_EUTILS_URL"
ENV_API_KEY = "NCBI_API_KEY"
ENV_EMAIL = "NCBI_EMAIL"
ENV_REVIEWER = "KRATOMLIT_REVIEWER"
ENV_TRACEBACK = "KRATOMLIT_TRACEBACK"
# Files a review keeps beside its database.
USER_RULES_NAME = "kratomlit-rules.toml"
REASONS_NAME = "kratomlit-reasons.txt"


def _pick(option: str | None, env: str, default: str | None = None) -> str | None:
    if option:
        return option
    value = os.environ.get(env, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    db_path: Path
    eutils_url: str
    api_key: str | None
    email: str | None

    @classmethod
    def resolve(
        cls,
        db: str | Path | None = None,
        api_key: str | None = None,
        email: str | None = None,
        eutils_url: str | None = None,
    ) -> Settings:
        db_value = _pick(str(db) if db else None, ENV_DB)
        url = _pick(eutils_url, ENV_EUTILS_URL, DEFAULT_EUTILS_URL) or DEFAULT_EUTILS_URL
        return cls(
            db_path=Path(db_value) if db_value else DEFAULT_DB,
            eutils_url=url if url.endswith("/") else url + "/",
            api_key=_pick(api_key, ENV_API_KEY),
            email=_pick(email, ENV_EMAIL),
        )

    def __repr__(self) -> str:
        # The API key is a secret: never let it reach a log line or a traceback.
        key = "set" if self.api_key else None
        return (
            f"Settings(db_path={str(self.db_path)!r}, eutils_url={self.eutils_url!r}, "
            f"api_key={key!r}, email={self.email!r})"
        )


def reviewer_name(option: str | None) -> str | None:
    return _pick(option, ENV_REVIEWER)


def show_tracebacks() -> bool:
    return os.environ.get(ENV_TRACEBACK, "") not in ("", "0")


def rule_files(db_path: Path, explicit: Path | None) -> list[Path]:
    """User rules: the file in the database's folder when present, then ``--rules``."""
    found = []
    beside = db_path.parent / USER_RULES_NAME
    if beside.is_file():
        found.append(beside)
    if explicit is not None:
        found.append(explicit)
    return found


def reasons_file(db_path: Path) -> Path:
    """The review's exclusion reasons, one per line, beside the database (may be absent)."""
    return db_path.parent / REASONS_NAME
