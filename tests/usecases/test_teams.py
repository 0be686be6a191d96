"""bot/usecases/teams.py and the building heads' card on a real SQLite file (no Application):
who is told of a new report, linking a building's party member, the monthly report and its sweep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.volunteers import VolunteerStatus
from bot.services import Services
from bot.usecases import teams
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused
from tests.conftest import COMMUNITY, DATA, HEAD_G1, RESIDENT, WORKER_G1, WORKER_G2
from tests.usecases.support import approved_volunteer, refusals, sent_to

BUILDING_HEAD, ENTRANCE_HEAD, PART_TIMER = 121, 131, 111
PARTY = 7001
TEAM = """
[[units]]
code = "E1"
name = "1单元"
level = "entrance"
parent = "B1"

[[staff]]
telegram_id = 121
name = "楼长钱"
role = "building_head"
unit = "B1"

[[staff]]
telegram_id = 131
name = "单元长孙"
role = "entrance_head"
unit = "E1"

[[staff]]
telegram_id = 111
name = "兼职周"
role = "part_time_worker"
unit = "G1"
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    """The test office with an entrance, a building head, an entrance head and a part-timer."""
    path = tmp_path / "config.toml"
    path.write_text((DATA / "config.toml").read_text(encoding="utf-8") + TEAM, encoding="utf-8")
    return path


def texts_of(payloads: list[str]) -> list[str]:
    return [json.loads(p).get("text") or json.loads(p).get("caption") or "" for p in payloads]


async def test_the_heads_of_the_building_and_entrance_are_told_without_the_reporter(
    services: Services,
):
    await services.people.touch(RESIDENT, "张三", "zh", services.clock())
    await services.people.update(RESIDENT, services.clock(), phone="13900000000")
    report = await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="E1",
        description="楼道堆放杂物",
        photos=("p1", "p2"),
    )
    assert report.assignee_id == WORKER_G1  # never the heads or the part-timer
    for head in (BUILDING_HEAD, ENTRANCE_HEAD):
        sent = await sent_to(services, head)
        assert len(sent) == 2  # the album, then the card
        assert json.loads(sent[0])["media"][0]["media"] == "p1"
        card = texts_of(sent)[1]
        assert report.number in card and "楼道堆放杂物" in card and "1单元" in card
        assert "张三" not in card and "139" not in card
        assert "reply_markup" not in json.loads(sent[1])  # information only: no buttons
    assert await sent_to(services, PART_TIMER) == []
    other = await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B2",
        description="路灯坏了",
        photos=(),
    )
    assert other.number not in "".join(texts_of(await sent_to(services, BUILDING_HEAD)))


async def test_no_card_when_the_office_turns_building_cards_off(services: Services):
    services.settings.teams.building_cards = False
    await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="litter",
        unit="B1",
        description="楼道堆放杂物",
        photos=(),
    )
    assert await sent_to(services, BUILDING_HEAD) == []


async def test_community_staff_link_a_party_member_and_others_are_refused(services: Services):
    at = services.clock()
    await approved_volunteer(services, PARTY, "党员甲", "B1")
    await _party(services, PARTY)
    await approved_volunteer(services, 7002, "群众乙", "B1")  # no party flag
    await approved_volunteer(services, 7003, "党员丙", "B1", status=VolunteerStatus.PENDING)
    await _party(services, 7003)

    found = await teams.candidates(services, "B1", by=COMMUNITY, at=at)
    assert isinstance(found, Done)
    assert PARTY in {c.user_id for c in found.value}
    assert not {7002, 7003} & {c.user_id for c in found.value}

    refused = await teams.link(services, "B1", PARTY, by=WORKER_G1, at=at)
    assert isinstance(refused, Refused) and refused.rule is not None
    assert (await refusals(services))[-1][:3] == (WORKER_G1, "bldg:set", "team_link")
    wrong = await teams.link(services, "B1", 7002, by=COMMUNITY, at=at)
    assert wrong == Refused("teams.not_candidate")
    grid = await teams.link(services, "G1", PARTY, by=COMMUNITY, at=at)
    assert grid == Refused("teams.not_building", {"code": "G1"})

    linked = await teams.link(services, "B1", PARTY, by=COMMUNITY, at=at)
    assert isinstance(linked, Done) and linked.value.name == "党员甲"
    assert any("1栋" in t for t in texts_of(await sent_to(services, PARTY)))
    team = await teams.building_team(services, "B1", by=WORKER_G1, at=at)
    assert isinstance(team, Done)
    assert team.value.party_member is not None and team.value.party_member.user_id == PARTY
    assert [s.user_id for s in team.value.building_heads] == [BUILDING_HEAD]
    assert [s.user_id for s in team.value.entrance_heads] == [ENTRANCE_HEAD]
    assert [s.user_id for s in team.value.part_timers] == [PART_TIMER]
    not_theirs = await teams.building_team(services, "B1", by=WORKER_G2, at=at)
    assert isinstance(not_theirs, Refused) and not_theirs.rule is not None

    assert isinstance(await teams.unlink(services, "B1", PARTY, by=COMMUNITY, at=at), Done)
    again = await teams.unlink(services, "B1", PARTY, by=COMMUNITY, at=at)
    assert again == Refused("teams.stale")  # a second press changes nothing


async def _party(services: Services, user_id: int) -> None:
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE volunteers SET party_member = 1 WHERE user_id = ?", (user_id,))


ANSWERS = {"visits": "12", "problems": "楼道堆物", "disputes": "1", "other": "无"}


async def test_a_helper_sends_the_monthly_report_once_and_the_grid_head_reads_it(
    services: Services,
):
    at = services.clock()  # 2026-11-24 in Shanghai
    month = await teams.begin_report(services, by=BUILDING_HEAD, at=at)
    assert month == Done("2026-11")
    refused = await teams.begin_report(services, by=WORKER_G1, at=at)
    assert isinstance(refused, Refused) and refused.rule is not None  # full-time staff owe none
    half = await teams.send_report(
        services, "2026-11", {"visits": "3"}, by=BUILDING_HEAD, at=at, then=lambda r: []
    )
    assert half == Refused("teams.stale")  # not every question answered: nothing stored
    sent = await teams.send_report(
        services, "2026-11", ANSWERS, by=BUILDING_HEAD, at=at, then=lambda r: []
    )
    assert isinstance(sent, Done) and sent.value.grid == "G1"
    twice = await teams.send_report(
        services, "2026-11", ANSWERS, by=BUILDING_HEAD, at=at, then=lambda r: []
    )
    assert twice == Refused("teams.already_sent", {"month": "2026-11"})
    assert await teams.begin_report(services, by=BUILDING_HEAD, at=at) == twice

    reading = await teams.monthly_reports(services, "2026-11", by=HEAD_G1, at=at)
    assert isinstance(reading, Done)
    assert [(name, r.answers["visits"]) for name, r in reading.value.sent] == [("楼长钱", "12")]
    assert [s.user_id for s in reading.value.missing] == [ENTRANCE_HEAD, PART_TIMER]
    worker = await teams.monthly_reports(services, "2026-11", by=WORKER_G1, at=at)
    assert isinstance(worker, Refused) and worker.rule is not None


def _at(local: str) -> datetime:
    """Returns the UTC moment of LOCAL ("2026-11-25 09:00") in Shanghai."""
    return datetime.fromisoformat(local).replace(tzinfo=UTC) - timedelta(hours=8)


async def test_the_sweep_reminds_once_then_lists_the_missing_to_the_grid_head_once(
    services: Services,
):
    assert await teams.monthly_sweep(services, _at("2026-11-25 08:59")) == 0
    assert await teams.monthly_sweep(services, _at("2026-11-25 09:00")) == 3
    assert await teams.monthly_sweep(services, _at("2026-11-25 09:01")) == 0  # once each
    reminder = json.loads((await sent_to(services, PART_TIMER))[-1])
    assert "2026-11" in reminder["text"]
    assert reminder["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "teamrep:start"
    at = _at("2026-11-26 10:00")
    done = await teams.send_report(
        services, "2026-11", ANSWERS, by=PART_TIMER, at=at, then=lambda r: []
    )
    assert isinstance(done, Done)
    assert await teams.monthly_sweep(services, _at("2026-11-28 09:00")) == 1  # one grid: G1
    assert await teams.monthly_sweep(services, _at("2026-11-28 09:30")) == 0
    listed = texts_of(await sent_to(services, HEAD_G1))[-1]
    assert "楼长钱" in listed and "单元长孙" in listed and "兼职周" not in listed
    assert "楼长钱" not in "".join(texts_of(await sent_to(services, WORKER_G1)))


async def test_after_a_downtime_past_the_grace_only_the_list_goes_out(services: Services):
    assert await teams.monthly_sweep(services, _at("2026-11-29 12:00")) == 1
    assert await sent_to(services, BUILDING_HEAD) == []  # no late reminder on top
    assert await teams.monthly_sweep(services, _at("2026-12-01 09:00")) == 0  # a new month
