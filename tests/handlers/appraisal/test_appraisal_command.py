"""/appraisal through the real Application: a unit's figures for its staff in private, worker
figures for their supervisors only, a polite answer to a bad month, a partner and a group."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.usecases import reports
from tests import updates
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2

PARTNER = 401
GROUP = -100500


async def a_month(harness) -> None:
    """A report at G1 accepted, resolved and confirmed with 5 stars in November."""
    services, clock = harness.services, harness.clock
    clock.now = datetime(2026, 11, 3, 1, 30, tzinfo=UTC)
    report = await reports.submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道堆放杂物",
        photos=["p1"],
    )
    await reports.accept(services, report.id, by=WORKER_G1, at=clock.advance(minutes=30))
    await reports.resolve(
        services, report.id, by=WORKER_G1, at=clock.advance(hours=2), photo="a", note="好了"
    )
    await reports.verify(services, report.id, by=RESIDENT, at=clock.advance(hours=1), stars=5)
    clock.now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    await harness.deliver()


async def test_the_community_sees_its_figures_sub_units_and_workers(harness):
    await a_month(harness)
    await harness.send(updates.text(COMMUNITY, "/appraisal 2026-11"))
    text = harness.last_text(COMMUNITY)
    assert "春晖社区" in text and "2026-11" in text
    assert "立案 1 件" in text and "满意率 <b>100%</b>" in text
    assert "第一网格" in text and "第二网格" in text  # sub-units ranked, G2 without cases
    assert "李网格" in text  # the worker's own line, for the supervisor


async def test_a_worker_sees_their_own_line_and_no_colleague(harness):
    await a_month(harness)
    await harness.send(updates.text(WORKER_G2, "/appraisal 2026-11"))
    text = harness.last_text(WORKER_G2)
    assert "第二网格" in text and "立案 0 件" in text
    assert "李网格" not in text


async def test_a_bad_month_gets_a_polite_answer(harness):
    await harness.send(updates.text(COMMUNITY, "/appraisal 2026-13"))
    assert "不是月份" in harness.last_text(COMMUNITY)
    await harness.send(updates.text(COMMUNITY, "/appraisal 2026-11 extra"))
    assert "用法" in harness.last_text(COMMUNITY)


async def test_a_partner_and_a_resident_are_refused(harness):
    await harness.send(updates.text(PARTNER, "/appraisal"))
    await harness.send(updates.text(RESIDENT, "/appraisal"))
    for who in (PARTNER, RESIDENT):
        assert "月度通报" not in harness.last_text(who)
    rows = await harness.services.store.db.fetchall("SELECT user_id, rule FROM refusals")
    assert sorted(tuple(row) for row in rows) == [
        (PARTNER, "appraisal_view"),
        (RESIDENT, "appraisal_view"),
    ]


async def test_in_a_group_it_points_to_the_private_chat(harness):
    await a_month(harness)
    await harness.send(updates.text(COMMUNITY, "/appraisal", chat_id=GROUP))
    text = harness.last_text(GROUP)
    assert "私聊" in text and "李网格" not in text
