"""What /delete_my_data lists, who may erase themselves, and the retention cut-offs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.people import Person, Role, Staff
from bot.domain.privacy import Holdings, Retention, cutoffs, erase_items, may_erase_self

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
NOTHING = Holdings(registered=False, phone=False, reports=0, wishes=0, volunteer=False, photos=0)
EVERYTHING = Holdings(
    True,
    True,
    reports=3,
    wishes=2,
    volunteer=True,
    photos=5,
    claimed=1,
    signups=2,
    followed=4,
    votes=6,
    muted=True,
)


@pytest.mark.parametrize(
    ("held", "keys"),
    [
        (NOTHING, ["privacy.item_profile", "privacy.item_raw"]),
        (
            Holdings(True, True, 0, 0, False, 0),
            ["privacy.item_profile", "privacy.item_phone", "privacy.item_raw"],
        ),
        (
            Holdings(True, False, 1, 0, False, 0),
            ["privacy.item_profile", "privacy.item_reports", "privacy.item_raw"],
        ),
        (
            EVERYTHING,
            [
                "privacy.item_profile",
                "privacy.item_phone",
                "privacy.item_reports",
                "privacy.item_wishes",
                "privacy.item_volunteer",
                "erasure.item_claimed",
                "erasure.item_signups",
                "erasure.item_followed",
                "erasure.item_votes",
                "erasure.item_muted",
                "privacy.item_raw",
            ],
        ),
    ],
)
def test_erase_items_list_what_is_held(held, keys):
    assert [key for key, _ in erase_items(held)] == keys


def test_erase_items_count_reports_photos_and_wishes():
    items = dict(erase_items(EVERYTHING))
    assert items["privacy.item_reports"] == {"count": 3, "photos": 5}
    assert items["privacy.item_wishes"] == {"count": 2}
    assert items["erasure.item_claimed"] == {"count": 1}
    assert items["erasure.item_signups"] == {"count": 2}
    assert items["erasure.item_followed"] == {"count": 4}
    assert items["erasure.item_votes"] == {"count": 6}


@pytest.mark.parametrize(
    ("person", "allowed"),
    [
        (None, True),  # already erased, or never known: erasing again is harmless
        (Person(5001, "张三"), True),
        (Person(101, "李网格", staff=Staff(101, "李网格", Role.GRID_WORKER, "G1")), False),
        (Person(901, "管理员", staff=Staff(901, "管理员", Role.ADMIN, "D1")), False),
    ],
)
def test_only_people_without_a_staff_record_may_erase_themselves(person, allowed):
    assert may_erase_self(person) is allowed


@pytest.mark.parametrize(
    ("policy", "field", "days"),
    [
        (Retention(), "raw", 7),
        (Retention(raw_days=30), "raw", 30),
        (Retention(), "drafts", 7),
        (Retention(), "cases", 3 * 365),
        (Retention(case_years=1), "cases", 365),
        (Retention(), "care_notes", 730),
        (Retention(), "audit", 180),
        (Retention(audit_days=7), "audit", 7),
    ],
)
def test_cutoffs_count_back_from_now(policy, field, days):
    assert getattr(cutoffs(policy, NOW), field) == NOW - timedelta(days=days)


def test_the_default_retention_is_the_documented_one():
    assert Retention() == Retention(
        raw_days=7, draft_days=7, case_years=3, care_note_days=730, batch=500
    )
