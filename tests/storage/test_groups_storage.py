"""storage/groups.py and storage/points.py follow a group to its supergroup, on both backends:
what the supergroup already holds wins, nothing of the old group stays bound."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.categories import Category
from bot.domain.groups import Binding, Purpose
from bot.domain.units import Unit
from storage import points
from storage.db import Database, to_db
from storage.groups import Groups, follow_migration
from storage.units import Units

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OLD, NEW = -1, -1001


async def test_moving_to_a_supergroup_keeps_what_the_supergroup_already_has(db: Database):
    await Units(db).replace_from_config(
        [Unit("C1", "春晖社区", "community"), Unit("C2", "明月社区", "community")],
        [Category("litter", "环境卫生", "Litter")],
    )
    groups = Groups(db)
    await groups.bind(Binding(OLD, "C1", Purpose.SUMMARY, 201, AT, "zh"), [])
    await groups.bind(Binding(OLD, "C1", Purpose.VOLUNTEERS, 201, AT, "zh"), [])
    await groups.bind(Binding(NEW, "C2", Purpose.SUMMARY, 202, AT, "en"), [])
    async with db.transaction() as conn:
        for chat, week in ((OLD, "2026-W46"), (OLD, "2026-W47"), (NEW, "2026-W47")):
            await conn.execute(
                "INSERT INTO summaries_sent (chat_id, iso_week, unit, queued_at)"
                " VALUES (?, ?, ?, ?)",
                (chat, week, "C1" if chat == OLD else "C2", to_db(AT)),
            )
        await follow_migration(conn, OLD, NEW)

    assert await groups.bindings(OLD) == []
    moved = {b.purpose: (b.unit, b.bound_by) for b in await groups.bindings(NEW)}
    assert moved == {Purpose.SUMMARY: ("C2", 202), Purpose.VOLUNTEERS: ("C1", 201)}
    rows = await db.fetchall(
        "SELECT chat_id, iso_week, unit FROM summaries_sent ORDER BY iso_week, chat_id"
    )
    assert [tuple(r) for r in rows] == [
        (NEW, "2026-W46", "C1"),
        (NEW, "2026-W47", "C2"),
        (OLD, "2026-W47", "C1"),
    ]


async def test_a_supergroup_keeps_the_leaderboards_of_both_chats_once(db: Database):
    async with db.transaction() as conn:
        for chat, month in ((OLD, "2026-10"), (OLD, "2026-11"), (NEW, "2026-11")):
            await conn.execute(
                "INSERT INTO leaderboard_posts (chat_id, month, unit, sent_at) VALUES (?, ?, ?, ?)",
                (chat, month, "C1" if chat == OLD else "C2", to_db(AT)),
            )
        await points.follow_migration(conn, OLD, NEW)
    rows = await db.fetchall(
        "SELECT chat_id, month, unit FROM leaderboard_posts ORDER BY month, chat_id"
    )
    assert [tuple(r) for r in rows] == [
        (NEW, "2026-10", "C1"),
        (NEW, "2026-11", "C2"),
        (OLD, "2026-11", "C1"),
    ]
