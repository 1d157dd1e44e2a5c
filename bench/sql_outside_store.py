"""SQL outside the store: statements, fragments and database calls in src/kratomlit but store/.

    python bench/sql_outside_store.py [--src src/kratomlit] [--verbose]

Read from the source's syntax tree, not by grepping lines, so a statement split over several
string literals (or an f-string) counts once:

- a *statement* is a string that begins with an SQL verb (SELECT, INSERT, UPDATE, DELETE,
  CREATE, DROP, ALTER, PRAGMA, WITH, REPLACE, BEGIN, COMMIT, ROLLBACK);
- a *fragment* is any other string holding SQL (a WHERE clause, ``deleted = 0``, a join);
- a *call* is a use of the database API (``.execute``, ``.executemany``, ``.rows_where``,
  ``.table(``, ``db[...]``, ``.conn``).
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERB = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|REPLACE|"
                  r"BEGIN|COMMIT|ROLLBACK)\b")
FRAGMENT = re.compile(r"\b(FROM|WHERE|JOIN|GROUP BY|ORDER BY|json_each|coalesce|EXISTS)\b|"
                      r"\bdeleted = [01]\b|\b\w+\.\w+ (IS NULL|IN \(|= \?)")
CALLS = {"execute", "executemany", "rows_where", "table", "conn", "atomic"}


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def scan(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(statements, fragments, calls) of one module, each as "line: text"."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)}
    inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    statements, fragments, calls = [], [], []
    for node in ast.walk(tree):
        if id(node) in docstrings or id(node) in inner:
            continue
        text = _text(node)
        if text is not None:
            where = f"{node.lineno}: {' '.join(text.split())[:70]}"  # type: ignore[attr-defined]
            if VERB.match(text) and (" " in text.strip()):
                statements.append(where)
            elif FRAGMENT.search(text) and "(?:" not in text and "\\b" not in text:
                fragments.append(where)
        elif isinstance(node, ast.Attribute) and node.attr in CALLS:
            calls.append(f"{node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
              and node.value.id == "db"):
            calls.append(f"{node.lineno}: db[...]")
    return statements, fragments, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=REPO / "src" / "kratomlit")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    totals = [0, 0, 0]
    for path in sorted(args.src.rglob("*.py")):
        relative = path.relative_to(args.src)
        if relative.parts[0] == "store" or relative.name in ("store.py", "migrations.py"):
            continue
        found = scan(path)
        if not any(found):
            continue
        print(f"{str(relative):<28} statements {len(found[0]):3}  fragments {len(found[1]):3}  "
              f"database calls {len(found[2]):3}")
        if args.verbose:
            for label, items in zip(("statement", "fragment", "call"), found, strict=True):
                for item in items:
                    print(f"    {label} {item}")
        totals = [t + len(f) for t, f in zip(totals, found, strict=True)]
    print(f"outside the store: {totals[0]} SQL statements, {totals[1]} SQL fragments, "
          f"{totals[2]} database calls")


if __name__ == "__main__":
    main()
