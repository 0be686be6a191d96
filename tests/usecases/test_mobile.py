"""流动网格员 on a real SQLite file (issue 12 item 11): a mobile member's report that staff resolve
earns report points once, in the resolve's commit; nobody else's does; the monthly leaderboard
gives mobile members a table of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.groups import Binding, Purpose
from bot.domain.points import PointKind, month_key
from bot.domain.volunteers import VolunteerStatus
from bot.services import Services
from bot.settings import ConfigError, load
from bot.usecases import reports
from bot.usecases.results import Done
from bot.usecases.volunteers import post_leaderboard
from tests.conftest import COMMUNITY, WORKER_G1
from tests.usecases.support import approved_volunteer, sent_to

RIDER = 7301
HELPER = 7302
GROUP = -100730


@pytest.fixture
def mobile(services: Services) -> Services:
    services.settings.volunteers.teams.append(
        type(services.settings.volunteers.teams[0])(code="mobile", zh="流动网格员", en="Mobile")
    )
    services.settings.volunteers.mobile_team = "mobile"
    services.settings.volunteers.points.report = 3
    return services


async def resolved_report(services: Services, reporter: int) -> int:
    report = await reports.submit(
        services,
        reporter_id=reporter,
        entered_by=None,
        category="litter",
        unit="B1",
        description="路口井盖松动，电动车经过很危险",
        photos=["p-1"],
    )
    assert report.id is not None
    at = services.clock()
    done = await reports.resolve(services, report.id, by=WORKER_G1, at=at, photo="a", note="已修")
    assert isinstance(done, Done)
    return report.id


async def entries(services: Services, user_id: int) -> list[tuple[str, str, int]]:
    rows = await services.store.db.fetchall(
        "SELECT kind, ref, points FROM points_ledger WHERE volunteer_id = ? ORDER BY id",
        (user_id,),
    )
    return [(r["kind"], r["ref"], r["points"]) for r in rows]


async def test_a_mobile_members_resolved_report_earns_points_once(mobile: Services):
    await approved_volunteer(mobile, RIDER, "骑手甲", team="mobile")
    report_id = await resolved_report(mobile, RIDER)
    assert await entries(mobile, RIDER) == [(PointKind.REPORT.value, str(report_id), 3)]

    # 👎 not solved reopens it; resolved again, it earns nothing more.
    at = mobile.clock()
    assert isinstance(await reports.reopen(mobile, report_id, by=RIDER, at=at), Done)
    again = await reports.resolve(mobile, report_id, by=COMMUNITY, at=at, photo="b", note="再修")
    assert isinstance(again, Done)
    assert await entries(mobile, RIDER) == [(PointKind.REPORT.value, str(report_id), 3)]


@pytest.mark.parametrize(
    "team, status",
    [
        ("red", VolunteerStatus.APPROVED),  # a volunteer of another team
        ("mobile", VolunteerStatus.PENDING),  # not approved yet
        ("mobile", VolunteerStatus.DECLINED),
    ],
)
async def test_nobody_else_earns_report_points(mobile: Services, team, status):
    await approved_volunteer(mobile, RIDER, "骑手甲", team=team, status=status)
    await resolved_report(mobile, RIDER)
    assert await entries(mobile, RIDER) == []


async def test_without_a_mobile_team_no_report_earns_points(services: Services):
    await approved_volunteer(services, RIDER, "骑手甲", team="red")
    await resolved_report(services, RIDER)
    assert await entries(services, RIDER) == []


async def test_the_leaderboard_gives_mobile_members_a_table_of_their_own(mobile: Services):
    at = mobile.clock()
    await approved_volunteer(mobile, RIDER, "骑手甲", team="mobile")
    await approved_volunteer(mobile, HELPER, "志愿者乙", team="red")
    await resolved_report(mobile, RIDER)
    await mobile.store.points.award(HELPER, PointKind.WISH, 1, 10, at)
    binding = Binding(GROUP, "C1", Purpose.VOLUNTEERS, COMMUNITY, at, "zh")
    await mobile.store.groups.bind(binding, [])

    month = month_key(at, mobile.tz)
    assert await post_leaderboard(mobile, binding, month, at=at + timedelta(days=7)) == Done(True)
    volunteers, riders = await sent_to(mobile, GROUP)
    assert "志愿服务积分榜" in volunteers and "志**" in volunteers and "骑" not in volunteers
    assert "流动网格员积分榜" in riders and "骑**" in riders and "— 3 分" in riders
    assert "志" not in riders.split("流动网格员积分榜")[1]


def test_a_mobile_team_must_be_one_of_the_teams(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[telegram]\ntoken = "1:x"\n[volunteers]\nmobile_team = "riders"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="mobile_team"):
        load(config)
