"""bot/usecases/reports.py on a real SQLite file, no Application: one unit of work per move."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.reports import Status
from bot.notices import outgoing
from bot.services import Services
from bot.usecases.reports import escalate_due, save_move, submit
from storage.drafts import Draft
from storage.reports import StaleReport
from tests.conftest import RESIDENT, WORKER_G1


async def count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def new_report(services: Services, **extra):
    return await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道里堆满了杂物",
        photos=["before-1"],
        **extra,
    )


async def test_submit_stores_the_report_its_event_and_its_notices(services: Services):
    report = await new_report(services)
    stored = await services.reports.get(report.id)
    assert stored is not None and stored.photos == ("before-1",) and stored.version == 1
    assert [e.action for e in await services.reports.events(report.id)] == [domain.Action.SUBMIT]
    assert await count(services, "outbox") > 0  # the reporter's receipt and the holder's card


async def test_submit_inside_an_outer_transaction_that_raises_leaves_nothing(
    services: Services,
):
    with pytest.raises(RuntimeError):
        async with services.store.transaction():
            await new_report(services)
            raise RuntimeError("the caller's own write failed")
    assert await count(services, "reports") == 0
    assert await count(services, "report_events") == 0
    assert await count(services, "outbox") == 0


async def test_a_failing_hook_stores_nothing(services: Services):
    async def broken(conn, stored) -> None:
        raise RuntimeError("link failed")

    with pytest.raises(RuntimeError):
        await new_report(services, hook=broken)
    assert await count(services, "reports") == 0
    assert await count(services, "outbox") == 0


async def test_submit_clears_the_draft_in_the_same_commit(services: Services):
    await services.drafts.put(Draft(RESIDENT, "report", "describe", {}), services.clock())
    await new_report(services, clear_draft_of=RESIDENT)
    assert await services.drafts.get(RESIDENT) is None


async def test_two_moves_from_the_same_version_one_wins(services: Services):
    report = await new_report(services)
    assert report.assignee_id == WORKER_G1
    worker = await services.people.staff(WORKER_G1)
    assert worker is not None
    accepted, event = domain.accept(report, worker, services.clock())
    await save_move(services, report, accepted, event)
    with pytest.raises(StaleReport):
        await save_move(services, report, accepted, event)
    stored = await services.reports.get(report.id)
    assert stored is not None and stored.status is Status.ACCEPTED and stored.version == 2


async def test_a_card_queued_again_unchanged_is_not_edited(services: Services):
    """Telegram refuses an edit that changes nothing ("message is not modified")."""
    now = services.clock()
    first = outgoing.card(RESIDENT, "report:1", "案件 1：待接单")
    await services.outbox.send([first], now)
    [row] = await services.outbox.due(now)
    await services.outbox.mark_sent(row, now, 77)

    await services.outbox.send([outgoing.card(RESIDENT, "report:1", "案件 1：待接单")], now)
    assert await services.outbox.due(now) == []  # nothing to edit

    await services.outbox.send([outgoing.card(RESIDENT, "report:1", "案件 1：处置中")], now)
    [edit] = await services.outbox.due(now)
    assert edit.card_message_id == 77 and edit.params["text"] == "案件 1：处置中"


async def test_a_card_sent_anew_is_sent_even_when_unchanged(services: Services):
    now = services.clock()
    card = outgoing.card(RESIDENT, "report:1", "案件 1：待接单")
    await services.outbox.send([card], now)
    [row] = await services.outbox.due(now)
    await services.outbox.mark_sent(row, now, 77)
    await services.outbox.send_anew([card], now)
    [again] = await services.outbox.due(now)
    assert again.card_message_id is None and again.params["text"] == "案件 1：待接单"


async def test_the_deadline_sweep_run_twice_at_once_acts_once(services: Services):
    report = await new_report(services)
    later = services.clock() + timedelta(days=3)  # far past the grid's accept deadline
    acted = await asyncio.gather(escalate_due(services, later), escalate_due(services, later))
    assert sorted(acted) == [0, 1]
    events = [e.action for e in await services.reports.events(report.id)]
    assert events[0] is domain.Action.SUBMIT and len(events) == 2
    assert await escalate_due(services, later) == 0


async def test_the_deadline_sweep_stops_at_its_limit(services: Services):
    for _ in range(3):
        await new_report(services)
    later = services.clock() + timedelta(days=3)
    assert await escalate_due(services, later, limit=2) == 2
    assert await escalate_due(services, later, limit=2) == 1
