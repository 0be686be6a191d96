"""The cached unit tree follows changes made by another process (a CSV import)."""

from bot.domain.units import Unit
from storage.db import Database
from storage.units import Units


async def test_a_tree_cached_by_the_bot_sees_units_imported_by_another_connection(tmp_path):
    path = tmp_path / "g.sqlite3"
    bot_db = await Database(path).open()
    cli_db = await Database(path).open()
    try:
        bot_units = Units(bot_db)
        await bot_units.import_units([Unit("D", "区", "district")])
        assert "B9" not in await bot_units.tree()

        await Units(cli_db).import_units([Unit("B9", "9栋", "building", "D")])

        tree = await bot_units.tree()
        assert "B9" in tree
        assert tree.get("B9").parent == "D"
    finally:
        await cli_db.close()
        await bot_db.close()


async def test_an_unchanged_tree_is_served_from_the_cache(tmp_path):
    db = await Database(tmp_path / "g.sqlite3").open()
    try:
        units = Units(db)
        await units.import_units([Unit("D", "区", "district")])
        first = await units.tree()
        assert await units.tree() is first
    finally:
        await db.close()
