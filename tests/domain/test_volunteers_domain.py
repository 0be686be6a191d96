"""Volunteer, wish, activity and points rules: table-driven, no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import wishes as wd
from bot.domain.activities import (
    Activity,
    Reminder,
    Signup,
    SignupStatus,
    check_in_open,
    next_in_line,
    parse_capacity,
    parse_when,
    reminder_due,
    schedule_reminders,
    seat,
)
from bot.domain.people import Role, Staff
from bot.domain.points import leaderboard_month, month_bounds, previous_month, standings
from bot.domain.units import Unit, UnitTree
from bot.domain.volunteers import (
    InvalidInput,
    InvalidMove,
    NotAllowed,
    Volunteer,
    VolunteerStatus,
    clean_phone,
    decide,
    mask_name,
    may_decide,
    may_manage,
    nearest_staff,
    nearness,
    rank_nearby,
)
from bot.domain.wishes import NagPolicy, Wish, WishAction, WishStatus

TZ = ZoneInfo("Asia/Shanghai")
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
    ]
)
POLICY = NagPolicy(timedelta(hours=48), timedelta(days=5), 3)


def staff(role: str, unit: str, user_id: int = 1) -> Staff:
    return Staff(user_id, "s", Role(role), unit)


def approved(user_id: int, unit: str, skills: tuple[str, ...] = ("repair",)) -> Volunteer:
    return Volunteer(user_id, f"v{user_id}", unit, skills=skills, status=VolunteerStatus.APPROVED)


@pytest.mark.parametrize(
    ("role", "unit", "home", "allowed"),
    [
        ("community", "C1", "B1", True),
        ("street", "S1", "B1", True),
        ("district", "D1", "B4", True),
        ("admin", "D1", "B4", True),
        ("community", "C2", "B1", False),  # another community
        ("grid_worker", "G1", "B1", False),  # below the community
        ("grid_head", "G1", "B1", False),
        ("partner", "C1", "B1", False),
    ],
)
def test_only_staff_of_the_volunteers_community_or_above_decide(role, unit, home, allowed):
    assert may_decide(staff(role, unit), home, TREE) is allowed


@pytest.mark.parametrize(
    ("role", "unit", "target", "allowed"),
    [
        ("grid_worker", "G1", "B1", True),
        ("grid_worker", "G1", "G1", True),
        ("grid_worker", "G1", "B3", False),
        ("community", "C1", "B3", True),
        ("community", "C1", "B4", False),
        ("partner", "C1", "B1", False),
        ("admin", "D1", "B4", True),
    ],
)
def test_staff_manage_their_own_unit_and_below(role, unit, target, allowed):
    assert may_manage(staff(role, unit), target, TREE) is allowed


def test_a_decision_is_made_once_by_someone_allowed():
    pending = Volunteer(7, "v", "B1")
    after = decide(pending, staff("community", "C1"), True, NOW, TREE)
    assert (after.status, after.decided_by, after.decided_at) == (VolunteerStatus.APPROVED, 1, NOW)
    with pytest.raises(InvalidMove):
        decide(after, staff("community", "C1"), False, NOW, TREE)
    with pytest.raises(NotAllowed):
        decide(pending, staff("grid_worker", "G1"), True, NOW, TREE)


@pytest.mark.parametrize(
    ("target", "home", "expected"),
    [
        ("B1", "B1", (0, 0)),  # same unit
        ("G1", "B1", (0, 1)),  # within the unit
        ("B1", "B2", (1, 1)),  # siblings
        ("B1", "B3", (2, 2)),  # cousins in the same community
        ("B1", "G1", (1, 0)),  # lives at the parent
        ("B1", "B4", (3, 3)),  # another community of the street
    ],
)
def test_nearness_counts_steps_up_and_down_the_tree(target, home, expected):
    assert nearness(target, home, TREE) == expected


def test_matches_are_nearest_first_skilled_approved_capped_and_bounded():
    volunteers = [
        approved(1, "B4"),
        approved(2, "B3"),
        approved(3, "B2"),
        approved(4, "B1"),
        approved(5, "B1", skills=("medical",)),
        Volunteer(6, "pending", "B1", skills=("repair",)),
        approved(7, "B1"),
    ]
    ranked = rank_nearby(volunteers, "B1", TREE, skills=["repair"], levels_up=3, limit=10)
    assert [v.user_id for v in ranked] == [4, 7, 3, 2, 1]
    near = rank_nearby(volunteers, "B1", TREE, skills=["repair"], levels_up=2, limit=10)
    assert [v.user_id for v in near] == [4, 7, 3, 2]
    capped = rank_nearby(volunteers, "B1", TREE, skills=[], levels_up=3, limit=2, exclude=[4])
    assert [v.user_id for v in capped] == [5, 7]


def test_approvers_are_the_nearest_staffed_unit_that_may_decide():
    people = [staff("grid_worker", "G1", 1), staff("community", "C1", 2), staff("admin", "D1", 3)]
    assert [s.user_id for s in nearest_staff("B1", TREE, people)] == [1]
    assert [s.user_id for s in nearest_staff("B1", TREE, people, deciders_only=True)] == [2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("027 8888 1234", "02788881234"),
    ],
)
def test_phones_are_normalised(text, expected):
    assert clean_phone(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "12", "1" * 30, None])
def test_bad_phones_are_refused(text):
    with pytest.raises(InvalidInput):
        clean_phone(text)


@pytest.mark.parametrize(
    ("name", "masked"), [("张三丰", "张**"), ("李四", "李*"), ("J", "J*"), ("", "*")]
)
def test_names_are_masked_for_groups(name, masked):
    assert mask_name(name) == masked


# Wishes ---------------------------------------------------------------------------------------

ALL = list(WishStatus)


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("action", list(WishAction))
def test_only_listed_wish_moves_are_allowed(status, action):
    expected = wd.TRANSITIONS.get((status, action))
    wish = Wish(9, "B1", "repair", "修水龙头", NOW, resident_id=9, status=status, claimer_id=4)
    try:
        after, event = wd._move(wish, action, 1, NOW)
    except InvalidMove:
        assert expected is None
    else:
        assert after.status is expected and event.old is status and event.new is expected


def open_wish(**kw) -> Wish:
    return Wish(9, "B1", "repair", "修水龙头", NOW, resident_id=9, status=WishStatus.OPEN, **kw)


def test_only_an_approved_volunteer_other_than_the_resident_may_claim():
    with pytest.raises(NotAllowed):
        wd.claim(open_wish(), None, NOW, POLICY)
    with pytest.raises(NotAllowed):
        wd.claim(open_wish(), Volunteer(4, "p", "B1"), NOW, POLICY)  # pending
    with pytest.raises(NotAllowed):
        wd.claim(open_wish(), approved(9, "B1"), NOW, POLICY)  # the resident themself
    after, _ = wd.claim(open_wish(), approved(4, "B1"), NOW, POLICY)
    assert (after.claimer_id, after.nag_at) == (4, NOW + POLICY.stalled)


def test_the_contact_is_visible_to_poster_and_claimer_only():
    wish = open_wish()
    assert wish.may_see_contact(9) and not wish.may_see_contact(4)
    claimed, _ = wd.claim(wish, approved(4, "B1"), NOW, POLICY)
    assert claimed.may_see_contact(4) and not claimed.may_see_contact(5)


def test_finishing_needs_the_claimer_and_a_photo_and_confirming_needs_the_resident():
    claimed, _ = wd.claim(open_wish(), approved(4, "B1"), NOW, POLICY)
    with pytest.raises(InvalidInput):
        wd.finish(claimed, 4, None, "done", NOW)
    with pytest.raises(NotAllowed):
        wd.finish(claimed, 5, "photo", None, NOW)
    done, _ = wd.finish(claimed, 4, "photo", None, NOW)
    with pytest.raises(NotAllowed):
        wd.confirm(done, 4, NOW)  # never self-declared
    closed, event = wd.confirm(done, 9, NOW)
    assert (closed.status, event.action) == (WishStatus.CLOSED, WishAction.CONFIRM)
    staff_posted = Wish(201, "B1", "repair", "x" * 5, NOW, status=WishStatus.DONE, claimer_id=4)
    assert wd.confirm(staff_posted, 201, NOW)[0].status is WishStatus.CLOSED


def test_nags_repeat_each_window_up_to_the_cap():
    wish = open_wish(nag_at=NOW)
    at = NOW
    seen = []
    while wish.nag_at is not None:
        wish, _ = wd.nag(wish, at, POLICY)
        seen.append(wish.nags)
        at = wish.nag_at or at
    assert seen == [1, 2, 3]


# Activities -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05 09:30", datetime(2026, 12, 5, 9, 30, tzinfo=TZ)),
        ("12-05 9:30", datetime(2026, 12, 5, 9, 30, tzinfo=TZ)),
        ("2026/12/5 19：05", datetime(2026, 12, 5, 19, 5, tzinfo=TZ)),
        ("01-02 08:00", datetime(2027, 1, 2, 8, 0, tzinfo=TZ)),  # no year: the next one
    ],
)
def test_activity_times_are_read_in_local_time(text, expected):
    assert parse_when(text, TZ, NOW) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tomorrow", "activity.bad_time"),
        ("2026-02-30 09:00", "activity.bad_time"),
        ("2026-11-01 09:00", "activity.time_past"),
        ("2028-01-01 09:00", "activity.time_far"),
    ],
)
def test_bad_activity_times_say_why(text, key):
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, TZ, NOW)
    assert caught.value.key == key


@pytest.mark.parametrize("text", ["0", "-1", "501", "x", ""])
def test_capacity_must_be_a_sensible_number(text):
    with pytest.raises(InvalidInput):
        parse_capacity(text)


START = NOW + timedelta(days=2)
ACTIVITY = schedule_reminders(Activity("扫除", START, "广场", 2, "C1", 201), NOW)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (NOW, None),
        (START - timedelta(hours=23), Reminder.DAY),
        (START - timedelta(minutes=59), Reminder.HOUR),  # after downtime: only the hour one
        (START + timedelta(minutes=1), None),  # started: nothing
    ],
)
def test_the_reminder_due_is_the_latest_useful_one(at, expected):
    assert reminder_due(ACTIVITY, at) is expected


def test_reminders_already_past_at_creation_are_skipped():
    soon = schedule_reminders(Activity("x", NOW + timedelta(hours=3), "p", 1, "C1", 1), NOW)
    assert soon.remind_day_at is None and soon.remind_hour_at == NOW + timedelta(hours=2)


def test_places_fill_then_the_waitlist_moves_up_in_sign_up_order():
    assert [seat(n, 2) for n in range(4)] == [
        SignupStatus.GOING,
        SignupStatus.GOING,
        SignupStatus.WAITLIST,
        SignupStatus.WAITLIST,
    ]
    signups = [
        Signup(1, 5, SignupStatus.WAITLIST, 7),
        Signup(1, 6, SignupStatus.WAITLIST, 4),
        Signup(1, 7, SignupStatus.GOING, 1),
    ]
    assert next_in_line(signups).volunteer_id == 6
    assert next_in_line(signups[2:]) is None


def test_check_in_opens_an_hour_before_the_start():
    assert not check_in_open(ACTIVITY, START - timedelta(hours=2))
    assert check_in_open(ACTIVITY, START - timedelta(minutes=30))


# Points ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "before"), [("2026-11", "2026-10"), ("2027-01", "2026-12")])
def test_previous_month(key, before):
    assert previous_month(key) == before


def test_month_bounds_are_local_months():
    start, end = month_bounds("2026-12", TZ)
    assert start == datetime(2026, 12, 1, tzinfo=TZ) and end == datetime(2027, 1, 1, tzinfo=TZ)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 12, 1, 8, 59, tzinfo=TZ), None),
        (datetime(2026, 12, 1, 9, 0, tzinfo=TZ), "2026-11"),
        (datetime(2027, 1, 15, 3, 0, tzinfo=TZ), "2026-12"),
    ],
)
def test_the_leaderboard_month_is_the_one_before_once_its_hour_passed(local, expected):
    assert leaderboard_month(local.astimezone(UTC), TZ, 1, 9) == expected


def test_standings_share_ranks_on_equal_points_and_leave_out_zero():
    table = standings([(1, "张三", 10), (2, "李四", 20), (3, "王五", 10), (4, "赵六", 0)], 10)
    assert [(s.rank, s.volunteer_id, s.name) for s in table] == [
        (1, 2, "李*"),
        (2, 1, "张*"),
        (2, 3, "王*"),
    ]
    assert len(standings([(i, "x", i) for i in range(1, 30)], 5)) == 5
