"""Who may do what: one named rule per action that reveals or changes personal data.

Each rule is a pure function of the actor's and the target's facts, as loaded from the database
for this press (clients can forge any button). It returns None when the action is allowed, else
its own name (a `Rule`), which the handler answers politely and records in `refusals`.
The rules reuse the predicates the features already had (reports.may_handle, care.may_log …),
so each check still lives in one place and is named here.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from bot.domain import (
    activities,
    bookings,
    broadcasts,
    cadres,
    callins,
    care,
    checks,
    contacts,
    deadlines,
    dualreport,
    duplicates,
    groups,
    merchants,
    patrols,
    reports,
    revisit,
    staffing,
    teams,
    volunteers,
)
from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import Volunteer
from bot.domain.wishes import Wish


class Rule(StrEnum):
    """The name of each rule, as recorded with a refusal and counted by /audit."""

    STAFF_ONLY = "staff_only"  # staff commands and lists
    CARE_STAFF = "care_staff"  # 五必访 and patrol commands: grid staff, not partners
    ADMIN_ONLY = "admin_only"  # /audit
    OWN_CHAT = "own_chat"  # one's own place and phone: pressed in one's own private chat only
    REPORT_HANDLE = "report_handle"  # a worker's buttons on a report
    REPORT_VERIFY = "report_verify"  # the reporter confirms, reopens and rates
    REPORT_RELAY = "report_relay"  # an anonymous reporter answers the holder through the bot
    EXTENSION_ASK = "extension_ask"  # the holder asks for more time
    EXTENSION_DECIDE = "extension_decide"  # staff above the holder approve or deny it
    HOUSEHOLD_MANAGE = "household_manage"  # see a household's notes, edit, deactivate
    VISIT_LOG = "visit_log"  # log a visit to a household
    PATROL_LOG = "patrol_log"  # log a patrol of a unit
    PATROL_FINDING = "patrol_finding"  # open a report from a patrol's finding
    VOLUNTEER_DECIDE = "volunteer_decide"  # approve or decline a volunteer
    VOLUNTEER_BROWSE = "volunteer_browse"  # staff browse the volunteers of a unit
    VOLUNTEER_INVITE = "volunteer_invite"  # answer a worker's invitation to help on a report
    WISH_REVIEW = "wish_review"  # staff approve or decline a wish
    WISH_CLAIM = "wish_claim"  # view and claim an open wish
    WISH_CLAIMER = "wish_claimer"  # finish or release a claimed wish
    WISH_CONFIRMER = "wish_confirmer"  # confirm, send back or thank for a done wish
    ACTIVITY_ORGANISE = "activity_organise"  # create an activity: unit staff, not partners
    ACTIVITY_JOIN = "activity_join"  # view and sign up for an activity: approved volunteers
    ACTIVITY_CHECK_IN = "activity_check_in"  # see the roster, check volunteers in
    GROUP_BIND = "group_bind"  # bind or unbind a group chat to a unit
    STAFF_MANAGE = "staff_manage"  # /staff and /invite at all: admins, street and district staff
    STAFF_CHANGE = "staff_change"  # see, deactivate, move or re-role a staff member in one's scope
    STAFF_PLACE = "staff_place"  # give a role at a unit (an invite, a move, a new role)
    MONTHLY_FIGURES = "monthly_figures"  # /monthly: care staff, their unit or one below it
    APPRAISAL_VIEW = "appraisal_view"  # /appraisal: a unit's figures; grid to district, admins
    FIGURES_VIEW = "figures_view"  # the dashboard's /figures: a unit's, its own staff and above
    LEDGER_EXPORT = "ledger_export"  # /export: a unit subtree's 台账; its own staff and above
    CALLIN_CALL = "callin_call"  # 吹哨: the holder calls parties in, or withdraws one
    CALLIN_ANSWER = "callin_answer"  # 报到 and finish: members of the called party only
    BROADCAST_SEND = "broadcast_send"  # broadcast to a unit's residents and groups
    POLL_CREATE = "poll_create"  # put a 议事会 poll to a unit's residents
    POLL_VOTE = "poll_vote"  # vote in a poll (and ask for its result): the residents asked
    CONTACT_PUBLISH = "contact_publish"  # set what /grid publishes about a staff member
    REPORT_FOLLOW = "report_follow"  # "me too": follow someone else's open report
    FOLLOWER_VERIFY = "follower_verify"  # a follower answers "is it solved?"
    REPORT_MERGE = "report_merge"  # merge a duplicate: staff who may handle both reports
    REJECT_ASK = "reject_ask"  # the holder asks the tier above to approve a 退单
    REJECT_DECIDE = "reject_decide"  # staff above the holder approve or decline it
    OPEN311_FILE = "open311_file"  # an Open311 key files reports in its unit's subtree only
    CADRE_MANAGE = "cadre_manage"  # 下沉干部: list, attach, detach a grid's cadres
    WEB_LOGIN = "web_login"  # log in to the web dashboard (/web, the Mini App): active staff
    TEAM_VIEW = "team_view"  # /building: a building's team; the grid's staff and above
    TEAM_LINK = "team_link"  # link or unlink a building's party member: community and above
    TEAM_REPORT = "team_report"  # send a 工作月汇报: 兼职网格员, 楼栋长, 单元长
    TEAM_REPORTS = "team_reports"  # read the helpers' monthly reports: grid head and above

    MERCHANT_MANAGE = "merchant_manage"  # 码上安全: list, approve, deactivate a unit's shops
    MERCHANT_CHECK = "merchant_check"  # answer a shop's checklist: its owner only

    REPORT_CHECK = "report_check"  # 核实: a verifier of the report's place confirms or dismisses
    REPORT_REVIEW = "report_review"  # 复查: a reviewer above the holder, never the resolver

    REVISIT_RECORD = "revisit_record"  # 回访: call and record the answer; never the handlers

    BOOKING_DECIDE = "booking_decide"  # confirm, move, decline a booking; record who came
    BOOKING_OWN = "booking_own"  # cancel one's booking, accept or refuse a move: the booker only

    DUAL_REPORT_PREVIEW = "dual_report_preview"  # /dualreport: community staff and above


Decision = Rule | None  # None: allowed


def _unless(allowed: bool, rule: Rule) -> Decision:
    return None if allowed else rule


def staff_only(staff: Staff | None) -> Decision:
    """Allows anyone on the staff list (the database's, so deactivated staff are refused)."""
    return _unless(staff is not None, Rule.STAFF_ONLY)


def care_staff(staff: Staff | None) -> Decision:
    """Allows staff who do care work (grid to district, admins), not partners."""
    return _unless(care.is_care_staff(staff), Rule.CARE_STAFF)


def web_login(staff: Staff | None) -> Decision:
    """Allows active staff to get a dashboard login link or log in through the Mini App; not
    the grid team's helpers (兼职网格员, 楼栋长, 单元长), whose cases come to them in chat."""
    return _unless(staff is not None and not staff.role.is_helper, Rule.WEB_LOGIN)


def admin_only(staff: Staff | None) -> Decision:
    return _unless(staff is not None and staff.role is Role.ADMIN, Rule.ADMIN_ONLY)


def own_chat(user_id: int, chat_id: int | None) -> Decision:
    """Allows a press on one's own registration (place, phone) only in one's own private chat."""
    return _unless(chat_id == user_id, Rule.OWN_CHAT)


def handle_report(staff: Staff | None, report: reports.Report, tree: UnitTree) -> Decision:
    """Allows the report's assignee, staff taking it unassigned, and supervisors above it."""
    return _unless(reports.may_handle(staff, report, tree), Rule.REPORT_HANDLE)


def check_report(staff: Staff | None, report: reports.Report, tree: UnitTree) -> Decision:
    """Allows a verifier of the report's place (checks.VERIFIER_ROLES) to make its 核实."""
    return _unless(checks.may_check(staff, report, tree), Rule.REPORT_CHECK)


def review_report(staff: Staff | None, report: reports.Report, tree: UnitTree) -> Decision:
    """Allows a reviewer at or above the holder, never the resolver or the holder, to 复查."""
    return _unless(checks.may_review(staff, report, tree), Rule.REPORT_REVIEW)


def verify_report(user_id: int, report: reports.Report) -> Decision:
    """Allows the reporter (for 代报, whoever entered it) to confirm, reopen and rate."""
    return _unless(reports.may_verify(user_id, report), Rule.REPORT_VERIFY)


def reply_to_holder(user_id: int, report: reports.Report) -> Decision:
    """Allows only the anonymous reporter to answer the holder's questions through the bot."""
    allowed = report.anonymous and report.reporter_id == user_id
    return _unless(allowed, Rule.REPORT_RELAY)


def ask_extension(staff: Staff | None, report: reports.Report) -> Decision:
    return _unless(deadlines.may_ask_extension(staff, report), Rule.EXTENSION_ASK)


def decide_extension(staff: Staff | None, report: reports.Report, tree: UnitTree) -> Decision:
    return _unless(deadlines.may_decide_extension(staff, report, tree), Rule.EXTENSION_DECIDE)


def follow_report(user_id: int, report: reports.Report) -> Decision:
    """Allows anyone but the report's own reporter (or whoever entered it) to say "me too"."""
    return _unless(user_id not in (report.reporter_id, report.entered_by), Rule.REPORT_FOLLOW)


def verify_as_follower(user_id: int, followers: Collection[int]) -> Decision:
    """Allows the report's followers (as stored now) to answer "is it solved?"."""
    return _unless(user_id in followers, Rule.FOLLOWER_VERIFY)


def merge_reports(
    staff: Staff | None, duplicate: reports.Report, survivor: reports.Report, tree: UnitTree
) -> Decision:
    """Allows staff who may handle both the duplicate and the report it merges into."""
    return _unless(duplicates.may_merge(staff, duplicate, survivor, tree), Rule.REPORT_MERGE)


def ask_reject(staff: Staff | None, report: reports.Report) -> Decision:
    """Allows the holder (who could reject, were no approval needed) to ask for it."""
    return _unless(deadlines.may_ask_extension(staff, report), Rule.REJECT_ASK)


def decide_reject(staff: Staff | None, report: reports.Report, tree: UnitTree) -> Decision:
    """Allows staff of a unit above the holder, or an admin: the same deciders as 申请延期."""
    return _unless(deadlines.may_decide_extension(staff, report, tree), Rule.REJECT_DECIDE)


def manage_household(staff: Staff | None, household: care.Household, tree: UnitTree) -> Decision:
    """Allows care staff at the household's unit or above (notes, edits, deactivation)."""
    return _unless(care.may_manage(staff, household, tree), Rule.HOUSEHOLD_MANAGE)


def register_household(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows care staff at UNIT or above to register a household there."""
    return _unless(care.covers(staff, unit, tree), Rule.HOUSEHOLD_MANAGE)


def log_visit(
    user_id: int, staff: Staff | None, household: care.Household, tree: UnitTree
) -> Decision:
    """Allows the household's assigned visitor and care staff covering it, while it is active."""
    return _unless(care.may_log(user_id, staff, household, tree), Rule.VISIT_LOG)


def log_patrol(
    staff: Staff | None, unit: str, tree: UnitTree, sent_to: Collection[str] = ()
) -> Decision:
    """Allows care staff at UNIT or above, and cadres sent down to a grid (SENT_TO) at or
    above UNIT, to log a patrol of it."""
    return _unless(patrols.may_patrol(staff, unit, tree, sent_to), Rule.PATROL_LOG)


def report_finding(staff: Staff | None, patrol: patrols.Patrol, tree: UnitTree) -> Decision:
    return _unless(patrols.may_report_finding(staff, patrol, tree), Rule.PATROL_FINDING)


def decide_volunteer(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows staff of the volunteer's community or above to approve or decline them."""
    allowed = staff is not None and volunteers.may_decide(staff, unit, tree)
    return _unless(allowed, Rule.VOLUNTEER_DECIDE)


def browse_volunteers(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows staff who look after UNIT to see its volunteers' names and phones."""
    allowed = staff is not None and volunteers.may_manage(staff, unit, tree)
    return _unless(allowed, Rule.VOLUNTEER_BROWSE)


def answer_invite(user_id: int, invited_id: int) -> Decision:
    """Allows only the invited volunteer to accept or decline an invitation to help."""
    return _unless(user_id == invited_id, Rule.VOLUNTEER_INVITE)


def review_wish(staff: Staff | None, wish: Wish, tree: UnitTree) -> Decision:
    allowed = staff is not None and volunteers.may_manage(staff, wish.unit, tree)
    return _unless(allowed, Rule.WISH_REVIEW)


def claim_wish(
    volunteer: Volunteer | None,
    wish: Wish,
    tree: UnitTree,
    *,
    offered: bool,
    levels_up: int,
) -> Decision:
    """Allows an approved volunteer the wish was offered to, or one the matching that chose whom
    to offer it would pick (volunteers.is_eligible: near enough, with the skill) — never the
    resident or the poster themselves. Viewing an open wish from a group follows the same rule."""
    if volunteer is None or not volunteer.is_approved:
        return Rule.WISH_CLAIM
    if volunteer.user_id in (wish.posted_by, wish.resident_id):
        return Rule.WISH_CLAIM
    eligible = volunteers.is_eligible(
        volunteer, wish.unit, tree, skills=wish.skills, levels_up=levels_up
    )
    return _unless(offered or eligible, Rule.WISH_CLAIM)


def act_as_claimer(user_id: int, wish: Wish) -> Decision:
    """Allows only the wish's claimer to finish or release it."""
    return _unless(wish.claimer_id is not None and wish.claimer_id == user_id, Rule.WISH_CLAIMER)


def act_as_confirmer(user_id: int, wish: Wish) -> Decision:
    """Allows only the resident (or the staff member who posted for them) to confirm, send back
    or thank."""
    return _unless(user_id == wish.confirmer, Rule.WISH_CONFIRMER)


def organise_activity(staff: Staff | None) -> Decision:
    allowed = staff is not None and staff.role is not Role.PARTNER and not staff.role.is_helper
    return _unless(allowed, Rule.ACTIVITY_ORGANISE)


def join_activity(volunteer: Volunteer | None) -> Decision:
    """Allows approved volunteers to view an activity privately and to sign up."""
    return _unless(volunteer is not None and volunteer.is_approved, Rule.ACTIVITY_JOIN)


def check_in(staff: Staff | None, activity: activities.Activity, tree: UnitTree) -> Decision:
    return _unless(activities.may_check_in(activity, staff, tree), Rule.ACTIVITY_CHECK_IN)


def bind_group(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    return _unless(groups.may_bind(staff, unit, tree), Rule.GROUP_BIND)


def manage_staff(staff: Staff | None) -> Decision:
    """Allows admins, street and district staff to use /staff and /invite at all."""
    return _unless(staffing.may_manage_staff(staff), Rule.STAFF_MANAGE)


def change_staff(staff: Staff | None, target: Staff, tree: UnitTree) -> Decision:
    """Allows a manager to see, deactivate, move or re-role TARGET: below them, in a lower role,
    never themselves."""
    return _unless(staffing.may_change(staff, target, tree), Rule.STAFF_CHANGE)


def place_staff(staff: Staff | None, role: Role, unit: str, tree: UnitTree) -> Decision:
    """Allows a manager to put someone with ROLE at UNIT (invite, move, new role): a role below
    their own at a unit below their own (admins: any)."""
    return _unless(staffing.may_place(staff, role, unit, tree), Rule.STAFF_PLACE)


def see_figures(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows care staff to see the monthly figures of UNIT if they work at it or above."""
    return _unless(care.covers(staff, unit, tree), Rule.MONTHLY_FIGURES)


def view_appraisal(staff: Staff | None) -> Decision:
    """Allows grid-to-district staff and admins (their unit's figures), not partners."""
    allowed = staff is not None and staff.role is not Role.PARTNER and not staff.role.is_helper
    return _unless(allowed, Rule.APPRAISAL_VIEW)


def view_figures(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows grid-to-district staff to see the figures of their own unit or one below it on the
    dashboard (/figures), and admins any unit's; not partners (as /appraisal)."""
    allowed = (
        staff is not None
        and staff.role is not Role.PARTNER
        and not staff.role.is_helper
        and unit in tree
        and (staff.role is Role.ADMIN or (staff.unit in tree and tree.is_within(unit, staff.unit)))
    )
    return _unless(allowed, Rule.FIGURES_VIEW)


def export_ledger(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows grid-to-district staff to export the 台账 of their own unit or one below it, and
    admins any unit's; not partners."""
    allowed = (
        staff is not None
        and staff.role is not Role.PARTNER
        and not staff.role.is_helper
        and unit in tree
        and (
            staff.role is Role.ADMIN
            or unit == staff.unit
            or (staff.unit in tree and tree.is_within(unit, staff.unit))
        )
    )
    return _unless(allowed, Rule.LEDGER_EXPORT)


def sees_workers(staff: Staff, worker: Staff, tree: UnitTree) -> bool:
    """Tells whether STAFF may see WORKER's own figures: themselves, or as their supervisor."""
    if staff.user_id == worker.user_id or staff.role is Role.ADMIN:
        return True
    return (
        staff.role.is_supervisor
        and worker.unit in tree
        and staff.unit in tree
        and tree.is_within(worker.unit, staff.unit)
    )


def call_in(staff: Staff | None, report: reports.Report, tree: UnitTree) -> Decision:
    """Allows the holder of a report (whoever may act on it) to call parties in and to
    withdraw them."""
    return _unless(callins.may_call_in(staff, report, tree), Rule.CALLIN_CALL)


def answer_callin(staff: Staff | None, party: callins.Party | None) -> Decision:
    """Allows only the called party's members to 报到 and to report their part done."""
    return _unless(callins.may_answer(staff, party), Rule.CALLIN_ANSWER)


def send_broadcast(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows grid staff at UNIT or above (admins: any unit) to broadcast to its residents and
    groups; partners reach nobody's residents."""
    return _unless(broadcasts.may_reach(staff, unit, tree), Rule.BROADCAST_SEND)


def create_poll(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows grid staff at UNIT or above (admins: any unit) to put a poll to its residents."""
    return _unless(broadcasts.may_reach(staff, unit, tree), Rule.POLL_CREATE)


def vote_poll(user_id: int, asked: bool) -> Decision:
    """Allows a vote only from a resident the poll's card was sent to (ASKED): a forged press
    from anyone else is refused."""
    return _unless(asked and user_id > 0, Rule.POLL_VOTE)


def publish_contact(staff: Staff | None, target: Staff | None, tree: UnitTree) -> Decision:
    """Allows admins, and a supervisor over TARGET (a higher role at TARGET's unit or above), to
    set what /grid publishes about TARGET (公示)."""
    return _unless(contacts.may_publish(staff, target, tree), Rule.CONTACT_PUBLISH)


def open311_file(key_unit: str | None, unit: str, tree: UnitTree) -> Decision:
    """Allows an Open311 key (KEY_UNIT: the top of its subtree; None: no valid key) to file a
    report placed at UNIT only when UNIT lies in its subtree."""
    allowed = key_unit is not None and key_unit in tree and unit in tree
    return _unless(allowed and tree.is_within(unit, key_unit or ""), Rule.OPEN311_FILE)


def manage_cadres(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows community, street and district staff over the grid UNIT, and admins, to list,
    attach and detach its 下沉干部; a grid's own workers and partners may not."""
    return _unless(cadres.may_manage(staff, unit, tree), Rule.CADRE_MANAGE)


def view_team(staff: Staff | None, building: str, tree: UnitTree) -> Decision:
    """Allows the grid's staff (grid worker, grid head) and staff above them to see BUILDING's
    team (/building); not partners or the helpers themselves."""
    return _unless(teams.may_view(staff, building, tree), Rule.TEAM_VIEW)


def link_party_member(staff: Staff | None, building: str, tree: UnitTree) -> Decision:
    """Allows community, street and district staff over BUILDING (admins: any) to link or unlink
    its party member (一名党员一幢楼)."""
    return _unless(teams.may_link(staff, building, tree), Rule.TEAM_LINK)


def send_team_report(staff: Staff | None) -> Decision:
    """Allows the grid team's helpers (兼职网格员, 楼栋长, 单元长) to send their 工作月汇报."""
    return _unless(teams.may_report(staff), Rule.TEAM_REPORT)


def read_team_reports(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows a grid head, and community staff and above, to read the monthly reports of the
    helpers at UNIT (their own unit or below it; admins: any)."""
    return _unless(teams.may_read_reports(staff, unit, tree), Rule.TEAM_REPORTS)


def manage_merchant(staff: Staff | None, unit: str, tree: UnitTree) -> Decision:
    """Allows staff of the shop's grid or above (not partners) to list, approve, decline and
    deactivate shops at UNIT (码上安全)."""
    return _unless(merchants.may_manage(staff, unit, tree), Rule.MERCHANT_MANAGE)


def check_merchant(user_id: int, owner_id: int) -> Decision:
    """Allows only the shop's owner to start and answer its checklist."""
    return _unless(user_id == owner_id, Rule.MERCHANT_CHECK)


def record_revisit(
    staff: Staff | None, unit: str, tree: UnitTree, handlers: frozenset[int]
) -> Decision:
    """Allows community staff and above over the case at UNIT (admins anywhere) to make the
    回访 and record it; never one of the case's HANDLERS (who accepted or resolved it)."""
    return _unless(revisit.may_record(staff, unit, tree, handlers), Rule.REVISIT_RECORD)


def decide_booking(staff: Staff | None, resource: bookings.Resource, tree: UnitTree) -> Decision:
    """Allows the resource's listed staff (else its unit's staff and above, not partners)."""
    return _unless(bookings.may_decide(staff, resource, tree), Rule.BOOKING_DECIDE)


def own_booking(user_id: int, booking: bookings.Booking) -> Decision:
    """Allows only the person who booked to cancel it or answer a move."""
    return _unless(booking.user_id == user_id, Rule.BOOKING_OWN)


def preview_dual_report(staff: Staff | None) -> Decision:
    """Allows community, street and district staff and admins to preview the 双报告 of the
    party members living in their area."""
    return _unless(dualreport.may_preview(staff), Rule.DUAL_REPORT_PREVIEW)
