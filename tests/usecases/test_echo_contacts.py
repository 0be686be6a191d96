"""bot/usecases/echo.py and contacts.py on a real SQLite file (no Application): what is
scheduled, posted once, refused, and published."""

from __future__ import annotations

from bot.domain import reports as domain
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, Status
from bot.services import Services
from bot.usecases import contacts, echo
from bot.usecases.reports import save_move, submit, verify
from bot.usecases.results import Done, Refused
from tests.conftest import COMMUNITY, HEAD_G1, RESIDENT, WORKER_G1, WORKER_G2

CHANNEL = -1001234567890


async def resolved(services: Services) -> Report:
    at = services.clock()
    await services.people.touch(RESIDENT, "张三", "zh", at)
    stored = await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="垃圾桶满了",
        photos=("p1",),
    )
    worker = await services.people.staff(WORKER_G1)
    after, event = domain.resolve(stored, worker, at, photo="after", note="已清运")
    return await save_move(services, stored, after, event)


async def channel_rows(services: Services) -> list:
    return await services.store.db.fetchall(
        "SELECT method FROM outbox WHERE chat_id = ?", (CHANNEL,)
    )


async def test_without_a_channel_nothing_is_scheduled_or_posted(services: Services):
    report = await resolved(services)
    assert isinstance(
        await verify(services, report.id, by=RESIDENT, at=services.clock(), stars=5), Done
    )
    assert await echo.post_due(services, at=services.clock()) == 0
    assert await services.store.echo.due(services.clock(), 10) == []


async def test_a_verified_case_is_posted_once_and_a_consent_from_someone_else_is_refused(
    services: Services,
):
    services.settings.echo.channel = CHANNEL
    report = await resolved(services)
    at = services.clock()
    refused = await echo.consent(services, report.id, by=WORKER_G2, at=at, allow=True)
    assert isinstance(refused, Refused) and refused.rule is not None
    assert isinstance(await echo.consent(services, report.id, by=RESIDENT, at=at, allow=True), Done)
    closed = await verify(services, report.id, by=RESIDENT, at=at, stars=4)
    assert isinstance(closed, Done) and closed.value.status is Status.CLOSED
    late = await echo.consent(services, report.id, by=RESIDENT, at=at, allow=False)
    assert isinstance(late, Refused) and late.key == "verify.not_now"  # closed: too late
    assert await echo.post_due(services, at=at) == 1
    assert await echo.post_due(services, at=at) == 0
    assert [r["method"] for r in await channel_rows(services)] == ["sendPhoto"]  # before|after


async def test_a_stale_verify_schedules_nothing(services: Services):
    services.settings.echo.channel = CHANNEL
    report = await resolved(services)
    at = services.clock()
    assert isinstance(await verify(services, report.id, by=RESIDENT, at=at, stars=4), Done)
    again = await verify(services, report.id, by=RESIDENT, at=at, stars=2)  # a second press
    assert isinstance(again, Refused)
    assert await echo.post_due(services, at=at) == 1
    assert len(await channel_rows(services)) == 1


async def test_contacts_refuse_config_staff_and_publish_invited_staff(services: Services):
    at = services.clock()
    await services.people.sync_staff([Staff(111, "孙网格", Role.GRID_WORKER, "G1")], "invite", at)
    config = await contacts.change(services, HEAD_G1, by=COMMUNITY, at=at, public=True)
    assert isinstance(config, Refused) and config.key == "contacts.in_config"
    bad = await contacts.change(services, 111, by=COMMUNITY, at=at, field="title", text="x" * 99)
    assert isinstance(bad, Refused) and bad.key == "contacts.bad_text"
    assert isinstance(await contacts.change(services, 111, by=COMMUNITY, at=at, public=True), Done)
    await services.people.touch(RESIDENT, "张三", "zh", at)
    assert isinstance(await contacts.serving(services, RESIDENT), Refused)  # no place yet
    await services.people.update(RESIDENT, at, unit="B1")
    found = await contacts.serving(services, RESIDENT)
    assert isinstance(found, Done) and [p.name for p in found.value.people] == ["孙网格"]
    people = await contacts.publishable(services, by=HEAD_G1, at=at)
    assert isinstance(people, Done) and {s.user_id for s in people.value} == {WORKER_G1, 111}
