"""SQL written for SQLite, said again for PostgreSQL.

The repositories keep one text per statement, in SQLite's dialect (the embedded default). The
PostgreSQL backend (storage/pg.py) hands each text to `to_postgres` once (cached) before
psycopg sees it. Only rewrites that mean exactly the same on both sides are made here; anything
else SQLite-only raises `NotPortable` naming it, so a statement is made portable at its source
(e.g. `CAST(json_extract(…) AS INTEGER)`, `COUNT(*) FILTER (WHERE …)`, `x <> 0` for a flag) or
given a text per backend (`storage.db.Database.dialect`).

Queries:
- placeholders `?` → `%s` and `:name` → `%(name)s`; a literal `%` → `%%` (psycopg's own syntax);
- `INSERT OR IGNORE INTO …` → `INSERT INTO … ON CONFLICT DO NOTHING`;
- `INDEXED BY index` and `NOT INDEXED` (SQLite's plan pins) dropped: PostgreSQL plans alone;
- `json_each(x)` → `json_array_elements_text(CAST(x AS json)) AS json_each(value)`: the rows'
  `value` is text there, so a statement comparing it to a number casts it (`CAST(value AS BIGINT)`);
- `json_extract(x, '$.key')` → `(CAST(x AS json) ->> 'key')`: text again;
- `MAX(a, b)` / `MIN(a, b)` (SQLite's scalar forms) → `GREATEST` / `LEAST`;
- `a IS ?` → `a IS NOT DISTINCT FROM %s` (SQLite's IS compares any two values); `? IS NULL` →
  `CAST(%s AS TEXT) IS NULL` (PostgreSQL must know a parameter's type);
- `CAST(x AS INTEGER)` → `CAST(x AS BIGINT)` (SQLite integers are 64-bit; Telegram's ids need it);
- `BEGIN IMMEDIATE` → `BEGIN`; `LIMIT -1` → `LIMIT ALL`.

Schemas (`ddl_to_postgres`, for migrations): the same, plus the column types: `INTEGER PRIMARY
KEY [AUTOINCREMENT]` → an identity column, `INTEGER` → `BIGINT`, `REAL` → `DOUBLE PRECISION`,
`BLOB` → `BYTEA`, `TEXT` → `TEXT COLLATE "C"` (times are ISO text compared as bytes, as SQLite
compares them); `PRAGMA`s dropped; a trigger becomes a PL/pgSQL function and a row trigger (a
BEFORE one returns its row, so the row goes through as in SQLite).
A migration PostgreSQL must say otherwise has a `NNNN_name.pg.sql` beside it (storage/pg.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["NotPortable", "ddl_to_postgres", "to_postgres"]


class NotPortable(ValueError):
    """A statement uses SQLite-only SQL that has no rewrite here."""


# Functions and forms with no same-meaning rewrite: the statement must say it portably.
_SQLITE_ONLY = re.compile(
    r"\b(julianday|strftime|datetime|date|time|unixepoch|group_concat|ifnull|iif|instr|printf"
    r"|typeof|total|glob|json_group_array|json_object|json_array_length|json_set|json_insert"
    r"|json_replace|json_remove|json_patch|randomblob|zeroblob"
    r"|last_insert_rowid|changes|total_changes)\s*\(|\bUPDATE\s+OR\s+\w+|\bINSERT\s+OR\s+REPLACE"
    r"|\bREPLACE\s+INTO|\browid\b|\bPRAGMA\b|\bATTACH\b",
    re.IGNORECASE,
)


def _mask(sql: str) -> tuple[str, list[str]]:
    """Returns SQL with each quoted literal, quoted name and comment replaced by `\x00N\x00`
    (nothing is rewritten inside them), and the texts replaced."""
    out: list[str] = []
    kept: list[str] = []
    i, start, n = 0, 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"" or sql.startswith("--", i):
            out.append(sql[start:i])
            if ch in "'\"":
                j = i + 1
                while j < n:
                    if sql[j] == ch:
                        if j + 1 < n and sql[j + 1] == ch:  # '' inside a literal
                            j += 2
                            continue
                        break
                    j += 1
                j += 1
            else:
                j = sql.find("\n", i)
                j = n if j < 0 else j
            out.append(f"\x00{len(kept)}\x00")
            kept.append(sql[i:j])
            i = start = j
        else:
            i += 1
    out.append(sql[start:])
    return "".join(out), kept


_MASKED = re.compile("\x00(\\d+)\x00")


def _unmask(code: str, kept: list[str], escape: bool) -> str:
    return _MASKED.sub(
        lambda m: kept[int(m.group(1))].replace("%", "%%") if escape else kept[int(m.group(1))],
        code,
    )


def _matching(code: str, open_at: int) -> int:
    """Returns the index of the parenthesis closing the one at OPEN_AT (code only)."""
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "(":
            depth += 1
        elif code[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    raise NotPortable(f"unbalanced parentheses: {code[open_at : open_at + 60]!r}")


def _top_level_args(inner: str) -> list[str]:
    args, depth, start = [], 0, 0
    for k, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(inner[start:k])
            start = k + 1
    args.append(inner[start:])
    return args


_FUNC = re.compile(r"\b(json_each|json_extract|max|min)\s*\(", re.IGNORECASE)
_JSON_PATH = re.compile(r"^\$\.([A-Za-z_][A-Za-z0-9_]*)$")


def _functions(code: str, kept: list[str]) -> str:
    """Rewrites json_each, json_extract and the two-argument MAX/MIN (CODE is masked)."""
    out, pos = [], 0
    while True:
        m = _FUNC.search(code, pos)
        if m is None:
            out.append(code[pos:])
            return "".join(out)
        open_at = m.end() - 1
        close = _matching(code, open_at)
        inner = _functions(code[open_at + 1 : close], kept)
        name = m.group(1).lower()
        out.append(code[pos : m.start()])
        if name == "json_each":
            out.append(f"json_array_elements_text(CAST({inner} AS json)) AS json_each(value)")
        elif name == "json_extract":
            args = _top_level_args(inner)
            literal = _MASKED.fullmatch(args[1].strip()) if len(args) == 2 else None
            text = kept[int(literal.group(1))] if literal else ""
            path = _JSON_PATH.match(text.strip("'"))
            if path is None:
                raise NotPortable(f"json_extract with a path other than '$.key': {inner!r}")
            out.append(f"(CAST({args[0].strip()} AS json) ->> '{path.group(1)}')")
        else:
            args = _top_level_args(inner)
            if len(args) > 1:
                out.append(("GREATEST" if name == "max" else "LEAST") + f"({inner})")
            else:
                out.append(f"{m.group(1)}({inner})")
        pos = close + 1


_INSERT_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_INDEXED = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+(NOT\s+)?(?=\?|:[A-Za-z_])", re.IGNORECASE)
_CAST_INTEGER = re.compile(r"\bAS\s+INTEGER\s*\)", re.IGNORECASE)
_BEGIN = re.compile(r"^\s*BEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)\b", re.IGNORECASE)
_LIMIT_ALL = re.compile(r"\bLIMIT\s+-1\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_PARAM = re.compile(r"\?|(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
# PostgreSQL cannot tell a parameter's type from `? IS NULL` alone ("could not determine data
# type"): any type says the same as text there.
_PARAM_IS_NULL = re.compile(
    r"(?<![:\w])(\?|:[A-Za-z_][A-Za-z0-9_]*)(\s+IS\s+(?:NOT\s+)?NULL\b)", re.IGNORECASE
)


def _is_param(m: re.Match[str]) -> str:
    return "IS DISTINCT FROM " if m.group(1) else "IS NOT DISTINCT FROM "


def _common(code: str, kept: list[str]) -> str:
    if bad := _SQLITE_ONLY.search(code):
        raise NotPortable(
            f"SQLite-only SQL {bad.group(0)!r} in: {_unmask(code, kept, False)[:300]}"
        )
    code = _INDEXED.sub("", code)
    code = _CAST_INTEGER.sub("AS BIGINT)", code)
    code = _LIMIT_ALL.sub("LIMIT ALL", code)
    return _functions(code, kept)


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """Returns SQL (one statement in SQLite's dialect) as PostgreSQL says it, with psycopg's
    placeholders. Raises NotPortable for SQLite-only SQL without a rewrite."""
    code, kept = _mask(_BEGIN.sub("BEGIN", sql))
    ignore = bool(_INSERT_OR_IGNORE.search(code))
    code = _INSERT_OR_IGNORE.sub("INSERT INTO", code)
    code = _IS_PARAM.sub(_is_param, _common(code, kept))
    code = _PARAM_IS_NULL.sub(r"CAST(\1 AS TEXT)\2", code)
    code = code.replace("%", "%%")
    code = _PARAM.sub(lambda m: "%s" if m.group(0) == "?" else f"%({m.group(1)})s", code)
    code = code.rstrip().rstrip(";").rstrip()
    if ignore:
        returning = _RETURNING.search(code)
        if returning:
            at = returning.start()
            code = f"{code[:at]}ON CONFLICT DO NOTHING {code[at:]}"
        else:
            code += " ON CONFLICT DO NOTHING"
    return _unmask(code, kept, escape=True)


# Upper case only: the migrations write types in capitals and names in lower case (a column
# named `text` is not a type).
_TYPES = [
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b"),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bTEXT\b(?!\s+COLLATE)"), 'TEXT COLLATE "C"'),
    (re.compile(r"\)\s*(WITHOUT\s+ROWID|STRICT)\b"), ")"),
]
_PRAGMA = re.compile(r"\bPRAGMA\b[^;]*;?", re.IGNORECASE)


_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(\w+)\s+(AFTER|BEFORE)\s+(INSERT|UPDATE|DELETE)\s+ON\s+(\w+)"
    r"(?:\s+FOR\s+EACH\s+ROW)?(?:\s+WHEN\s+(.*?))?\s+BEGIN\s+(.*?)\s*END\s*;",
    re.IGNORECASE | re.DOTALL,
)


def _trigger(m: re.Match[str]) -> str:
    """SQLite's trigger (a row trigger with a body of statements) as a PL/pgSQL function and a
    trigger that runs it for each row."""
    name, when, event, table, condition, body = m.groups()
    body = body.strip()
    if condition:
        body = f"IF {condition.strip()} THEN {body} END IF;"
    # A BEFORE trigger's NULL would skip the row: SQLite's lets it through.
    result = "NULL"
    if when.upper() == "BEFORE":
        result = "OLD" if event.upper() == "DELETE" else "NEW"
    return (
        f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {body} RETURN {result}; END $$;\n"
        f"CREATE TRIGGER {name} {when} {event} ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {name}_fn();"
    )


def ddl_to_postgres(script: str) -> str:
    """Returns a migration SCRIPT (statements separated by `;`, no parameters) for PostgreSQL."""
    code, kept = _mask(script)
    code = _TRIGGER.sub(_trigger, _PRAGMA.sub("", code))
    if _INSERT_OR_IGNORE.search(code):
        raise NotPortable("INSERT OR IGNORE in a migration: write ON CONFLICT DO NOTHING")
    for pattern, replacement in _TYPES:
        code = pattern.sub(replacement, code)
    return _unmask(_common(code, kept), kept, escape=False)
