"""/book and /bookings through the real Application: a resident books by buttons and a typed
purpose, a bad purpose keeps the question, an old card's button and a forged staff press are
answered politely and change nothing, staff confirm from their card and list the day."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import updates
from tests.conftest import COMMUNITY, DATA, PROPERTY, RESIDENT
from tests.usecases.test_bookings import RESOURCES


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((DATA / "config.toml").read_text(encoding="utf-8") + RESOURCES, "utf-8")
    return path


async def test_a_resident_books_by_buttons_and_staff_confirm_from_their_card(harness):
    # 2026-11-24 is a Tuesday, 10:00 in Shanghai; the 26th is the office's holiday.
    await harness.send(updates.text(RESIDENT, "/book"))
    assert harness.button(RESIDENT, "bknew:res:") == "bknew:res:room"
    await harness.send(updates.press(RESIDENT, "bknew:res:room"))
    days = [data for _, data in harness.buttons(RESIDENT) if data.startswith("bknew:day:")]
    assert "bknew:day:20261125" in days and "bknew:day:20261126" not in days
    await harness.send(updates.text(RESIDENT, "明天上午"))
    assert "按钮" in harness.last_text(RESIDENT)
    for forged in ("bknew:day:20991231", "bknew:day:20261126", "bknew:slot:1000"):
        await harness.send(updates.press(RESIDENT, forged))  # too far, a holiday, wrong step
        assert "失效" in harness.last_text(RESIDENT)
    assert (await harness.services.drafts.get(RESIDENT)).step == "day"
    await harness.send(updates.press(RESIDENT, "bknew:day:20261125"))
    labels = [label for label, _ in harness.buttons(RESIDENT)]
    assert "10:00（余1）" in labels
    await harness.send(updates.press(RESIDENT, "bknew:slot:1000"))
    await harness.send(updates.text(RESIDENT, "x"))
    assert "2 至 60" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "老年合唱排练"))
    assert "老年合唱排练" in harness.last_text(RESIDENT)
    await harness.send(updates.press(RESIDENT, "bknew:day:20261127"))  # an old card's button
    assert "失效" in harness.last_text(RESIDENT)
    await harness.send(updates.press(RESIDENT, "bknew:ok"))
    [mine] = await harness.services.store.bookings.mine(RESIDENT, harness.clock())
    assert "工作人员确认后" in harness.last_text(RESIDENT)
    assert await harness.services.drafts.get(RESIDENT) is None

    await harness.send(updates.press(PROPERTY, f"book:confirm:{mine.id}"))
    assert (await harness.services.store.bookings.get(mine.id)).status.value == "pending"
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "book:confirm:")))
    assert (await harness.services.store.bookings.get(mine.id)).status.value == "confirmed"
    assert "已确认" in harness.last_text(RESIDENT)
    await harness.send(updates.press(COMMUNITY, f"book:confirm:{mine.id}"))  # a second press
    assert "已经处理过" in harness.last_text(COMMUNITY)

    await harness.send(updates.text(COMMUNITY, "/bookings"))
    await harness.send(updates.press(COMMUNITY, "book:day:20261125:0"))
    assert mine.number in harness.last_text(COMMUNITY)
    await harness.send(updates.text(RESIDENT, "/bookings"))
    assert mine.number in harness.last_text(RESIDENT)
    await harness.send(updates.press(RESIDENT, f"book:cancel:{mine.id}"))
    assert "已取消" in harness.last_text(RESIDENT)


async def test_staff_decline_with_a_typed_reason_and_move_to_a_free_slot(harness):
    await harness.send(updates.text(RESIDENT, "/book"))
    for press in ("bknew:res:room", "bknew:day:20261125", "bknew:slot:1000"):
        await harness.send(updates.press(RESIDENT, press))
    await harness.send(updates.text(RESIDENT, "社区读书会"))
    await harness.send(updates.press(RESIDENT, "bknew:ok"))
    [mine] = await harness.services.store.bookings.mine(RESIDENT, harness.clock())
    await harness.send(updates.press(COMMUNITY, f"book:move:{mine.id}"))
    await harness.send(updates.press(COMMUNITY, f"book:mvday:{mine.id}:20261125"))
    assert f"book:mvto:{mine.id}:202611251000" not in [d for _, d in harness.buttons(COMMUNITY)]
    await harness.send(updates.press(COMMUNITY, f"book:mvto:{mine.id}:202611251100"))
    assert "改到" in harness.last_text(RESIDENT)
    await harness.send(updates.press(RESIDENT, f"book:accept:{mine.id}"))
    moved = await harness.services.store.bookings.get(mine.id)
    assert moved.status.value == "confirmed" and moved.starts_at.hour == 3  # 11:00 in Shanghai
    await harness.send(updates.press(COMMUNITY, f"book:decline:{mine.id}"))
    await harness.send(updates.text(COMMUNITY, "活动室临时维修"))
    assert "活动室临时维修" in harness.last_text(RESIDENT)
    assert (await harness.services.store.bookings.get(mine.id)).status.value == "declined"
