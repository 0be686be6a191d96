"""The 回音壁 and 公示 repositories on a real SQLite file: consent, post-once compare-and-set,
published contacts of active staff only, the config sync, and erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.contacts import Contact
from storage.contacts import Contacts
from storage.db import to_db
from storage.echo import Echo
from storage.outbox import Outgoing
from storage.privacy import erase_person

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
CHANNEL = -1001234567890


async def _report(db) -> int:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO units (code, name, level) VALUES ('G1', '第一网格', 'grid')"
        )
        cursor = await conn.execute(
            "INSERT INTO reports (reporter_id, category, unit, description, status, holder_unit,"
            " tier, stars, created_at, updated_at) VALUES (5001, 'litter', 'G1', '垃圾没人清',"
            " 'closed', 'G1', 'grid', 5, ?, ?)",
            (to_db(NOW), to_db(NOW)),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def _staff(db, user_id: int, *, active: int = 1) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO units (code, name, level) VALUES ('G1', '第一网格', 'grid')"
        )
        await conn.execute(
            "INSERT INTO staff (user_id, name, role, unit, source, active)"
            " VALUES (?, '李网格', 'grid_worker', 'G1', 'invite', ?)",
            (user_id, active),
        )


async def test_consent_defaults_to_no_and_keeps_the_last_answer(db):
    echo, report = Echo(db), await _report(db)
    assert not await echo.photos_allowed(report)
    await echo.set_photos(report, True, NOW)
    assert await echo.photos_allowed(report)
    await echo.set_photos(report, False, NOW)
    assert not await echo.photos_allowed(report)


async def test_a_due_case_is_posted_once_however_often_it_is_tried(db):
    echo, report = Echo(db), await _report(db)
    await echo.schedule(report, NOW)
    assert await echo.due(NOW, 10) == [report]
    post = [Outgoing(CHANNEL, "sendMessage", {"text": "R1"})]
    assert await echo.post(report, post, NOW)
    assert not await echo.post(report, post, NOW)  # a second sweep, or a second instance
    await echo.schedule(report, NOW)  # scheduled again (a replayed verify): never re-posted
    assert await echo.due(NOW, 10) == []
    rows = await db.fetchall("SELECT * FROM outbox WHERE chat_id = ?", (CHANNEL,))
    assert len(rows) == 1


async def test_only_public_contacts_of_active_staff_are_published(db):
    contacts = Contacts(db)
    await _staff(db, 111)
    await _staff(db, 112, active=0)
    await _staff(db, 113)
    await contacts.update(111, by=201, at=NOW, public=True, office_hours="周一")
    await contacts.update(112, by=201, at=NOW, public=True)
    await contacts.update(113, by=201, at=NOW, title="网格员")  # not public
    published = await contacts.public_at(["G1"])
    assert list(published) == [111] and published[111].office_hours == "周一"


async def test_the_config_sync_replaces_config_contacts_and_withdraws_unlisted_ones(db):
    contacts = Contacts(db)
    await contacts.sync_config([Contact(101, public=True, title="网格长", source="config")], NOW)
    await contacts.sync_config([Contact(102, public=True, source="config")], NOW)
    assert not (await contacts.get(101)).public and (await contacts.get(102)).public


async def test_erasing_a_former_staff_member_removes_what_was_published(db):
    contacts = Contacts(db)
    await _staff(db, 111, active=0)
    await contacts.update(111, by=201, at=NOW, public=True, public_phone="027-8288 1234")
    await contacts.update(112, by=111, at=NOW, public=True)
    async with db.transaction() as conn:
        await erase_person(conn, 111, NOW, "（已删除）")
    assert await db.fetchall("SELECT * FROM staff_contacts WHERE user_id = 111") == []
    row = await db.fetchone("SELECT updated_by FROM staff_contacts WHERE user_id = 112")
    assert row is not None and row["updated_by"] is None
