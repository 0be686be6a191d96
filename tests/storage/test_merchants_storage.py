"""码上安全 storage on both backends: one shop per owner (redone while pending), compare-and-set
steps, one check per shop and period, the sweep's index, the staff list's order and paging, and
erasure of an owner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.merchants import Answer, Merchant, MerchantStatus, Stage
from storage.merchants import AlreadyRegistered, Merchants, StaleMerchant
from storage.privacy import erase_person

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def shop(owner: int, name: str, unit: str = "B1") -> Merchant:
    return Merchant(owner_id=owner, name=name, kind="food", unit=unit, phone="13800000000")


async def approve(merchants: Merchants, stored: Merchant, next_at: datetime = NOW) -> Merchant:
    after = replace(stored, status=MerchantStatus.APPROVED, decided_by=101, next_at=next_at)
    return await merchants.save(stored, after, NOW)


async def test_an_owner_has_one_shop_redone_while_pending_and_kept_once_approved(db):
    merchants = Merchants(db)
    first = await merchants.register(shop(5001, "老王面馆"), NOW, [], clear_draft_of=5001)
    again = await merchants.register(shop(5001, "老王面馆二店"), NOW, [], clear_draft_of=5001)
    assert (first.id, again.id, again.name, again.status) == (
        first.id,
        first.id,
        "老王面馆二店",
        MerchantStatus.PENDING,
    )
    await approve(merchants, again)
    with pytest.raises(AlreadyRegistered):
        await merchants.register(shop(5001, "第三次"), NOW, [], clear_draft_of=5001)
    kept = await merchants.of_owner(5001)
    assert kept is not None and kept.name == "老王面馆二店" and kept.is_approved


async def test_a_step_on_a_changed_shop_writes_nothing(db):
    merchants = Merchants(db)
    stored = await merchants.register(shop(5001, "老王面馆"), NOW, [], clear_draft_of=5001)
    await approve(merchants, stored)
    with pytest.raises(StaleMerchant):
        await approve(merchants, stored)  # the version it read is gone
    moves = [(stored, replace(stored, stage=Stage.OPEN, next_at=NOW))]
    assert await merchants.save_many(moves, NOW) == []


async def test_one_check_per_shop_and_period_with_its_answers(db):
    merchants = Merchants(db)
    stored = await merchants.register(shop(5001, "老王面馆"), NOW, [], clear_draft_of=5001)
    opened = await approve(merchants, stored)
    opened = await merchants.save(
        opened, replace(opened, period="2026-11-23", stage=Stage.OPEN, opened_at=NOW), NOW
    )
    answers = [Answer("exits", False, "堵了", None, 7), Answer("ext", True, None, "file-1")]
    done = replace(opened, stage=Stage.DONE, last_check_at=NOW, last_failed=1)
    await merchants.record_check(opened, done, by=5001, at=NOW, answers=answers)
    assert await merchants.check_items(stored.id or 0, "2026-11-23") == answers
    current = await merchants.get(stored.id or 0)
    assert current is not None and current.stage is Stage.DONE and current.last_failed == 1
    with pytest.raises(StaleMerchant):  # the same period again, even on a fresh read
        await merchants.record_check(current, current, by=5001, at=NOW, answers=answers)
    rows = await db.fetchall("SELECT COUNT(*) FROM merchant_checks")
    assert rows[0][0] == 1


async def test_the_sweep_finds_approved_shops_due_oldest_first(db):
    merchants = Merchants(db)
    for owner, minutes in ((5001, 5), (5002, -5), (5003, -10), (5004, -20)):
        stored = await merchants.register(shop(owner, f"店{owner}"), NOW, [], clear_draft_of=owner)
        if owner != 5004:  # pending: never due
            await approve(merchants, stored, NOW + timedelta(minutes=minutes))
    due = await merchants.due(NOW)
    assert [m.owner_id for m in due] == [5003, 5002]


async def test_staff_list_pending_first_then_by_name_a_page_at_a_time(db):
    merchants = Merchants(db)
    for owner, name, unit in ((1, "丙", "B1"), (2, "甲", "B1"), (3, "乙", "B1"), (4, "丁", "B3")):
        stored = await merchants.register(shop(owner, name, unit), NOW, [], clear_draft_of=owner)
        if owner != 3:
            await approve(merchants, stored)
    page, total = await merchants.within(["G1", "B1", "B2"], offset=0, limit=2)
    assert total == 3 and [m.name for m in page] == ["乙", "丙"]
    page, _ = await merchants.within(["G1", "B1", "B2"], offset=2, limit=2)
    assert [m.name for m in page] == ["甲"]


async def test_erasing_an_owner_keeps_the_shop_stopped_without_their_phone_words_or_photos(db):
    merchants = Merchants(db)
    stored = await merchants.register(shop(5001, "老王面馆"), NOW, [], clear_draft_of=5001)
    other = await merchants.register(shop(5002, "李记"), NOW, [], clear_draft_of=5002)
    opened = await approve(merchants, stored)
    opened = await merchants.save(
        opened, replace(opened, period="2026-11-23", stage=Stage.OPEN, opened_at=NOW), NOW
    )
    answers = [Answer("exits", False, "后门堵了", "file-1", None)]
    await merchants.record_check(
        opened, replace(opened, stage=Stage.DONE), by=5001, at=NOW, answers=answers
    )
    async with db.transaction() as conn:
        erased = await erase_person(conn, 5001, NOW, "（已删除）")
    assert erased.rows["merchants.owner_id"] == 1
    gone = await merchants.get(stored.id or 0)
    assert gone is not None and gone.owner_id != 5001
    assert (gone.name, gone.phone, gone.status, gone.next_at) == (
        "",
        None,
        MerchantStatus.INACTIVE,
        None,
    )
    items = await merchants.check_items(stored.id or 0, "2026-11-23")
    assert [(a.code, a.ok, a.note, a.photo) for a in items] == [("exits", False, None, None)]
    rows = await db.fetchall("SELECT by_id FROM merchant_checks")
    assert [row[0] for row in rows] == [gone.owner_id]
    assert await merchants.get(other.id or 0) == other  # someone else's shop is untouched
