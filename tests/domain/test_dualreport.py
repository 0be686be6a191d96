"""双报告 rules: who hears, in what order members come, when a report is one line, how a long
one is cut (never a line split), and who may preview it."""

from __future__ import annotations

import pytest

from bot.domain.dualreport import Service, WorkUnit, may_preview, nothing_done, ordered, pages
from bot.domain.people import Role, Staff


@pytest.mark.parametrize(
    ("chat", "user", "contacts"),
    [
        (-100123, None, (-100123,)),
        (None, 7001, (7001,)),
        (-100123, 7001, (-100123, 7001)),
        (7001, 7001, (7001,)),  # the same chat twice hears once
    ],
)
def test_a_work_unit_reports_to_its_chat_and_its_contact_person(chat, user, contacts):
    assert WorkUnit("tax", "税务局", chat, user).contacts() == contacts


def test_members_come_most_points_first_then_by_name_and_idle_members_last():
    idle = Service(3, "阿明")
    busy = Service(2, "张三", wishes=1, points=10)
    busier = Service(1, "李四", checkins=2, points=10)
    zero_points = Service(4, "王五", visits=1)

    assert [s.user_id for s in ordered([idle, busy, zero_points, busier])] == [2, 1, 4, 3]


@pytest.mark.parametrize(
    ("found", "nothing"),
    [
        ([], True),
        ([Service(1, "a"), Service(2, "b")], True),
        ([Service(1, "a"), Service(2, "b", visits=1)], False),
        ([Service(1, "a", points=5)], False),
    ],
)
def test_a_month_is_nothing_only_when_no_member_did_verified_service(found, nothing):
    assert nothing_done(found) is nothing


@pytest.mark.parametrize(
    ("lines", "limit", "expected"),
    [
        ([], 10, [[]]),
        (["aaaa", "bbbb"], 10, [["aaaa", "bbbb"]]),
        (["aaaa", "bbbb", "cccc"], 10, [["aaaa", "bbbb"], ["cccc"]]),
        (["a" * 20, "b"], 10, [["a" * 20], ["b"]]),  # a line longer than the limit stays whole
    ],
)
def test_a_long_report_is_cut_between_lines(lines, limit, expected):
    assert pages(lines, limit) == expected


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.GRID_WORKER, False),
        (Role.GRID_HEAD, False),
        (Role.PARTNER, False),
        (Role.COMMUNITY, True),
        (Role.STREET, True),
        (Role.DISTRICT, True),
        (Role.ADMIN, True),
    ],
)
def test_community_staff_and_above_may_preview(role, allowed):
    assert may_preview(Staff(1, "x", role, "C1")) is allowed
    assert may_preview(None) is False
