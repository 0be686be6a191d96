"""One rule per action (bot/domain/access.py): the right person is allowed; the wrong role, the
wrong unit, the wrong person and a stranger are refused by the rule's own name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.domain import access
from bot.domain.access import Rule
from bot.domain.activities import Activity
from bot.domain.bookings import Booking, BookingStatus, Resource, parse_hours
from bot.domain.callins import Kind, Party
from bot.domain.care import Cadence, Household, VisitorKind
from bot.domain.patrols import Patrol, PatrolKind
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, Status
from bot.domain.units import Tier, Unit, UnitTree
from bot.domain.volunteers import Volunteer, VolunteerStatus
from bot.domain.wishes import Wish, WishStatus

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TREE = UnitTree(
    [
        Unit("D1", "区", "district"),
        Unit("S1", "街道", "street", "D1"),
        Unit("C1", "社区一", "community", "S1"),
        Unit("C2", "社区二", "community", "S1"),
        Unit("G1", "网格一", "grid", "C1"),
        Unit("G2", "网格二", "grid", "C1"),
        Unit("G3", "网格三", "grid", "C2"),
        Unit("B1", "1栋", "building", "G1"),
        Unit("B2", "2栋", "building", "G1"),
        Unit("B3", "3栋", "building", "G2"),
        Unit("B4", "4栋", "building", "G3"),
        Unit("E1", "1单元", "entrance", "B1"),
    ]
)
RESIDENT, OTHER_RESIDENT, STRANGER = 5001, 5002, 7777


def staff(role: str, unit: str, user_id: int = 100) -> Staff:
    return Staff(user_id, "s", Role(role), unit)


WORKER_G1 = staff("grid_worker", "G1", 101)
WORKER_G2 = staff("grid_worker", "G2", 102)
HEAD_G1 = staff("grid_head", "G1", 103)
COMMUNITY_C1 = staff("community", "C1", 201)
COMMUNITY_C2 = staff("community", "C2", 202)
PARTNER = Staff(401, "物业", Role.PARTNER, "C1", ("property",))
ADMIN = staff("admin", "D1", 901)
STREET_S1 = staff("street", "S1", 301)
DISTRICT_D1 = staff("district", "D1", 501)
PART_G1 = staff("part_time_worker", "G1", 111)
BHEAD_B1 = staff("building_head", "B1", 121)
EHEAD_E1 = staff("entrance_head", "E1", 131)

REPORT = Report(
    reporter_id=RESIDENT,
    category="litter",
    unit="B1",
    description="垃圾",
    photos=(),
    created_at=NOW,
    holder_unit="G1",
    tier=Tier.GRID,
    status=Status.ACCEPTED,
    assignee_id=WORKER_G1.user_id,
    id=1,
)
REPORT_B2 = replace(REPORT, unit="B2", id=2)
REPORT_G2 = replace(REPORT, unit="B3", holder_unit="G2", assignee_id=WORKER_G2.user_id, id=3)
CHECKING = replace(REPORT, status=Status.CHECKING, assignee_id=None, id=4)
REVIEWING = replace(REPORT, status=Status.REVIEWING, extra={"resolver": WORKER_G1.user_id}, id=5)
HOUSEHOLD = Household(
    kind="empty_nest",
    unit="B1",
    label="101",
    cadence=Cadence.WEEKLY,
    visitor_id=6001,
    visitor_kind=VisitorKind.VOLUNTEER,
    due_on=date(2026, 11, 30),
    next_at=None,
    created_by=WORKER_G1.user_id,
    created_at=NOW,
    id=3,
)
PATROL = Patrol(WORKER_G1.user_id, PatrolKind.PATROL, "G1", NOW, id=4)
ACTIVITY = Activity("清扫", NOW, "广场", 10, "C1", COMMUNITY_C1.user_id, id=5)
WISH = Wish(
    posted_by=RESIDENT,
    resident_id=RESIDENT,
    unit="B1",
    category="repair",
    text="修水龙头",
    created_at=NOW,
    status=WishStatus.OPEN,
    id=12,
)
CLAIMED = Wish(
    posted_by=RESIDENT,
    resident_id=RESIDENT,
    unit="B1",
    category="repair",
    text="修水龙头",
    created_at=NOW,
    status=WishStatus.CLAIMED,
    claimer_id=6001,
    id=13,
)


CITY = Party("cg", "城管", "City management", Kind.DEPARTMENT, (), ("S1",), (411,))
CITY_MEMBER = Staff(411, "城管队员", Role.PARTNER, "S1")
CLOSED = Report(
    reporter_id=RESIDENT,
    category="litter",
    unit="B1",
    description="垃圾",
    photos=(),
    created_at=NOW,
    holder_unit="G1",
    tier=Tier.GRID,
    status=Status.CLOSED,
    assignee_id=WORKER_G1.user_id,
    id=2,
)


def volunteer(user_id: int, unit: str, skills=("repair",), approved=True) -> Volunteer:
    status = VolunteerStatus.APPROVED if approved else VolunteerStatus.PENDING
    return Volunteer(user_id, f"v{user_id}", unit, skills=skills, status=status)


def claim(v: Volunteer | None, *, offered: bool = False, wish: Wish = WISH) -> Rule | None:
    return access.claim_wish(v, wish, TREE, offered=offered, levels_up=1)


ROOM = Resource("room", "活动室", "Room", "venue", "C1", 2, 60, parse_hours(["mon 09:00-10:00"]), 7)
ROOM_LISTED = replace(ROOM, staff=(WORKER_G1.user_id,))
BOOKING = Booking("room", "C1", RESIDENT, NOW, NOW, "开会", BookingStatus.PENDING, NOW, id=1)

CASES: list[tuple[str, Callable[[], Rule | None], Rule | None]] = [
    ("own chat: one's own", lambda: access.own_chat(RESIDENT, RESIDENT), None),
    ("own chat: a group", lambda: access.own_chat(RESIDENT, -100500), Rule.OWN_CHAT),
    ("own chat: no message", lambda: access.own_chat(RESIDENT, None), Rule.OWN_CHAT),
    # report_handle: the assignee and supervisors above; not another grid, a resident, a stranger
    ("report: the assignee", lambda: access.handle_report(WORKER_G1, REPORT, TREE), None),
    ("report: the grid head above", lambda: access.handle_report(HEAD_G1, REPORT, TREE), None),
    (
        "report: wrong unit",
        lambda: access.handle_report(WORKER_G2, REPORT, TREE),
        Rule.REPORT_HANDLE,
    ),
    (
        "report: wrong role (partner, other category)",
        lambda: access.handle_report(PARTNER, REPORT, TREE),
        Rule.REPORT_HANDLE,
    ),
    ("report: stranger", lambda: access.handle_report(None, REPORT, TREE), Rule.REPORT_HANDLE),
    # report_verify: only the reporter
    ("verify: the reporter", lambda: access.verify_report(RESIDENT, REPORT), None),
    (
        "verify: wrong person",
        lambda: access.verify_report(OTHER_RESIDENT, REPORT),
        Rule.REPORT_VERIFY,
    ),
    (
        "verify: wrong role (the worker)",
        lambda: access.verify_report(WORKER_G1.user_id, REPORT),
        Rule.REPORT_VERIFY,
    ),
    # report_relay: only an anonymous report's own reporter answers through the bot
    (
        "relay: the anonymous reporter",
        lambda: access.reply_to_holder(RESIDENT, replace(REPORT, extra={"anonymous": True})),
        None,
    ),
    (
        "relay: someone else",
        lambda: access.reply_to_holder(OTHER_RESIDENT, replace(REPORT, extra={"anonymous": True})),
        Rule.REPORT_RELAY,
    ),
    (
        "relay: a report that is not anonymous",
        lambda: access.reply_to_holder(RESIDENT, REPORT),
        Rule.REPORT_RELAY,
    ),
    # extension: the holder asks, staff above decide
    ("ext ask: the holder", lambda: access.ask_extension(WORKER_G1, REPORT), None),
    ("ext ask: wrong unit", lambda: access.ask_extension(WORKER_G2, REPORT), Rule.EXTENSION_ASK),
    ("ext ask: stranger", lambda: access.ask_extension(None, REPORT), Rule.EXTENSION_ASK),
    (
        "ext decide: community above",
        lambda: access.decide_extension(COMMUNITY_C1, REPORT, TREE),
        None,
    ),
    (
        "ext decide: wrong person (the holder)",
        lambda: access.decide_extension(WORKER_G1, REPORT, TREE),
        Rule.EXTENSION_DECIDE,
    ),
    (
        "ext decide: wrong unit",
        lambda: access.decide_extension(COMMUNITY_C2, REPORT, TREE),
        Rule.EXTENSION_DECIDE,
    ),
    # households and visits
    ("household: grid staff", lambda: access.manage_household(WORKER_G1, HOUSEHOLD, TREE), None),
    (
        "household: wrong unit",
        lambda: access.manage_household(WORKER_G2, HOUSEHOLD, TREE),
        Rule.HOUSEHOLD_MANAGE,
    ),
    (
        "household: wrong role",
        lambda: access.manage_household(PARTNER, HOUSEHOLD, TREE),
        Rule.HOUSEHOLD_MANAGE,
    ),
    (
        "household: stranger",
        lambda: access.manage_household(None, HOUSEHOLD, TREE),
        Rule.HOUSEHOLD_MANAGE,
    ),
    ("visit: the visitor", lambda: access.log_visit(6001, None, HOUSEHOLD, TREE), None),
    ("visit: staff over it", lambda: access.log_visit(103, HEAD_G1, HOUSEHOLD, TREE), None),
    (
        "visit: wrong person",
        lambda: access.log_visit(6002, None, HOUSEHOLD, TREE),
        Rule.VISIT_LOG,
    ),
    (
        "visit: wrong unit",
        lambda: access.log_visit(102, WORKER_G2, HOUSEHOLD, TREE),
        Rule.VISIT_LOG,
    ),
    # patrols
    ("patrol: own grid", lambda: access.log_patrol(WORKER_G1, "B1", TREE), None),
    ("patrol: wrong unit", lambda: access.log_patrol(WORKER_G1, "B3", TREE), Rule.PATROL_LOG),
    ("patrol: wrong role", lambda: access.log_patrol(PARTNER, "B1", TREE), Rule.PATROL_LOG),
    ("patrol: stranger", lambda: access.log_patrol(None, "B1", TREE), Rule.PATROL_LOG),
    # 下沉干部: a cadre patrols the grid they are sent down to, and only that
    ("patrol: cadre in their grid", lambda: access.log_patrol(PARTNER, "B1", TREE, ["G1"]), None),
    (
        "patrol: cadre in another grid",
        lambda: access.log_patrol(PARTNER, "B3", TREE, ["G1"]),
        Rule.PATROL_LOG,
    ),
    (
        "patrol: cadre who left",
        lambda: access.log_patrol(None, "B1", TREE, ["G1"]),
        Rule.PATROL_LOG,
    ),
    (
        "cadres: community over its grid",
        lambda: access.manage_cadres(COMMUNITY_C1, "G1", TREE),
        None,
    ),
    ("cadres: street over a grid", lambda: access.manage_cadres(STREET_S1, "G3", TREE), None),
    ("cadres: admin anywhere", lambda: access.manage_cadres(ADMIN, "G3", TREE), None),
    (
        "cadres: another community's grid",
        lambda: access.manage_cadres(COMMUNITY_C2, "G1", TREE),
        Rule.CADRE_MANAGE,
    ),
    (
        "cadres: the grid's head",
        lambda: access.manage_cadres(HEAD_G1, "G1", TREE),
        Rule.CADRE_MANAGE,
    ),
    ("cadres: a partner", lambda: access.manage_cadres(PARTNER, "G1", TREE), Rule.CADRE_MANAGE),
    ("cadres: stranger", lambda: access.manage_cadres(None, "G1", TREE), Rule.CADRE_MANAGE),
    ("finding: the patroller", lambda: access.report_finding(WORKER_G1, PATROL, TREE), None),
    (
        "finding: wrong unit",
        lambda: access.report_finding(WORKER_G2, PATROL, TREE),
        Rule.PATROL_FINDING,
    ),
    ("finding: stranger", lambda: access.report_finding(None, PATROL, TREE), Rule.PATROL_FINDING),
    # volunteers
    ("decide: community", lambda: access.decide_volunteer(COMMUNITY_C1, "B1", TREE), None),
    (
        "decide: wrong role (grid worker)",
        lambda: access.decide_volunteer(WORKER_G1, "B1", TREE),
        Rule.VOLUNTEER_DECIDE,
    ),
    (
        "decide: wrong unit",
        lambda: access.decide_volunteer(COMMUNITY_C2, "B1", TREE),
        Rule.VOLUNTEER_DECIDE,
    ),
    ("decide: stranger", lambda: access.decide_volunteer(None, "B1", TREE), Rule.VOLUNTEER_DECIDE),
    ("browse: grid staff", lambda: access.browse_volunteers(WORKER_G1, "G1", TREE), None),
    (
        "browse: wrong unit",
        lambda: access.browse_volunteers(WORKER_G1, "G2", TREE),
        Rule.VOLUNTEER_BROWSE,
    ),
    (
        "browse: wrong role",
        lambda: access.browse_volunteers(PARTNER, "C1", TREE),
        Rule.VOLUNTEER_BROWSE,
    ),
    ("invite: the invited volunteer", lambda: access.answer_invite(6001, 6001), None),
    ("invite: wrong person", lambda: access.answer_invite(6002, 6001), Rule.VOLUNTEER_INVITE),
    # wishes: review
    ("review: grid staff", lambda: access.review_wish(WORKER_G1, WISH, TREE), None),
    ("review: wrong unit", lambda: access.review_wish(WORKER_G2, WISH, TREE), Rule.WISH_REVIEW),
    ("review: wrong role", lambda: access.review_wish(PARTNER, WISH, TREE), Rule.WISH_REVIEW),
    ("review: stranger", lambda: access.review_wish(None, WISH, TREE), Rule.WISH_REVIEW),
    # wishes: claim — offered, or eligible by unit scope and skill
    ("claim: eligible, same grid", lambda: claim(volunteer(6001, "B2")), None),
    ("claim: offered though far", lambda: claim(volunteer(6004, "B4"), offered=True), None),
    ("claim: wrong unit (out of reach)", lambda: claim(volunteer(6004, "B4")), Rule.WISH_CLAIM),
    (
        "claim: wrong skill",
        lambda: claim(volunteer(6003, "B2", skills=("medical",))),
        Rule.WISH_CLAIM,
    ),
    (
        "claim: wrong role (not yet approved)",
        lambda: claim(volunteer(6001, "B2", approved=False), offered=True),
        Rule.WISH_CLAIM,
    ),
    (
        "claim: wrong person (the resident's own wish)",
        lambda: claim(volunteer(RESIDENT, "B1"), offered=True),
        Rule.WISH_CLAIM,
    ),
    ("claim: stranger", lambda: claim(None, offered=True), Rule.WISH_CLAIM),
    ("claimer: the claimer", lambda: access.act_as_claimer(6001, CLAIMED), None),
    (
        "claimer: wrong person",
        lambda: access.act_as_claimer(6002, CLAIMED),
        Rule.WISH_CLAIMER,
    ),
    ("claimer: open wish", lambda: access.act_as_claimer(6001, WISH), Rule.WISH_CLAIMER),
    ("confirmer: the resident", lambda: access.act_as_confirmer(RESIDENT, CLAIMED), None),
    (
        "confirmer: wrong person (the claimer)",
        lambda: access.act_as_confirmer(6001, CLAIMED),
        Rule.WISH_CONFIRMER,
    ),
    (
        "confirmer: stranger",
        lambda: access.act_as_confirmer(STRANGER, CLAIMED),
        Rule.WISH_CONFIRMER,
    ),
    # activities and groups
    ("organise: community", lambda: access.organise_activity(COMMUNITY_C1), None),
    ("organise: wrong role", lambda: access.organise_activity(PARTNER), Rule.ACTIVITY_ORGANISE),
    ("organise: stranger", lambda: access.organise_activity(None), Rule.ACTIVITY_ORGANISE),
    ("join: approved volunteer", lambda: access.join_activity(volunteer(6001, "B1")), None),
    (
        "join: wrong role (not yet approved)",
        lambda: access.join_activity(volunteer(6001, "B1", approved=False)),
        Rule.ACTIVITY_JOIN,
    ),
    ("join: stranger", lambda: access.join_activity(None), Rule.ACTIVITY_JOIN),
    ("check-in: organiser", lambda: access.check_in(COMMUNITY_C1, ACTIVITY, TREE), None),
    (
        "check-in: wrong unit",
        lambda: access.check_in(COMMUNITY_C2, ACTIVITY, TREE),
        Rule.ACTIVITY_CHECK_IN,
    ),
    (
        "check-in: wrong role",
        lambda: access.check_in(PARTNER, ACTIVITY, TREE),
        Rule.ACTIVITY_CHECK_IN,
    ),
    ("check-in: stranger", lambda: access.check_in(None, ACTIVITY, TREE), Rule.ACTIVITY_CHECK_IN),
    ("bind: own grid", lambda: access.bind_group(WORKER_G1, "G1", TREE), None),
    ("bind: wrong unit", lambda: access.bind_group(WORKER_G1, "C1", TREE), Rule.GROUP_BIND),
    ("bind: wrong role", lambda: access.bind_group(PARTNER, "C1", TREE), Rule.GROUP_BIND),
    ("bind: stranger", lambda: access.bind_group(None, "G1", TREE), Rule.GROUP_BIND),
    # staff and admin commands
    ("care: a worker", lambda: access.care_staff(WORKER_G1), None),
    ("care: wrong role (partner)", lambda: access.care_staff(PARTNER), Rule.CARE_STAFF),
    ("care: stranger", lambda: access.care_staff(None), Rule.CARE_STAFF),
    (
        "register household: own grid",
        lambda: access.register_household(WORKER_G1, "B2", TREE),
        None,
    ),
    (
        "register household: wrong unit",
        lambda: access.register_household(WORKER_G1, "B3", TREE),
        Rule.HOUSEHOLD_MANAGE,
    ),
    ("figures: own grid", lambda: access.see_figures(WORKER_G1, "G1", TREE), None),
    ("figures: anywhere (admin)", lambda: access.see_figures(ADMIN, "C2", TREE), None),
    (
        "figures: wrong unit (above)",
        lambda: access.see_figures(WORKER_G1, "C1", TREE),
        Rule.MONTHLY_FIGURES,
    ),
    (
        "figures: wrong role (partner)",
        lambda: access.see_figures(PARTNER, "C1", TREE),
        Rule.MONTHLY_FIGURES,
    ),
    ("figures: stranger", lambda: access.see_figures(None, "G1", TREE), Rule.MONTHLY_FIGURES),
    ("staff: a worker", lambda: access.staff_only(WORKER_G1), None),
    ("staff: stranger", lambda: access.staff_only(None), Rule.STAFF_ONLY),
    ("web login: a partner", lambda: access.web_login(PARTNER), None),
    ("web login: a resident or former staff", lambda: access.web_login(None), Rule.WEB_LOGIN),
    ("admin: the admin", lambda: access.admin_only(ADMIN), None),
    ("admin: wrong role", lambda: access.admin_only(COMMUNITY_C1), Rule.ADMIN_ONLY),
    ("admin: stranger", lambda: access.admin_only(None), Rule.ADMIN_ONLY),
    # staff management (/staff, /invite): admins anywhere, street and district below themselves
    ("manage staff: the admin", lambda: access.manage_staff(ADMIN), None),
    ("manage staff: a street officer", lambda: access.manage_staff(STREET_S1), None),
    (
        "manage staff: wrong role (community)",
        lambda: access.manage_staff(COMMUNITY_C1),
        Rule.STAFF_MANAGE,
    ),
    (
        "manage staff: wrong role (worker)",
        lambda: access.manage_staff(WORKER_G1),
        Rule.STAFF_MANAGE,
    ),
    ("manage staff: stranger", lambda: access.manage_staff(None), Rule.STAFF_MANAGE),
    (
        "change staff: street over a worker",
        lambda: access.change_staff(STREET_S1, WORKER_G1, TREE),
        None,
    ),
    (
        "change staff: admin over anyone",
        lambda: access.change_staff(ADMIN, DISTRICT_D1, TREE),
        None,
    ),
    (
        "change staff: wrong unit (street over the district)",
        lambda: access.change_staff(STREET_S1, DISTRICT_D1, TREE),
        Rule.STAFF_CHANGE,
    ),
    (
        "change staff: wrong unit (a street peer at its own unit)",
        lambda: access.change_staff(STREET_S1, staff("street", "S1", 302), TREE),
        Rule.STAFF_CHANGE,
    ),
    (
        "change staff: wrong role (a street officer placed below)",
        lambda: access.change_staff(STREET_S1, staff("street", "C1", 303), TREE),
        Rule.STAFF_CHANGE,
    ),
    (
        "change staff: wrong person (oneself)",
        lambda: access.change_staff(ADMIN, ADMIN, TREE),
        Rule.STAFF_CHANGE,
    ),
    (
        "change staff: a worker over a worker",
        lambda: access.change_staff(WORKER_G1, WORKER_G2, TREE),
        Rule.STAFF_CHANGE,
    ),
    (
        "change staff: stranger",
        lambda: access.change_staff(None, WORKER_G1, TREE),
        Rule.STAFF_CHANGE,
    ),
    (
        "place staff: street puts a worker in a grid",
        lambda: access.place_staff(STREET_S1, Role.GRID_WORKER, "G1", TREE),
        None,
    ),
    (
        "place staff: admin puts an admin anywhere",
        lambda: access.place_staff(ADMIN, Role.ADMIN, "D1", TREE),
        None,
    ),
    (
        "place staff: wrong role (street gives street)",
        lambda: access.place_staff(STREET_S1, Role.STREET, "C1", TREE),
        Rule.STAFF_PLACE,
    ),
    (
        "place staff: wrong unit (the street's own unit)",
        lambda: access.place_staff(STREET_S1, Role.GRID_WORKER, "S1", TREE),
        Rule.STAFF_PLACE,
    ),
    (
        "place staff: wrong unit (above the street)",
        lambda: access.place_staff(STREET_S1, Role.GRID_WORKER, "D1", TREE),
        Rule.STAFF_PLACE,
    ),
    (
        "place staff: unknown unit",
        lambda: access.place_staff(ADMIN, Role.GRID_WORKER, "NOPE", TREE),
        Rule.STAFF_PLACE,
    ),
    (
        "place staff: wrong role (community)",
        lambda: access.place_staff(COMMUNITY_C1, Role.GRID_WORKER, "G1", TREE),
        Rule.STAFF_PLACE,
    ),
    (
        "place staff: stranger",
        lambda: access.place_staff(None, Role.GRID_WORKER, "G1", TREE),
        Rule.STAFF_PLACE,
    ),
    ("appraisal: grid worker", lambda: access.view_appraisal(WORKER_G1), None),
    ("appraisal: street", lambda: access.view_appraisal(STREET_S1), None),
    ("appraisal: partner", lambda: access.view_appraisal(PARTNER), Rule.APPRAISAL_VIEW),
    ("appraisal: stranger", lambda: access.view_appraisal(None), Rule.APPRAISAL_VIEW),
    ("export: own grid", lambda: access.export_ledger(WORKER_G1, "G1", TREE), None),
    ("export: street below", lambda: access.export_ledger(STREET_S1, "G2", TREE), None),
    ("export: admin anywhere", lambda: access.export_ledger(ADMIN, "C2", TREE), None),
    (
        "export: a colleague's grid",
        lambda: access.export_ledger(WORKER_G1, "G2", TREE),
        Rule.LEDGER_EXPORT,
    ),
    (
        "export: another community",
        lambda: access.export_ledger(COMMUNITY_C2, "G1", TREE),
        Rule.LEDGER_EXPORT,
    ),
    (
        "export: above one's unit",
        lambda: access.export_ledger(COMMUNITY_C1, "S1", TREE),
        Rule.LEDGER_EXPORT,
    ),
    ("export: partner", lambda: access.export_ledger(PARTNER, "C1", TREE), Rule.LEDGER_EXPORT),
    ("export: unknown unit", lambda: access.export_ledger(ADMIN, "NOPE", TREE), Rule.LEDGER_EXPORT),
    ("export: stranger", lambda: access.export_ledger(None, "G1", TREE), Rule.LEDGER_EXPORT),
    ("figures: own grid", lambda: access.view_figures(WORKER_G1, "G1", TREE), None),
    ("figures: street below", lambda: access.view_figures(STREET_S1, "G2", TREE), None),
    ("figures: admin anywhere", lambda: access.view_figures(ADMIN, "C2", TREE), None),
    (
        "figures: a colleague's grid",
        lambda: access.view_figures(WORKER_G1, "G2", TREE),
        Rule.FIGURES_VIEW,
    ),
    (
        "figures: another community",
        lambda: access.view_figures(COMMUNITY_C2, "G1", TREE),
        Rule.FIGURES_VIEW,
    ),
    (
        "figures: above one's unit",
        lambda: access.view_figures(COMMUNITY_C1, "S1", TREE),
        Rule.FIGURES_VIEW,
    ),
    ("figures: partner", lambda: access.view_figures(PARTNER, "C1", TREE), Rule.FIGURES_VIEW),
    ("figures: unknown unit", lambda: access.view_figures(ADMIN, "NOPE", TREE), Rule.FIGURES_VIEW),
    ("figures: stranger", lambda: access.view_figures(None, "G1", TREE), Rule.FIGURES_VIEW),
    # 吹哨: the holder calls parties in; only the party's members answer
    ("call in: the holder", lambda: access.call_in(WORKER_G1, REPORT, TREE), None),
    ("call in: the grid head above", lambda: access.call_in(HEAD_G1, REPORT, TREE), None),
    ("call in: wrong unit", lambda: access.call_in(WORKER_G2, REPORT, TREE), Rule.CALLIN_CALL),
    (
        "call in: wrong role (a party's member)",
        lambda: access.call_in(CITY_MEMBER, REPORT, TREE),
        Rule.CALLIN_CALL,
    ),
    (
        "call in: a closed report (its status is the use case's refusal)",
        lambda: access.call_in(WORKER_G1, CLOSED, TREE),
        None,
    ),
    ("call in: stranger", lambda: access.call_in(None, REPORT, TREE), Rule.CALLIN_CALL),
    ("callin answer: a member", lambda: access.answer_callin(CITY_MEMBER, CITY), None),
    (
        "callin answer: wrong person (another party's member)",
        lambda: access.answer_callin(PARTNER, CITY),
        Rule.CALLIN_ANSWER,
    ),
    (
        "callin answer: wrong role (the holder)",
        lambda: access.answer_callin(WORKER_G1, CITY),
        Rule.CALLIN_ANSWER,
    ),
    ("callin answer: stranger", lambda: access.answer_callin(None, CITY), Rule.CALLIN_ANSWER),
    (
        "callin answer: no such party",
        lambda: access.answer_callin(CITY_MEMBER, None),
        Rule.CALLIN_ANSWER,
    ),
    # broadcast_send / poll_create: grid staff at the unit or above; not partners, not another
    # grid, not a stranger
    ("broadcast: own grid's building", lambda: access.send_broadcast(WORKER_G1, "B1", TREE), None),
    ("broadcast: admin anywhere", lambda: access.send_broadcast(ADMIN, "B4", TREE), None),
    (
        "broadcast: wrong unit (another grid)",
        lambda: access.send_broadcast(WORKER_G1, "B3", TREE),
        Rule.BROADCAST_SEND,
    ),
    (
        "broadcast: wrong unit (above one's own)",
        lambda: access.send_broadcast(COMMUNITY_C1, "S1", TREE),
        Rule.BROADCAST_SEND,
    ),
    (
        "broadcast: wrong role (partner)",
        lambda: access.send_broadcast(PARTNER, "C1", TREE),
        Rule.BROADCAST_SEND,
    ),
    ("broadcast: stranger", lambda: access.send_broadcast(None, "B1", TREE), Rule.BROADCAST_SEND),
    ("poll: community's grid", lambda: access.create_poll(COMMUNITY_C1, "G2", TREE), None),
    (
        "poll: wrong unit (another community)",
        lambda: access.create_poll(COMMUNITY_C2, "G1", TREE),
        Rule.POLL_CREATE,
    ),
    (
        "poll: wrong role (partner)",
        lambda: access.create_poll(PARTNER, "C1", TREE),
        Rule.POLL_CREATE,
    ),
    ("poll: unknown unit", lambda: access.create_poll(ADMIN, "NOPE", TREE), Rule.POLL_CREATE),
    # poll_vote: only a resident the card was sent to
    ("vote: asked", lambda: access.vote_poll(RESIDENT, True), None),
    ("vote: wrong person (not asked)", lambda: access.vote_poll(STRANGER, False), Rule.POLL_VOTE),
    (
        "publish contact: grid head over its worker",
        lambda: access.publish_contact(HEAD_G1, WORKER_G1, TREE),
        None,
    ),
    (
        "publish contact: community over a grid of it",
        lambda: access.publish_contact(COMMUNITY_C1, HEAD_G1, TREE),
        None,
    ),
    (
        "publish contact: admin, themselves too",
        lambda: access.publish_contact(ADMIN, ADMIN, TREE),
        None,
    ),
    (
        "publish contact: a peer",
        lambda: access.publish_contact(WORKER_G2, WORKER_G1, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    (
        "publish contact: another community",
        lambda: access.publish_contact(COMMUNITY_C2, WORKER_G1, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    (
        "publish contact: a worker over their head",
        lambda: access.publish_contact(WORKER_G1, HEAD_G1, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    (
        "publish contact: themselves",
        lambda: access.publish_contact(COMMUNITY_C1, COMMUNITY_C1, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    (
        "publish contact: a partner",
        lambda: access.publish_contact(PARTNER, WORKER_G1, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    (
        "publish contact: stranger",
        lambda: access.publish_contact(None, WORKER_G1, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    (
        "publish contact: someone who left",
        lambda: access.publish_contact(ADMIN, None, TREE),
        Rule.CONTACT_PUBLISH,
    ),
    # 并单: me too, followers' answers, merging; 退单 approval
    ("follow: another resident", lambda: access.follow_report(OTHER_RESIDENT, REPORT), None),
    (
        "follow: wrong person (the reporter)",
        lambda: access.follow_report(RESIDENT, REPORT),
        Rule.REPORT_FOLLOW,
    ),
    ("follower verify: a follower", lambda: access.verify_as_follower(5002, [5002]), None),
    (
        "follower verify: wrong person",
        lambda: access.verify_as_follower(STRANGER, [5002]),
        Rule.FOLLOWER_VERIFY,
    ),
    (
        "merge: the holder of both",
        lambda: access.merge_reports(WORKER_G1, REPORT, REPORT_B2, TREE),
        None,
    ),
    (
        "merge: the grid head over both",
        lambda: access.merge_reports(HEAD_G1, REPORT, REPORT_B2, TREE),
        None,
    ),
    (
        "merge: wrong unit (the survivor is another grid's)",
        lambda: access.merge_reports(WORKER_G1, REPORT, REPORT_G2, TREE),
        Rule.REPORT_MERGE,
    ),
    (
        "merge: wrong role (partner)",
        lambda: access.merge_reports(PARTNER, REPORT, REPORT_B2, TREE),
        Rule.REPORT_MERGE,
    ),
    (
        "merge: stranger",
        lambda: access.merge_reports(None, REPORT, REPORT_B2, TREE),
        Rule.REPORT_MERGE,
    ),
    ("reject ask: the holder", lambda: access.ask_reject(WORKER_G1, REPORT), None),
    ("reject ask: wrong unit", lambda: access.ask_reject(WORKER_G2, REPORT), Rule.REJECT_ASK),
    ("reject ask: stranger", lambda: access.ask_reject(None, REPORT), Rule.REJECT_ASK),
    (
        "reject decide: community above",
        lambda: access.decide_reject(COMMUNITY_C1, REPORT, TREE),
        None,
    ),
    (
        "reject decide: wrong person (the holder)",
        lambda: access.decide_reject(WORKER_G1, REPORT, TREE),
        Rule.REJECT_DECIDE,
    ),
    (
        "reject decide: wrong role (partner)",
        lambda: access.decide_reject(PARTNER, REPORT, TREE),
        Rule.REJECT_DECIDE,
    ),
    (
        "reject decide: wrong unit",
        lambda: access.decide_reject(COMMUNITY_C2, REPORT, TREE),
        Rule.REJECT_DECIDE,
    ),
    ("open311: key of the community", lambda: access.open311_file("C1", "B1", TREE), None),
    ("open311: key of the grid itself", lambda: access.open311_file("G1", "G1", TREE), None),
    (
        "open311: another community's key",
        lambda: access.open311_file("C2", "B1", TREE),
        Rule.OPEN311_FILE,
    ),
    # 码上安全 merchants
    ("merchant: grid worker", lambda: access.manage_merchant(WORKER_G1, "B1", TREE), None),
    ("merchant: community", lambda: access.manage_merchant(COMMUNITY_C1, "B3", TREE), None),
    (
        "merchant: another grid",
        lambda: access.manage_merchant(WORKER_G2, "B1", TREE),
        Rule.MERCHANT_MANAGE,
    ),
    (
        "merchant: partner",
        lambda: access.manage_merchant(PARTNER, "B1", TREE),
        Rule.MERCHANT_MANAGE,
    ),
    ("merchant: stranger", lambda: access.manage_merchant(None, "B1", TREE), Rule.MERCHANT_MANAGE),
    ("merchant check: owner", lambda: access.check_merchant(RESIDENT, RESIDENT), None),
    (
        "merchant check: someone else",
        lambda: access.check_merchant(OTHER_RESIDENT, RESIDENT),
        Rule.MERCHANT_CHECK,
    ),
    ("open311: no key", lambda: access.open311_file(None, "B1", TREE), Rule.OPEN311_FILE),
    # 回访: community staff over the case (and above), never its handlers
    (
        "revisit: community over the case",
        lambda: access.record_revisit(COMMUNITY_C1, "B1", TREE, frozenset({101})),
        None,
    ),
    (
        "revisit: street above",
        lambda: access.record_revisit(STREET_S1, "B1", TREE, frozenset({101})),
        None,
    ),
    (
        "revisit: wrong person (the community member who resolved it)",
        lambda: access.record_revisit(COMMUNITY_C1, "B1", TREE, frozenset({201})),
        Rule.REVISIT_RECORD,
    ),
    (
        "revisit: wrong role (the grid head)",
        lambda: access.record_revisit(HEAD_G1, "B1", TREE, frozenset()),
        Rule.REVISIT_RECORD,
    ),
    (
        "revisit: wrong role (partner)",
        lambda: access.record_revisit(PARTNER, "B1", TREE, frozenset()),
        Rule.REVISIT_RECORD,
    ),
    (
        "revisit: wrong unit (another community)",
        lambda: access.record_revisit(COMMUNITY_C2, "B1", TREE, frozenset()),
        Rule.REVISIT_RECORD,
    ),
    (
        "revisit: stranger",
        lambda: access.record_revisit(None, "B1", TREE, frozenset()),
        Rule.REVISIT_RECORD,
    ),
    ("booking decide: unit staff", lambda: access.decide_booking(COMMUNITY_C1, ROOM, TREE), None),
    ("booking decide: above", lambda: access.decide_booking(STREET_S1, ROOM, TREE), None),
    (
        "booking decide: wrong unit",
        lambda: access.decide_booking(COMMUNITY_C2, ROOM, TREE),
        Rule.BOOKING_DECIDE,
    ),
    (
        "booking decide: wrong role",
        lambda: access.decide_booking(PARTNER, ROOM, TREE),
        Rule.BOOKING_DECIDE,
    ),
    (
        "booking decide: not listed",
        lambda: access.decide_booking(COMMUNITY_C1, ROOM_LISTED, TREE),
        Rule.BOOKING_DECIDE,
    ),
    ("booking decide: listed", lambda: access.decide_booking(WORKER_G1, ROOM_LISTED, TREE), None),
    (
        "booking decide: stranger",
        lambda: access.decide_booking(None, ROOM, TREE),
        Rule.BOOKING_DECIDE,
    ),
    ("booking own: the booker", lambda: access.own_booking(RESIDENT, BOOKING), None),
    (
        "booking own: someone else",
        lambda: access.own_booking(OTHER_RESIDENT, BOOKING),
        Rule.BOOKING_OWN,
    ),
    ("dual report: community staff", lambda: access.preview_dual_report(COMMUNITY_C1), None),
    ("dual report: admin", lambda: access.preview_dual_report(ADMIN), None),
    (
        "dual report: wrong role (grid head)",
        lambda: access.preview_dual_report(HEAD_G1),
        Rule.DUAL_REPORT_PREVIEW,
    ),
    (
        "dual report: wrong role (partner)",
        lambda: access.preview_dual_report(PARTNER),
        Rule.DUAL_REPORT_PREVIEW,
    ),
    ("dual report: stranger", lambda: access.preview_dual_report(None), Rule.DUAL_REPORT_PREVIEW),
    (
        "open311: a key whose unit is gone",
        lambda: access.open311_file("C9", "B1", TREE),
        Rule.OPEN311_FILE,
    ),
    # 1+1+1+N teams: the helpers (兼职网格员, 楼栋长, 单元长) and the rules about them
    ("team view: the grid worker", lambda: access.view_team(WORKER_G1, "B1", TREE), None),
    ("team view: community above", lambda: access.view_team(COMMUNITY_C1, "B1", TREE), None),
    ("team view: wrong unit", lambda: access.view_team(WORKER_G2, "B1", TREE), Rule.TEAM_VIEW),
    (
        "team view: wrong role (partner)",
        lambda: access.view_team(PARTNER, "B1", TREE),
        Rule.TEAM_VIEW,
    ),
    ("team view: a building head", lambda: access.view_team(BHEAD_B1, "B1", TREE), Rule.TEAM_VIEW),
    ("team view: stranger", lambda: access.view_team(None, "B1", TREE), Rule.TEAM_VIEW),
    (
        "team link: community above",
        lambda: access.link_party_member(COMMUNITY_C1, "B1", TREE),
        None,
    ),
    ("team link: admin", lambda: access.link_party_member(ADMIN, "B4", TREE), None),
    (
        "team link: wrong role (grid worker)",
        lambda: access.link_party_member(WORKER_G1, "B1", TREE),
        Rule.TEAM_LINK,
    ),
    (
        "team link: wrong unit",
        lambda: access.link_party_member(COMMUNITY_C2, "B1", TREE),
        Rule.TEAM_LINK,
    ),
    ("team report: a building head", lambda: access.send_team_report(BHEAD_B1), None),
    ("team report: a part-timer", lambda: access.send_team_report(PART_G1), None),
    ("team report: an entrance head", lambda: access.send_team_report(EHEAD_E1), None),
    ("team report: a grid worker", lambda: access.send_team_report(WORKER_G1), Rule.TEAM_REPORT),
    ("team report: stranger", lambda: access.send_team_report(None), Rule.TEAM_REPORT),
    ("team reports: the grid head", lambda: access.read_team_reports(HEAD_G1, "G1", TREE), None),
    ("team reports: community", lambda: access.read_team_reports(COMMUNITY_C1, "C1", TREE), None),
    (
        "team reports: wrong role (grid worker)",
        lambda: access.read_team_reports(WORKER_G1, "G1", TREE),
        Rule.TEAM_REPORTS,
    ),
    (
        "team reports: wrong role (building head)",
        lambda: access.read_team_reports(BHEAD_B1, "B1", TREE),
        Rule.TEAM_REPORTS,
    ),
    (
        "team reports: wrong unit (another grid)",
        lambda: access.read_team_reports(HEAD_G1, "G2", TREE),
        Rule.TEAM_REPORTS,
    ),
    # Helpers are refused what grid staff may do: cases of others, residents, the dashboard.
    (
        "report: a building head in the building",
        lambda: access.handle_report(
            BHEAD_B1, replace(REPORT, assignee_id=None, holder_unit="B1"), TREE
        ),
        Rule.REPORT_HANDLE,
    ),
    (
        "report: a part-timer takes an unassigned one at the grid",
        lambda: access.handle_report(PART_G1, replace(REPORT, assignee_id=None), TREE),
        None,
    ),
    ("web: a building head", lambda: access.web_login(BHEAD_B1), Rule.WEB_LOGIN),
    ("web: a part-timer", lambda: access.web_login(PART_G1), Rule.WEB_LOGIN),
    (
        "broadcast: a building head",
        lambda: access.send_broadcast(BHEAD_B1, "B1", TREE),
        Rule.BROADCAST_SEND,
    ),
    ("group: a building head", lambda: access.bind_group(BHEAD_B1, "B1", TREE), Rule.GROUP_BIND),
    (
        "volunteers: a part-timer",
        lambda: access.browse_volunteers(PART_G1, "B1", TREE),
        Rule.VOLUNTEER_BROWSE,
    ),
    (
        "activity: an entrance head",
        lambda: access.organise_activity(EHEAD_E1),
        Rule.ACTIVITY_ORGANISE,
    ),
    ("appraisal: a part-timer", lambda: access.view_appraisal(PART_G1), Rule.APPRAISAL_VIEW),
    (
        "figures: a building head",
        lambda: access.view_figures(BHEAD_B1, "B1", TREE),
        Rule.FIGURES_VIEW,
    ),
    (
        "export: a building head",
        lambda: access.export_ledger(BHEAD_B1, "B1", TREE),
        Rule.LEDGER_EXPORT,
    ),
    (
        "household: a part-timer",
        lambda: access.manage_household(PART_G1, HOUSEHOLD, TREE),
        Rule.HOUSEHOLD_MANAGE,
    ),
    # 核实: the grid worker of the report's place; 复查: above the holder, never the resolver
    ("check: the grid's worker", lambda: access.check_report(WORKER_G1, CHECKING, TREE), None),
    (
        "check: another grid's worker",
        lambda: access.check_report(WORKER_G2, CHECKING, TREE),
        Rule.REPORT_CHECK,
    ),
    (
        "check: wrong role (community)",
        lambda: access.check_report(COMMUNITY_C1, CHECKING, TREE),
        Rule.REPORT_CHECK,
    ),
    (
        "check: not waiting for a check",
        lambda: access.check_report(WORKER_G1, REPORT, TREE),
        Rule.REPORT_CHECK,
    ),
    ("check: stranger", lambda: access.check_report(None, CHECKING, TREE), Rule.REPORT_CHECK),
    ("review: the grid head", lambda: access.review_report(HEAD_G1, REVIEWING, TREE), None),
    ("review: community above", lambda: access.review_report(COMMUNITY_C1, REVIEWING, TREE), None),
    (
        "review: the resolver (a supervisor)",
        lambda: access.review_report(
            HEAD_G1, replace(REVIEWING, extra={"resolver": HEAD_G1.user_id}), TREE
        ),
        Rule.REPORT_REVIEW,
    ),
    (
        "review: the holder",
        lambda: access.review_report(WORKER_G1, REVIEWING, TREE),
        Rule.REPORT_REVIEW,
    ),
    (
        "review: wrong unit",
        lambda: access.review_report(COMMUNITY_C2, REVIEWING, TREE),
        Rule.REPORT_REVIEW,
    ),
    (
        "review: not waiting for a review",
        lambda: access.review_report(HEAD_G1, REPORT, TREE),
        Rule.REPORT_REVIEW,
    ),
]


@pytest.mark.parametrize(
    ("viewer", "worker", "sees"),
    [
        (WORKER_G1, WORKER_G1, True),  # one's own figures
        (WORKER_G1, WORKER_G2, False),  # a colleague's
        (HEAD_G1, WORKER_G1, True),  # 网格长 of the grid
        (COMMUNITY_C1, WORKER_G2, True),  # below the community
        (COMMUNITY_C2, WORKER_G1, False),  # another community's worker
        (STREET_S1, WORKER_G2, True),
        (ADMIN, WORKER_G2, True),
    ],
)
def test_worker_figures_go_to_the_worker_and_their_supervisors_only(viewer, worker, sees):
    assert access.sees_workers(viewer, worker, TREE) is sees


@pytest.mark.parametrize(("case", "decide", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_allows_the_right_actor_and_names_itself_when_it_refuses(
    case: str, decide: Callable[[], Rule | None], expected: Rule | None
):
    assert decide() == expected


def test_every_rule_is_exercised_by_a_refusal_above():
    refused = {expected for _, _, expected in CASES if expected is not None}
    assert refused == set(Rule)
