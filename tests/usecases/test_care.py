"""bot/usecases/care.py and patrols.py on a real SQLite file, no Application: a visit and what it
opens share one commit, a confirmation earns points once, a finding becomes one report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import care
from bot.domain.access import Rule
from bot.domain.care import Cadence, Household, Outcome, VisitorKind
from bot.domain.patrols import PatrolKind
from bot.domain.people import Person
from bot.domain.reports import Report
from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.services import Services
from bot.usecases import care as usecases
from bot.usecases.care import NewReport, care_policy, confirm_visit, log_visit, remind_visits
from bot.usecases.patrols import log_patrol
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import COMMUNITY, PROPERTY

WORKER = 101  # grid worker of G1, which holds B1
OTHER_GRID = 102  # grid worker of G2
VOLUNTEER = 6001
PARTNER = PROPERTY


async def person(services: Services, user_id: int, name: str = "") -> Person:
    return Person(user_id, name, "zh", staff=await services.people.staff(user_id))


async def household(
    services: Services, visitor: int = WORKER, kind: VisitorKind = VisitorKind.STAFF
) -> Household:
    registered = care.register(
        kind="empty_nest",
        unit="B1",
        label="3单元502",
        cadence=Cadence.WEEKLY,
        visitor_id=visitor,
        visitor_kind=kind,
        notes="",
        by=COMMUNITY,
        at=services.clock(),
        policy=care_policy(services),
    )
    return await services.store.households.create(registered, [], clear_draft_of=COMMUNITY)


async def count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_a_visit_with_a_report_stores_both_and_links_them_and_ends_the_draft(
    services: Services,
):
    me = await person(services, WORKER, "李网格")
    home = await household(services)
    await services.store.drafts.put(Draft(WORKER, "visit", "describe", {}), services.clock())
    result = await log_visit(
        services,
        home,
        by=me,
        at=services.clock(),
        outcome=Outcome.MET,
        wellbeing=4,
        note="",
        report=NewReport("road", "楼道灯坏了"),
    )
    assert isinstance(result, Done)
    visit = result.value
    assert visit.needs and visit.report_id is not None and visit.wish_id is None
    assert await services.store.households.visit(visit.id or 0) == visit
    report = await services.store.reports.get(visit.report_id)
    assert report is not None and (report.unit, report.entered_by) == ("B1", WORKER)
    assert await services.store.drafts.get(WORKER) is None
    after = await services.store.households.get(home.id or 0)
    assert after is not None and after.version == home.version + 1
    assert after.last_visit_on is not None


async def test_a_visit_whose_report_fails_stores_nothing(services: Services, monkeypatch):
    me = await person(services, WORKER)
    home = await household(services)

    async def broken(*args: object, **kwargs: object) -> Report:
        raise RuntimeError("routing failed")

    monkeypatch.setattr(usecases, "submit", broken)
    with pytest.raises(RuntimeError):
        await log_visit(
            services,
            home,
            by=me,
            at=services.clock(),
            outcome=Outcome.MET,
            wellbeing=3,
            note="",
            report=NewReport("road", "楼道灯坏了"),
        )
    assert await count(services, "visits") == 0
    assert await count(services, "reports") == 0
    assert await services.store.households.get(home.id or 0) == home


async def test_a_visit_with_a_wish_posts_it_for_review_in_the_same_commit(services: Services):
    me = await person(services, WORKER)
    home = await household(services)
    result = await log_visit(
        services,
        home,
        by=me,
        at=services.clock(),
        outcome=Outcome.MET,
        wellbeing=5,
        note="",
        wish_text="需要有人帮忙修理热水器",
    )
    assert isinstance(result, Done) and result.value.wish_id is not None
    wish = await services.store.wishes.get(result.value.wish_id)
    assert wish is not None and wish.contact_name == "3单元502"


async def test_a_visit_read_before_someone_else_logged_one_is_refused_as_stale(
    services: Services,
):
    me = await person(services, WORKER)
    home = await household(services)
    args = dict(by=me, outcome=Outcome.NOT_HOME, wellbeing=None, note="")
    assert isinstance(await log_visit(services, home, at=services.clock(), **args), Done)
    again = await log_visit(services, home, at=services.clock(), wish_text="再来一次", **args)
    assert again == Refused("care.stale")
    assert await count(services, "visits") == 1
    assert await count(services, "wishes") == 0


async def test_a_too_long_note_is_refused_with_the_limit(services: Services):
    me = await person(services, WORKER)
    home = await household(services)
    result = await log_visit(
        services,
        home,
        by=me,
        at=services.clock(),
        outcome=Outcome.MET,
        wellbeing=3,
        note="字" * (care.MAX_NOTE + 1),
    )
    assert isinstance(result, Refused) and result.params == {"limit": care.MAX_NOTE}
    assert await count(services, "visits") == 0


async def volunteer_visit(services: Services) -> int:
    at = services.clock()
    await services.store.volunteers.register(Volunteer(VOLUNTEER, "小王", "B1"), at, [])
    approved = Volunteer(
        VOLUNTEER,
        "小王",
        "B1",
        status=VolunteerStatus.APPROVED,
        decided_by=COMMUNITY,
        decided_at=at,
    )
    assert await services.store.volunteers.decide(approved, at, [])
    home = await household(services, VOLUNTEER, VisitorKind.VOLUNTEER)
    me = await person(services, VOLUNTEER, "小王")
    logged = await log_visit(
        services, home, by=me, at=at, outcome=Outcome.MET, wellbeing=4, note=""
    )
    assert isinstance(logged, Done) and logged.value.id is not None
    return logged.value.id


async def test_a_volunteer_visit_confirmed_twice_earns_points_once(services: Services):
    visit_id = await volunteer_visit(services)
    staff = await person(services, COMMUNITY, "陈社区")
    first = await confirm_visit(services, visit_id, by=staff, at=services.clock())
    assert isinstance(first, Done) and first.value.confirmed_by == COMMUNITY
    second = await confirm_visit(services, visit_id, by=staff, at=services.clock())
    assert second == Refused("visit.already_confirmed")
    points = services.settings.volunteers.points.visit
    assert await services.store.points.balance(VOLUNTEER) == points
    assert await count(services, "points_ledger") == 1


async def test_a_confirmation_by_staff_not_covering_the_household_is_refused_and_recorded(
    services: Services,
):
    visit_id = await volunteer_visit(services)
    stranger = await person(services, OTHER_GRID)
    result = await confirm_visit(services, visit_id, by=stranger, at=services.clock())
    assert isinstance(result, Refused) and result.rule is not None
    assert await count(services, "refusals") == 1
    assert await services.store.points.balance(VOLUNTEER) == 0
    visit = await services.store.households.visit(visit_id)
    assert visit is not None and visit.confirmed_at is None


async def test_an_unknown_visit_cannot_be_confirmed(services: Services):
    staff = await person(services, COMMUNITY)
    result = await confirm_visit(services, 999, by=staff, at=services.clock())
    assert result == Refused("common.not_allowed")


async def test_the_care_sweep_reminds_a_due_visitor_once(services: Services):
    home = await household(services)
    assert home.next_at is not None
    assert await remind_visits(services, home.next_at - timedelta(minutes=1)) == 0
    assert await remind_visits(services, home.next_at) == 1
    assert await remind_visits(services, home.next_at) == 0  # the next look moved on
    rows = await services.store.db.fetchall("SELECT chat_id FROM outbox")
    assert [row[0] for row in rows] == [WORKER]
    after = await services.store.households.get(home.id or 0)
    assert after is not None and after.version == home.version + 1


# Registering and changing a household, the monthly figures -------------------------------------


async def registered(services: Services, **changes) -> Done[Household] | Refused:
    args = {
        "by": COMMUNITY,
        "at": services.clock(),
        "kind": "disability",
        "unit": "B1",
        "label": "2单元301",
        "cadence": Cadence.MONTHLY,
        "visitor_id": WORKER,
        "notes": "轮椅，需上门",
        **changes,
    }
    return await usecases.register_household(services, **args)


async def outbox_to(services: Services, chat_id: int) -> list[str]:
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [row[0] for row in rows]


async def test_a_household_is_registered_with_its_visitor_told_without_the_notes(
    services: Services,
):
    await services.store.drafts.put(Draft(COMMUNITY, "household", "notes", {}), services.clock())

    done = await registered(services)

    assert isinstance(done, Done)
    home = done.value
    assert await services.store.households.get(home.id or 0) == home
    assert (home.visitor_id, home.visitor_kind, home.notes) == (
        WORKER,
        VisitorKind.STAFF,
        "轮椅，需上门",
    )
    assert await services.store.drafts.get(COMMUNITY) is None
    assert len(await outbox_to(services, COMMUNITY)) == 1
    [told] = await outbox_to(services, WORKER)
    assert "2单元301" in told and "轮椅" not in told


async def test_a_household_is_not_registered_outside_ones_units_or_for_a_visitor_gone(
    services: Services,
):
    refused = await registered(services, by=OTHER_GRID, visitor_id=OTHER_GRID)
    assert isinstance(refused, Refused) and refused.rule is Rule.HOUSEHOLD_MANAGE
    [refusal] = await services.store.refusals.latest()
    assert (refusal.user_id, refusal.action, refusal.target) == (
        OTHER_GRID,
        "household:register",
        "unit:B1",
    )
    assert await registered(services, visitor_id=OTHER_GRID) == Refused("care.visitor_gone")
    too_long = await registered(services, notes="长" * (care.MAX_NOTES + 1))
    assert too_long == Refused("care.notes_too_long", {"limit": care.MAX_NOTES})
    assert await count(services, "households") == 0
    assert await count(services, "outbox") == 0


async def test_staff_covering_a_household_change_its_cadence_and_visitor_and_stop_it(
    services: Services,
):
    home = await household(services)
    at = services.clock()

    cadence = await usecases.set_cadence(
        services, home.id or 0, Cadence.MONTHLY, by=COMMUNITY, at=at
    )
    assert isinstance(cadence, Done) and cadence.value.cadence is Cadence.MONTHLY
    visitor = await usecases.set_visitor(services, home.id or 0, COMMUNITY, by=COMMUNITY, at=at)
    assert isinstance(visitor, Done) and visitor.value.visitor_id == COMMUNITY
    stopped = await usecases.stop_visits(services, home.id or 0, by=COMMUNITY, at=at)
    assert isinstance(stopped, Done) and not stopped.value.active

    after = await services.store.households.get(home.id or 0)
    assert after == stopped.value
    again = await usecases.stop_visits(services, home.id or 0, by=COMMUNITY, at=at)
    assert again == Refused("care.inactive", {"id": home.id})
    assert [e for e, _ in await services.store.households.events(home.id or 0)][-3:] == [
        "cadence",
        "visitor",
        "deactivate",
    ]


async def test_a_household_is_not_changed_by_staff_of_another_grid(services: Services):
    home = await household(services)
    at = services.clock()

    refused = await usecases.set_cadence(
        services, home.id or 0, Cadence.MONTHLY, by=OTHER_GRID, at=at
    )
    assert isinstance(refused, Refused) and refused.rule is Rule.HOUSEHOLD_MANAGE
    gone = await usecases.set_visitor(services, home.id or 0, 999, by=COMMUNITY, at=at)
    assert gone == Refused("care.visitor_gone")
    missing = await usecases.stop_visits(services, 999, by=COMMUNITY, at=at)
    assert missing == Refused("common.not_allowed")
    assert await services.store.households.get(home.id or 0) == home
    assert await count(services, "outbox") == 0


async def test_the_monthly_figures_count_a_units_visits_and_patrols(services: Services):
    home = await household(services)
    me = await person(services, WORKER)
    at = services.clock()
    await log_visit(services, home, by=me, at=at, outcome=Outcome.MET, wellbeing=4, note="")
    await log_patrol(
        services,
        by=me,
        unit="B1",
        kind=PatrolKind.DOORKNOCK,
        note="",
        photos=[],
        findings=[],
        at=at,
    )
    local = at.astimezone(services.tz)

    found = await usecases.monthly_figures(
        services, "C1", (local.year, local.month), by=COMMUNITY, at=at
    )

    assert isinstance(found, Done)
    figures = found.value
    assert [(v.kind, v.done, v.met, v.missed) for v in figures.visits] == [("empty_nest", 1, 1, 0)]
    [patrols] = figures.patrols
    assert (patrols.name, patrols.total, patrols.kinds) == ("李网格", 1, {PatrolKind.DOORKNOCK: 1})
    empty = await usecases.monthly_figures(
        services, "G2", (local.year, local.month), by=COMMUNITY, at=at
    )
    assert isinstance(empty, Done) and empty.value.visits == [] and empty.value.patrols == []


async def test_the_monthly_figures_are_for_care_staff_at_the_unit_or_above(services: Services):
    at = services.clock()
    month = (2026, 11)

    above = await usecases.monthly_figures(services, "C1", month, by=WORKER, at=at)
    assert isinstance(above, Refused) and above.rule is Rule.MONTHLY_FIGURES
    partner = await usecases.monthly_figures(services, "C1", month, by=PARTNER, at=at)
    assert partner == Refused("care.staff_only", {}, Rule.CARE_STAFF)
    assert [r.action for r in await services.store.refusals.latest()] == ["/monthly", "/monthly"]
