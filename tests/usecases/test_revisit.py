"""bot/usecases/revisit.py on a real SQLite file, no Application: the task a closing makes, its
cards to community staff (never the handlers), the answer recorded once, "not satisfied"
reopening one tier up or only counting, the sweep's reminder and word to the street."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.access import Rule
from bot.domain.reports import Status
from bot.domain.revisit import State
from bot.services import Services
from bot.usecases import reports, revisit
from bot.usecases.results import Done, Refused
from tests.conftest import COMMUNITY, RESIDENT, STREET, WORKER_G1
from tests.fakes import FakeClock
from tests.revisit_office import mark_revisit


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return mark_revisit(config_path)


async def texts_to(services: Services, chat_id: int) -> list[str]:
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(r["payload"]).get("text", "") for r in rows]


async def count(services: Services, sql: str, *params: object) -> int:
    row = await services.store.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def closed_case(
    services: Services,
    clock: FakeClock,
    *,
    by: int = WORKER_G1,
    stars: int | None = 5,
    anonymous: bool = False,
) -> int:
    """A litter report at B1 handled by BY and closed with STARS (None: left to expire)."""
    await services.people.touch(RESIDENT, "欧阳晓雯", "zh", clock())
    await services.people.update(RESIDENT, clock(), phone="13987654321")
    report = await reports.submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道里堆满了杂物",
        photos=["before-1"],
        extra={"anonymous": True} if anonymous else None,
    )
    assert report.id is not None
    for step in (
        await reports.accept(services, report.id, by=by, at=clock()),
        await reports.resolve(services, report.id, by=by, at=clock(), photo="after", note="清好了"),
    ):
        assert isinstance(step, Done), step
    if stars is not None:
        done = await reports.verify(services, report.id, by=RESIDENT, at=clock(), stars=stars)
        assert isinstance(done, Done), done
    else:
        clock.advance(days=5)
        await reports.escalate_due(services, clock())
    return report.id


async def task_of(services: Services, report_id: int):
    [task] = await services.store.revisits.of_report(report_id)
    return task


async def test_a_closed_case_gets_a_card_to_community_staff_with_the_phone_never_the_handler(
    services, clock
):
    report_id = await closed_case(services, clock)
    assert (await task_of(services, report_id)).state is State.NEW

    assert await revisit.sweep(services, clock()) == 1

    task = await task_of(services, report_id)
    assert task.state is State.OPEN and task.due_at == task.closed_at + timedelta(days=3)
    [card] = [t for t in await texts_to(services, COMMUNITY) if "回访任务" in t]
    assert "13987654321" in card and "欧阳晓雯" in card and "清好了" in card
    assert not any("回访任务" in t for t in await texts_to(services, WORKER_G1))
    assert not any("回访任务" in t for t in await texts_to(services, STREET))
    actions = [e.action.value for e in await services.reports.events(report_id)]
    assert actions[-2:] == ["confirm", "revisit"]
    assert await revisit.sweep(services, clock()) == 0  # once


async def test_an_anonymous_reporter_stays_anonymous_on_the_callers_card(services, clock):
    await closed_case(services, clock, anonymous=True)
    assert await revisit.sweep(services, clock()) == 1
    [card] = [t for t in await texts_to(services, COMMUNITY) if "回访任务" in t]
    assert "匿名居民" in card and "13987654321" not in card and "欧阳晓雯" not in card


async def test_an_unverified_closing_gets_a_task_too(services, clock):
    report_id = await closed_case(services, clock, stars=None)
    assert (await services.reports.get(report_id)).status is Status.CLOSED_UNVERIFIED
    assert (await task_of(services, report_id)).state is State.NEW


async def test_the_handler_is_refused_and_it_is_recorded_even_as_community_staff(services, clock):
    report_id = await closed_case(services, clock, by=COMMUNITY)
    await revisit.sweep(services, clock())
    task = await task_of(services, report_id)
    # The community's only member handled it: the card goes to the street instead.
    assert any("回访任务" in t for t in await texts_to(services, STREET))
    assert not any("回访任务" in t for t in await texts_to(services, COMMUNITY))

    refused = await revisit.record(
        services,
        task.id,
        by=COMMUNITY,
        at=clock(),
        satisfied=True,
        note=None,
        attempted="revisit:yes",
    )

    assert isinstance(refused, Refused) and refused.key == "revisit.handler"
    assert refused.rule is Rule.REVISIT_RECORD
    assert await count(services, "SELECT COUNT(*) FROM refusals WHERE rule = 'revisit_record'") == 1
    assert (await task_of(services, report_id)).state is State.OPEN


@pytest.mark.parametrize(
    ("by", "key"), [(WORKER_G1, "revisit.handler"), (7777, "revisit.not_allowed")]
)
async def test_a_forged_press_by_a_handler_or_a_stranger_changes_nothing(services, clock, by, key):
    report_id = await closed_case(services, clock)
    await revisit.sweep(services, clock())
    task = await task_of(services, report_id)
    refused = await revisit.check(services, task.id, by=by, at=clock(), attempted="revisit:no")
    assert isinstance(refused, Refused) and refused.key == key
    gone = await revisit.check(services, 999, by=COMMUNITY, at=clock(), attempted="revisit:no")
    assert isinstance(gone, Refused) and gone.key == "revisit.gone"


async def test_not_satisfied_reopens_one_tier_up_once_and_cannot_be_changed(services, clock):
    report_id = await closed_case(services, clock)
    await revisit.sweep(services, clock())
    task = await task_of(services, report_id)

    done = await revisit.record(
        services,
        task.id,
        by=COMMUNITY,
        at=clock(),
        satisfied=False,
        note="居民说还是很脏",
        attempted="message",
    )

    assert isinstance(done, Done)
    report = await services.reports.get(report_id)
    assert (report.status, report.tier.value, report.holder_unit) == (
        Status.OPEN,
        "community",
        "C1",
    )
    assert report.stars is None  # the earlier rating no longer stands
    events = await services.reports.events(report_id)
    assert [e.action.value for e in events[-2:]] == ["revisit_answer", "reopen"]
    assert events[-2].note == "居民说还是很脏" and events[-2].data["satisfied"] == 0
    assert events[-1].data["revisit"] == task.id
    assert any("已重新交办" in t for t in await texts_to(services, COMMUNITY))
    assert any("案件" in t and "重新交办" in t for t in await texts_to(services, RESIDENT))

    again = await revisit.record(
        services,
        task.id,
        by=COMMUNITY,
        at=clock(),
        satisfied=True,
        note=None,
        attempted="revisit:yes",
    )
    assert isinstance(again, Refused) and again.key == "revisit.already"
    stored = await task_of(services, report_id)
    assert (stored.satisfied, stored.note) == (False, "居民说还是很脏")
    assert (await services.reports.get(report_id)).status is Status.OPEN


async def test_under_the_count_rule_not_satisfied_only_counts(services, clock):
    services.settings.revisit.unsatisfied = "count"
    report_id = await closed_case(services, clock)
    await revisit.sweep(services, clock())
    task = await task_of(services, report_id)
    done = await revisit.record(
        services,
        task.id,
        by=COMMUNITY,
        at=clock(),
        satisfied=False,
        note=None,
        attempted="revisit:skip",
    )
    assert isinstance(done, Done)
    assert (await services.reports.get(report_id)).status is Status.CLOSED
    day = timedelta(days=1)
    counts = await revisit.month_counts(services, "C1", clock() - day, clock() + day)
    assert counts == (0, 1, 0)


async def test_the_sweep_reminds_then_tells_the_street_once(services, clock):
    report_id = await closed_case(services, clock)
    await revisit.sweep(services, clock())
    clock.advance(days=3)
    assert await revisit.sweep(services, clock()) == 1
    assert any("已到期限" in t for t in await texts_to(services, COMMUNITY))
    assert await revisit.sweep(services, clock()) == 0
    clock.advance(days=2)
    assert await revisit.sweep(services, clock()) == 1
    assert any("仍未进行" in t for t in await texts_to(services, STREET))
    clock.advance(days=30)
    assert await revisit.sweep(services, clock()) == 0
    actions = [e.action.value for e in await services.reports.events(report_id)]
    assert actions[-3:] == ["revisit", "revisit_remind", "revisit_overdue"]


async def test_after_downtime_the_street_is_told_without_a_reminder_first(services, clock):
    report_id = await closed_case(services, clock)
    await revisit.sweep(services, clock())
    clock.advance(days=20)
    assert await revisit.sweep(services, clock()) == 1
    assert await revisit.sweep(services, clock()) == 0
    actions = [e.action.value for e in await services.reports.events(report_id)]
    assert actions[-2:] == ["revisit", "revisit_overdue"]
    assert not any("已到期限" in t for t in await texts_to(services, COMMUNITY))


async def test_the_list_pages_the_tasks_a_caller_may_make(services, clock):
    for _ in range(10):
        await closed_case(services, clock)
    await revisit.sweep(services, clock())
    first = await revisit.waiting(services, by=COMMUNITY, at=clock(), page=0)
    second = await revisit.waiting(services, by=COMMUNITY, at=clock(), page=1)
    assert isinstance(first, Done) and isinstance(second, Done)
    assert (len(first.value.items), len(second.value.items), first.value.total) == (8, 2, 10)
    refused = await revisit.waiting(services, by=WORKER_G1, at=clock(), page=0)
    assert isinstance(refused, Refused) and refused.key == "revisit.staff_only"


async def test_the_reporter_s_not_solved_still_reopens_only_a_resolved_case(services, clock):
    report_id = await closed_case(services, clock)
    refused = await reports.reopen(services, report_id, by=RESIDENT, at=clock())
    assert isinstance(refused, Refused) and refused.key == "verify.not_now"
    assert (await services.reports.get(report_id)).status is Status.CLOSED
