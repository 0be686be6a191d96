"""The tables of a test's database, on either backend (the erasure tests read every row)."""

from __future__ import annotations

from storage.db import Database


async def table_names(db: Database) -> list[str]:
    """Returns the name of every table in DB: SQLite's catalogue, or PostgreSQL's for the
    database's own schema (griddesk_schema, storage/pg.py's migration record, among them)."""
    if db.dialect == "postgresql":
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " ORDER BY table_name"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    return [row[0] for row in await db.fetchall(sql)]
