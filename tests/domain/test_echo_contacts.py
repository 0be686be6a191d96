"""回音壁 and 公示 rules, table-driven: what a channel post may show, and who /grid lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.domain import contacts, echo
from bot.domain.contacts import Contact
from bot.domain.people import Role, Staff
from bot.domain.reports import Report, Status
from bot.domain.units import Tier, Unit, UnitTree

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
TREE = UnitTree(
    [
        Unit("D1", "江岸区", "district"),
        Unit("S1", "青山街道", "street", "D1"),
        Unit("C1", "春晖社区", "community", "S1"),
        Unit("G1", "第一网格", "grid", "C1"),
        Unit("G2", "第二网格", "grid", "C1"),
        Unit("B1", "1栋", "building", "G1", 30.6, 114.3),
        Unit("U1", "1单元", "entrance", "B1"),
    ]
)
CLOSED = Report(
    reporter_id=5001,
    category="litter",
    unit="U1",
    description="3号楼东侧垃圾桶满了",
    photos=("before-1", "before-2"),
    created_at=NOW,
    holder_unit="G1",
    tier=Tier.GRID,
    status=Status.CLOSED,
    resolution_note="已清运，联系电话13912345678",
    resolution_photo="after-1",
    stars=5,
    contact="13800001111",
    id=7,
)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("U1", "G1"), ("B1", "G1"), ("G2", "G2"), ("C1", "C1"), ("D1", "D1"), ("NOPE", None)],
)
def test_the_public_place_is_never_finer_than_the_grid(unit, expected):
    assert echo.public_unit(TREE, unit) == expected


@pytest.mark.parametrize(
    ("report", "allowed", "photos"),
    [
        (CLOSED, True, ("before-1", "before-2", "after-1")),
        (CLOSED, False, ()),
        (replace(CLOSED, extra={"erased": 1}), True, ()),  # erased before the post
        (replace(CLOSED, photos=("doc:raw-file",)), True, ("after-1",)),  # files keep EXIF
        (replace(CLOSED, photos=(), resolution_photo=None), True, ()),
    ],
)
def test_photos_go_only_with_consent_from_a_reporter_not_erased(report, allowed, photos):
    post = echo.compose(report, TREE, photos_allowed=allowed, terms=["张三"], marker="**")
    assert post.photos == photos


def test_the_reply_loses_the_reporters_name_phone_and_text_and_every_phone_number():
    report = replace(
        CLOSED, resolution_note="张三反映的3号楼东侧垃圾桶满了已清运，电话 027-88881234"
    )
    post = echo.compose(report, TREE, photos_allowed=False, terms=["张三", None], marker="**")
    assert post.reply == "**反映的**已清运，电话 **"
    assert (post.number, post.place) == ("R000007", "青山街道 / 春晖社区 / 第一网格")


@pytest.mark.parametrize(
    ("status", "stars", "postable"),
    [
        (Status.CLOSED, 4, True),
        (Status.CLOSED, None, False),  # closed unverified never goes
        (Status.RESOLVED, None, False),
        (Status.REJECTED, None, False),
    ],
)
def test_only_closed_verified_reports_are_postable(status, stars, postable):
    assert echo.is_postable(replace(CLOSED, status=status, stars=stars)) is postable


@pytest.mark.parametrize(
    ("field", "text", "why"),
    [
        ("office_hours", "工作日 9:00-17:00", None),
        ("public_phone", "027-8288 1234", None),
        ("public_phone", "+86 27 8288 1234", None),
        ("public_phone", "call me", "contacts.bad_phone"),
        ("title", "x" * 41, "contacts.bad_text"),
        ("title", "两行\n文字", "contacts.bad_text"),
        ("telegram_id", "1", "contacts.stale"),
    ],
)
def test_published_fields_are_checked(field, text, why):
    assert contacts.check(field, text) == why


WORKER = Staff(101, "李网格", Role.GRID_WORKER, "G1")
HEAD = Staff(103, "赵网格长", Role.GRID_HEAD, "G1")
OTHER = Staff(102, "王网格", Role.GRID_WORKER, "G2")
COMMUNITY = Staff(201, "陈社区", Role.COMMUNITY, "C1")
ADMIN = Staff(901, "管理员", Role.ADMIN, "C1")


@pytest.mark.parametrize(
    ("public", "unit", "names"),
    [
        ({101, 103, 102, 201, 901}, "U1", ["李网格", "赵网格长", "陈社区"]),
        ({101, 201}, "B1", ["李网格", "陈社区"]),
        ({103}, "G1", ["赵网格长"]),
        (set(), "B1", []),
        ({101, 102, 201}, "G2", ["王网格", "陈社区"]),
        ({101, 201}, "C1", ["陈社区"]),  # placed at the community: no grid of its own
    ],
)
def test_grid_lists_the_published_staff_of_the_grid_and_its_community(public, unit, names):
    staff = [COMMUNITY, OTHER, HEAD, WORKER, ADMIN]
    published = {s.user_id: Contact(s.user_id, public=s.user_id in public) for s in staff}
    assert [p.name for p in contacts.listing(staff, published, TREE, unit)] == names


def test_a_public_display_name_replaces_the_own_name():
    published = {101: Contact(101, public=True, public_name="李老师", public_phone="027-1234567")}
    [shown] = contacts.listing([WORKER], published, TREE, "B1")
    assert (shown.name, shown.public_phone) == ("李老师", "027-1234567")
