"""bot/usecases/volunteers.py on a real SQLite file, no Application: registering, staff deciding,
a worker's invitation and its answer, the monthly leaderboard — each in one unit of work,
refused by its rule (recorded), and once only."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.access import Rule
from bot.domain.groups import Binding, Purpose
from bot.domain.points import PointKind, month_key
from bot.domain.reports import Report
from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.services import Services
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused
from bot.usecases.volunteers import (
    answer_invitation,
    decide_volunteer,
    invite_volunteer,
    post_leaderboard,
    register,
)
from storage.drafts import Draft
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2
from tests.usecases.support import approved_volunteer, refusals, sent_to

NEWCOMER = 7201
VOLUNTEER = 7202
OTHER_VOLUNTEER = 7203
GROUP = -100700


async def registered(services: Services) -> Volunteer:
    """NEWCOMER registers at B1 (a party member) through the use case, from the confirm step."""
    await services.people.touch(NEWCOMER, "张三", "zh", services.clock())
    await services.drafts.put(Draft(NEWCOMER, "volunteer", "confirm", {}), services.clock())
    answers = Volunteer(
        user_id=NEWCOMER,
        name="张三",
        unit="B1",
        skills=("repair",),
        availability=("weekend",),
        phone="13900001111",
        party_member=True,
        work_unit="区卫健委",
    )
    done = await register(services, answers, by=NEWCOMER, at=services.clock(), card="volreg:1")
    return done.value


async def test_a_registration_waits_for_the_community_which_gets_the_card(services: Services):
    volunteer = await registered(services)
    assert volunteer.status is VolunteerStatus.PENDING
    stored = await services.store.volunteers.get(NEWCOMER)
    assert stored is not None and stored.status is VolunteerStatus.PENDING
    assert stored.work_unit == "区卫健委"
    assert await services.drafts.get(NEWCOMER) is None  # the flow ended in the same commit
    [card] = await sent_to(services, NEWCOMER)
    assert "春晖社区" in card  # the unit whose staff decide is named
    decision = "".join(await sent_to(services, COMMUNITY))
    assert f"vol:ok:{NEWCOMER}" in decision and "13900001111" in decision
    assert await sent_to(services, WORKER_G1) == []  # a grid worker does not decide


async def test_registering_again_waits_for_a_new_decision(services: Services):
    await registered(services)
    assert isinstance(
        await decide_volunteer(services, NEWCOMER, by=COMMUNITY, at=services.clock(), approve=True),
        Done,
    )
    again = await registered(services)
    assert again.status is VolunteerStatus.PENDING
    stored = await services.store.volunteers.get(NEWCOMER)
    assert stored is not None and stored.status is VolunteerStatus.PENDING


async def test_the_community_decides_once_and_a_grid_worker_is_refused(services: Services):
    await registered(services)
    at = services.clock()
    refused = await decide_volunteer(services, NEWCOMER, by=WORKER_G1, at=at, approve=True)
    assert refused == Refused("common.not_allowed", {}, Rule.VOLUNTEER_DECIDE)
    assert await refusals(services) == [
        (WORKER_G1, "vol:ok", "volunteer_decide", f"volunteer:{NEWCOMER}")
    ]
    stored = await services.store.volunteers.get(NEWCOMER)
    assert stored is not None and stored.status is VolunteerStatus.PENDING

    approved = await decide_volunteer(services, NEWCOMER, by=COMMUNITY, at=at, approve=True)
    assert isinstance(approved, Done) and approved.value.is_approved
    assert approved.value.decided_by == COMMUNITY
    assert any("已通过审核" in t for t in await sent_to(services, NEWCOMER))
    closed = (await sent_to(services, COMMUNITY))[-1]
    assert "vol:ok" not in closed  # the card lost its buttons and names who decided

    again = await decide_volunteer(services, NEWCOMER, by=COMMUNITY, at=at, approve=False)
    assert again == Refused("volunteer.already_decided")
    stored = await services.store.volunteers.get(NEWCOMER)
    assert stored is not None and stored.status is VolunteerStatus.APPROVED
    assert await decide_volunteer(services, 999, by=COMMUNITY, at=at, approve=True) == Refused(
        "common.stale_button"
    )


async def open_report(services: Services) -> Report:
    """A litter report at B1 by RESIDENT, routed to the grid worker of G1."""
    await services.people.touch(RESIDENT, "王奶奶", "zh", services.clock())
    return await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=RESIDENT,
        category="litter",
        unit="B1",
        description="楼道堆满杂物",
        photos=(),
        contact="13700001111",
    )


async def test_the_worker_invites_a_volunteer_once_and_others_are_refused(services: Services):
    report = await open_report(services)
    assert report.id is not None
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    await approved_volunteer(services, NEWCOMER, "张三", status=VolunteerStatus.PENDING)
    at = services.clock()

    refused = await invite_volunteer(services, report.id, VOLUNTEER, by=WORKER_G2, at=at)
    assert refused == Refused("common.not_allowed", {}, Rule.REPORT_HANDLE)
    assert await refusals(services) == [
        (WORKER_G2, "vfind:inv", "report_handle", f"report:{report.id}")
    ]
    pending = await invite_volunteer(services, report.id, NEWCOMER, by=WORKER_G1, at=at)
    assert pending == Refused("common.stale_button")  # not approved: never invited

    made = await invite_volunteer(services, report.id, VOLUNTEER, by=WORKER_G1, at=at)
    assert isinstance(made, Done) and made.value.status == "invited"
    [invitation] = await sent_to(services, VOLUNTEER)
    assert report.number in invitation and "楼道堆满杂物" in invitation
    assert "王奶奶" not in invitation and "13700001111" not in invitation  # never the reporter
    assert await services.store.volunteers.invited_to(report.id) == {VOLUNTEER: "invited"}

    again = await invite_volunteer(services, report.id, VOLUNTEER, by=WORKER_G1, at=at)
    assert again == Refused("volunteer.already_invited", {"name": "志愿者甲"})
    assert len(await sent_to(services, VOLUNTEER)) == 1


async def test_only_the_invited_volunteer_answers_and_only_once(services: Services):
    report = await open_report(services)
    assert report.id is not None
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    await approved_volunteer(services, OTHER_VOLUNTEER, "志愿者乙")
    at = services.clock()
    made = await invite_volunteer(services, report.id, VOLUNTEER, by=WORKER_G1, at=at)
    assert isinstance(made, Done)
    invite = made.value

    refused = await answer_invitation(services, invite.id, by=OTHER_VOLUNTEER, at=at, accept=True)
    assert refused == Refused("common.not_allowed", {}, Rule.VOLUNTEER_INVITE)
    assert await refusals(services) == [
        (OTHER_VOLUNTEER, "vfind:yes", "volunteer_invite", f"invite:{invite.id}")
    ]

    accepted = await answer_invitation(services, invite.id, by=VOLUNTEER, at=at, accept=True)
    assert isinstance(accepted, Done) and accepted.value.status == "accepted"
    told = (await sent_to(services, WORKER_G1))[-1]
    assert "志愿者甲" in told and "139" in told  # the worker gets the volunteer's phone

    again = await answer_invitation(services, invite.id, by=VOLUNTEER, at=at, accept=False)
    assert again == Refused("volunteer.already_answered")
    assert await services.store.volunteers.invited_to(report.id) == {VOLUNTEER: "accepted"}
    assert await answer_invitation(services, 999, by=VOLUNTEER, at=at, accept=True) == Refused(
        "common.stale_button"
    )


async def test_a_group_gets_a_months_standings_exactly_once(services: Services):
    await approved_volunteer(services, VOLUNTEER, "志愿者甲")
    at = services.clock()
    await services.store.points.award(VOLUNTEER, PointKind.WISH, 1, 10, at)
    binding = Binding(GROUP, "C1", Purpose.VOLUNTEERS, COMMUNITY, at, "zh")
    await services.store.groups.bind(binding, [])
    month = month_key(at, services.tz)

    posted = await post_leaderboard(services, binding, month, at=at + timedelta(days=7))
    assert posted == Done(True)
    [board] = await sent_to(services, GROUP)
    assert "志愿者甲" not in board and "10" in board  # names masked in a group

    again = await post_leaderboard(services, binding, month, at=at + timedelta(days=7))
    assert again == Refused("common.stale_button")
    assert len(await sent_to(services, GROUP)) == 1
    assert await services.store.points.leaderboard_due(month) == []


async def test_a_month_without_work_is_decided_without_a_post(services: Services):
    at = services.clock()
    binding = Binding(GROUP, "C1", Purpose.VOLUNTEERS, COMMUNITY, at, "zh")
    await services.store.groups.bind(binding, [])
    month = month_key(at, services.tz)
    assert await post_leaderboard(services, binding, month, at=at) == Done(False)
    assert await sent_to(services, GROUP) == []
    assert await services.store.points.leaderboard_due(month) == []
