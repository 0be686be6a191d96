"""/tasks: a worker's open reports, oldest first, with a button to each card."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.reports import Report
from bot.domain.units import Tier
from bot.texts import Texts
from handlers.reports.tasks import age
from tests import updates
from tests.conftest import COMMUNITY, HEAD_G1, RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.reports.test_worker import new_report, press


async def unassigned_at(harness, unit: str, category: str = "litter") -> Report:
    """Stores a report held unassigned at UNIT (as when its worker has left), bypassing routing."""
    now = harness.clock()
    report = Report(
        reporter_id=RESIDENT,
        category=category,
        unit=unit,
        description="路灯不亮",
        photos=("p",),
        created_at=now,
        updated_at=now,
        holder_unit=unit,
        tier=Tier.GRID,
    )

    async def nothing(_: Report) -> list:
        return []

    event = domain.submit(report, actor_id=RESIDENT, at=now)
    return await harness.services.reports.create(report, event, nothing)


async def tasks_of(harness, user_id: int) -> str:
    await harness.send(updates.text(user_id, "/tasks"))
    return harness.last_text(user_id)


async def test_tasks_lists_open_reports_oldest_first_with_a_card_button_each(harness):
    first = await new_report(harness)
    harness.clock.advance(hours=5)
    second = await new_report(harness, unit="B2", category="road")
    harness.clock.advance(days=2)
    closed = await new_report(harness)
    elsewhere = await new_report(harness, unit="B3")
    await press(harness, WORKER_G1, f"report:accept:{second.id}")
    await press(harness, WORKER_G1, f"report:reject_reason:{closed.id}:invalid")
    await harness.send(updates.text(WORKER_G1, "照片看不清"))
    harness.clock.advance(minutes=30)

    text = await tasks_of(harness, WORKER_G1)

    lines = text.splitlines()
    assert "2 件" in lines[0]
    place = "青山街道 / 春晖社区 / 第一网格 / 1栋"
    assert lines[1] == f"<b>{first.number}</b> 🟢 待接单 · 环境卫生 · {place} · 2 天前"
    assert lines[2].startswith(f"<b>{second.number}</b> 🟢 处置中 · 道路设施")
    assert lines[2].endswith("2 天前")
    assert closed.number not in text and elsewhere.number not in text
    assert [d for _, d in harness.buttons(WORKER_G1)] == [
        f"report:card:{first.id}",
        f"report:card:{second.id}",
    ]


async def test_unassigned_reports_show_for_the_units_staff_and_supervisors_above(harness):
    waiting = await unassigned_at(harness, "G1")

    assert "（待认领）" in await tasks_of(harness, WORKER_G1)
    assert waiting.number in await tasks_of(harness, HEAD_G1)
    assert waiting.number in await tasks_of(harness, COMMUNITY)  # a supervisor sees units below
    assert waiting.number not in await tasks_of(harness, WORKER_G2)


async def test_a_unit_partner_sees_only_unassigned_reports_of_its_categories(harness):
    litter = await unassigned_at(harness, "C1")
    property_ = await unassigned_at(harness, "C1", category="property")

    text = await tasks_of(harness, 401)

    assert property_.number in text and litter.number not in text


async def test_the_tasks_button_shows_the_card_to_an_authorised_worker_only(harness):
    report = await new_report(harness)
    await tasks_of(harness, WORKER_G1)
    shown = harness.button(WORKER_G1, "report:card:")
    harness.request.clear()

    await press(harness, WORKER_G1, shown)
    await press(harness, WORKER_G2, f"report:card:{report.id}")

    [card] = harness.request.sent("sendMessage", WORKER_G1)
    assert report.number in card.params["text"]
    assert "无权办理" in harness.last_text(WORKER_G2)
    assert len(harness.texts_to(WORKER_G2)) == 1  # the refusal, no card


async def test_tasks_says_so_when_there_is_nothing_open(harness):
    assert "没有待办案件" in await tasks_of(harness, WORKER_G2)


async def test_tasks_is_for_staff_only(harness):
    await new_report(harness)
    assert "仅供网格工作人员" in await tasks_of(harness, RESIDENT)


@pytest.mark.parametrize(
    ("delta", "zh", "en"),
    [
        (timedelta(seconds=20), "0 分钟前", "0 min ago"),
        (timedelta(minutes=59), "59 分钟前", "59 min ago"),
        (timedelta(minutes=60), "1 小时前", "1 h ago"),
        (timedelta(hours=23, minutes=59), "23 小时前", "23 h ago"),
        (timedelta(days=1), "1 天前", "1 d ago"),
        (timedelta(days=40, hours=5), "40 天前", "40 d ago"),
        (timedelta(minutes=-5), "0 分钟前", "0 min ago"),
    ],
)
def test_age_is_shown_in_the_largest_whole_unit(delta, zh, en):
    texts = Texts()
    assert (age(delta, "zh", texts), age(delta, "en", texts)) == (zh, en)
