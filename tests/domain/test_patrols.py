"""Patrol rules: who may patrol where, and the bounds on photos and findings."""

from datetime import UTC, datetime

import pytest

from bot.domain import patrols
from bot.domain.patrols import PatrolError, PatrolKind
from bot.domain.people import Role, Staff
from bot.domain.units import Unit, UnitTree

TREE = UnitTree(
    [
        Unit("S1", "街道", "street"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("C2", "朝阳社区", "community", "S1"),
        Unit("G1", "一网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1"),
    ]
)
AT = datetime(2026, 11, 24, 2, tzinfo=UTC)
WORKER = Staff(101, "李网格", Role.GRID_WORKER, "G1")


def log(worker: Staff = WORKER, unit: str = "B1", **kw):
    fields = dict(
        worker=worker,
        kind=PatrolKind.DOORKNOCK,
        unit=unit,
        at=AT,
        note="  一切正常 ",
        photos=[],
        findings=[],
        tree=TREE,
    )
    fields.update(kw)
    return patrols.log(**fields)


def test_a_patrol_keeps_its_findings_in_order_and_trimmed():
    patrol = log(findings=["楼道堆放杂物 ", "路灯不亮了"])
    assert patrol.note == "一切正常"
    assert [(f.position, f.text) for f in patrol.findings] == [
        (0, "楼道堆放杂物"),
        (1, "路灯不亮了"),
    ]


@pytest.mark.parametrize(
    ("staff", "unit", "allowed"),
    [
        (WORKER, "B1", True),
        (WORKER, "G1", True),
        (WORKER, "C1", False),  # above their grid
        (Staff(201, "社区", Role.COMMUNITY, "C1"), "B1", True),
        (Staff(202, "隔壁", Role.COMMUNITY, "C2"), "B1", False),
        (Staff(401, "物业", Role.PARTNER, "C1"), "B1", False),
        (None, "B1", False),
    ],
)
def test_staff_patrol_their_own_unit_and_below(staff, unit, allowed):
    assert patrols.may_patrol(staff, unit, TREE) is allowed


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"photos": [f"p{i}" for i in range(6)]}, "patrol.too_many_photos"),
        ({"findings": ["问题很大" for _ in range(11)]}, "patrol.too_many_findings"),
        ({"findings": ["短"]}, "patrol.finding_too_short"),
        ({"findings": ["长" * 501]}, "patrol.finding_too_long"),
        ({"note": "长" * 501}, "patrol.note_too_long"),
        ({"unit": "C2"}, "patrol.not_allowed"),
    ],
)
def test_a_patrol_out_of_bounds_is_refused_with_its_reason(kw, key):
    with pytest.raises(PatrolError) as raised:
        log(**kw)
    assert raised.value.key == key


def test_the_worker_who_patrolled_or_staff_above_may_report_a_finding():
    patrol = log()
    assert patrols.may_report_finding(WORKER, patrol, TREE)
    assert patrols.may_report_finding(Staff(201, "社区", Role.COMMUNITY, "C1"), patrol, TREE)
    assert not patrols.may_report_finding(Staff(202, "隔壁", Role.COMMUNITY, "C2"), patrol, TREE)
    assert not patrols.may_report_finding(None, patrol, TREE)
