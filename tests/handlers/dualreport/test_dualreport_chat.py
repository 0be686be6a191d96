"""双报告 in chat: a party member picks their work unit at /volunteer (or types another, told it
gets no report), and staff page through /dualreport; wrong input and forged presses change
nothing."""

from __future__ import annotations

from bot.domain.points import PointKind
from tests import updates
from tests.conftest import COMMUNITY, HEAD_G1
from tests.handlers.dualreport.support import (
    config_path,  # noqa: F401  (the office with work units)
    party_member,
)
from tests.handlers.volunteers.support import person

NEWCOMER = 7101


async def up_to_the_party_step(harness) -> None:
    await person(harness, NEWCOMER, "刘党员", unit="B1")
    await harness.send(updates.text(NEWCOMER, "/volunteer"))
    await harness.send(updates.text(NEWCOMER, "刘党员"))
    await harness.send(updates.text(NEWCOMER, "跳过"))
    await harness.send(updates.press(NEWCOMER, "volreg:skill:repair"))
    await harness.send(updates.press(NEWCOMER, "volreg:skills_done"))
    await harness.send(updates.press(NEWCOMER, "volreg:team:-"))
    await harness.send(updates.press(NEWCOMER, "volreg:avail:weekend"))
    await harness.send(updates.press(NEWCOMER, "volreg:avail_done"))
    await harness.send(updates.press(NEWCOMER, harness.button(NEWCOMER, "place:home:")))
    await harness.send(updates.press(NEWCOMER, "volreg:party:1"))


async def test_a_party_member_picks_a_configured_work_unit_or_types_one_that_gets_no_report(
    harness,
):
    await up_to_the_party_step(harness)
    assert "请选择您的工作单位" in harness.last_text(NEWCOMER)
    assert [data for _, data in harness.buttons(NEWCOMER)] == [
        "volreg:wu:tax",
        "volreg:wu:bank",
        "volreg:wu:-",
    ]
    await harness.send(updates.press(NEWCOMER, "volreg:wu:gone"))  # forged: not configured
    assert "这个按钮已失效" in harness.last_text(NEWCOMER)
    draft = await harness.services.drafts.get(NEWCOMER)
    assert draft is not None and draft.step == "work_unit"

    await harness.send(updates.press(NEWCOMER, "volreg:wu:tax"))
    assert "每月将向“区税务局”反馈" in harness.last_text(NEWCOMER)
    await harness.send(updates.press(NEWCOMER, "volreg:submit"))
    stored = await harness.services.store.volunteers.get(NEWCOMER)
    assert stored is not None
    assert (stored.work_unit, stored.work_unit_code) == ("区税务局", "tax")

    # Redone with a work unit that is not configured: typed as before, and said to get no report.
    await harness.send(updates.press(NEWCOMER, "volreg:redo"))
    await harness.send(updates.text(NEWCOMER, "刘党员"))
    await up_to_the_party_step(harness)
    await harness.send(updates.press(NEWCOMER, "volreg:wu:-"))
    assert "请输入您的工作单位" in harness.last_text(NEWCOMER)
    await harness.send(updates.text(NEWCOMER, "市自来水公司"))
    assert "不会收到双报告" in harness.last_text(NEWCOMER)
    await harness.send(updates.press(NEWCOMER, "volreg:submit"))
    stored = await harness.services.store.volunteers.get(NEWCOMER)
    assert stored is not None
    assert (stored.work_unit, stored.work_unit_code) == ("市自来水公司", None)


async def test_staff_page_through_the_preview_and_bad_input_is_answered_politely(harness):
    services = harness.services
    for i in range(12):
        await party_member(services, 6200 + i, f"成员{i:02d}")
    await services.store.points.award(6203, PointKind.WISH, 1, 10, harness.clock())

    await harness.send(updates.text(COMMUNITY, "/dualreport"))
    first = harness.last_text(COMMUNITY)
    assert "双报告预览 · 2026-11" in first and "第 1/2 页" in first
    assert "成员03：微心愿 1 件" in first and "区税务局" in first
    assert "13800000000" not in first
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "dualrep:page:")))
    second = harness.last_text(COMMUNITY)
    assert "第 2/2 页" in second and "成员11" in second
    assert harness.button(COMMUNITY, "dualrep:page:2026-11:0")  # back

    await harness.send(updates.press(COMMUNITY, "dualrep:page:2026-99:0"))  # forged month
    assert "这个按钮已失效" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/dualreport 2026-13"))
    assert "月份格式应为 YYYY-MM" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/dualreport 2026-10"))
    assert "双报告预览 · 2026-10" in harness.last_text(COMMUNITY)
    assert "暂无经核实的服务" in harness.last_text(COMMUNITY)

    await harness.send(updates.text(HEAD_G1, "/dualreport"))  # a grid head may not
    assert "仅限社区及以上工作人员" in harness.last_text(HEAD_G1)
    await harness.send(updates.press(HEAD_G1, "dualrep:page:2026-11:1"))  # nor page it
    assert "仅限社区及以上工作人员" in harness.last_text(HEAD_G1)
