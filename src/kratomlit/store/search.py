"""Full-text search (SQLite FTS5) over title, abstract, keywords, MeSH and authors."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from kratomlit.errors import SearchSyntaxError
from kratomlit.store.connection import Connection, translate

_MATCHING = "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?"
# Search fields as users name them -> columns of the full-text index.
_FIELDS = {"title": "title", "abstract": "abstract", "keywords": "keywords",
           "keyword": "keywords", "mesh": "mesh_terms", "author": "author_names",
           "authors": "author_names"}
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_PUNCTUATION = set('(){}:*^,+')
# FTS5 query tokens: strings (an unclosed one is left for FTS5 to report), punctuation,
# and runs of anything else.
_TOKEN = re.compile(r'"(?:[^"]|"")*"?|[(){}:*^,+]|[^\s"(){}:*^,+]+')
# What FTS5 takes unquoted: ASCII letters, digits, _, \x1a and anything non-ASCII.
_BAREWORD = re.compile("[A-Za-z0-9_\x1a\x80-\U0010ffff]+")


def search_expression(text: str) -> tuple[str, bool]:
    """(FTS5 expression, negated). A leading NOT (``NOT asthma``) selects the papers that
    do not match the rest, which FTS5 alone cannot say."""
    stripped = text.strip()
    if re.match(r"NOT[\s(]", stripped):
        return fts_expression(stripped[3:]), True
    return fts_expression(stripped), False


def fts_expression(text: str) -> str:
    """Plain words become quoted terms (so "7-hydroxymitragynine" just works). Text that
    uses FTS5 syntax (quotes, parentheses, AND/OR/NOT/NEAR, prefix *, field:) keeps it;
    words FTS5 would misread there are quoted, fields are mapped to the index's columns
    (``mesh:asthma``, ``author:O'Byrne``), and ``AND NOT`` means FTS5's ``NOT``."""
    text = text.strip()
    if not text:
        raise SearchSyntaxError("the search text is empty")
    tokens = _TOKEN.findall(text)
    if not any(t in _OPERATORS or t in _PUNCTUATION or t.startswith('"') for t in tokens):
        return " ".join('"' + word.replace('"', "") + '"' for word in text.split())
    out: list[str] = []
    in_braces = False
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        in_braces = token == "{" or (in_braces and token != "}")
        if token == "AND" and following == "NOT":
            continue
        if token not in _PUNCTUATION and (following == ":" or in_braces):
            out.append(_column(token, text))
        elif (token in _OPERATORS or token in _PUNCTUATION or token.startswith('"')
              or _BAREWORD.fullmatch(token) or (out and out[-1] == ",")):
            out.append(token)
        else:
            out.append('"' + token + '"')
    return " ".join(out)


def _column(name: str, text: str) -> str:
    excluded = name.startswith("-")
    column = _FIELDS.get(name.lstrip("-").lower())
    if column is None:
        raise SearchSyntaxError(f"cannot search for {text!r}: unknown field "
                                f"{name.lstrip('-')!r} (use title, abstract, keywords, mesh "
                                "or author)")
    return "-" * excluded + column


class SearchQueries(Connection):

    def search(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search over title, abstract, keywords, MeSH and authors, best matches
        first (highest PMIDs first for a leading NOT, which has nothing to rank by).

        Each hit's ``snippet`` marks matched words with \\x02 ... \\x03 (bytes no text has).
        """
        expression, negated = search_expression(text)
        columns = "p.id, p.pmid, p.doi, p.year, p.first_author, p.journal_iso, p.title, p.retracted"
        if negated:
            sql = (f"SELECT {columns}, NULL AS snippet FROM papers p WHERE p.deleted = 0 AND "
                   f"p.rowid NOT IN ({_MATCHING}) ORDER BY p.pmid DESC, p.id DESC LIMIT ?")
        else:
            sql = (f"SELECT {columns}, snippet(papers_fts, -1, char(2), char(3), '…', 14) "
                   "AS snippet FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
                   "WHERE papers_fts MATCH ? AND p.deleted = 0 ORDER BY rank LIMIT ?")
        cursor = self._match(sql, text, [expression, limit])
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def count_matches(self, text: str) -> int:
        """How many papers (withdrawn ones left out) a search finds in all."""
        clause, params = self.match_clause(text)
        sql = f"SELECT count(*) FROM papers p WHERE p.deleted = 0 AND {clause}"
        return int(self._match(sql, text, params).fetchone()[0])

    def matching_pmids(self, text: str) -> set[int]:
        """Paper ids (not PMIDs, despite the older name) whose text matches a search, for
        filters in tables and exports."""
        clause, params = self.match_clause(text)
        return {row[0] for row in self._match(f"SELECT p.rowid FROM papers p WHERE {clause}",
                                              text, params)}

    @staticmethod
    def match_clause(text: str) -> tuple[str, list[Any]]:
        """A WHERE clause on papers ``p`` (and its parameters) keeping what a search finds."""
        expression, negated = search_expression(text)
        return f"p.rowid {'NOT IN' if negated else 'IN'} ({_MATCHING})", [expression]

    def _match(self, sql: str, text: str, params: list[Any]) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if any(word in str(exc).lower() for word in ("locked", "busy", "disk", "readonly")):
                raise translate(exc, self.path) from None
            # Anything else from MATCH is the expression itself: say so, in one line.
            raise SearchSyntaxError(
                f"cannot search for {text!r}: {exc} (check quotes, parentheses and "
                f"AND/OR/NOT operands)"
            ) from None
