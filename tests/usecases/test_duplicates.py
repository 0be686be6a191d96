"""bot/usecases/duplicates.py on a real SQLite file, no Application: 并单 and 退单 approval, one
unit of work each, nothing half-written when refused."""

from __future__ import annotations

from bot.domain.reports import RejectReason, Status
from bot.services import Services
from bot.usecases import duplicates
from bot.usecases.reports import refer_up, reject, submit
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import COMMUNITY, RESIDENT, RESIDENT_2, WORKER_G1, WORKER_G2

RESIDENT_3, RESIDENT_4 = 5003, 5004


async def new_report(services: Services, *, reporter: int = RESIDENT, unit: str = "B1", **more):
    return await submit(
        services,
        reporter_id=reporter,
        entered_by=None,
        category=more.pop("category", "litter"),
        unit=unit,
        description="楼道里堆满了杂物",
        photos=["before-1"],
        **more,
    )


async def follower_ids(services: Services, report_id: int) -> list[int]:
    return [f.user_id for f in await services.store.followers.of(report_id)]


async def outbox_to(services: Services, chat_id: int) -> int:
    row = await services.store.db.fetchone(
        "SELECT COUNT(*) FROM outbox WHERE chat_id = ?", (chat_id,)
    )
    assert row is not None
    return int(row[0])


async def test_candidates_are_the_nearby_open_reports_of_the_category_but_not_one_s_own(
    services: Services,
):
    here = await new_report(services)
    await new_report(services, unit="B3")  # 1.4 km away
    mine = await new_report(services, reporter=RESIDENT_2)
    found = await duplicates.candidates(
        services, category="litter", unit="B1", lat=None, lon=None, by=RESIDENT_2
    )
    assert [c.report.id for c in found] == [here.id]
    assert mine.id not in [c.report.id for c in found]
    located = await duplicates.candidates(
        services, category="litter", unit="B3", lat=30.6001, lon=114.3, by=RESIDENT_3
    )
    assert here.id in [c.report.id for c in located]  # the shared location counts


async def test_follow_ends_the_draft_in_the_same_commit_and_refuses_a_second_time(
    services: Services,
):
    report = await new_report(services)
    now = services.clock()
    await services.drafts.put(Draft(RESIDENT_2, "report", "dupes", {"photos": ["x"]}), now)
    followed = await duplicates.follow(services, report.id, by=RESIDENT_2, at=now)
    assert isinstance(followed, Done) and followed.value.version == report.version + 1
    assert await services.drafts.get(RESIDENT_2) is None
    again = await duplicates.follow(services, report.id, by=RESIDENT_2, at=now)
    assert again == Refused("merge.follow_already", {"number": report.number})
    own = await duplicates.follow(services, report.id, by=RESIDENT, at=now)
    assert isinstance(own, Refused) and own.key == "merge.follow_own"
    assert await follower_ids(services, report.id) == [RESIDENT_2]


async def test_merge_moves_the_duplicate_s_reporter_and_followers_but_not_the_survivor_s_own(
    services: Services,
):
    now = services.clock()
    survivor = await new_report(services)
    duplicate = await new_report(services, reporter=RESIDENT_2, unit="B2")
    await duplicates.follow(services, duplicate.id, by=RESIDENT_3, at=now)
    await duplicates.follow(services, duplicate.id, by=RESIDENT, at=now)  # the survivor's reporter
    await duplicates.follow(services, survivor.id, by=RESIDENT_4, at=now)
    merged = await duplicates.merge(services, duplicate.id, survivor.id, by=WORKER_G1, at=now)
    assert isinstance(merged, Done) and merged.value.id == survivor.id
    assert sorted(await follower_ids(services, survivor.id)) == [RESIDENT_2, RESIDENT_3, RESIDENT_4]
    closed = await services.reports.get(duplicate.id)
    assert closed is not None and closed.status is Status.MERGED and closed.timer is None
    events = await services.reports.events(survivor.id)
    assert events[-1].data == {"duplicate": duplicate.id, "followers": 2}


async def test_a_refused_merge_writes_nothing(services: Services):
    now = services.clock()
    survivor = await new_report(services)
    other_grid = await new_report(services, reporter=RESIDENT_2, unit="B3")
    before = await services.store.db.fetchall("SELECT id, status, version FROM reports")
    refused = await duplicates.merge(services, other_grid.id, survivor.id, by=WORKER_G1, at=now)
    assert isinstance(refused, Refused) and refused.key == "merge.not_allowed"
    assert (await duplicates.merge(services, survivor.id, None, by=WORKER_G1, at=now)).key == (
        "merge.not_found"
    )
    by_g2 = await duplicates.merge(services, other_grid.id, survivor.id, by=WORKER_G2, at=now)
    assert isinstance(by_g2, Refused) and by_g2.key == "merge.not_allowed"
    after = await services.store.db.fetchall("SELECT id, status, version FROM reports")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert await follower_ids(services, survivor.id) == []


async def test_reject_use_case_refuses_where_approval_is_needed_and_the_request_is_decided_once(
    services: Services,
):
    now = services.clock()
    report = await new_report(services)
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE categories SET reject_needs_approval = 1 WHERE code = 'litter'")
    services.units.invalidate()
    direct = await reject(
        services, report.id, by=WORKER_G1, at=now, reason=RejectReason.INVALID, note="无"
    )
    assert isinstance(direct, Refused) and direct.key == "merge.reject_needs_approval"
    asked = await duplicates.request_reject(
        services, report.id, by=WORKER_G1, at=now, reason=RejectReason.INVALID, note="不是问题"
    )
    assert isinstance(asked, Done)
    twice = await duplicates.request_reject(
        services, report.id, by=WORKER_G1, at=now, reason=RejectReason.INVALID, note="再问"
    )
    assert isinstance(twice, Refused) and twice.key == "merge.reject_already_pending"
    stale = await duplicates.decide_reject(
        services, report.id, 9, by=COMMUNITY, at=now, approve=True
    )
    assert stale == Refused("merge.reject_stale")
    done = await duplicates.decide_reject(
        services, report.id, 1, by=COMMUNITY, at=now, approve=True
    )
    assert isinstance(done, Done) and done.value.status is Status.REJECTED
    again = await duplicates.decide_reject(
        services, report.id, 1, by=COMMUNITY, at=now, approve=False, why="晚了"
    )
    assert again == Refused("merge.reject_stale")
    actions = [e.action.value for e in await services.reports.events(report.id)]
    assert actions == ["submit", "ask_reject", "reject"]


async def test_a_pending_reject_request_lapses_when_the_report_escalates(services: Services):
    now = services.clock()
    report = await new_report(services)
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE categories SET reject_needs_approval = 1 WHERE code = 'litter'")
    services.units.invalidate()
    await duplicates.request_reject(
        services, report.id, by=WORKER_G1, at=now, reason=RejectReason.NOT_OURS, note="不归我们"
    )
    await refer_up(services, report.id, by=WORKER_G1, at=now, reason="需要社区协调")
    lapsed = await duplicates.decide_reject(
        services, report.id, 1, by=COMMUNITY, at=now, approve=True
    )
    assert isinstance(lapsed, Refused)
    stored = await services.reports.get(report.id)
    assert stored is not None and stored.status is Status.OPEN
    assert "reject_request" not in stored.extra
