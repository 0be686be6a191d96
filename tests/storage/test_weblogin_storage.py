"""storage/weblogin.py on a real SQLite file: a link is consumed once (compare-and-set, also
when two requests race), an expired one never; live links are bounded; erasure takes a
person's links and sessions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.privacy import erase_person
from storage.weblogin import LinkState, WebLogins

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=10)


async def test_a_link_is_consumed_once_and_then_reads_as_used(db):
    links = WebLogins(db)
    await links.add_link("h1", 101, NOW, LATER, keep=5)
    assert await links.link_state("h1", NOW) is None
    assert await links.consume_link("h1", NOW + timedelta(minutes=1)) == 101
    assert await links.consume_link("h1", NOW + timedelta(minutes=2)) == LinkState.USED
    assert await links.link_state("h1", NOW) == LinkState.USED


async def test_two_racing_consumers_of_one_link_get_it_once(db):
    links = WebLogins(db)
    await links.add_link("h1", 101, NOW, LATER, keep=5)
    results = await asyncio.gather(*(links.consume_link("h1", NOW) for _ in range(5)))
    assert sorted(map(str, results)) == ["101"] + [LinkState.USED] * 4


async def test_an_expired_or_unknown_link_is_never_consumed(db):
    links = WebLogins(db)
    await links.add_link("h1", 101, NOW, LATER, keep=5)
    assert await links.consume_link("h1", LATER) == LinkState.EXPIRED
    assert await links.link_state("h1", LATER) == LinkState.EXPIRED
    assert await links.consume_link("nope", NOW) == LinkState.UNKNOWN
    row = await db.fetchone("SELECT used_at FROM web_links WHERE hash = 'h1'")
    assert row is not None and row[0] is None


async def test_only_the_newest_unused_links_of_a_member_stay_alive(db):
    links = WebLogins(db)
    for i in range(4):
        await links.add_link(f"h{i}", 101, NOW + timedelta(seconds=i), LATER, keep=3)
    await links.add_link("other", 102, NOW, LATER, keep=3)
    rows = await db.fetchall("SELECT hash FROM web_links ORDER BY hash")
    assert [r[0] for r in rows] == ["h1", "h2", "h3", "other"]


async def test_erasing_someone_deletes_their_links_and_sessions_and_keeps_others(db):
    links = WebLogins(db)
    for uid in (5001, 5002):
        await links.add_link(f"l{uid}", uid, NOW, LATER, keep=5)
        await links.add_session(f"s{uid}", uid, "csrf", "link", NOW)
    async with db.transaction() as conn:
        erased = await erase_person(conn, 5001, NOW, "（已删除）")
    assert (erased.rows["web_links"], erased.rows["web_sessions"]) == (1, 1)
    assert [r[0] for r in await db.fetchall("SELECT user_id FROM web_links")] == [5002]
    assert [r[0] for r in await db.fetchall("SELECT user_id FROM web_sessions")] == [5002]
