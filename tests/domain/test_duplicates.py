"""并单 and 退单 approval, pure: which open reports are offered, who may follow, what a merge and
a rejection request do to the reports and their events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain import duplicates
from bot.domain.categories import Category
from bot.domain.duplicates import RejectRequestError
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, InvalidTransition, RejectReason, Report, Status
from bot.domain.units import Tier, Unit, UnitTree

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "社区", "community", "S1"),
        Unit("G1", "网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1", 30.6000, 114.3000),
        Unit("B2", "2栋", "building", "G1", 30.6005, 114.3000),  # about 56 m north of B1
        Unit("B3", "3栋", "building", "G1", 30.6100, 114.3100),  # about 1.4 km away
        Unit("B4", "4栋", "building", "G1"),  # not on the map
    ]
)
LITTER = Category("litter", "环境卫生", "Litter", merge_radius_m=100)
WORKER = Staff(101, "李", Role.GRID_WORKER, "G1")
COMMUNITY = Staff(201, "陈", Role.COMMUNITY, "C1")
PARTNER = Staff(401, "物业", Role.PARTNER, "G1", ("litter",))


def report(id: int, unit: str = "B1", **fields) -> Report:
    base = Report(
        reporter_id=5001,
        category="litter",
        unit=unit,
        description="垃圾",
        photos=(),
        created_at=NOW,
        holder_unit="G1",
        tier=Tier.GRID,
        assignee_id=101,
        id=id,
    )
    return replace(base, **fields)


def offered(reports, *, unit="B1", point=(30.6000, 114.3000), category=LITTER) -> list[int]:
    found = duplicates.nearby(reports, category=category, unit=unit, point=point, tree=TREE)
    return [c.report.id for c in found]


@pytest.mark.parametrize(
    ("case", "candidates", "expected"),
    [
        ("same building, no map", [report(1, "B4")], []),
        ("same building", [report(1, "B1")], [1]),
        ("next building within the radius", [report(1, "B2")], [1]),
        ("far building", [report(1, "B3")], []),
        ("another category", [report(1, "B1", category="road")], []),
        ("closed", [report(1, "B1", status=Status.CLOSED)], []),
        ("resolved is no longer open", [report(1, "B1", status=Status.RESOLVED)], []),
        (
            "a shared location counts over the unit's",
            [report(1, "B3", lat=30.6001, lon=114.3000)],
            [1],
        ),
        ("nearest first", [report(1, "B2"), report(2, "B1")], [2, 1]),
        ("at most five", [report(i, "B1") for i in range(1, 9)], [8, 7, 6, 5, 4]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_nearby_offers_open_reports_of_the_category_close_by(case, candidates, expected):
    assert offered(candidates) == expected


def test_a_radius_of_zero_turns_the_offer_off_and_no_point_still_matches_the_unit():
    off = replace(LITTER, merge_radius_m=0)
    assert offered([report(1, "B1")], category=off) == []
    assert offered([report(1, "B1"), report(2, "B2")], point=None) == [1]
    assert offered([report(1, "B4")], unit="B4", point=None) == [1]


def test_distance_is_in_metres():
    assert duplicates.distance_m((30.6, 114.3), (30.6005, 114.3)) == pytest.approx(55.6, abs=1)
    lat0, lat1, lon0, lon1 = duplicates.box((30.6, 114.3), 100)
    assert lat0 < 30.6 < lat1 and lon0 < 114.3 < lon1
    assert duplicates.distance_m((30.6, 114.3), (lat1, 114.3)) == pytest.approx(100, abs=0.5)


@pytest.mark.parametrize(
    ("case", "user", "target", "followers", "expected"),
    [
        ("another resident", 5002, report(1), [], None),
        ("the reporter", 5001, report(1), [], "merge.follow_own"),
        (
            "whoever entered a 代报",
            101,
            report(1, reporter_id=None, entered_by=101),
            [],
            "merge.follow_own",
        ),
        ("already following", 5002, report(1), [5002], "merge.follow_already"),
        ("closed meanwhile", 5002, report(1, status=Status.CLOSED), [], "merge.follow_closed"),
        ("resolved meanwhile", 5002, report(1, status=Status.RESOLVED), [], "merge.follow_closed"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_who_may_follow(case, user, target, followers, expected):
    assert duplicates.follow_refusal(user, target, followers) == expected


def test_following_keeps_the_status_and_names_the_follower_as_actor():
    after, event = duplicates.follow(report(1, status=Status.ACCEPTED), 5002, NOW)
    assert after.status is Status.ACCEPTED
    assert (event.action, event.actor_id, event.data) == (Action.FOLLOW, 5002, {"via": "me_too"})


@pytest.mark.parametrize(
    ("case", "duplicate", "survivor", "expected"),
    [
        ("open into open", report(2), report(1), None),
        ("accepted into open", report(2, status=Status.ACCEPTED), report(1), None),
        ("into itself", report(1), report(1), "merge.into_itself"),
        (
            "into a closed report",
            report(2),
            report(1, status=Status.CLOSED),
            "merge.survivor_closed",
        ),
        (
            "into a resolved report",
            report(2),
            report(1, status=Status.RESOLVED),
            "merge.survivor_closed",
        ),
        (
            "into a rejected report",
            report(2),
            report(1, status=Status.REJECTED),
            "merge.survivor_closed",
        ),
        ("a merged duplicate", report(2, status=Status.MERGED), report(1), "merge.already_merged"),
        (
            "a closed duplicate",
            report(2, status=Status.CLOSED),
            report(1),
            "merge.duplicate_closed",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_what_may_be_merged(case, duplicate, survivor, expected):
    assert duplicates.merge_refusal(duplicate, survivor) == expected


def test_a_merge_closes_the_duplicate_and_records_it_on_both_without_anyone_s_id():
    (closed, on_dup), (kept, on_survivor) = duplicates.merge(
        report(2), report(1, status=Status.ACCEPTED), WORKER, NOW, moved=3
    )
    assert closed.status is Status.MERGED and closed.status.is_closed
    assert closed.extra["merged_into"] == 1
    assert (on_dup.action, on_dup.data) == (Action.MERGE, {"into": 1})
    assert kept.status is Status.ACCEPTED
    assert (on_survivor.action, on_survivor.data) == (
        Action.MERGED_IN,
        {"duplicate": 2, "followers": 3},
    )


@pytest.mark.parametrize(
    ("case", "staff", "category", "expected"),
    [
        ("a grid worker, unmarked category", WORKER, LITTER, False),
        (
            "a grid worker, marked category",
            WORKER,
            replace(LITTER, reject_needs_approval=True),
            True,
        ),
        (
            "the tier above, marked category",
            COMMUNITY,
            replace(LITTER, reject_needs_approval=True),
            False,
        ),
        ("a department, any category", PARTNER, LITTER, True),
        ("unknown category", WORKER, None, False),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_which_rejections_need_the_tier_above(case, staff, category, expected):
    assert duplicates.reject_needs_approval(category, staff, report(1), TREE) is expected


def test_a_reject_request_waits_then_the_approval_rejects_with_the_asked_reason():
    asked, event = duplicates.ask_reject(
        report(1), WORKER, NOW, reason=RejectReason.NOT_OURS, note="归物业管"
    )
    assert asked.status is Status.OPEN and event.action is Action.ASK_REJECT
    assert duplicates.pending_reject(asked) == {
        "n": 1,
        "by": 101,
        "reason": "not_ours",
        "note": "归物业管",
    }
    with pytest.raises(RejectRequestError, match="already_pending"):
        duplicates.ask_reject(asked, WORKER, NOW, reason=RejectReason.INVALID, note="x")
    with pytest.raises(RejectRequestError, match="stale"):
        duplicates.approve_reject(asked, COMMUNITY, NOW, 2)
    rejected, done = duplicates.approve_reject(asked, COMMUNITY, NOW, 1)
    assert rejected.status is Status.REJECTED and rejected.reject_reason == "not_ours"
    assert (done.action, done.actor_id, done.note) == (Action.REJECT, 201, "归物业管")
    assert duplicates.pending_reject(rejected) is None


def test_a_declined_request_leaves_the_report_with_its_holder_and_a_new_one_may_follow():
    asked, _ = duplicates.ask_reject(report(1), WORKER, NOW, reason=RejectReason.INVALID, note="无")
    kept, event = duplicates.decline_reject(asked, COMMUNITY, NOW, 1, why="这是网格的事")
    assert (kept.status, kept.assignee_id) == (Status.OPEN, 101)
    assert (event.action, event.note) == (Action.DECLINE_REJECT, "这是网格的事")
    again, _ = duplicates.ask_reject(kept, WORKER, NOW, reason=RejectReason.INVALID, note="无")
    assert duplicates.pending_reject(again)["n"] == 2


def test_a_follower_s_rating_keeps_the_status_and_the_reporter_may_be_gone():
    resolved = report(1, status=Status.RESOLVED)
    after, event = duplicates.rate(resolved, 5002, NOW, stars=4)
    assert after.status is Status.RESOLVED and event.data == {"stars": 4}
    with pytest.raises(InvalidTransition):
        duplicates.rate(report(1), 5002, NOW, stars=4)
    assert not duplicates.reporter_gone(resolved)
    assert duplicates.reporter_gone(replace(resolved, reporter_id=None, extra={"erased": 1}))
    assert duplicates.reporter_gone(replace(resolved, reporter_id=None))
