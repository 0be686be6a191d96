"""码上安全 rules: the cadence's periods, the one thing the sweep does for a shop (after
downtime: the highest step, once), where a shop may lie, and what makes a check complete."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import merchants as domain
from bot.domain.merchants import (
    Action,
    Answer,
    Item,
    Merchant,
    MerchantError,
    MerchantStatus,
    Policy,
    Stage,
)
from bot.domain.people import Role, Staff
from bot.domain.units import Unit, UnitTree

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKLY = Policy(tz=SHANGHAI)  # Monday 09:00, two reminders a day apart, told after 72 h
MONTHLY = Policy(tz=SHANGHAI, cadence="monthly", day=1)
TUE = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
MON = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # the period's start: Monday 09:00
NEXT_MON = MON + timedelta(days=7)
SHOP = Merchant(owner_id=5001, name="老王面馆", kind="food", unit="B1", id=1)
APPROVED = replace(SHOP, status=MerchantStatus.APPROVED, next_at=TUE)
OPEN = replace(
    APPROVED, period="2026-11-23", stage=Stage.OPEN, opened_at=TUE, next_at=TUE, reminders=0
)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("at", "start", "following"),
    [
        (TUE, MON, NEXT_MON),
        (MON, MON, NEXT_MON),  # the first instant belongs to the new period
        (MON - timedelta(seconds=1), MON - timedelta(days=7), MON),
        (datetime(2026, 11, 29, 15, 0, tzinfo=UTC), MON, NEXT_MON),  # Sunday 23:00 local
        (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), NEXT_MON, NEXT_MON + timedelta(days=7)),
    ],
)
def test_a_weekly_period_runs_from_monday_nine_to_the_next(at, start, following):
    assert domain.period_start(WEEKLY, at) == start
    assert domain.next_start(WEEKLY, at) == following


@pytest.mark.parametrize(
    ("at", "key", "following"),
    [
        (datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "2026-11-01", "2026-12-01"),  # 08:30 local
        (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "2026-12-01", "2027-01-01"),
        (datetime(2027, 1, 15, 2, 0, tzinfo=UTC), "2027-01-01", "2027-02-01"),
    ],
)
def test_a_monthly_period_starts_on_the_configured_day(at, key, following):
    assert domain.period_key(MONTHLY, at) == key
    assert domain.next_start(MONTHLY, at).astimezone(SHANGHAI).date().isoformat() == following


# (case, shop, now) → (action, stage, reminders, next_at)
CASES = [
    ("approved: the checklist", APPROVED, TUE, Action.SEND, Stage.OPEN, 0, TUE + 24 * H),
    ("a day on: reminder 1", OPEN, TUE + 24 * H, Action.REMIND, Stage.OPEN, 1, TUE + 48 * H),
    (
        "down 2 days: reminder 2 once",
        OPEN,
        TUE + 49 * H,
        Action.REMIND,
        Stage.OPEN,
        2,
        TUE + 72 * H,
    ),
    (
        "between reminders: wait",
        replace(OPEN, reminders=1),
        TUE + 30 * H,
        Action.DEFER,
        Stage.OPEN,
        1,
        TUE + 48 * H,
    ),
    (
        "grace over: told once",
        replace(OPEN, reminders=2),
        TUE + 72 * H,
        Action.ESCALATE,
        Stage.MISSED,
        2,
        NEXT_MON,
    ),
    (
        "down two weeks: told once, then the new checklist",
        OPEN,
        TUE + timedelta(days=14),
        Action.ESCALATE,
        Stage.MISSED,
        0,
        TUE + timedelta(days=14),
    ),
    (
        "missed, new period: the checklist",
        replace(OPEN, stage=Stage.MISSED, next_at=NEXT_MON),
        NEXT_MON,
        Action.SEND,
        Stage.OPEN,
        0,
        NEXT_MON + 24 * H,
    ),
    (
        "done: wait for the next period",
        replace(OPEN, stage=Stage.DONE),
        TUE + 30 * H,
        Action.DEFER,
        Stage.DONE,
        0,
        NEXT_MON,
    ),
    (
        "opened on Sunday: Monday's checklist replaces it",
        replace(OPEN, opened_at=NEXT_MON - 13 * H),
        NEXT_MON,
        Action.SEND,
        Stage.OPEN,
        0,
        NEXT_MON + 24 * H,
    ),
]


@pytest.mark.parametrize(
    ("case", "shop", "now", "action", "stage", "reminders", "next_at"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_the_sweep_does_one_thing_per_shop(case, shop, now, action, stage, reminders, next_at):
    decision = domain.decide(shop, now, WEEKLY)
    after = decision.merchant
    assert (decision.action, after.stage, after.reminders, after.next_at) == (
        action,
        stage,
        reminders,
        next_at,
    )
    if action is Action.SEND:
        assert after.period == domain.period_key(WEEKLY, now) and after.opened_at == now


def test_no_reminder_is_sent_twice_for_the_same_step():
    after = domain.decide(OPEN, TUE + 25 * H, WEEKLY).merchant
    again = domain.decide(after, TUE + 26 * H, WEEKLY)
    assert again.action is Action.DEFER and again.merchant.reminders == 1


TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "社区", "community", "S1", 30.7, 114.4),  # has a pin, but is in no grid
        Unit("G1", "一网格", "grid", "C1", 30.6005, 114.3005),
        Unit("B1", "1栋", "building", "G1", 30.6, 114.3),
    ]
)


@pytest.mark.parametrize(
    ("where", "found"),
    [
        ((30.6001, 114.3001), "B1"),
        ((30.6006, 114.3006), "G1"),
        ((30.7, 114.4), None),  # on the community's pin: outside every grid
        ((39.9, 116.4), None),
    ],
)
def test_a_shared_location_finds_the_nearest_place_in_a_grid(where, found):
    located = domain.locate(TREE, *where, 500)
    assert (located[0].code if located else None) == found


@pytest.mark.parametrize(
    ("code", "inside"), [("B1", True), ("G1", True), ("C1", False), ("X", False)]
)
def test_only_grids_and_what_lies_below_them_take_shops(code, inside):
    assert domain.in_a_grid(TREE, code) is inside


ITEMS = [Item("exits", "安全出口", "Exits", "safety"), Item("ext", "灭火器", "Ext", "safety", True)]


@pytest.mark.parametrize(
    ("answers", "complete"),
    [
        ([Answer("exits", True), Answer("ext", True, photo="f1")], True),
        ([Answer("exits", False, note="堵了"), Answer("ext", True, photo="f1")], True),
        ([Answer("exits", True), Answer("ext", True)], False),  # the photo is missing
        ([Answer("exits", False), Answer("ext", True, photo="f1")], False),  # no note
        ([Answer("exits", True)], False),
        ([Answer("ext", True, photo="f1"), Answer("exits", True)], False),  # another order
    ],
)
def test_a_check_is_complete_only_with_every_answer_photo_and_note(answers, complete):
    assert domain.complete(ITEMS, answers) is complete


def test_the_failed_items_are_the_reports_to_open():
    answers = [Answer("exits", False, note="堵了"), Answer("ext", True, photo="f")]
    assert domain.failures(ITEMS, answers) == [(ITEMS[0], answers[0])]


@pytest.mark.parametrize(
    ("shop", "period", "key"),
    [
        (OPEN, "2026-11-23", None),
        (replace(OPEN, stage=Stage.MISSED), "2026-11-23", None),  # late, still taken
        (replace(OPEN, stage=Stage.DONE), "2026-11-23", "merchant.already_submitted"),
        (OPEN, "2026-11-16", "merchant.check_expired"),
        (replace(OPEN, status=MerchantStatus.INACTIVE), "2026-11-23", "merchant.not_active"),
    ],
)
def test_a_check_is_taken_once_for_the_current_period(shop, period, key):
    assert domain.may_submit(shop, period) == key


def test_a_decision_is_made_once():
    worker = Staff(101, "李网格", Role.GRID_WORKER, "G1")
    approved = domain.approve(SHOP, worker, TUE, True)
    assert approved.status is MerchantStatus.APPROVED and approved.next_at == TUE
    with pytest.raises(MerchantError, match="already_decided"):
        domain.approve(approved, worker, TUE, False)


def test_the_grid_worker_hears_first_and_the_community_when_the_grid_has_no_staff():
    staff = [
        Staff(103, "赵网格长", Role.GRID_HEAD, "G1"),
        Staff(101, "李网格", Role.GRID_WORKER, "G1"),
        Staff(201, "陈社区", Role.COMMUNITY, "C1"),
        Staff(401, "物业", Role.PARTNER, "G1"),
    ]
    assert [s.user_id for s in domain.responsible("B1", TREE, staff)] == [101, 103]
    assert [s.user_id for s in domain.responsible("C1", TREE, staff)] == [201]


@pytest.mark.parametrize(
    ("clean", "text", "ok"),
    [
        (domain.clean_name, "老王面馆", True),
        (domain.clean_name, "", False),
        (domain.clean_name, "/start", False),
        (domain.clean_name, "店" * 41, False),
        (domain.clean_phone, "138 0000 0000", True),
        (domain.clean_phone, "call me", False),
        (domain.clean_note, "灭火器过期了", True),
        (domain.clean_note, None, False),
        (domain.clean_note, "问" * 301, False),
    ],
)
def test_bad_input_is_refused_with_a_key(clean, text, ok):
    if ok:
        assert clean(text)
    else:
        with pytest.raises(MerchantError):
            clean(text)
