"""The store is the only code that speaks SQL (DESIGN, Architecture).

Every ``.py`` under ``src/khazar`` is parsed; its string literals and f-strings (docstrings
aside) are checked for SQL statements, and its code for reaching into a store's connection
(``.conn``, ``.cursor()``) or running statements on it (``.execute()``, ``.executemany()``,
``.staged()``, ``.fetch*()``). Only :mod:`khazar.store` may do any of that.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "khazar"
STORE = SRC / "store"

# SQL is a string that starts (after blanks or an opening parenthesis) with a statement in
# its shape: the keyword and the clause that must follow it ("INSERT INTO t", "UPDATE t SET
# c =", "SELECT ... FROM t"). English can take that shape ("Select a vessel from the list"),
# so the shape must also come with a sign of SQL: the statement keyword in upper case (how
# Khazar writes SQL), or a clause prose does not have (a ? placeholder, (*), WHERE, VALUES,
# GROUP BY, ORDER BY, LIMIT, JOIN, RETURNING, ON CONFLICT).
_SQL_SHAPES = [
    r"select\s+(distinct\s+)?[\w\*\(\"'{][^;]*?\bfrom\s+[\w\"({]",
    r"select\s+(count|min|max|sum|avg|coalesce|current_database|epoch|[0-9]+)\b",
    r"select\s+\?",
    r"insert\s+(or\s+\w+\s+)?into\s+[\w\"]+",
    r"update\s+[\w\"]+\s+set\s+\w+\s*=",
    r"delete\s+from\s+[\w\"]+",
    r"create\s+(or\s+replace\s+)?(temp(orary)?\s+|unique\s+)?"
    r"(table|view|index|sequence|schema|macro)\b",
    r"alter\s+table\s+[\w\"]+",
    r"drop\s+(table|view|index|sequence|schema|macro)\b",
    r"with\s+(recursive\s+)?\w+\s*(\([\w\s,]*\))?\s+as\s*\(",
    r"copy\s+([\w\"]+|\(|from\s+database)\s",
    r"attach\s+'",
    r"detach\s+\w+",
    r"begin(\s+transaction)?\s*;?\s*$",
    r"(commit|rollback|checkpoint)\s*;?\s*$",
    r"pragma\s+\w+",
    r"install\s+\w+\s*;?\s*$",
    r"load\s+\w+\s*;?\s*$",
]
_SHAPE = re.compile(r"^\s*\(?\s*(" + "|".join(_SQL_SHAPES) + ")", re.IGNORECASE | re.DOTALL)
_UPPER_KEYWORD = re.compile(
    r"^\s*\(?\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH|COPY|ATTACH|DETACH|BEGIN"
    r"|COMMIT|ROLLBACK|CHECKPOINT|PRAGMA|INSTALL|LOAD)\b"
)
_SQL_CLAUSE = re.compile(
    r"\?|\(\*\)|\b(where|values|group\s+by|order\s+by|limit|join|returning|on\s+conflict)\b",
    re.IGNORECASE,
)


def looks_like_sql(text: str) -> bool:
    """True when ``text`` starts with a SQL statement (not prose that uses the same words)."""
    if _SHAPE.match(text) is None:
        return False
    return _UPPER_KEYWORD.match(text) is not None or _SQL_CLAUSE.search(text) is not None


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _literal_text(node: ast.AST) -> str | None:
    """The text of a string literal, or of an f-string with ``{}`` for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                       else "{}" for v in node.values)
    return None


def sql_in_source(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every SQL string literal or f-string in ``source``. The literal
    parts of an f-string are checked as one string, with ``{}`` for each placeholder."""
    tree = ast.parse(source)
    skip = _docstring_nodes(tree)
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(v) for v in node.values)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip or id(node) in inner:
            continue
        text = _literal_text(node)
        if text is not None and looks_like_sql(text):
            found.append((getattr(node, "lineno", 0), text.strip().splitlines()[0][:70]))
    return sorted(found)


_SESSION_CALLS = frozenset({"cursor", "execute", "executemany", "staged", "fetchone", "fetchall",
                            "fetchmany", "fetchnumpy"})


def connection_reach(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` of every ``x.conn`` attribute and every call of a session method
    (``x.cursor()``, ``x.execute()``, …) in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append((node.lineno, ".conn"))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _SESSION_CALLS):
            found.append((node.lineno, f".{node.func.attr}()"))
    return sorted(found)


def _outside_store() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if STORE not in p.parents)


# ------------------------------------------------------------------ the detector itself
@pytest.mark.parametrize("text", [
    "SELECT mmsi, ts FROM positions WHERE NOT exercise",
    "select count(*) from alerts",
    "select mmsi from positions where ts > ?",
    "delete from events where id = ?",
    "  SELECT DISTINCT mmsi FROM positions",
    "SELECT 1 FROM users WHERE username = ?",
    "SELECT max(ts) FROM positions WHERE exercise = ?",
    "SELECT current_database()",
    "INSERT INTO users (username, role) VALUES (?, ?)",
    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
    "UPDATE users SET disabled = ? WHERE username = ?",
    "DELETE FROM events WHERE id = ?",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR)",
    "CREATE TEMP TABLE IF NOT EXISTS _ev_in AS SELECT * FROM events LIMIT 0",
    "ALTER TABLE positions ADD COLUMN x INTEGER",
    "DROP TABLE alerts",
    "WITH last AS (SELECT mmsi FROM positions) SELECT * FROM last",
    "\n        WITH last AS (\n            SELECT p.mmsi FROM positions p)",
    "COPY FROM DATABASE \"k\" TO khazar_backup",
    "COPY positions TO 'out.parquet'",
    "ATTACH '/tmp/b.duckdb' AS khazar_backup",
    "DETACH khazar_backup",
    "BEGIN TRANSACTION",
    "COMMIT",
    "ROLLBACK",
    "CHECKPOINT",
    "(SELECT mmsi FROM positions)",
    "SELECT {} FROM audit_log ORDER BY seq",
])
def test_detector_finds_sql(text: str) -> None:
    assert looks_like_sql(text), text


@pytest.mark.parametrize("text", [
    "Select a vessel on the map to see its track",
    "select the boat to dispatch",
    "Update the plan from the console",
    "update available: restart the server",
    "Delete this note?",
    "Create a user first: khazar users add NAME",
    "With the plan loaded, coverage is computed",
    "with the default assets",
    "Copy the evidence pack to removable media",
    "begin",
    "Select a vessel from the list",
    "select one boat from the fleet panel",
    "Delete from the plan every route you do not need",
    "With all: the whole fleet",
    "Drop the exercise traffic from the report",
    "Commit the change with `git commit`",
    "selected",
    "insert the card",
    "the store is locked; SELECT nothing",
    "checkpoints passed: 3",
    "events",
])
def test_detector_ignores_prose(text: str) -> None:
    assert not looks_like_sql(text), text


def test_sql_in_source_sees_fstrings_and_skips_docstrings() -> None:
    source = (
        '"""SELECT mmsi FROM positions is how the module docstring may talk."""\n'
        "def f(table, where):\n"
        '    """DELETE FROM events in a docstring is documentation."""\n'
        '    a = f"SELECT count(*) FROM {table} {where}"\n'
        '    b = "Select the boat from the list"\n'
        '    c = ("UPDATE alerts SET state = ? "\n'
        '         "WHERE id = ?")\n'
        "    return a, b, c\n"
    )
    assert [line for line, _ in sql_in_source(source)] == [4, 6]


def test_connection_reach_sees_conn_cursor_and_statements() -> None:
    source = (
        "rows = store.conn\n"
        "cur = state.store.cursor()\n"
        "x = store.connect\n"
        "store.execute(sql).fetchall()\n"
        "pool.submit(job)\n"
    )
    assert connection_reach(source) == [
        (1, ".conn"), (2, ".cursor()"), (4, ".execute()"), (4, ".fetchall()")
    ]


# ------------------------------------------------------------------ the codebase
def test_store_has_sql_the_detector_sees() -> None:
    """The scan is not vacuous: the store's own modules are full of SQL it recognises."""
    hits = [p for p in sorted(STORE.glob("*.py")) if sql_in_source(p.read_text())]
    assert {p.name for p in hits} >= {"db.py", "ingest.py", "users.py", "queries.py"}


def test_no_sql_outside_the_store() -> None:
    offenders = [
        f"{p.relative_to(SRC.parent)}:{line}: {text}"
        for p in _outside_store()
        for line, text in sql_in_source(p.read_text())
    ]
    assert not offenders, "SQL outside khazar.store:\n" + "\n".join(offenders)


def test_no_connection_reach_outside_the_store() -> None:
    offenders = [
        f"{p.relative_to(SRC.parent)}:{line}: {what}"
        for p in _outside_store()
        for line, what in connection_reach(p.read_text())
    ]
    assert not offenders, "store connection used outside khazar.store:\n" + "\n".join(offenders)
