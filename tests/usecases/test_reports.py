"""bot/usecases/reports.py on a real SQLite file, no Application: one unit of work per move."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.access import Rule
from bot.domain.deadlines import Span
from bot.domain.reports import RejectReason, Status
from bot.notices import outgoing
from bot.services import Services
from bot.usecases.reports import (
    accept,
    check,
    decide_extension,
    escalate_due,
    open_reports_of,
    refer_up,
    reject,
    reopen,
    request_extension,
    resolve,
    save_move,
    submit,
    transfer,
    transfer_targets,
    verify,
)
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from storage.reports import StaleReport
from tests.conftest import COMMUNITY, RESIDENT, RESIDENT_2, WORKER_G1, WORKER_G2


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


async def refusals(services: Services) -> list[tuple]:
    rows = await services.store.db.fetchall("SELECT user_id, action, rule, target FROM refusals")
    return [tuple(row) for row in rows]


async def accepted(services: Services):
    report = await new_report(services)
    done = await accept(services, report.id, by=WORKER_G1, at=services.clock())
    assert isinstance(done, Done) and done.value.status is Status.ACCEPTED
    return done.value


async def test_resolve_by_a_stranger_is_refused_and_recorded(services: Services):
    report = await accepted(services)
    outcome = await resolve(
        services, report.id, by=WORKER_G2, at=services.clock(), photo="after", note="好了"
    )
    assert isinstance(outcome, Refused) and outcome.key == "worker.not_allowed"
    assert outcome.params == {"number": report.number}
    assert await refusals(services) == [
        (WORKER_G2, "message", "report_handle", f"report:{report.id}")
    ]
    stored = await services.reports.get(report.id)
    assert stored is not None and stored.status is Status.ACCEPTED


async def test_resolve_by_the_assignee_is_done_and_ends_their_flow(services: Services):
    report = await accepted(services)
    await services.drafts.put(
        Draft(WORKER_G1, "resolve", "note", {"report": report.id}), services.clock()
    )
    outcome = await resolve(
        services, report.id, by=WORKER_G1, at=services.clock(), photo="after", note="好了"
    )
    assert isinstance(outcome, Done) and outcome.value.status is Status.RESOLVED
    assert await services.drafts.get(WORKER_G1) is None


async def test_resolve_twice_at_once_moves_once(services: Services):
    report = await accepted(services)
    outcomes = await asyncio.gather(
        *(
            resolve(services, report.id, by=WORKER_G1, at=services.clock(), photo=p, note="好")
            for p in ("a", "b")
        )
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Done", "Refused"]
    [refused] = [o for o in outcomes if isinstance(o, Refused)]
    assert refused.key in ("worker.stale", "worker.invalid")  # lost the race, or came after it
    events = [e.action for e in await services.reports.events(report.id)]
    assert events.count(domain.Action.RESOLVE) == 1


async def test_check_says_what_is_wrong(services: Services):
    at = services.clock()
    assert await check(services, 999, by=WORKER_G1, at=at) == Refused("worker.forged")
    report = await accepted(services)
    outcome = await check(services, report.id, by=WORKER_G1, at=at, action=domain.Action.ACCEPT)
    assert outcome == Refused(
        "worker.invalid", {"number": report.number, "status": Status.ACCEPTED}
    )
    done = await check(services, report.id, by=WORKER_G1, at=at, action=domain.Action.RESOLVE)
    assert isinstance(done, Done) and done.value.staff.user_id == WORKER_G1


async def test_transfer_to_someone_no_longer_a_target_is_refused(services: Services):
    report = await accepted(services)
    targets = await transfer_targets(services, report, by=WORKER_G1)
    assert WORKER_G1 not in {s.user_id for s in targets} and targets
    gone = await transfer(services, report.id, by=WORKER_G1, to_user=RESIDENT, at=services.clock())
    assert gone == Refused("transfer.target_gone", {"number": report.number})
    to = targets[0].user_id
    done = await transfer(services, report.id, by=WORKER_G1, to_user=to, at=services.clock())
    assert isinstance(done, Done) and done.value.assignee_id == to


async def test_refer_up_moves_to_the_next_tier_and_reject_closes(services: Services):
    report = await accepted(services)
    up = await refer_up(services, report.id, by=WORKER_G1, at=services.clock(), reason="需协调")
    assert isinstance(up, Done) and up.value.holder_unit == "C1"
    other = await accepted(services)
    closed = await reject(
        services,
        other.id,
        by=WORKER_G1,
        at=services.clock(),
        reason=RejectReason.DUPLICATE,
        note="重复",
    )
    assert isinstance(closed, Done) and closed.value.status is Status.REJECTED


async def resolved_report(services: Services):
    report = await accepted(services)
    done = await resolve(
        services, report.id, by=WORKER_G1, at=services.clock(), photo="after", note="好了"
    )
    assert isinstance(done, Done)
    return done.value


async def test_only_the_reporter_verifies_and_a_second_rating_is_not_now(services: Services):
    report = await resolved_report(services)
    at = services.clock()
    stranger = await verify(services, report.id, by=RESIDENT_2, at=at, stars=5)
    assert stranger == Refused("common.not_allowed", {}, Rule.REPORT_VERIFY)
    assert await refusals(services) == [
        (RESIDENT_2, "report:stars", "report_verify", f"report:{report.id}")
    ]
    done = await verify(services, report.id, by=RESIDENT, at=at, stars=4)
    assert isinstance(done, Done) and done.value.status is Status.CLOSED
    again = await verify(services, report.id, by=RESIDENT, at=at, stars=5)
    assert again == Refused("verify.not_now", {"number": report.number, "status": Status.CLOSED})
    commented = await verify(services, report.id, by=RESIDENT, at=at, comment="谢谢")
    assert isinstance(commented, Done) and commented.value.comment == "谢谢"


async def test_reopen_sends_the_report_one_tier_up(services: Services):
    report = await resolved_report(services)
    done = await reopen(services, report.id, by=RESIDENT, at=services.clock())
    assert isinstance(done, Done)
    assert (done.value.status, done.value.holder_unit) == (Status.OPEN, "C1")


async def test_open_reports_of_lists_what_the_staff_member_may_act_on(services: Services):
    report = await new_report(services)
    assert [r.id for r in await open_reports_of(services, WORKER_G1)] == [report.id]
    assert await open_reports_of(services, WORKER_G2) == []  # another grid
    assert await open_reports_of(services, RESIDENT) == []  # not staff
    await resolve_it(services, report.id)
    assert await open_reports_of(services, WORKER_G1) == []


async def resolve_it(services: Services, report_id: int | None) -> None:
    at = services.clock()
    assert isinstance(await accept(services, report_id, by=WORKER_G1, at=at), Done)
    done = await resolve(services, report_id, by=WORKER_G1, at=at, photo="a", note="好")
    assert isinstance(done, Done)


async def test_an_extension_is_asked_by_the_holder_and_decided_above(services: Services):
    report = await accepted(services)
    at = services.clock()
    asked = await request_extension(
        services, report.id, by=WORKER_G1, at=at, span=Span.parse("2d"), reason="等配件"
    )
    assert isinstance(asked, Done)
    again = await request_extension(
        services, report.id, by=WORKER_G1, at=at, span=Span.parse("1d"), reason="再等"
    )
    assert again == Refused("extension.gone", {"number": report.number})
    request = int(asked.value.extra["extension"]["n"])
    self_approved = await decide_extension(
        services, report.id, request, by=WORKER_G1, at=at, approve=True
    )
    assert isinstance(self_approved, Refused) and self_approved.key == "extension.not_allowed"
    assert (WORKER_G1, "ext:ok", "extension_decide", f"report:{report.id}") in await refusals(
        services
    )
    done = await decide_extension(services, report.id, request, by=COMMUNITY, at=at, approve=True)
    assert isinstance(done, Done) and done.value.due_at is not None
    assert report.due_at is not None and done.value.due_at > report.due_at
    twice = await decide_extension(services, report.id, request, by=COMMUNITY, at=at, approve=True)
    assert twice == Refused("extension.stale")
