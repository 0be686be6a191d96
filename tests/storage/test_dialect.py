"""storage/dialect.py, table-driven: each rewrite of SQLite's dialect for PostgreSQL, literals,
quoted names and comments left alone, `%` escaped for psycopg, and `NotPortable` for each
SQLite-only form that has no same-meaning rewrite. Pure text: no database."""

from __future__ import annotations

from importlib import resources

import pytest

from storage.dialect import NotPortable, ddl_to_postgres, to_postgres

REWRITES = [
    # placeholders
    ("SELECT a FROM t WHERE x = ? AND y = ?", "SELECT a FROM t WHERE x = %s AND y = %s"),
    (
        "SELECT a FROM t WHERE x = :x AND y = :y_2",
        "SELECT a FROM t WHERE x = %(x)s AND y = %(y_2)s",
    ),
    ("SELECT a::text FROM t WHERE b = :b", "SELECT a::text FROM t WHERE b = %(b)s"),
    # a literal % is psycopg's own syntax: doubled, in code and in literals
    ("SELECT a % 3 FROM t", "SELECT a %% 3 FROM t"),
    (
        "SELECT a FROM t WHERE n LIKE '100%' AND x = ?",
        "SELECT a FROM t WHERE n LIKE '100%%' AND x = %s",
    ),
    # a parameter's type is unknown to PostgreSQL in `? IS NULL`: said as text
    (
        "SELECT a FROM t WHERE (? IS NULL OR a = ?) AND :u IS NOT NULL",
        "SELECT a FROM t WHERE (CAST(%s AS TEXT) IS NULL OR a = %s)"
        " AND CAST(%(u)s AS TEXT) IS NOT NULL",
    ),
    ("SELECT a FROM t WHERE b IS NULL", "SELECT a FROM t WHERE b IS NULL"),
    # INSERT OR IGNORE
    (
        "INSERT OR IGNORE INTO t (a) VALUES (?)",
        "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING",
    ),
    (
        "insert or ignore into t (a) values (?) RETURNING id",
        "INSERT INTO t (a) values (%s) ON CONFLICT DO NOTHING RETURNING id",
    ),
    (
        "INSERT OR IGNORE INTO t (a) SELECT b FROM u WHERE c = ?;",
        "INSERT INTO t (a) SELECT b FROM u WHERE c = %s ON CONFLICT DO NOTHING",
    ),
    # SQLite's plan pins
    ("SELECT id FROM r INDEXED BY r_open WHERE x = 1", "SELECT id FROM r WHERE x = 1"),
    ("SELECT id FROM r NOT INDEXED WHERE x = 1", "SELECT id FROM r WHERE x = 1"),
    # json_each and json_extract
    (
        "SELECT value FROM json_each(?)",
        "SELECT value FROM json_array_elements_text(CAST(%s AS json)) AS json_each(value)",
    ),
    (
        "SELECT 1 FROM json_each(v.skills) WHERE value = :s",
        "SELECT 1 FROM json_array_elements_text(CAST(v.skills AS json)) AS json_each(value)"
        " WHERE value = %(s)s",
    ),
    (
        "SELECT json_extract(extra, '$.erased') FROM r",
        "SELECT (CAST(extra AS json) ->> 'erased') FROM r",
    ),
    (
        "SELECT CAST(json_extract(data, '$.n') AS INTEGER) FROM e",
        "SELECT CAST((CAST(data AS json) ->> 'n') AS BIGINT) FROM e",
    ),
    # scalar MAX/MIN; the aggregates stay
    (
        "SELECT MAX(a, b), MAX(c), MIN(a, ?), min(x) FROM t",
        "SELECT GREATEST(a, b), MAX(c), LEAST(a, %s), min(x) FROM t",
    ),
    (
        "SELECT max(COALESCE(a, 0), json_extract(b, '$.n')) FROM t",
        "SELECT GREATEST(COALESCE(a, 0), (CAST(b AS json) ->> 'n')) FROM t",
    ),
    # IS with a parameter
    (
        "SELECT a FROM t WHERE a IS ? AND b IS NOT :b AND c IS NULL",
        "SELECT a FROM t WHERE a IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM %(b)s"
        " AND c IS NULL",
    ),
    # 64-bit integers
    ("SELECT CAST(value AS INTEGER) FROM t", "SELECT CAST(value AS BIGINT) FROM t"),
    # transactions and limits
    ("BEGIN IMMEDIATE", "BEGIN"),
    ("begin exclusive", "BEGIN"),
    ("SELECT a FROM t LIMIT -1 OFFSET ?", "SELECT a FROM t LIMIT ALL OFFSET %s"),
    ("UPDATE t SET a = 1;  ", "UPDATE t SET a = 1"),
    # portable SQL goes through as it is
    (
        "SELECT COUNT(*) FILTER (WHERE flag <> 0) FROM t GROUP BY unit",
        "SELECT COUNT(*) FILTER (WHERE flag <> 0) FROM t GROUP BY unit",
    ),
]


@pytest.mark.parametrize(("sqlite", "postgresql"), REWRITES)
def test_a_statement_is_said_again_for_postgresql(sqlite: str, postgresql: str):
    assert to_postgres(sqlite) == postgresql


LEFT_ALONE = [
    # nothing inside a literal, a quoted name or a comment is rewritten (only % is doubled)
    (
        "SELECT 'it''s ? :x json_each( rowid MAX(a, b)' FROM t WHERE a = ?",
        "SELECT 'it''s ? :x json_each( rowid MAX(a, b)' FROM t WHERE a = %s",
    ),
    (
        'SELECT "why?" FROM t WHERE "INDEXED BY x" = ?',
        'SELECT "why?" FROM t WHERE "INDEXED BY x" = %s',
    ),
    (
        "SELECT a FROM t -- julianday(?) rowid, 5%\nWHERE a = ?",
        "SELECT a FROM t -- julianday(?) rowid, 5%%\nWHERE a = %s",
    ),
    ("SELECT 'INSERT OR IGNORE INTO t' FROM t", "SELECT 'INSERT OR IGNORE INTO t' FROM t"),
    ("SELECT 'a IS ?' FROM t", "SELECT 'a IS ?' FROM t"),
]


@pytest.mark.parametrize(("sqlite", "postgresql"), LEFT_ALONE)
def test_literals_quoted_names_and_comments_are_left_alone(sqlite: str, postgresql: str):
    assert to_postgres(sqlite) == postgresql


REFUSED = [
    "SELECT julianday(a) FROM t",
    "SELECT strftime('%Y', a) FROM t",
    "SELECT datetime('now')",
    "SELECT date(a) FROM t",
    "SELECT time(a) FROM t",
    "SELECT unixepoch()",
    "SELECT group_concat(a) FROM t",
    "SELECT ifnull(a, 1) FROM t",
    "SELECT iif(a, 1, 2) FROM t",
    "SELECT instr(a, 'x') FROM t",
    "SELECT printf('%d', a) FROM t",
    "SELECT typeof(a) FROM t",
    "SELECT total(a) FROM t",
    "SELECT a FROM t WHERE glob('a*', a)",
    "SELECT json_group_array(a) FROM t",
    "SELECT json_object('a', a) FROM t",
    "SELECT json_array_length(a) FROM t",
    "SELECT json_set(a, '$.x', 1) FROM t",
    "UPDATE t SET a = json_insert(a, '$.x', 1)",
    "UPDATE t SET a = json_replace(a, '$.x', 1)",
    "UPDATE t SET a = json_remove(a, '$.x')",
    "UPDATE t SET a = json_patch(a, ?)",
    "SELECT randomblob(4)",
    "SELECT zeroblob(4)",
    "SELECT last_insert_rowid()",
    "SELECT changes()",
    "SELECT total_changes()",
    "UPDATE OR IGNORE t SET a = 1",
    "UPDATE OR REPLACE t SET a = 1",
    "INSERT OR REPLACE INTO t (a) VALUES (1)",
    "REPLACE INTO t (a) VALUES (1)",
    "SELECT rowid FROM t",
    "SELECT a FROM t ORDER BY rowid DESC",
    "PRAGMA foreign_keys=ON",
    "ATTACH 'other.db' AS other",
    # json_extract only with a literal '$.key'
    "SELECT json_extract(a, '$.b.c') FROM t",
    "SELECT json_extract(a, '$[0]') FROM t",
    "SELECT json_extract(a, ?) FROM t",
    "SELECT json_extract(a, '$.b', '$.c') FROM t",
    "SELECT MAX(a, b FROM t",  # unbalanced
]


@pytest.mark.parametrize("sqlite", REFUSED)
def test_sqlite_only_sql_is_refused_naming_it(sqlite: str):
    with pytest.raises(NotPortable):
        to_postgres(sqlite)


SCHEMA = """PRAGMA foreign_keys=ON;
CREATE TABLE t (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    n  INTEGER NOT NULL DEFAULT 0, -- an INTEGER in a comment, 100%
    r  REAL, b BLOB, text TEXT NOT NULL DEFAULT 'TEXT ?',
    k  TEXT COLLATE "C"
) WITHOUT ROWID;
CREATE TABLE s (a INTEGER PRIMARY KEY, b TEXT) STRICT;
CREATE INDEX t_open ON t(n) WHERE text IN ('open', 'accepted');
"""

SCHEMA_PG = """
CREATE TABLE t (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    n  BIGINT NOT NULL DEFAULT 0, -- an INTEGER in a comment, 100%
    r  DOUBLE PRECISION, b BYTEA, text TEXT COLLATE "C" NOT NULL DEFAULT 'TEXT ?',
    k  TEXT COLLATE "C"
);
CREATE TABLE s (a BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b TEXT COLLATE "C");
CREATE INDEX t_open ON t(n) WHERE text IN ('open', 'accepted');
"""


def test_a_schema_gets_postgresql_types_and_loses_its_pragmas():
    assert ddl_to_postgres(SCHEMA) == SCHEMA_PG


TRIGGERS = [
    (
        "CREATE TRIGGER t_touch AFTER UPDATE ON t FOR EACH ROW WHEN NEW.n > OLD.n BEGIN\n"
        "    UPDATE s SET b = 'x' WHERE a = NEW.id;\nEND;",
        "CREATE FUNCTION t_touch_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.n > OLD.n THEN UPDATE s SET b = 'x' WHERE a = NEW.id; END IF;"
        " RETURN NULL; END $$;\n"
        "CREATE TRIGGER t_touch AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION t_touch_fn();",
    ),
    (
        "CREATE TRIGGER t_new AFTER INSERT ON t BEGIN UPDATE s SET b = 'y'; END;",
        "CREATE FUNCTION t_new_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " UPDATE s SET b = 'y'; RETURN NULL; END $$;\n"
        "CREATE TRIGGER t_new AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_new_fn();",
    ),
    # a BEFORE trigger lets its row through, as SQLite's does (NULL would skip the row)
    (
        "CREATE TRIGGER t_gone BEFORE DELETE ON t BEGIN DELETE FROM s WHERE a = OLD.id; END;",
        "CREATE FUNCTION t_gone_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " DELETE FROM s WHERE a = OLD.id; RETURN OLD; END $$;\n"
        "CREATE TRIGGER t_gone BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION t_gone_fn();",
    ),
    (
        "CREATE TRIGGER t_check BEFORE UPDATE ON t WHEN NEW.n < 0 BEGIN DELETE FROM s; END;",
        "CREATE FUNCTION t_check_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF NEW.n < 0 THEN DELETE FROM s; END IF; RETURN NEW; END $$;\n"
        "CREATE TRIGGER t_check BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION t_check_fn();",
    ),
]


@pytest.mark.parametrize(("sqlite", "postgresql"), TRIGGERS)
def test_a_trigger_becomes_a_function_and_a_row_trigger(sqlite: str, postgresql: str):
    assert ddl_to_postgres(sqlite) == postgresql


@pytest.mark.parametrize(
    "script",
    [
        "INSERT OR IGNORE INTO t (a) VALUES (1);",
        "CREATE VIEW v AS SELECT julianday(a) AS d FROM t;",
        "CREATE INDEX t_r ON t(rowid);",
    ],
)
def test_a_migration_with_sqlite_only_sql_is_refused(script: str):
    with pytest.raises(NotPortable):
        ddl_to_postgres(script)


def test_a_migrations_percent_signs_stay_single():
    assert ddl_to_postgres("CREATE INDEX i ON t(a) WHERE b LIKE '5%';") == (
        "CREATE INDEX i ON t(a) WHERE b LIKE '5%';"
    )


def test_every_migration_translates():
    folder = resources.files("storage.migrations")
    for entry in folder.iterdir():
        if entry.name.endswith(".sql") and not entry.name.endswith(".pg.sql"):
            own = entry.name.removesuffix(".sql") + ".pg.sql"
            if not folder.joinpath(own).is_file():
                assert ddl_to_postgres(entry.read_text(encoding="utf-8")), entry.name
