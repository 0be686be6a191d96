"""并单 and 退单 approval: the same problem reported twice, and rejections the tier above decides.

- **Me too.** Before a resident submits, open reports of the same category within the
  category's radius (or in the same unit) are offered, nearest first. "Me too" makes the resident
  a *follower* of that report (a FOLLOW event) instead of opening a new one.
- **Followers' answers.** A follower is told of every move, like the reporter (never the
  reporter's name, phone or words), and asked "is it solved?" when it is resolved. Each
  follower's rating is kept per person (report_followers.stars, a RATE event). The report closes
  on the reporter's verification as before; a follower's "not solved" before it closes reopens it
  like the reporter's would; when the reporter is gone (erased, or the report has nobody to verify
  it) the first follower's answer stands for them: their stars close it.
- **Merge.** Staff who may handle both reports close a duplicate into a survivor (MERGE on the
  duplicate, MERGED_IN on the survivor); the duplicate's reporter and followers follow the survivor.
- **退单 approval.** A category marked `reject_needs_approval`, or any rejection by a department
  (partner: it may not push work back down), becomes a request (ASK_REJECT) to the supervisors of
  the nearest staffed unit above the holder — the same deciders as 申请延期
  (deadlines.extension_deciders) — who approve (the REJECT happens, made by the approver) or
  decline it with a reason (DECLINE_REJECT: the holder keeps the report).

Pure: time is passed in; nothing here reads the clock or the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain import deadlines
from bot.domain.asks import Ask, AskError
from bot.domain.categories import Category
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, RejectReason, Report, ReportEvent, may_handle, move
from bot.domain.units import UnitTree

MAX_OFFERED = 5  # open reports offered as "is it one of these?"
EARTH_RADIUS_M = 6_371_000.0


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Returns the great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def box(point: tuple[float, float], radius_m: float) -> tuple[float, float, float, float]:
    """Returns (min lat, max lat, min lon, max lon) around POINT holding every point within
    RADIUS_M (a cheap first filter for the database)."""
    lat, lon = point
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def point_of(report: Report, tree: UnitTree) -> tuple[float, float] | None:
    """Where REPORT is: its shared location, else its unit's (a building's) coordinates."""
    if report.lat is not None and report.lon is not None:
        return report.lat, report.lon
    if report.unit in tree:
        unit = tree.get(report.unit)
        if unit.lat is not None and unit.lon is not None:
            return unit.lat, unit.lon
    return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open report offered as possibly the same problem; DISTANCE_M None: same unit, no map."""

    report: Report
    distance_m: float | None


def nearby(
    reports: Iterable[Report],
    *,
    category: Category | None,
    unit: str,
    point: tuple[float, float] | None,
    tree: UnitTree,
    limit: int = MAX_OFFERED,
) -> list[Candidate]:
    """Returns the open reports of CATEGORY in UNIT or within its radius of POINT, nearest first.

    A category with radius 0 offers nothing (the office turned 并单 off for it).
    """
    if category is None or category.merge_radius_m <= 0:
        return []
    found = []
    for report in reports:
        if report.category != category.code or not report.status.is_open:
            continue
        there = point_of(report, tree)
        distance = distance_m(point, there) if point and there else None
        if report.unit == unit or (distance is not None and distance <= category.merge_radius_m):
            found.append(Candidate(report, distance))
    found.sort(
        key=lambda c: (c.distance_m if c.distance_m is not None else 0.0, -(c.report.id or 0))
    )
    return found[:limit]


# Me too --------------------------------------------------------------------------------------


def follow_refusal(user_id: int, report: Report, followers: Iterable[int]) -> str | None:
    """Why USER_ID cannot follow REPORT now (a catalog key), or None."""
    if not report.status.is_open:
        return "merge.follow_closed"
    if user_id in (report.reporter_id, report.entered_by):
        return "merge.follow_own"
    if user_id in set(followers):
        return "merge.follow_already"
    return None


def follow(report: Report, user_id: int, at: datetime) -> tuple[Report, ReportEvent]:
    """Returns REPORT followed by USER_ID ("me too") and the FOLLOW event."""
    return move(report, Action.FOLLOW, actor_id=user_id, at=at, data={"via": "me_too"})


def reporter_gone(report: Report) -> bool:
    """Tells whether nobody can verify REPORT as its reporter any more (erased, or no one)."""
    return bool(report.extra.get("erased")) or (
        report.reporter_id is None and report.entered_by is None
    )


def rate(report: Report, user_id: int, at: datetime, *, stars: int) -> tuple[Report, ReportEvent]:
    """Returns REPORT with a follower's own rating recorded (a RATE event; the status stays)."""
    if not 1 <= stars <= 5:
        raise ValueError("stars must be 1 to 5")
    return move(report, Action.RATE, actor_id=user_id, at=at, data={"stars": stars})


# Merge -------------------------------------------------------------------------------------


def merge_refusal(duplicate: Report, survivor: Report) -> str | None:
    """Why DUPLICATE cannot be merged into SURVIVOR (a catalog key), or None."""
    if duplicate.id == survivor.id:
        return "merge.into_itself"
    if duplicate.status.value == "merged":
        return "merge.already_merged"
    if not duplicate.status.is_open:
        return "merge.duplicate_closed"
    if not survivor.status.is_open:
        return "merge.survivor_closed"
    return None


def may_merge(staff: Staff | None, duplicate: Report, survivor: Report, tree: UnitTree) -> bool:
    """Tells whether STAFF may handle both reports (the duplicate's and the survivor's units)."""
    return may_handle(staff, duplicate, tree) and may_handle(staff, survivor, tree)


def merge(
    duplicate: Report, survivor: Report, by: Staff, at: datetime, *, moved: int
) -> tuple[tuple[Report, ReportEvent], tuple[Report, ReportEvent]]:
    """Returns the duplicate closed as merged and the survivor that took in MOVED people, with
    the event on each (no person's id in either: the followers table says who)."""
    closed = move(
        duplicate,
        Action.MERGE,
        actor_id=by.user_id,
        at=at,
        data={"into": survivor.id},
        extra={**duplicate.extra, "merged_into": survivor.id},
    )
    kept = move(
        survivor,
        Action.MERGED_IN,
        actor_id=by.user_id,
        at=at,
        data={"duplicate": duplicate.id, "followers": moved},
    )
    return closed, kept


# 退单 approval -----------------------------------------------------------------------------


def reject_needs_approval(
    category: Category | None, staff: Staff, report: Report, tree: UnitTree
) -> bool:
    """Tells whether STAFF's 退单 of REPORT must go to the tier above first.

    A department (partner) never rejects on its own. Otherwise the category decides, unless
    STAFF already is the tier above the holder (they would be the one to approve it).
    """
    if staff.role is Role.PARTNER:
        return True
    if category is None or not category.reject_needs_approval:
        return False
    return not deadlines.may_decide_extension(staff, report, tree)


class RejectRequestError(AskError):
    """The request cannot be made or decided now (KEY names the catalog text)."""


# 退单 that needs approval as the one ask to the tier above (bot/domain/asks.py)
REJECT = Ask(
    slot="reject_request",
    counter="rejects_asked",
    error=RejectRequestError,
    already="merge.reject_already_pending",
    stale="merge.reject_stale",
)
pending_reject = REJECT.pending


def ask_reject(
    report: Report, by: Staff, at: datetime, *, reason: RejectReason, note: str
) -> tuple[Report, ReportEvent]:
    """Returns REPORT with a pending 退单 request (ASK_REJECT); the holder keeps it meanwhile."""
    return REJECT.ask(
        report,
        by,
        at,
        Action.ASK_REJECT,
        note=note,
        fields={"reason": reason.value, "note": note},
        data={"reason": reason.value},
    )


def approve_reject(
    report: Report, by: Staff, at: datetime, request: int
) -> tuple[Report, ReportEvent]:
    """Returns REPORT rejected with the requested reason and note, made by the approver BY."""
    pending, extra = REJECT.decided(report, request)
    return move(
        report,
        Action.REJECT,
        actor_id=by.user_id,
        at=at,
        note=pending.get("note", ""),
        data={"reason": pending["reason"], "request": request, "asked_by": pending["by"]},
        reject_reason=pending["reason"],
        extra=extra,
    )


def decline_reject(
    report: Report, by: Staff, at: datetime, request: int, *, why: str
) -> tuple[Report, ReportEvent]:
    """Returns REPORT without its pending request (DECLINE_REJECT, with the decider's reason)."""
    return REJECT.decline(report, by, at, request, Action.DECLINE_REJECT, note=why)
