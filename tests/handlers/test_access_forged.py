"""Forged presses and commands, feature by feature, through the real Application: the wrong role,
the wrong unit, the wrong person and a stranger change nothing, see no personal data, and each
refusal is recorded with its rule (bot/domain/access.py) for /audit."""

from __future__ import annotations

from bot.domain.activities import SignupStatus
from bot.domain.care import VisitorKind
from bot.domain.people import Role
from bot.domain.reports import Status
from bot.domain.volunteers import VolunteerStatus
from tests import updates
from tests.conftest import (
    ADMIN,
    COMMUNITY,
    PROPERTY,
    RESIDENT,
    RESIDENT_2,
    STREET,
    WORKER_G1,
    WORKER_G2,
)
from tests.handlers.care.support import (
    NOTES,
    SIBLING_COMMUNITY,
    VOLUNTEER,
    add_household,
    approve_volunteer,
    config_path,  # noqa: F401  (the office with a sibling community)
    everything_sent_to,
    households,
)
from tests.handlers.care.test_patrols import log_round
from tests.handlers.groups.test_bindings import bound, in_group
from tests.handlers.reports.test_worker import new_report
from tests.handlers.staff.test_staff_admin import NEWCOMER as STAFF_NEWCOMER
from tests.handlers.staff.test_staff_admin import enrol
from tests.handlers.volunteers.support import VOLUNTEER_A, answers, person
from tests.handlers.volunteers.test_activities_flow import created
from tests.handlers.volunteers.test_volunteer_registration import NEWCOMER, register_newcomer

STRANGER = 7777


async def refusals(harness) -> list[tuple]:
    rows = await harness.services.store.db.fetchall(
        "SELECT user_id, action, rule, target FROM refusals ORDER BY id"
    )
    return [tuple(r) for r in rows]


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def test_forged_report_buttons_are_refused_and_recorded(harness):
    report = await new_report(harness)
    await person(harness, STRANGER, "路人")
    await press(harness, WORKER_G2, f"report:accept:{report.id}")  # wrong unit
    await press(harness, PROPERTY, f"report:accept:{report.id}")  # wrong role
    await press(harness, RESIDENT, f"report:accept:{report.id}")  # the reporter is no worker
    await press(harness, RESIDENT_2, f"report:solved:{report.id}")  # wrong person
    await press(harness, STRANGER, f"my:card:{report.id}")  # a stranger asks for the card
    after = await harness.services.reports.get(report.id)
    assert (after.status, after.version) == (Status.OPEN, report.version)
    for user in (RESIDENT_2, STRANGER, WORKER_G2):
        assert "楼道里堆满了杂物" not in everything_sent_to(harness, user)
    target = f"report:{report.id}"
    assert await refusals(harness) == [
        (WORKER_G2, "report:accept", "report_handle", target),
        (PROPERTY, "report:accept", "report_handle", target),
        (RESIDENT, "report:accept", "report_handle", target),
        (RESIDENT_2, "report:solved", "report_verify", target),
        (STRANGER, "my:card", "report_verify", target),
    ]


async def test_forged_household_and_visit_buttons_show_no_notes_and_are_recorded(harness):
    household = await add_household(harness, unit="B1", visitor=WORKER_G1)
    await person(harness, RESIDENT, "王奶奶")
    await harness.send(updates.text(RESIDENT, "/households"))  # a stranger to care work
    await press(harness, WORKER_G2, f"household:show:{household.id}")  # wrong unit
    await press(harness, SIBLING_COMMUNITY, f"household:off:{household.id}")  # wrong unit
    await press(harness, PROPERTY, f"household:show:{household.id}")  # wrong role
    await press(harness, WORKER_G2, f"visit:log:{household.id}")  # wrong person
    after = await households(harness).get(household.id)
    assert after == household
    for user in (RESIDENT, WORKER_G2, SIBLING_COMMUNITY, PROPERTY):
        sent = everything_sent_to(harness, user)
        assert NOTES not in sent and "3单元502" not in sent
    target = f"household:{household.id}"
    assert await refusals(harness) == [
        (RESIDENT, "/households", "care_staff", None),
        (WORKER_G2, "household:show", "household_manage", target),
        (SIBLING_COMMUNITY, "household:off", "household_manage", target),
        (PROPERTY, "household:show", "household_manage", target),
        (WORKER_G2, "visit:log", "visit_log", target),
    ]


async def test_a_volunteer_visitor_logs_but_another_volunteer_cannot(harness):
    await approve_volunteer(harness, VOLUNTEER, "B2", "志愿者甲")
    await approve_volunteer(harness, 6009, "B2", "志愿者乙")
    household = await add_household(
        harness, unit="B1", visitor=VOLUNTEER, visitor_kind=VisitorKind.VOLUNTEER
    )
    await person(harness, 6009, "志愿者乙")
    await press(harness, 6009, f"visit:log:{household.id}")
    assert "没有权限" in harness.last_text(6009)
    assert await refusals(harness) == [
        (6009, "visit:log", "visit_log", f"household:{household.id}")
    ]


async def test_forged_patrol_findings_are_refused_and_recorded(harness):
    await log_round(harness, WORKER_G1, [0])
    [row] = await harness.services.store.db.fetchall("SELECT id FROM patrol_findings")
    finding = row[0]
    await person(harness, STRANGER, "路人")
    for user in (WORKER_G2, PROPERTY, STRANGER):
        await press(harness, user, f"patrol:find:{finding}")
    rows = await harness.services.store.db.fetchall("SELECT COUNT(*) FROM reports")
    assert rows[0][0] == 0
    [patrol] = await harness.services.store.db.fetchall("SELECT id FROM patrols")
    assert await refusals(harness) == [
        (user, "patrol:find", "patrol_finding", f"patrol:{patrol[0]}")
        for user in (WORKER_G2, PROPERTY, STRANGER)
    ]


async def test_forged_volunteer_decisions_and_lists_are_refused_and_recorded(harness):
    await register_newcomer(harness)
    await press(harness, WORKER_G1, f"vol:ok:{NEWCOMER}")  # wrong role: a grid worker
    await press(harness, SIBLING_COMMUNITY, f"vol:ok:{NEWCOMER}")  # wrong unit
    await press(harness, NEWCOMER, f"vol:ok:{NEWCOMER}")  # wrong person: themselves
    await press(harness, WORKER_G1, "vols:l:0:-:-:C1")  # wrong unit: above their grid
    await harness.send(updates.text(RESIDENT_2, "/volunteers"))  # a stranger
    stored = await harness.services.store.volunteers.get(NEWCOMER)
    assert stored.status is VolunteerStatus.PENDING
    assert "13812345678" not in everything_sent_to(harness, RESIDENT_2)
    assert "13812345678" not in everything_sent_to(harness, SIBLING_COMMUNITY)
    assert await refusals(harness) == [
        (WORKER_G1, "vol:ok", "volunteer_decide", f"volunteer:{NEWCOMER}"),
        (SIBLING_COMMUNITY, "vol:ok", "volunteer_decide", f"volunteer:{NEWCOMER}"),
        (NEWCOMER, "vol:ok", "volunteer_decide", f"volunteer:{NEWCOMER}"),
        (WORKER_G1, "vols:l", "volunteer_browse", "unit:C1"),
        (RESIDENT_2, "/volunteers", "volunteer_browse", None),
    ]


async def test_forged_activity_presses_are_refused_and_recorded(harness):
    activity_id = await created(harness, capacity="5")
    await press(harness, VOLUNTEER_A, f"act:join:{activity_id}")
    await person(harness, RESIDENT, "王奶奶", unit="B1")
    await press(harness, RESIDENT, f"act:join:{activity_id}")  # wrong role: not a volunteer
    await press(harness, WORKER_G2, f"act:roster:{activity_id}")  # wrong unit
    await press(harness, VOLUNTEER_A, f"act:in:{activity_id}:{VOLUNTEER_A}")  # wrong person
    await press(harness, SIBLING_COMMUNITY, f"act:roster:{activity_id}")  # wrong unit
    assert "志愿者甲" not in everything_sent_to(harness, WORKER_G2)
    signups = await harness.services.store.activities.signups(activity_id)
    assert [(s.volunteer_id, s.status) for s in signups] == [(VOLUNTEER_A, SignupStatus.GOING)]
    target = f"activity:{activity_id}"
    assert await refusals(harness) == [
        (RESIDENT, "act:join", "activity_join", target),
        (WORKER_G2, "act:roster", "activity_check_in", target),
        (VOLUNTEER_A, "act:in", "activity_check_in", target),
        (SIBLING_COMMUNITY, "act:roster", "activity_check_in", target),
    ]
    assert answers(harness)[-1] == "您没有权限进行此操作。"


async def test_binding_a_group_outside_ones_unit_is_refused_and_recorded(harness):
    await in_group(harness, WORKER_G1, "/bind C1")  # wrong unit
    await in_group(harness, PROPERTY, "/bind")  # wrong role
    assert await bound(harness) is None
    await in_group(harness, COMMUNITY, "/bind C1")
    await in_group(harness, WORKER_G1, "/unbind")  # wrong unit over the existing binding
    assert await bound(harness) == "C1"
    assert await refusals(harness) == [
        (WORKER_G1, "/bind", "group_bind", "unit:C1"),
        (PROPERTY, "/bind", "group_bind", "unit:C1"),
        (WORKER_G1, "/unbind", "group_bind", "unit:C1"),
    ]


async def test_a_press_on_ones_own_phone_from_a_group_changes_nothing_and_is_recorded(harness):
    await person(harness, RESIDENT, "王奶奶", unit="B1", phone="13700001111")
    await harness.send(updates.press(RESIDENT, "me:unphone", chat_id=-100500))
    assert (await harness.services.people.get(RESIDENT)).phone == "13700001111"
    assert answers(harness)[-1] == "您没有权限进行此操作。"
    assert await refusals(harness) == [(RESIDENT, "me:unphone", "own_chat", None)]


async def test_forged_staff_presses_and_invites_are_refused_and_recorded(harness):
    await enrol(harness, Role.GRID_WORKER, "G2")
    await person(harness, STRANGER, "路人")
    await press(harness, WORKER_G1, f"staff:offok:{WORKER_G2}")  # wrong role: a grid worker
    await press(harness, STRANGER, f"staff:show:{STAFF_NEWCOMER}")  # a stranger
    await harness.send(updates.text(STRANGER, "/invite grid_worker G1"))
    await press(harness, STREET, f"staff:offok:{ADMIN}")  # wrong unit: above the street
    await press(harness, STREET, f"staff:setrole:{STAFF_NEWCOMER}:street")  # not below theirs
    await harness.send(updates.text(STREET, "/invite grid_worker D1"))  # above the street
    await press(harness, STREET, f"staff:move:{STAFF_NEWCOMER}")  # allowed: the walk starts
    n = (await harness.services.drafts.get(STREET)).data["n"]
    await press(harness, STREET, f"place:up:{n}")  # walking out of their subtree: stale
    await press(harness, STREET, f"place:here:{n}")  # their own unit, never offered
    await press(harness, WORKER_G1, f"place:here:{n}")  # no manager, no draft: stale

    for user_id in (WORKER_G2, ADMIN):
        assert await harness.services.people.staff(user_id) is not None
    newcomer = await harness.services.people.staff(STAFF_NEWCOMER)
    assert (newcomer.role, newcomer.unit) == (Role.GRID_WORKER, "G2")
    [invites] = await harness.services.store.db.fetchall("SELECT COUNT(*) FROM invites")
    assert invites[0] == 0
    assert "王网格" not in everything_sent_to(harness, WORKER_G1)
    assert "新同事" not in everything_sent_to(harness, STRANGER)
    assert await refusals(harness) == [
        (WORKER_G1, "staff:offok", "staff_manage", f"staff:{WORKER_G2}"),
        (STRANGER, "staff:show", "staff_manage", f"staff:{STAFF_NEWCOMER}"),
        (STRANGER, "/invite", "staff_manage", None),
        (STREET, "staff:offok", "staff_change", f"staff:{ADMIN}"),
        (STREET, "staff:setrole", "staff_place", f"staff:{STAFF_NEWCOMER}"),
        (STREET, "/invite", "staff_place", "unit:D1"),
        (STREET, "staffmove:unit", "staff_place", "unit:S1"),
    ]
    await harness.send(updates.text(ADMIN, "/audit"))
    audit = harness.last_text(ADMIN)
    assert all(rule in audit for rule in ("staff_manage", "staff_change", "staff_place"))
