"""Where the parts of issue 9 meet, on a real SQLite file without Telegram: a merge or an approved
退单 against live call-ins (吹哨报到), and call-ins on a merged duplicate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.callins import State
from bot.domain.reports import RejectReason, Status
from bot.services import Services
from bot.usecases import callins, duplicates
from bot.usecases.results import Done, Refused
from tests.callin_office import PROPERTY_CO, add_parties
from tests.conftest import COMMUNITY, RESIDENT_2, WORKER_G1
from tests.db_tables import table_names
from tests.handlers.residents.test_erasure import dump, holds
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


# Erasure over issue 9's tables -------------------------------------------------------------

PARTNER_NOTE = "已派保洁三人清运完毕"
PARTNER_PHONE = "02788886666"
PARTNER_PHOTO = "partner-after-photo"
RESIDENT_NAME = "赵美兰"


async def every_row(services: Services) -> list[str]:
    db = services.store.db
    out: list[str] = []
    for name in await table_names(db):
        out += dump(await db.fetchall(f'SELECT * FROM "{name}"'), name)
    return out


async def test_a_resident_who_followed_voted_and_muted_and_a_partner_who_answered_leave_no_trace(
    services, clock
):
    from bot.domain.people import Person
    from bot.domain.privacy import erase_items
    from bot.usecases import broadcasts, polls, privacy
    from bot.usecases.reports import resolve
    from tests.conftest import RESIDENT

    now = clock()
    await services.people.touch(RESIDENT, RESIDENT_NAME, "zh", now)
    await services.people.update(RESIDENT, now, unit="B1")
    await services.people.touch(PROPERTY_CO, "物业管家", "zh", now)
    own = await new_report(services)  # RESIDENT reported …
    followed = await new_report(services, reporter=RESIDENT_2)
    assert isinstance(await duplicates.follow(services, followed.id, by=RESIDENT, at=now), Done)
    held = await accepted_report(services, clock)  # … and the partner answers a call-in here
    [prop] = await called(services, clock, held, ["wy"])
    assert isinstance(await callins.acknowledge(services, prop.id, by=PROPERTY_CO, at=now), Done)
    finished = await callins.finish(
        services, prop.id, by=PROPERTY_CO, at=now, note=PARTNER_NOTE, photo=PARTNER_PHOTO
    )
    assert isinstance(finished, Done)
    async with services.store.db.transaction() as conn:  # what /grid published about them
        await conn.execute(
            "INSERT INTO staff_contacts (user_id, public, public_phone, updated_by, updated_at)"
            " VALUES (?, 1, ?, ?, '2026-01-01') ON CONFLICT (user_id) DO UPDATE SET public = 1,"
            " public_phone = excluded.public_phone, updated_by = excluded.updated_by",
            (PROPERTY_CO, PARTNER_PHONE, COMMUNITY),
        )
    # The followed report is resolved; the follower rates it. A poll asks them; they vote, mute.
    accepted = await callins_free_accept(services, followed.id, clock)
    assert isinstance(
        await resolve(services, accepted.id, by=WORKER_G1, at=now, photo="p", note="好了"), Done
    )
    assert isinstance(
        await duplicates.follower_answer(services, followed.id, by=RESIDENT, at=now, stars=4), Done
    )
    await services.people.touch(COMMUNITY, "陈社区", "zh", now)
    poll = await polls.create(
        services, by=Person(COMMUNITY, "陈社区", "zh"), unit="C1", question="装电梯吗？",
        options=["装", "不装"], closes_at=now + timedelta(days=1), at=now,
    )  # fmt: skip
    assert isinstance(poll, Done) and poll.value.id is not None
    voter = Person(RESIDENT, RESIDENT_NAME, "zh")
    assert isinstance(await polls.vote(services, poll.value.id, 1, by=voter, at=now), Done)
    await broadcasts.mute(services, RESIDENT, lang="zh", at=now)
    strings = (RESIDENT_NAME, "物业管家", PARTNER_NOTE, PARTNER_PHONE, PARTNER_PHOTO)
    before = await every_row(services)
    for table in ("report_followers", "poll_votes", "broadcast_mutes", "callins", "callin_events"):
        assert any(
            r.startswith(f"{table}|") and holds(r, RESIDENT, strings) for r in before
        ) or any(r.startswith(f"{table}|") and holds(r, PROPERTY_CO, strings) for r in before), (
            table
        )
    assert own.reporter_id == RESIDENT
    # /delete_my_data names each of them before anything is erased
    held = await services.privacy.holdings(RESIDENT, now)
    assert (held.followed, held.votes, held.muted) == (1, 1, True)
    assert {"erasure.item_followed", "erasure.item_votes", "erasure.item_muted"} <= {
        key for key, _ in erase_items(held)
    }

    assert isinstance(await privacy.erase_person(services, RESIDENT, at=now), Done)
    held = await services.privacy.holdings(RESIDENT, now)
    assert (held.followed, held.votes, held.muted) == (0, 0, False)
    await services.people.deactivate(PROPERTY_CO, None, now)  # staff leave before erasure
    assert isinstance(await privacy.erase_person(services, PROPERTY_CO, at=now), Done)

    # A former staff member's staff record follows the office's rules (README: Erasure).
    after = [r for r in await every_row(services) if not r.startswith(("staff|", "staff_events|"))]
    left = {
        row: holds(row, RESIDENT, strings) + holds(row, PROPERTY_CO, strings)
        for row in after
        if holds(row, RESIDENT, strings) or holds(row, PROPERTY_CO, strings)
    }
    assert left == {}
    votes = await services.store.db.fetchall("SELECT option FROM poll_votes")
    assert [r["option"] for r in votes] == [1]  # the vote still counts, pseudonymised


async def callins_free_accept(services: Services, report_id: int, clock):
    from bot.usecases.reports import accept

    done = await accept(services, report_id, by=WORKER_G1, at=clock())
    assert isinstance(done, Done), done
    return done.value


async def test_a_follower_s_status_card_names_the_departments_called_in_as_the_reporter_s_does(
    services, clock
):
    report = await accepted_report(services, clock)
    assert isinstance(await duplicates.follow(services, report.id, by=RESIDENT_2, at=clock()), Done)

    [prop] = await called(services, clock, report, ["wy"])

    told = await texts_to(services, RESIDENT_2)
    assert any("已吹哨：物业" in t for t in told)  # their card (pending: edited in place)
    assert not any("楼道里堆满了杂物" in t for t in told)  # the reporter's words stay theirs
    await callins.withdraw(services, prop.id, by=WORKER_G1, at=clock(), reason="不涉及")
    assert not any("已吹哨" in t for t in await texts_to(services, RESIDENT_2))


async def test_a_case_a_follower_closes_for_an_erased_reporter_reaches_the_echo_wall_without_photos(
    services, clock
):
    from bot.domain import reports as domain
    from bot.usecases import echo, privacy
    from bot.usecases.reports import save_move
    from tests.conftest import RESIDENT

    channel = -1001234567890
    services.settings.echo.channel = channel
    await services.people.touch(RESIDENT, RESIDENT_NAME, "zh", clock())
    await services.people.touch(RESIDENT_2, "关注者", "zh", clock())
    report = await new_report(services)
    assert isinstance(await duplicates.follow(services, report.id, by=RESIDENT_2, at=clock()), Done)
    worker = await services.people.staff(WORKER_G1)
    report = await services.reports.get(report.id)  # the follow moved its version on
    after, event = domain.resolve(report, worker, clock(), photo="after-9", note="已清运")
    resolved = await save_move(services, report, after, event)
    assert isinstance(await privacy.erase_person(services, RESIDENT, at=clock()), Done)

    closed = await duplicates.follower_answer(
        services, resolved.id, by=RESIDENT_2, at=clock(), stars=5
    )

    assert isinstance(closed, Done) and closed.value.status is Status.CLOSED
    assert await echo.post_due(services, at=clock()) == 1
    posts = await services.store.db.fetchall(
        "SELECT method, payload FROM outbox WHERE chat_id = ?", (channel,)
    )
    assert [p["method"] for p in posts] == ["sendMessage"]  # no photos: nobody agreed
    assert "已清运" in posts[0]["payload"]
    assert str(RESIDENT_2) not in posts[0]["payload"] and "关注者" not in posts[0]["payload"]
