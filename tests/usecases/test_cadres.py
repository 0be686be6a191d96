"""bot/usecases/cadres.py on a real SQLite file (no Application): 下沉干部 attached, detached,
refused, counted from the patrol log, reminded once a week, and in the monthly figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.patrols import Patrol, PatrolKind
from bot.notices.cadres import month_block
from bot.services import Services
from bot.settings import CadreDuty, CadreMember, CadreSettings, Settings
from bot.usecases import cadres
from bot.usecases.results import Done, Refused
from tests.conftest import COMMUNITY, HEAD_G1, PROPERTY, STREET, WORKER_G1
from tests.usecases.support import refusals, sent_to

FRIDAY_9 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # the week's reminder moment in Shanghai


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.cadres = CadreSettings(
        weekday=5,
        hour=9,
        duties=[
            CadreDuty(
                code="knock", zh="网格叮咚敲门", en="Door-knocking", kind="doorknock", count=1
            ),
            CadreDuty(
                code="safe", zh="安全巡查", en="Safety round", kind="safety", count=2, per="month"
            ),
        ],
    )
    return settings


async def patrol(services: Services, who: int, unit: str, kind: PatrolKind, at: datetime) -> None:
    await services.store.patrols.create(
        Patrol(worker_id=who, kind=kind, unit=unit, at=at), lambda p: [], clear_draft_of=who
    )


async def attached(services: Services, who: int, unit: str = "G1") -> int:
    done = await cadres.attach(services, unit, who, by=COMMUNITY, at=services.clock())
    assert isinstance(done, Done)
    return next(m.attachment.id for m in done.value.members if m.attachment.user_id == who)


async def test_community_staff_attach_a_street_cadre_who_is_told_their_duties(services: Services):
    done = await cadres.attach(
        services,
        "G1",
        STREET,
        by=COMMUNITY,
        at=services.clock(),
        messages=lambda view: [],
    )
    assert isinstance(done, Done)
    assert [m.name for m in done.value.members] == ["周街道"]
    told = await sent_to(services, STREET)
    assert len(told) == 1 and "网格叮咚敲门" in told[0] and "每周至少 1 次" in told[0]
    again = await cadres.attach(services, "G1", STREET, by=COMMUNITY, at=services.clock())
    assert isinstance(again, Refused) and again.key == "cadres.already"
    assert len(await sent_to(services, STREET)) == 1  # nothing more written
    view = await cadres.grid_cadres(services, "G1", by=COMMUNITY, at=services.clock())
    assert isinstance(view, Done) and len(view.value.members) == 1


@pytest.mark.parametrize(
    ("by", "unit", "target", "key"),
    [
        (WORKER_G1, "G1", STREET, "common.not_allowed"),  # a grid's own worker: rule
        (HEAD_G1, "G1", STREET, "common.not_allowed"),
        (PROPERTY, "G1", STREET, "common.not_allowed"),  # partners arrange nobody
        (COMMUNITY, "B1", STREET, "cadres.not_grid"),  # a building is no grid
        (COMMUNITY, "G1", WORKER_G1, "cadres.cannot_serve"),  # the grid's worker serves it already
        (COMMUNITY, "G1", 777, "cadres.cannot_serve"),  # nobody's staff
    ],
)
async def test_attaching_is_refused_politely_and_writes_nothing(
    services: Services, by: int, unit: str, target: int, key: str
):
    refused = await cadres.attach(services, unit, target, by=by, at=services.clock())
    assert isinstance(refused, Refused) and refused.key == key
    assert await services.store.cadres.active_at([unit]) == []
    assert await sent_to(services, target) == []
    if key == "common.not_allowed":
        assert (await refusals(services))[-1][2] == "cadre_manage"


async def test_patrols_in_the_grid_or_below_count_toward_the_duty_and_others_do_not(
    services: Services,
):
    await attached(services, STREET)
    now = services.clock()
    await patrol(services, STREET, "B1", PatrolKind.DOORKNOCK, now)  # a building of G1: counts
    await patrol(services, STREET, "G2", PatrolKind.DOORKNOCK, now)  # another grid: not
    await patrol(services, STREET, "B1", PatrolKind.PATROL, now)  # another kind: not
    await patrol(services, STREET, "G1", PatrolKind.SAFETY, now - timedelta(days=30))  # last month
    await patrol(services, WORKER_G1, "G1", PatrolKind.SAFETY, now)  # someone else's
    found = await cadres.my_duties(services, STREET, at=now)
    assert isinstance(found, Done)
    [grid] = found.value
    assert [(p.duty.code, p.done, p.needed, p.behind) for p in grid.items] == [
        ("knock", 1, 1, False),
        ("safe", 0, 2, True),
    ]
    nobody = await cadres.my_duties(services, WORKER_G1, at=now)
    assert isinstance(nobody, Refused) and nobody.key == "cadres.not_cadre"


async def test_the_weekly_sweep_reminds_those_behind_and_lists_them_to_the_head_once(
    services: Services,
):
    await attached(services, STREET)
    await attached(services, PROPERTY)
    await patrol(services, STREET, "B1", PatrolKind.DOORKNOCK, services.clock())
    await patrol(services, STREET, "B1", PatrolKind.SAFETY, services.clock())
    await patrol(services, STREET, "B1", PatrolKind.SAFETY, services.clock())
    before = len(await sent_to(services, PROPERTY))
    assert await cadres.remind_behind(services, FRIDAY_9 - timedelta(minutes=1)) == 0
    assert await cadres.remind_behind(services, FRIDAY_9) == 2  # the partner and the head
    reminders = (await sent_to(services, PROPERTY))[before:]
    assert len(reminders) == 1 and "网格叮咚敲门" in reminders[0] and "0/1" in reminders[0]
    assert len(await sent_to(services, STREET)) == 1  # only when attached: all done
    [head] = await sent_to(services, HEAD_G1)
    assert "春晖物业" in head and "周街道" not in head
    # Later that week, a restart, a second instance: nobody is told twice.
    assert await cadres.remind_behind(services, FRIDAY_9 + timedelta(hours=30)) == 0
    # Down for the whole of the next week's moment and back on Sunday: once, for that week.
    next_sunday = FRIDAY_9 + timedelta(days=9)
    assert await cadres.remind_behind(services, next_sunday) == 3  # the street one is behind too
    assert await cadres.remind_behind(services, next_sunday + timedelta(hours=1)) == 0
    assert len(await sent_to(services, HEAD_G1)) == 2


async def test_without_a_head_the_list_goes_to_the_community(services: Services):
    await attached(services, STREET, unit="G2")  # G2 has a worker, no head
    assert await cadres.remind_behind(services, FRIDAY_9) == 2
    [listed] = await sent_to(services, COMMUNITY)
    assert "周街道" in listed


async def test_detaching_ends_the_attachment_once_and_tells_the_cadre(services: Services):
    attachment_id = await attached(services, STREET)
    done = await cadres.detach(services, attachment_id, by=COMMUNITY, at=services.clock())
    assert isinstance(done, Done) and done.value.members == []
    assert "调离" in (await sent_to(services, STREET))[-1]
    again = await cadres.detach(services, attachment_id, by=COMMUNITY, at=services.clock())
    assert isinstance(again, Refused) and again.key == "cadres.gone"
    assert len(await sent_to(services, STREET)) == 2
    forged = await cadres.detach(services, 999, by=COMMUNITY, at=services.clock())
    assert isinstance(forged, Refused) and forged.key == "cadres.gone"
    nobody = await cadres.my_duties(services, STREET, at=services.clock())
    assert isinstance(nobody, Refused)


async def test_a_worker_may_not_detach_and_config_cadres_change_only_in_the_file(
    services: Services,
):
    attachment_id = await attached(services, STREET)
    refused = await cadres.detach(services, attachment_id, by=WORKER_G1, at=services.clock())
    assert isinstance(refused, Refused) and refused.key == "common.not_allowed"
    services.settings.cadres.members = [
        CadreMember(telegram_id=PROPERTY, grid="G1", duties=["knock"])
    ]
    await cadres.sync_config(services, services.clock())
    [config] = [a for a in await services.store.cadres.active_at(["G1"]) if a.source == "config"]
    assert config.user_id == PROPERTY and config.duties == ("knock",)
    refused = await cadres.detach(services, config.id or 0, by=COMMUNITY, at=services.clock())
    assert isinstance(refused, Refused) and refused.key == "cadres.in_config"
    services.settings.cadres.members = []
    await cadres.sync_config(services, services.clock())
    assert [a.user_id for a in await services.store.cadres.active_at(["G1"])] == [STREET]


async def test_the_monthly_figures_count_each_cadres_patrols_against_the_months_quota(
    services: Services,
):
    await attached(services, STREET)
    now = services.clock()  # November 2026: five weeks start in it (Mondays 2 … 30)
    for _ in range(3):
        await patrol(services, STREET, "B1", PatrolKind.DOORKNOCK, now)
    await patrol(services, STREET, "B1", PatrolKind.SAFETY, now)
    [figures] = await cadres.month_figures(services, "C1", (2026, 11))
    assert figures.name == "周街道"
    assert [(d.code, done, needed) for d, done, needed in figures.items] == [
        ("knock", 3, 5),
        ("safe", 1, 2),
    ]
    assert await cadres.month_figures(services, "C1", (2026, 9)) == []  # not yet sent down


def test_the_monthly_block_shows_the_first_lines_and_how_many_more(services: Services):
    duty = cadres.configured_duties(services.settings)[0]
    figures = [cadres.CadreMonth(f"干部{i}", "第一网格", [(duty, 0, 4)]) for i in range(3)]
    block = month_block(services.texts, "zh", figures, limit=2)
    assert "干部1" in block and "干部2" not in block and "另有 1 人" in block
    assert "本月无下沉干部" in month_block(services.texts, "zh", [])
