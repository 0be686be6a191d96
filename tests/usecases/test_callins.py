"""bot/usecases/callins.py on a real SQLite file, no Application: 吹哨, 报到, done, withdraw,
the resolve gate (首问责任制) and the overdue sweep."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.domain import reports as domain_reports
from bot.domain.access import Rule
from bot.domain.callins import State
from bot.domain.reports import RejectReason, Status
from bot.services import Services
from bot.usecases import callins
from bot.usecases.reports import accept, after_callins, move, reject, resolve, submit
from bot.usecases.results import Done, Refused
from tests.callin_office import CITY, MARKET, OWNERS_CO, PROPERTY_CO, RESIDENTS_CO, add_parties
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.fakes import FakeClock


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_parties(config_path)


async def count(services: Services, sql: str, *params: object) -> int:
    row = await services.store.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


async def texts_to(services: Services, chat_id: int) -> list[str]:
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    out = []
    for row in rows:
        params = json.loads(row["payload"])
        out.append(params.get("text") or params.get("caption") or "")
    return out


async def accepted_report(services: Services, clock: FakeClock, *, category: str = "litter"):
    report = await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category=category,
        unit="B1",
        description="楼道里堆满了杂物",
        photos=["before-1"],
    )
    done = await accept(services, report.id, by=WORKER_G1, at=clock())
    assert isinstance(done, Done)
    return done.value


async def called(services: Services, clock: FakeClock, report, codes: list[str]):
    outcome = await callins.call_in(services, report.id, codes, by=WORKER_G1, at=clock())
    assert isinstance(outcome, Done), outcome
    return outcome.value


async def test_the_holder_calls_two_parties_in_and_each_gets_its_card(services, clock):
    report = await accepted_report(services, clock)

    city, prop = await called(services, clock, report, ["cg", "wy"])

    assert (city.state, prop.state) == (State.CALLED, State.CALLED)
    assert city.due_at is not None and city.due_at > clock()
    kinds = await services.store.db.fetchall("SELECT kind FROM callin_events ORDER BY id")
    assert [r["kind"] for r in kinds] == ["called", "called"]
    assert any("城管" in t and report.number in t for t in await texts_to(services, CITY))
    assert any("报到" in t for t in await texts_to(services, PROPERTY_CO))
    # The reporter's status card names the parties, never persons; the holder's card shows them.
    reporter = await texts_to(services, RESIDENT)
    assert any("已吹哨：城管、物业" in t for t in reporter)
    assert not any("城管队员" in t or "物业管家" in t for t in reporter)
    assert any("城管：待报到" in t for t in await texts_to(services, WORKER_G1))
    # 首问责任制: the report's holder and assignee did not change (its version moved on, so a
    # move read before the call-in is stale).
    after = await services.reports.get(report.id)
    assert (after.assignee_id, after.holder_unit, after.version) == (WORKER_G1, "G1", 3)
    assert [e.action.value for e in await services.reports.events(report.id)] == [
        "submit",
        "accept",
    ]


@pytest.mark.parametrize(
    ("codes", "key"),
    [
        (["nope"], "callin.unknown_party"),
        (["sj"], "callin.not_covered"),  # 市场监管 takes property cases only
        ([], "callin.none_chosen"),
        (["cg", "nope"], "callin.unknown_party"),  # all or nothing: 城管 is not called either
    ],
)
async def test_a_bad_party_is_refused_politely_and_nothing_is_written(services, clock, codes, key):
    report = await accepted_report(services, clock)
    outbox = await count(services, "SELECT COUNT(*) FROM outbox")

    outcome = await callins.call_in(services, report.id, codes, by=WORKER_G1, at=clock())

    assert isinstance(outcome, Refused) and outcome.key == key
    assert await count(services, "SELECT COUNT(*) FROM callins") == 0
    assert await count(services, "SELECT COUNT(*) FROM callin_events") == 0
    assert await count(services, "SELECT COUNT(*) FROM outbox") == outbox


async def test_calling_a_party_already_in_is_refused_and_the_others_are_not_called(services, clock):
    report = await accepted_report(services, clock)
    await called(services, clock, report, ["cg"])

    outcome = await callins.call_in(services, report.id, ["wy", "cg"], by=WORKER_G1, at=clock())

    assert isinstance(outcome, Refused) and outcome.key == "callin.already_in"
    parties = await services.store.db.fetchall("SELECT party FROM callins")
    assert [r["party"] for r in parties] == ["cg"]


async def test_someone_who_does_not_hold_the_report_cannot_call_in_and_it_is_recorded(
    services, clock
):
    report = await accepted_report(services, clock)

    outcome = await callins.call_in(services, report.id, ["cg"], by=WORKER_G2, at=clock())

    assert isinstance(outcome, Refused) and outcome.key == "callin.not_holder"
    assert outcome.rule is Rule.CALLIN_CALL
    assert await count(services, "SELECT COUNT(*) FROM refusals WHERE rule = 'callin_call'") == 1
    assert await count(services, "SELECT COUNT(*) FROM callins") == 0


async def test_the_holder_resolves_only_once_every_party_is_done_or_withdrawn(services, clock):
    report = await accepted_report(services, clock)
    city, prop = await called(services, clock, report, ["cg", "wy"])

    blocked = await resolve(services, report.id, by=WORKER_G1, at=clock(), photo="p", note="好了")
    assert isinstance(blocked, Refused) and blocked.key == "callin.parts_open"
    refused = await reject(
        services,
        report.id,
        by=WORKER_G1,
        at=clock(),
        reason=RejectReason.INVALID,
        note="x",
    )
    assert isinstance(refused, Refused) and refused.key == "callin.parts_open"

    assert isinstance(await callins.acknowledge(services, city.id, by=CITY, at=clock()), Done)
    done = await callins.finish(
        services, city.id, by=CITY, at=clock(), note="已清运", photo="after"
    )
    assert isinstance(done, Done) and done.value.state is State.DONE
    assert any("已清运" in t for t in await texts_to(services, WORKER_G1))
    still = await resolve(services, report.id, by=WORKER_G1, at=clock(), photo="p", note="好了")
    assert isinstance(still, Refused)

    gone = await callins.withdraw(services, prop.id, by=WORKER_G1, at=clock(), reason="不涉及物业")
    assert isinstance(gone, Done) and gone.value.state is State.WITHDRAWN
    assert any("不涉及物业" in t for t in await texts_to(services, PROPERTY_CO))

    moved = await resolve(services, report.id, by=WORKER_G1, at=clock(), photo="p", note="好了")
    assert isinstance(moved, Done) and moved.value.status is Status.RESOLVED
    kinds = await services.store.db.fetchall("SELECT kind FROM callin_events ORDER BY id")
    assert [r["kind"] for r in kinds] == ["called", "called", "acked", "done", "withdrawn"]


async def test_party_presses_are_checked_against_the_party_and_the_state(services, clock):
    report = await accepted_report(services, clock)
    (city,) = await called(services, clock, report, ["cg"])

    other = await callins.acknowledge(services, city.id, by=MARKET, at=clock())
    assert isinstance(other, Refused) and other.key == "callin.not_member"
    assert other.rule is Rule.CALLIN_ANSWER
    early = await callins.finish(services, city.id, by=CITY, at=clock(), note="x", photo=None)
    assert isinstance(early, Refused) and early.key == "callin.ack_first"
    assert isinstance(await callins.acknowledge(services, city.id, by=CITY, at=clock()), Done)
    again = await callins.acknowledge(services, city.id, by=CITY, at=clock())
    assert isinstance(again, Refused) and again.key == "callin.already_acked"
    forged = await callins.acknowledge(services, 9999, by=CITY, at=clock())
    assert isinstance(forged, Refused) and forged.key == "callin.forged"
    assert await count(services, "SELECT COUNT(*) FROM callin_events") == 2


async def test_an_old_card_after_withdrawal_changes_nothing(services, clock):
    report = await accepted_report(services, clock)
    (city,) = await called(services, clock, report, ["cg"])
    assert isinstance(
        await callins.withdraw(services, city.id, by=WORKER_G1, at=clock(), reason="误派"), Done
    )

    late = await callins.acknowledge(services, city.id, by=CITY, at=clock())

    assert isinstance(late, Refused) and late.key == "callin.was_withdrawn"
    again = await callins.withdraw(services, city.id, by=WORKER_G1, at=clock(), reason="x")
    assert isinstance(again, Refused) and again.key == "callin.was_withdrawn"
    # It can be called again once withdrawn.
    (anew,) = await called(services, clock, report, ["cg"])
    assert anew.id != city.id


async def test_tripartite_calls_the_units_property_residents_and_owners_committees(services, clock):
    report = await accepted_report(services, clock)

    outcome = await callins.call_tripartite(services, report.id, by=WORKER_G1, at=clock())

    assert isinstance(outcome, Done)
    assert sorted(c.party for c in outcome.value) == ["jwh", "wy", "ywh"]
    for member in (PROPERTY_CO, RESIDENTS_CO, OWNERS_CO):
        assert any(report.number in t for t in await texts_to(services, member))
    again = await callins.call_tripartite(services, report.id, by=WORKER_G1, at=clock())
    assert isinstance(again, Refused) and again.key == "callin.no_tripartite"


async def test_an_overdue_call_in_nags_the_party_then_escalates_to_the_holder_and_up(
    services, clock
):
    report = await accepted_report(services, clock)
    (city,) = await called(services, clock, report, ["cg"])
    assert city.due_at is not None

    assert await callins.nag_due(services, clock()) == 0  # not due yet
    clock.now = city.due_at
    assert await callins.nag_due(services, clock()) == 1
    assert await callins.nag_due(services, clock()) == 0  # the same moment again: nothing
    assert any("已超时" in t for t in await texts_to(services, CITY))
    nagged = await services.store.callins.get(city.id)
    assert nagged.stage == 1 and nagged.next_at is not None

    clock.now = nagged.next_at
    assert await callins.nag_due(services, clock()) == 1
    assert any("城管" in t and "超时" in t for t in await texts_to(services, WORKER_G1))
    events = await services.store.callins.events(city.id)
    assert [e.kind.value for e in events] == ["called", "nagged", "escalated"]
    assert events[-1].data["level"] == 1


async def test_after_downtime_an_overdue_call_in_takes_one_step_not_a_burst(services, clock):
    report = await accepted_report(services, clock)
    (city,) = await called(services, clock, report, ["cg"])

    clock.advance(days=30)
    assert await callins.nag_due(services, clock()) == 1

    events = await services.store.callins.events(city.id)
    assert [e.kind.value for e in events] == ["called", "escalated"]
    after = await services.store.callins.get(city.id)
    assert after.next_at is None  # the top of the tree: nothing more to escalate
    assert await callins.nag_due(services, clock.advance(days=30)) == 0


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("category", "at_night"), [("litter", 0), ("safety", 1)])
async def test_a_call_in_nag_keeps_quiet_hours_unless_the_report_is_urgent(
    services, clock, category, at_night
):
    clock.now = datetime(2026, 11, 24, 11, 0, tzinfo=SHANGHAI)  # Tuesday 11:00
    report = await accepted_report(services, clock, category=category)
    (prop,) = await called(services, clock, report, ["wy"])
    assert prop.due_at == datetime(2026, 11, 24, 16, 30, tzinfo=SHANGHAI)  # 4 working hours

    # The sweep was down until 23:00 (quiet hours 22:00-07:30); the escalation is not due yet.
    clock.now = datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI)
    assert await callins.nag_due(services, clock()) == at_night
    nags = [t for t in await texts_to(services, PROPERTY_CO) if "已超时" in t]
    assert len(nags) == at_night
    if at_night:  # urgent: nagged now, as an urgent report's own nags are
        return
    waiting = await services.store.callins.get(prop.id)
    assert waiting.stage == 0
    assert waiting.next_at == datetime(2026, 11, 25, 7, 30, tzinfo=SHANGHAI)  # the due moves
    assert [e.kind.value for e in await services.store.callins.events(prop.id)] == ["called"]

    clock.now = waiting.next_at  # quiet hours end: the nag goes, once
    assert await callins.nag_due(services, clock()) == 1
    assert await callins.nag_due(services, clock.advance(minutes=1)) == 0
    assert len([t for t in await texts_to(services, PROPERTY_CO) if "已超时" in t]) == 1
    events = await services.store.callins.events(prop.id)
    assert [e.kind.value for e in events] == ["called", "nagged"]


async def test_the_sweep_stops_the_clock_of_a_call_in_whose_report_closed(services, clock):
    report = await accepted_report(services, clock)
    (city,) = await called(services, clock, report, ["cg"])
    # The report is closed another way (e.g. merged by staff): no nag about it.
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE reports SET status = 'closed' WHERE id = ?", (report.id,))

    clock.advance(days=2)
    assert await callins.nag_due(services, clock()) == 0
    assert (await services.store.callins.get(city.id)).next_at is None
    assert not any("已超时" in t for t in await texts_to(services, CITY))


@pytest.mark.sqlite_only
async def test_the_due_query_reads_the_partial_index(services, clock):
    plan = " ".join(await services.store.callins.query_plan(clock()))
    assert "callins_next" in plan


async def test_a_call_in_made_while_a_resolve_is_under_way_makes_that_resolve_stale(
    services, clock
):
    report = await accepted_report(services, clock)
    waits = await after_callins(services, report.id)  # the resolve read: no call-in yet
    await called(services, clock, report, ["cg"])  # … and a call-in commits before it saves

    outcome = await move(
        services,
        report.id,
        waits(lambda r, s: domain_reports.resolve(r, s, clock(), photo="p", note="好了")),
        by=WORKER_G1,
        at=clock(),
    )

    assert isinstance(outcome, Refused) and outcome.key == "worker.stale"
    assert (await services.reports.get(report.id)).status is Status.ACCEPTED


async def test_a_call_in_on_a_report_that_moved_since_it_was_read_writes_nothing(services, clock):
    report = await accepted_report(services, clock)
    assert await services.store.callins.claim_report(report.id, report.version)  # moved on

    assert not await services.store.callins.claim_report(report.id, report.version)
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE reports SET status = 'resolved' WHERE id = ?", (report.id,))
    fresh = await services.reports.get(report.id)
    assert not await services.store.callins.claim_report(report.id, fresh.version)


async def test_calling_in_on_a_finished_report_is_refused_without_blaming_the_holder(
    services, clock
):
    report = await accepted_report(services, clock)
    assert isinstance(
        await resolve(services, report.id, by=WORKER_G1, at=clock(), photo="p", note="好了"), Done
    )

    outcome = await callins.call_in(services, report.id, ["cg"], by=WORKER_G1, at=clock())

    assert isinstance(outcome, Refused) and outcome.key == "callin.not_open"
    assert await count(services, "SELECT COUNT(*) FROM refusals") == 0
    stranger = await callins.call_in(services, report.id, ["cg"], by=WORKER_G2, at=clock())
    assert isinstance(stranger, Refused) and stranger.key == "callin.not_holder"
