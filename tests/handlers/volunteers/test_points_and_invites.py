"""/points, the monthly leaderboard in volunteer groups, and a worker's "find volunteers"."""

from __future__ import annotations

from bot.domain.points import PointKind
from bot.jobs.volunteers import post_leaderboards
from bot.usecases.reports import submit
from storage.points import award
from tests import updates
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.volunteers.support import (
    GROUP,
    VOLUNTEER_A,
    VOLUNTEER_B,
    VOLUNTEER_C,
    all_text,
    answers,
    bind_group,
    person,
    volunteer,
)


async def test_points_shows_the_balance_and_history(harness):
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1")
    async with harness.services.store.db.transaction() as conn:
        await award(conn, VOLUNTEER_A, PointKind.WISH, 7, 10, harness.clock())
        await award(conn, VOLUNTEER_A, PointKind.CHECKIN, 3, 5, harness.clock())
    await harness.send(updates.text(VOLUNTEER_A, "/points"))
    text = harness.last_text(VOLUNTEER_A)
    assert "我的积分：15" in text and "微心愿 7" in text and "活动签到 3" in text
    await person(harness, RESIDENT, "王奶奶")
    await harness.send(updates.text(RESIDENT, "/points"))
    assert "/volunteer" in harness.last_text(RESIDENT)


async def test_the_monthly_leaderboard_goes_to_each_volunteer_group_exactly_once(harness):
    await volunteer(harness, VOLUNTEER_A, "张志愿", "B1")
    await volunteer(harness, VOLUNTEER_B, "李志愿", "B2")
    await volunteer(harness, VOLUNTEER_C, "王志愿", "B3")
    await bind_group(harness, "C1", GROUP)
    await bind_group(harness, "G2", GROUP - 1)
    async with harness.services.store.db.transaction() as conn:  # November, in Shanghai time
        await award(conn, VOLUNTEER_A, PointKind.WISH, 1, 10, harness.clock())
        await award(conn, VOLUNTEER_B, PointKind.WISH, 2, 20, harness.clock())
        await award(conn, VOLUNTEER_C, PointKind.CHECKIN, 3, 5, harness.clock())
    services = harness.services
    assert await post_leaderboards(services, harness.clock()) == 2  # October: decided, empty
    await harness.deliver()
    assert harness.texts_to(GROUP) == []  # a month without verified work posts nothing
    harness.clock.advance(days=7)  # Tue 2026-12-01 10:00 Shanghai
    assert await post_leaderboards(services, harness.clock()) == 2
    assert await post_leaderboards(services, harness.clock()) == 0
    await harness.deliver()
    board = harness.last_text(GROUP)
    assert "2026-11" in board
    assert board.index("李**") < board.index("张**") < board.index("王**")
    for full_name in ("张志愿", "李志愿", "王志愿"):
        assert full_name not in board  # names are masked in groups
    assert "王**" in harness.last_text(GROUP - 1) and "李**" not in harness.last_text(GROUP - 1)


async def test_a_worker_finds_nearby_volunteers_for_a_report_and_invites_one(harness):
    await volunteer(harness, VOLUNTEER_A, "志愿者甲", "B1", skills=("cleaning",))
    await volunteer(harness, VOLUNTEER_C, "志愿者丙", "B3", skills=("cleaning",))
    await person(harness, RESIDENT, "王奶奶", unit="B1", phone="13700001111")
    report = await submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道堆满杂物",
        photos=["p1"],
    )
    await harness.deliver()
    find = harness.button(WORKER_G1, f"vfind:list:{report.id}")  # on the worker card
    await harness.send(updates.press(WORKER_G1, find))
    listing = harness.last_text(WORKER_G1)
    assert listing.index("志愿者甲") < listing.index("志愿者丙")  # same building first
    # A worker who cannot act on the report cannot search or invite for it.
    await harness.send(updates.press(WORKER_G2, f"vfind:inv:{report.id}:{VOLUNTEER_A}"))
    assert answers(harness)[-1] == "您没有权限进行此操作。"
    assert harness.texts_to(VOLUNTEER_A) == []

    await harness.send(updates.press(WORKER_G1, f"vfind:inv:{report.id}:{VOLUNTEER_A}"))
    invitation = harness.last_text(VOLUNTEER_A)
    assert report.number in invitation and "楼道堆满杂物" in invitation
    assert "王奶奶" not in invitation and "13700001111" not in invitation
    await harness.send(updates.press(WORKER_G1, f"vfind:inv:{report.id}:{VOLUNTEER_A}"))
    assert "已经邀请过" in harness.last_text(WORKER_G1)

    accept = harness.button(VOLUNTEER_A, "vfind:yes:")
    await harness.send(updates.press(VOLUNTEER_C, accept))  # not theirs
    assert answers(harness)[-1] == "您没有权限进行此操作。"
    await harness.send(updates.press(VOLUNTEER_A, accept))
    assert "接受了" in harness.last_text(WORKER_G1)
    await harness.send(updates.press(VOLUNTEER_A, accept))
    assert answers(harness)[-1] == "这个邀请已经回复过了。"
    assert await harness.services.store.points.balance(VOLUNTEER_A) == 0  # no points for this
    assert "13700001111" not in all_text(harness, VOLUNTEER_A)
