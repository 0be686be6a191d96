"""/cadres and /duty through the real Application: a community walks to a grid, sends a cadre
down, withdraws them; old, forged and second presses change nothing; the cadre sees their
progress; /monthly shows the cadres' figures."""

from __future__ import annotations

import pytest

from bot.domain.patrols import Patrol, PatrolKind
from bot.settings import CadreDuty, CadreSettings, Settings
from tests import updates
from tests.conftest import COMMUNITY, PROPERTY, STREET, WORKER_G1
from tests.handlers.kit.picking import choose_here, labelled, walk


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.cadres = CadreSettings(
        duties=[
            CadreDuty(
                code="knock", zh="网格叮咚敲门", en="Door-knocking", kind="doorknock", count=1
            )
        ]
    )
    return settings


async def open_grid(harness, user_id: int = COMMUNITY) -> None:
    await harness.send(updates.text(user_id, "/cadres"))
    await walk(harness, user_id, "第一网格")
    await choose_here(harness, user_id)


async def active(harness) -> list[tuple[int, str]]:
    return [(a.user_id, a.unit) for a in await harness.services.store.cadres.active_at(["G1"])]


async def test_a_community_sends_a_partner_down_to_a_grid_and_withdraws_them(harness):
    await open_grid(harness)
    assert "第一网格" in harness.last_text(COMMUNITY) and "暂无下沉干部" in harness.last_text(
        COMMUNITY
    )
    assert await harness.services.drafts.get(COMMUNITY) is None  # the walk is over
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "cadre:add:G1:")))
    pick = labelled(harness, COMMUNITY, "春晖物业 · 协作单位 · 春晖社区")
    assert all("李网格" not in label for label, _ in harness.buttons(COMMUNITY))
    await harness.send(updates.press(COMMUNITY, pick))
    assert await active(harness) == [(PROPERTY, "G1")]
    assert "春晖物业" in harness.last_text(COMMUNITY)
    assert "网格叮咚敲门：每周至少 1 次" in harness.last_text(PROPERTY)
    await harness.send(updates.press(COMMUNITY, pick))  # the same button again
    assert "已编入该网格" in harness.last_text(COMMUNITY)
    assert await active(harness) == [(PROPERTY, "G1")]

    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "cadre:det:G1:")))
    assert "确定将" in harness.last_text(COMMUNITY)
    confirm = harness.button(COMMUNITY, "cadre:detok:")
    await harness.send(updates.press(COMMUNITY, confirm))
    assert await active(harness) == []
    assert "调离" in harness.last_text(PROPERTY)
    await harness.send(updates.press(COMMUNITY, confirm))  # a second press
    assert "已调离" in harness.last_text(COMMUNITY)


async def test_forged_presses_and_strangers_change_nothing(harness):
    await harness.send(updates.text(WORKER_G1, "/cadres"))
    assert "社区、街道" in harness.last_text(WORKER_G1)
    await harness.send(updates.press(WORKER_G1, f"cadre:pick:G1:{STREET}"))
    assert await active(harness) == []
    await harness.send(updates.press(COMMUNITY, "cadre:pick:B1:301"))  # no grid
    assert "请选择一个网格" in harness.last_text(COMMUNITY)
    await harness.send(updates.press(COMMUNITY, f"cadre:pick:G1:{WORKER_G1}"))
    assert "不能编入" in harness.last_text(COMMUNITY)
    await harness.send(updates.press(COMMUNITY, "cadre:pick:G1:x"))
    assert "按钮已过期" in harness.last_text(COMMUNITY)
    await harness.send(updates.press(COMMUNITY, "cadre:det:G1:42"))
    assert "已调离" in harness.last_text(COMMUNITY)
    assert await active(harness) == []
    rules = await harness.services.store.db.fetchall("SELECT rule FROM refusals")
    assert {row[0] for row in rules} == {"cadre_manage"}


async def test_duty_shows_a_cadre_their_week_and_monthly_shows_the_figures(harness):
    await harness.send(updates.text(STREET, "/duty"))
    assert "没有作为下沉干部" in harness.last_text(STREET)
    await open_grid(harness)
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "cadre:add:G1:")))
    await harness.send(
        updates.press(COMMUNITY, labelled(harness, COMMUNITY, "周街道 · 街道工作人员 · 青山街道"))
    )
    await harness.send(updates.text(STREET, "/duty"))
    assert "⚠️ 网格叮咚敲门（本周）0/1" in harness.last_text(STREET)
    await harness.services.store.patrols.create(
        Patrol(STREET, PatrolKind.DOORKNOCK, "B1", harness.clock()), lambda p: [], clear_draft_of=1
    )
    await harness.send(updates.text(STREET, "/duty"))
    assert "✅ 网格叮咚敲门（本周）1/1" in harness.last_text(STREET)
    await harness.send(updates.text(STREET, "/lang en"))
    await harness.send(updates.text(STREET, "/duty"))
    assert "✅ Door-knocking (this week) 1/1" in harness.last_text(STREET)
    await harness.send(updates.text(COMMUNITY, "/monthly 2026-11"))
    monthly = harness.last_text(COMMUNITY)
    assert "下沉干部" in monthly
    assert "周街道 · 青山街道 / 春晖社区 / 第一网格：⚠️ 网格叮咚敲门 1/5（每周计）" in monthly


async def test_a_partner_sent_down_patrols_their_grid_and_the_round_counts(harness):
    await harness.send(updates.text(PROPERTY, "/patrol"))
    assert "仅限" in harness.last_text(PROPERTY)  # a partner is no care staff
    await open_grid(harness)
    await harness.send(updates.press(COMMUNITY, harness.button(COMMUNITY, "cadre:add:G1:")))
    await harness.send(
        updates.press(COMMUNITY, labelled(harness, COMMUNITY, "春晖物业 · 协作单位 · 春晖社区"))
    )
    await harness.send(updates.text(PROPERTY, "/patrol"))
    await harness.send(updates.press(PROPERTY, "patrol:kind:doorknock"))
    labels = [label for label, _ in harness.buttons(PROPERTY)]
    assert "1栋" in labels and "第二网格" not in labels  # the walk starts at their grid
    await walk(harness, PROPERTY, "1栋")
    await harness.send(updates.press(PROPERTY, harness.button(PROPERTY, "patrol:skip")))
    await harness.send(updates.press(PROPERTY, harness.button(PROPERTY, "patrol:photos")))
    await harness.send(updates.press(PROPERTY, harness.button(PROPERTY, "patrol:done")))
    rows = await harness.services.store.db.fetchall("SELECT worker_id, unit, kind FROM patrols")
    assert [tuple(r) for r in rows] == [(PROPERTY, "B1", "doorknock")]
    await harness.send(updates.text(PROPERTY, "/duty"))
    assert "✅ 网格叮咚敲门（本周）1/1" in harness.last_text(PROPERTY)
