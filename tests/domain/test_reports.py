"""The report lifecycle, table-driven: every (status, action) pair, each move, who may act."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import reports as domain
from bot.domain.people import Role, Staff
from bot.domain.reports import (
    TRANSITIONS,
    Action,
    InvalidTransition,
    RejectReason,
    Report,
    Status,
)
from bot.domain.units import Tier
from tests.domain.test_routing import (
    ADMIN,
    COMMUNITY,
    HEAD_G1,
    PROPERTY,
    STREET,
    TREE,
    WORKER_G1,
    WORKER_G2,
)

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=3)
RESIDENT = 5001


def report(status: Status = Status.OPEN, **fields) -> Report:
    base = Report(
        reporter_id=RESIDENT,
        category="litter",
        unit="B1",
        description="楼道堆物",
        photos=("p1",),
        created_at=AT,
        holder_unit="G1",
        tier=Tier.GRID,
        status=status,
        assignee_id=WORKER_G1.user_id,
        id=7,
        version=3,
    )
    return replace(base, **fields)


# The whole table -----------------------------------------------------------------------------

PAIRS = list(itertools.product(Status, Action))


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_status_and_action_pair_moves_as_the_table_says_or_not_at_all(status, action):
    before = report(status)
    allowed = TRANSITIONS.get((status, action))
    if allowed is None:
        with pytest.raises(InvalidTransition) as raised:
            domain.move(before, action, actor_id=1, at=LATER)
        assert (raised.value.status, raised.value.action) == (status, action)
        with pytest.raises(InvalidTransition):
            domain.check(before, action)
        return
    domain.check(before, action)
    after, event = domain.move(before, action, actor_id=1, at=LATER, note="n")
    assert after.status is allowed
    assert after.updated_at == LATER
    assert (event.action, event.old, event.new, event.actor_id, event.at, event.note) == (
        action,
        status,
        allowed,
        1,
        LATER,
        "n",
    )
    assert event.report_id == before.id


# What a resident and a grid worker do (issue A); the table must allow exactly these.
CORE = {
    Action.ACCEPT: {Status.OPEN: Status.ACCEPTED},
    Action.RESOLVE: {Status.OPEN: Status.RESOLVED, Status.ACCEPTED: Status.RESOLVED},
    Action.TRANSFER: {Status.OPEN: Status.OPEN, Status.ACCEPTED: Status.OPEN},
    Action.REFER_UP: {Status.OPEN: Status.OPEN, Status.ACCEPTED: Status.OPEN},
    Action.REJECT: {Status.OPEN: Status.REJECTED, Status.ACCEPTED: Status.REJECTED},
    Action.CONFIRM: {Status.RESOLVED: Status.CLOSED},
    Action.COMMENT: {Status.CLOSED: Status.CLOSED},
}
CORE_PAIRS = [(s, a) for a in CORE for s in Status]


@pytest.mark.parametrize(("status", "action"), CORE_PAIRS, ids=[f"{s}-{a}" for s, a in CORE_PAIRS])
def test_the_core_loop_moves_are_exactly_these(status, action):
    assert TRANSITIONS.get((status, action)) == CORE[action].get(status)


def test_a_new_report_starts_open_and_only_submit_starts_one():
    assert [(key, new) for key, new in TRANSITIONS.items() if key[0] is None] == [
        ((None, Action.SUBMIT), Status.OPEN)
    ]


@pytest.mark.parametrize("action", list(Action))
def test_a_rejected_report_takes_no_further_move(action):
    with pytest.raises(InvalidTransition):
        domain.check(report(Status.REJECTED), action)


def test_status_kinds():
    assert {s for s in Status if s.is_open} == {Status.OPEN, Status.ACCEPTED}
    assert {s for s in Status if s.is_closed} == {
        Status.CLOSED,
        Status.CLOSED_UNVERIFIED,
        Status.REJECTED,
        Status.MERGED,
    }


# Each move ------------------------------------------------------------------------------------


def test_submit_records_where_the_report_went():
    event = domain.submit(report(assignee_id=None, holder_unit="C1"), actor_id=RESIDENT, at=AT)
    assert (event.action, event.old, event.new) == (Action.SUBMIT, None, Status.OPEN)
    assert event.data == {"holder": "C1", "assignee": None}


def test_accept_makes_an_unassigned_report_the_accepters():
    after, event = domain.accept(report(assignee_id=None, holder_unit="C1"), COMMUNITY, LATER)
    assert (after.status, after.assignee_id) == (Status.ACCEPTED, COMMUNITY.user_id)
    assert event.actor_id == COMMUNITY.user_id


def test_resolve_keeps_the_after_photo_and_note_and_the_assignee():
    after, event = domain.resolve(report(Status.ACCEPTED), HEAD_G1, LATER, photo="a", note="好了")
    assert (after.resolution_photo, after.resolution_note, event.note) == ("a", "好了", "好了")
    assert after.assignee_id == WORKER_G1.user_id


def test_resolving_an_unassigned_report_makes_it_the_resolvers():
    after, _ = domain.resolve(report(assignee_id=None), WORKER_G1, LATER, photo="a", note="n")
    assert after.assignee_id == WORKER_G1.user_id


def test_resolve_without_an_after_photo_is_refused():
    with pytest.raises(ValueError, match="after-photo"):
        domain.resolve(report(Status.ACCEPTED), WORKER_G1, LATER, photo="", note="好了")


def test_transfer_hands_the_report_to_the_other_unit_waiting_for_acceptance():
    after, event = domain.transfer(report(Status.ACCEPTED), WORKER_G1, WORKER_G2, LATER)
    assert (after.status, after.assignee_id, after.holder_unit, after.tier) == (
        Status.OPEN,
        WORKER_G2.user_id,
        "G2",
        Tier.GRID,
    )
    assert event.data == {"from": WORKER_G1.user_id, "to": WORKER_G2.user_id, "unit": "G2"}


def test_refer_up_moves_the_report_a_tier_up_with_the_reason():
    after, event = domain.refer_up(
        report(Status.ACCEPTED),
        WORKER_G1,
        LATER,
        to_unit="C1",
        tier=Tier.COMMUNITY,
        assignee_id=None,
        reason="需要社区协调",
    )
    assert (after.status, after.holder_unit, after.tier, after.assignee_id) == (
        Status.OPEN,
        "C1",
        Tier.COMMUNITY,
        None,
    )
    assert event.note == "需要社区协调"
    assert event.data == {"from_unit": "G1", "to_unit": "C1", "tier": "community"}


@pytest.mark.parametrize("reason", list(RejectReason))
def test_reject_records_the_reason_and_the_note(reason):
    after, event = domain.reject(report(), WORKER_G1, LATER, reason=reason, note="说明")
    assert (after.status, after.reject_reason) == (Status.REJECTED, reason.value)
    assert (event.data, event.note) == ({"reason": reason.value}, "说明")


@pytest.mark.parametrize(("stars", "ok"), [(0, False), (1, True), (5, True), (6, False)])
def test_confirm_takes_one_to_five_stars(stars, ok):
    if not ok:
        with pytest.raises(ValueError):
            domain.confirm(report(Status.RESOLVED), RESIDENT, LATER, stars=stars)
        return
    after, event = domain.confirm(report(Status.RESOLVED), RESIDENT, LATER, stars=stars)
    assert (after.status, after.stars, event.data) == (Status.CLOSED, stars, {"stars": stars})


def test_a_comment_is_taken_once():
    closed, _ = domain.confirm(report(Status.RESOLVED), RESIDENT, LATER, stars=4)
    commented, _ = domain.comment(closed, RESIDENT, LATER, "谢谢")
    assert commented.comment == "谢谢"
    with pytest.raises(InvalidTransition):
        domain.comment(commented, RESIDENT, LATER, "再说一句")


def test_a_move_leaves_the_report_it_was_given_unchanged():
    before = report()
    domain.accept(before, WORKER_G1, LATER)
    assert before.status is Status.OPEN and before.updated_at is None


def test_the_case_number_is_padded_and_unknown_before_storing():
    assert report(id=123).number == "R000123"
    assert report(id=None).number == "R??????"


# Who may act ---------------------------------------------------------------------------------

PARTNER_ELSEWHERE = Staff(402, "别处物业", Role.PARTNER, "G1", ("property",))


@pytest.mark.parametrize(
    ("staff", "holder", "assignee", "category", "expected"),
    [
        (WORKER_G1, "G1", WORKER_G1, "litter", True),  # the assignee
        (WORKER_G2, "G1", WORKER_G1, "litter", False),  # a worker of another grid
        (WORKER_G1, "G1", None, "litter", True),  # unassigned at their unit
        (WORKER_G2, "G1", None, "litter", False),  # unassigned elsewhere
        (WORKER_G1, "G1", HEAD_G1, "litter", False),  # a colleague's report
        (HEAD_G1, "G1", WORKER_G1, "litter", True),  # the grid head over their grid
        (HEAD_G1, "G2", WORKER_G2, "litter", False),  # … not over the next grid
        (COMMUNITY, "G1", WORKER_G1, "litter", True),  # the community over its grids
        (COMMUNITY, "S1", None, "litter", False),  # … not over the street above
        (STREET, "G2", WORKER_G2, "litter", True),
        (PROPERTY, "C1", None, "property", True),  # a partner, for its category
        (PROPERTY, "C1", None, "litter", False),  # … not for others
        (PROPERTY, "C1", COMMUNITY, "property", False),  # … nor once someone took it
        (PROPERTY, "G1", None, "property", False),  # … nor below its unit
        (PARTNER_ELSEWHERE, "C1", None, "property", False),
        (ADMIN, "G1", WORKER_G1, "litter", True),
        (None, "G1", WORKER_G1, "litter", False),
    ],
)
def test_may_handle(staff, holder, assignee, category, expected):
    held = report(
        holder_unit=holder,
        assignee_id=assignee.user_id if assignee else None,
        category=category,
    )
    assert domain.may_handle(staff, held, TREE) is expected


@pytest.mark.parametrize(
    ("staff", "expected"),
    [(WORKER_G1, True), (HEAD_G1, True), (PROPERTY, False), (ADMIN, False)],
)
def test_takes_unassigned(staff, expected):
    held = report(holder_unit=staff.unit, assignee_id=None)
    assert domain.takes_unassigned(staff, held) is expected


@pytest.mark.parametrize(
    ("reporter", "entered_by", "user", "expected"),
    [
        (RESIDENT, None, RESIDENT, True),
        (RESIDENT, None, 5002, False),
        (RESIDENT, WORKER_G1.user_id, WORKER_G1.user_id, False),  # 代报 for a Telegram user
        (None, WORKER_G1.user_id, WORKER_G1.user_id, True),  # 代报 for someone without Telegram
        (None, WORKER_G1.user_id, RESIDENT, False),
    ],
)
def test_may_verify(reporter, entered_by, user, expected):
    held = report(Status.RESOLVED, reporter_id=reporter, entered_by=entered_by)
    assert domain.may_verify(user, held) is expected


def test_the_resolver_adds_the_rest_of_an_album_up_to_the_limit_and_nobody_else_does():
    resolved, _ = domain.resolve(
        report(Status.ACCEPTED), WORKER_G1, LATER, photo="a1", note="好了", more_photos=["a2"]
    )
    assert resolved.after_photos == ("a1", "a2")
    more = domain.add_after_photos(resolved, WORKER_G1, ["a3", "a2", "a4"], limit=3)
    assert more.after_photos == ("a1", "a2", "a3")  # a repeat is dropped, then the limit
    with pytest.raises(domain.NotAllowed):
        domain.add_after_photos(resolved, HEAD_G1, ["a5"], limit=5)  # not the resolver
    confirmed, _ = domain.move(resolved, Action.CONFIRM, actor_id=1, at=LATER)
    with pytest.raises(domain.NotAllowed):
        domain.add_after_photos(confirmed, WORKER_G1, ["a5"], limit=5)  # the reporter answered
