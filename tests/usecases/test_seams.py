"""Where the parts of issue 9 meet, on a real SQLite file without Telegram: a merge or an approved
退单 against live call-ins (吹哨报到), and call-ins on a merged duplicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.callins import State
from bot.domain.reports import RejectReason, Status
from bot.services import Services
from bot.usecases import callins, duplicates
from bot.usecases.results import Done, Refused
from tests.callin_office import PROPERTY_CO, add_parties
from tests.conftest import COMMUNITY, RESIDENT_2, WORKER_G1
from tests.usecases.test_callins import accepted_report, called, texts_to
from tests.usecases.test_duplicates import follower_ids, new_report


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_parties(config_path)


async def rows(services: Services) -> list[tuple]:
    reports = await services.store.db.fetchall("SELECT id, status, version FROM reports")
    events = await services.store.db.fetchall("SELECT COUNT(*) FROM report_events")
    followers = await services.store.db.fetchall("SELECT * FROM report_followers")
    return [tuple(r) for r in [*reports, *events, *followers]]


async def test_a_duplicate_with_live_call_ins_is_not_merged_until_they_are_withdrawn(
    services, clock
):
    survivor = await new_report(services)
    duplicate = await accepted_report(services, clock)
    [prop] = await called(services, clock, duplicate, ["wy"])
    before = await rows(services)

    refused = await duplicates.merge(services, duplicate.id, survivor.id, by=WORKER_G1, at=clock())

    assert refused == Refused(
        "merge.parts_open", {"number": duplicate.number, "survivor": survivor.number}
    )
    assert await rows(services) == before  # nothing written
    gone = await callins.withdraw(services, prop.id, by=WORKER_G1, at=clock(), reason="是重复件")
    assert isinstance(gone, Done) and gone.value.state is State.WITHDRAWN
    merged = await duplicates.merge(services, duplicate.id, survivor.id, by=WORKER_G1, at=clock())
    assert isinstance(merged, Done)
    assert (await services.reports.get(duplicate.id)).status is Status.MERGED


async def test_a_survivor_keeps_its_call_ins_and_a_merged_duplicate_takes_none(services, clock):
    survivor = await accepted_report(services, clock)
    [prop] = await called(services, clock, survivor, ["wy"])
    duplicate = await new_report(services, reporter=RESIDENT_2)

    merged = await duplicates.merge(services, duplicate.id, survivor.id, by=WORKER_G1, at=clock())

    assert isinstance(merged, Done)
    assert (await services.store.callins.get(prop.id)).state is State.CALLED
    assert await follower_ids(services, survivor.id) == [RESIDENT_2]
    late = await callins.call_in(services, duplicate.id, ["cg"], by=WORKER_G1, at=clock())
    assert isinstance(late, Refused) and late.key == "callin.not_open"


async def needs_approval(services: Services) -> None:
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE categories SET reject_needs_approval = 1 WHERE code = 'litter'")
    services.units.invalidate()


async def test_a_return_is_not_approved_while_parties_called_in_after_the_request_still_work(
    services, clock
):
    await needs_approval(services)
    report = await accepted_report(services, clock)
    asked = await duplicates.request_reject(
        services, report.id, by=WORKER_G1, at=clock(), reason=RejectReason.NOT_OURS, note="不归我们"
    )
    assert isinstance(asked, Done)
    [prop] = await called(services, clock, report, ["wy"])

    refused = await duplicates.decide_reject(
        services, report.id, 1, by=COMMUNITY, at=clock(), approve=True
    )

    assert refused == Refused("merge.reject_parts_open", {"number": report.number})
    stored = await services.reports.get(report.id)
    assert stored.status is Status.ACCEPTED and "reject_request" in stored.extra  # still waits
    assert not any("退回" in t for t in await texts_to(services, PROPERTY_CO))
    await callins.withdraw(services, prop.id, by=WORKER_G1, at=clock(), reason="不归物业")
    done = await duplicates.decide_reject(
        services, report.id, 1, by=COMMUNITY, at=clock(), approve=True
    )
    assert isinstance(done, Done) and done.value.status is Status.REJECTED


async def test_a_return_request_is_not_sent_while_parties_called_in_still_work(services, clock):
    await needs_approval(services)
    report = await accepted_report(services, clock)
    await called(services, clock, report, ["wy"])

    refused = await duplicates.request_reject(
        services, report.id, by=WORKER_G1, at=clock(), reason=RejectReason.NOT_OURS, note="不归我们"
    )

    assert refused == Refused("callin.parts_open", {"number": report.number})
    assert "reject_request" not in (await services.reports.get(report.id)).extra
