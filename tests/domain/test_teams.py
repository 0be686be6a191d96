"""1+1+1+N grid teams (bot/domain/teams.py): who is routed, who is told, who sits where, and the
monthly report's calendar and answers."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import teams
from bot.domain.people import Role, Staff
from bot.domain.routing import route, transfer_targets
from bot.domain.staffing import fits_level, may_place
from bot.domain.teams import Due
from bot.domain.units import Unit, UnitTree

TZ = ZoneInfo("Asia/Shanghai")
TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "社区", "community", "S1"),
        Unit("G1", "一网格", "grid", "C1"),
        Unit("G2", "二网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
        Unit("B2", "2栋", "building", "G1"),
        Unit("B3", "3栋", "building", "G2"),
        Unit("E1", "1单元", "entrance", "B1"),
        Unit("E2", "2单元", "entrance", "B1"),
    ]
)
WORKER_G1 = Staff(1, "王", Role.GRID_WORKER, "G1")
PART_G1 = Staff(2, "李", Role.PART_TIME, "G1")
PART_G2 = Staff(3, "赵", Role.PART_TIME, "G2")
HEAD_B1 = Staff(4, "钱", Role.BUILDING_HEAD, "B1")
HEAD_E1 = Staff(5, "孙", Role.ENTRANCE_HEAD, "E1")
HEAD_E2 = Staff(6, "周", Role.ENTRANCE_HEAD, "E2")
HEAD_B3 = Staff(7, "吴", Role.BUILDING_HEAD, "B3")
GRID_HEAD_G1 = Staff(8, "郑", Role.GRID_HEAD, "G1")
COMMUNITY = Staff(9, "冯", Role.COMMUNITY, "C1")
STREET = Staff(10, "陈", Role.STREET, "S1")
ADMIN = Staff(11, "管", Role.ADMIN, "S1")
EVERYONE = [
    WORKER_G1,
    PART_G1,
    PART_G2,
    HEAD_B1,
    HEAD_E1,
    HEAD_E2,
    HEAD_B3,
    GRID_HEAD_G1,
    COMMUNITY,
]


@pytest.mark.parametrize(
    ("unit", "staff", "assignee"),
    [
        ("E1", EVERYONE, WORKER_G1),  # the full-time worker first, never the heads below
        ("B1", [PART_G1, HEAD_B1, HEAD_E1], PART_G1),  # no full-time worker: the part-timer
        ("B3", EVERYONE, PART_G2),  # grid 2 has only a part-timer
        ("B3", [HEAD_B3, COMMUNITY], None),  # only a building head: held for the community
    ],
)
def test_part_timers_are_routed_only_without_a_full_time_worker_and_heads_never(
    unit, staff, assignee
):
    assert route(unit, "litter", TREE, staff).assignee == assignee


def test_a_building_head_is_no_transfer_target():
    found = transfer_targets("B1", TREE, [HEAD_B1, WORKER_G1], presser=99, assignee=None)
    assert found == []  # the grid worker sits on G1, not on B1 or its siblings; the head never


@pytest.mark.parametrize(
    ("role", "unit", "fits"),
    [
        (Role.BUILDING_HEAD, "B1", True),
        (Role.BUILDING_HEAD, "G1", False),
        (Role.BUILDING_HEAD, "E1", False),
        (Role.ENTRANCE_HEAD, "E1", True),
        (Role.ENTRANCE_HEAD, "B1", False),
        (Role.ENTRANCE_HEAD, "nowhere", False),
        (Role.PART_TIME, "G1", True),
        (Role.GRID_WORKER, "B1", True),
    ],
)
def test_building_and_entrance_heads_sit_on_their_own_level(role, unit, fits):
    assert fits_level(role, unit, TREE) is fits
    assert may_place(ADMIN, role, unit, TREE) is (fits and unit in TREE)


@pytest.mark.parametrize(
    ("unit", "told"),
    [
        ("E1", [HEAD_B1, HEAD_E1]),  # the building's head and the entrance's own
        ("B1", [HEAD_B1]),  # the building only: not every entrance head
        ("B2", []),
        ("G1", []),
        ("gone", []),
    ],
)
def test_new_reports_are_told_to_the_heads_of_their_building_and_entrance(unit, told):
    assert teams.informed(unit, TREE, EVERYONE) == told


def test_a_buildings_team_names_each_member_in_place():
    team = teams.team("B1", TREE, EVERYONE, None)
    assert team.grid == "G1"
    assert team.workers == (WORKER_G1,)
    assert team.heads == (GRID_HEAD_G1,)
    assert team.part_timers == (PART_G1,)
    assert team.building_heads == (HEAD_B1,)
    assert team.entrance_heads == (HEAD_E1, HEAD_E2)
    assert team.party_member is None


@pytest.mark.parametrize(
    ("grid", "staff", "leads"),
    [
        ("G1", EVERYONE, [GRID_HEAD_G1]),
        ("G2", EVERYONE, [COMMUNITY]),  # no grid head: the community above
        ("G2", [PART_G2, ADMIN], [ADMIN]),
    ],
)
def test_the_missing_list_goes_to_the_grid_head_else_the_nearest_supervisors(grid, staff, leads):
    assert teams.grid_leads(grid, TREE, staff) == leads


@pytest.mark.parametrize(
    ("local", "due"),
    [
        (datetime(2026, 11, 25, 8, 59), None),  # before the day's hour
        (datetime(2026, 11, 25, 9, 0), Due("2026-11", False)),  # reminders
        (datetime(2026, 11, 28, 8, 59), Due("2026-11", False)),
        (datetime(2026, 11, 28, 9, 0), Due("2026-11", True)),  # then the missing lists
        (datetime(2026, 11, 30, 23, 59), Due("2026-11", True)),
        (datetime(2026, 12, 1, 0, 0), None),  # a new month starts quiet
    ],
)
def test_the_monthly_report_is_reminded_on_its_day_and_listed_after_the_grace(local, due):
    now = local.replace(tzinfo=TZ).astimezone(UTC)
    assert teams.due(now, TZ, day=25, hour=9, grace_days=3) == due


@pytest.mark.parametrize(
    ("kind", "text", "answer"),
    [
        ("number", "12", "12"),
        ("number", " ０７ ", "7"),  # full-width digits, as Chinese input methods type
        ("number", "十二", None),
        ("number", "-3", None),
        ("number", "100001", None),
        ("number", None, None),  # a photo, a sticker
        ("text", "  无  ", "无"),
        ("text", "", None),
        ("text", "字" * 501, None),
    ],
)
def test_answers_are_checked_by_the_prompts_kind(kind, text, answer):
    assert teams.parse_answer(kind, text) == answer


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-11", "2026-11"),
        ("2026/3", "2026-03"),
        ("202611", "2026-11"),
        ("2026-13", None),
        ("上月", None),
    ],
)
def test_months_are_read_in_the_forms_people_type(text, month):
    assert teams.parse_month(text) == month


def test_the_missing_are_the_helpers_who_did_not_send():
    assert teams.missing([PART_G1, HEAD_E1, HEAD_B1], [4]) == [HEAD_E1, PART_G1]  # by unit


def test_a_worker_made_building_head_no_longer_holds_their_reports():
    from bot.domain.staffing import still_holds
    from tests.domain.test_reports import report

    held = report(holder_unit="B1", assignee_id=HEAD_B1.user_id)
    assert still_holds(HEAD_B1, held, TREE) is False
    assert still_holds(PART_G1, report(holder_unit="G1"), TREE) is True
