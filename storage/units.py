"""Units and categories: the grid tree and what can be reported, loaded from config or CSV."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

from bot.domain.categories import Category
from bot.domain.units import Unit, UnitTree
from storage.db import Database, batch_generation


async def upsert_units(conn: aiosqlite.Connection, units: Iterable[Unit]) -> int:
    """Inserts or updates UNITS inside the caller's transaction (parents first); returns count."""
    units = list(units)
    # Parents may come later in the list: insert without parent first, then set parents.
    await conn.executemany(
        "INSERT INTO units (code, name, level, parent, lat, lon) VALUES (?, ?, ?, NULL, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,"
        " lat = excluded.lat, lon = excluded.lon",
        [(u.code, u.name, u.level, u.lat, u.lon) for u in units],
    )
    await conn.executemany(
        "UPDATE units SET parent = ? WHERE code = ?", [(u.parent, u.code) for u in units]
    )
    return len(units)


class Units:
    def __init__(self, db: Database):
        self.db = db
        self._tree: UnitTree | None = None
        self._categories: list[Category] | None = None
        self._version: int | None = None
        self._checked_in: int | None = None  # the batch whose first read checked the version

    async def _check_version(self) -> None:
        """Drops the cache when units or categories changed, in this process or another.

        Inside a batch (the poller's group commit) the version is read once per batch: a
        change by another process shows from the next batch on, one in this process through
        `invalidate` at once."""
        generation = batch_generation()
        if generation is not None and generation == self._checked_in:
            return
        row = await self.db.fetchone("SELECT value FROM meta WHERE key = 'units_version'")
        self._checked_in = generation
        version = int(row[0]) if row else 0
        if version != self._version:
            self.invalidate()
            self._version = version

    async def tree(self) -> UnitTree:
        """Returns the unit tree (cached until units change, e.g. by a CSV import)."""
        await self._check_version()
        if self._tree is None:
            rows = await self.db.fetchall("SELECT code, name, level, parent, lat, lon FROM units")
            self._tree = UnitTree(
                Unit(r["code"], r["name"], r["level"], r["parent"], r["lat"], r["lon"])
                for r in rows
            )
        return self._tree

    async def categories(self) -> list[Category]:
        await self._check_version()
        if self._categories is None:
            rows = await self.db.fetchall(
                "SELECT code, name_zh, name_en, route_level, urgent, merge_radius_m,"
                " reject_needs_approval, anonymous, verify, review, revisit FROM categories"
                " ORDER BY position, code"
            )
            self._categories = [
                Category(
                    r["code"],
                    r["name_zh"],
                    r["name_en"],
                    r["route_level"],
                    bool(r["urgent"]),
                    merge_radius_m=r["merge_radius_m"],
                    reject_needs_approval=bool(r["reject_needs_approval"]),
                    anonymous=bool(r["anonymous"]),
                    verify=bool(r["verify"]),
                    review=bool(r["review"]),
                    revisit=bool(r["revisit"]),
                )
                for r in rows
            ]
        return self._categories

    async def category(self, code: str) -> Category | None:
        return next((c for c in await self.categories() if c.code == code), None)

    async def replace_from_config(
        self, units: Iterable[Unit], categories: Iterable[Category]
    ) -> None:
        """Upserts the configured units and categories (CSV-imported units are kept)."""
        async with self.db.transaction() as conn:
            await upsert_units(conn, units)
            await conn.executemany(
                "INSERT INTO categories (code, name_zh, name_en, route_level, urgent, position,"
                " merge_radius_m, reject_needs_approval, anonymous, verify, review, revisit)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET"
                " name_zh = excluded.name_zh, name_en = excluded.name_en,"
                " route_level = excluded.route_level, urgent = excluded.urgent,"
                " position = excluded.position, merge_radius_m = excluded.merge_radius_m,"
                " reject_needs_approval = excluded.reject_needs_approval,"
                " anonymous = excluded.anonymous, verify = excluded.verify,"
                " review = excluded.review, revisit = excluded.revisit",
                [
                    (
                        c.code,
                        c.zh,
                        c.en,
                        c.route_level,
                        int(c.urgent),
                        i,
                        c.merge_radius_m,
                        int(c.reject_needs_approval),
                        int(c.anonymous),
                        int(c.verify),
                        int(c.review),
                        int(c.revisit),
                    )
                    for i, c in enumerate(categories)
                ],
            )
        self.invalidate()

    async def import_units(self, units: list[Unit]) -> int:
        """Upserts UNITS in one transaction after checking the merged tree; returns the count."""
        current = await self.tree()
        merged = {u.code: u for u in current}
        merged.update({u.code: u for u in units})
        UnitTree(merged.values())  # raises UnitError before anything is written
        async with self.db.transaction() as conn:
            count = await upsert_units(conn, units)
        self.invalidate()
        return count

    def invalidate(self) -> None:
        self._tree = None
        self._categories = None
        # read again by the next batch: what this one loads may yet be rolled back
        self._version = None
