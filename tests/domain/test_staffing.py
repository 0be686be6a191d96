"""Staff lifecycle rules, table-driven: who manages whom, and where a leaver's work goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain import reports as domain
from bot.domain.people import Role, Staff
from bot.domain.reports import Action, Status
from bot.domain.routing import Route
from bot.domain.staffing import (
    example_unit,
    may_change,
    may_manage_staff,
    may_place,
    next_visitor,
    reroute,
    roles_for,
    still_holds,
    still_visits,
)
from bot.domain.units import Tier
from tests.domain.test_reports import report
from tests.domain.test_routing import (
    ADMIN,
    COMMUNITY,
    DISTRICT,
    HEAD_G1,
    PROPERTY,
    STAFF,
    STREET,
    TREE,
    WORKER_G1,
    WORKER_G2,
)

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("actor", "manages"),
    [
        (ADMIN, True),
        (DISTRICT, True),
        (STREET, True),
        (COMMUNITY, False),
        (HEAD_G1, False),
        (WORKER_G1, False),
        (PROPERTY, False),
        (None, False),
    ],
)
def test_only_admins_street_and_district_staff_manage_staff(actor, manages):
    assert may_manage_staff(actor) is manages


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        (ADMIN, WORKER_G1, True),
        (ADMIN, DISTRICT, True),
        (ADMIN, replace(ADMIN, user_id=902), True),
        (ADMIN, ADMIN, False),  # never oneself
        (STREET, WORKER_G1, True),
        (STREET, COMMUNITY, True),
        (STREET, PROPERTY, True),
        (STREET, replace(STREET, user_id=302), False),  # a peer at the same unit
        (STREET, DISTRICT, False),  # above them
        (STREET, replace(ADMIN, unit="G1"), False),  # an admin placed below: not theirs
        (DISTRICT, STREET, True),
        (COMMUNITY, WORKER_G1, False),
        (WORKER_G1, WORKER_G2, False),
        (None, WORKER_G1, False),
        (ADMIN, None, False),
    ],
)
def test_who_may_change_whom(actor, target, allowed):
    assert may_change(actor, target, TREE) is allowed


@pytest.mark.parametrize(
    ("actor", "role", "unit", "allowed"),
    [
        (ADMIN, Role.ADMIN, "D1", True),
        (ADMIN, Role.GRID_WORKER, "G3", True),
        (ADMIN, Role.GRID_WORKER, "NOPE", False),
        (STREET, Role.GRID_WORKER, "G1", True),
        (STREET, Role.COMMUNITY, "C2", True),
        (STREET, Role.STREET, "C1", False),  # not their own rank
        (STREET, Role.GRID_WORKER, "S1", False),  # not their own unit
        (STREET, Role.GRID_WORKER, "D1", False),  # not above them
        (DISTRICT, Role.STREET, "S1", True),
        (COMMUNITY, Role.GRID_WORKER, "G1", False),
        (None, Role.GRID_WORKER, "G1", False),
    ],
)
def test_who_may_place_which_role_where(actor, role, unit, allowed):
    assert may_place(actor, role, unit, TREE) is allowed


@pytest.mark.parametrize(
    ("actor", "role", "expected"),
    [
        (ADMIN, Role.GRID_WORKER, "G1"),  # the first grid of the office
        (STREET, Role.GRID_WORKER, "G1"),
        (Staff(302, "别的街道", Role.STREET, "C2"), Role.GRID_WORKER, "G4"),  # only theirs
        (DISTRICT, Role.STREET, "G1"),
        (DISTRICT, Role.DISTRICT, None),  # not a role they may give
        (Staff(303, "空", Role.STREET, "B7"), Role.GRID_WORKER, None),  # nothing below them
        (COMMUNITY, Role.GRID_WORKER, None),  # no manager
    ],
)
def test_the_invite_example_names_a_real_unit_the_manager_may_use(actor, role, expected):
    assert example_unit(actor, role, TREE) == expected


def test_roles_a_manager_may_give_are_below_their_own():
    assert roles_for(STREET) == [
        Role.GRID_WORKER,
        Role.GRID_HEAD,
        Role.COMMUNITY,
        Role.PARTNER,
        Role.PART_TIME,
        Role.BUILDING_HEAD,
        Role.ENTRANCE_HEAD,
    ]
    assert roles_for(ADMIN) == list(Role)
    assert roles_for(WORKER_G1) == []


@pytest.mark.parametrize(
    ("held", "left", "expected"),
    [
        # The grid worker left: the grid head holds it unassigned at the grid.
        (report(), WORKER_G1, Route("G1", Tier.GRID, None)),
        # A report escalated to the community stays there when its specialist leaves.
        (
            report(holder_unit="C1", tier=Tier.COMMUNITY, category="property", assignee_id=401),
            PROPERTY,
            Route("C1", Tier.COMMUNITY, None),
        ),
        # A road report whose specialist left goes to the grid worker.
        (report(category="road", assignee_id=105), replace(WORKER_G1, user_id=105), None),
    ],
)
def test_a_leavers_report_is_routed_again_from_where_it_is_held(held, left, expected):
    staff = [s for s in STAFF if s.user_id != left.user_id]
    target = reroute(held, TREE, staff, left=left.user_id)
    if expected is None:
        expected = Route("G1", Tier.GRID, WORKER_G1)
    assert target == expected
    # The leaver is never chosen, even if storage still listed them.
    assert reroute(held, TREE, STAFF, left=left.user_id).assignee != left


def test_reassign_moves_an_accepted_report_back_to_open_with_its_event():
    accepted = report(Status.ACCEPTED)
    after, event = domain.reassign(
        accepted, Route("G1", Tier.GRID, HEAD_G1), AT, left=WORKER_G1.user_id
    )
    assert (after.status, after.assignee_id, after.holder_unit) == (Status.OPEN, 103, "G1")
    assert event.action is Action.REASSIGN and event.actor_id is None
    assert event.data["from"] == WORKER_G1.user_id and event.data["to"] == 103


@pytest.mark.parametrize(
    ("staff", "holder_unit", "holds"),
    [
        (WORKER_G1, "G1", True),
        (replace(WORKER_G1, unit="G2"), "G1", False),  # moved to another grid
        (COMMUNITY, "G1", True),  # below their unit
        (ADMIN, "G1", True),
        (None, "G1", False),  # left
    ],
)
def test_a_report_stays_with_staff_who_still_cover_it(staff, holder_unit, holds):
    assert still_holds(staff, report(holder_unit=holder_unit), TREE) is holds


@pytest.mark.parametrize(
    ("staff", "unit", "visits"),
    [
        (WORKER_G1, "B1", True),
        (replace(WORKER_G1, unit="G2"), "B1", False),
        (COMMUNITY, "B1", True),
        (PROPERTY, "B1", False),  # partners are not care staff
        (None, "B1", False),
    ],
)
def test_a_household_stays_with_care_staff_at_or_above_it(staff, unit, visits):
    assert still_visits(staff, unit, TREE) is visits


def test_a_household_goes_to_the_nearest_care_staff_member():
    assert next_visitor("B1", TREE, STAFF, left=WORKER_G1.user_id) == HEAD_G1
    assert next_visitor("B3", TREE, STAFF, left=WORKER_G2.user_id) == COMMUNITY
    assert next_visitor("B3", TREE, [WORKER_G2, ADMIN], left=WORKER_G2.user_id) is None
