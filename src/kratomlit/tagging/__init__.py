"""Study-design and outcome tagging with rules as data (see rules.toml and TAXONOMY.md)."""

from kratomlit.tagging.rules import DESIGNS, OUTCOMES
from kratomlit.tagging.tagger import (
    TagSummary,
    clear_manual,
    explain,
    set_manual,
    tag_store,
)

__all__ = ["DESIGNS", "OUTCOMES", "TagSummary", "clear_manual", "explain", "set_manual",
           "tag_store"]
