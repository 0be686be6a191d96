"""码上安全 through the real Application: a shop registers by its location (outside every grid
refused politely), the grid worker approves in chat, the owner answers the checklist item by
item (a PDF or a sticker where a photo is asked is refused, an item answered twice says so) and
submits once; staff page through their area's shops."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.usecases import merchants
from tests import updates
from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.merchants_config import FAR_AWAY, NEAR_B1, add_merchants


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_merchants(config_path)


def last_answer(harness) -> str | None:
    return harness.request.sent("answerCallbackQuery")[-1].params.get("text")


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def register_shop(harness, owner: int = RESIDENT, name: str = "老王面馆") -> None:
    await harness.send(updates.text(owner, "/merchant"))
    await harness.send(updates.text(owner, name))
    await harness.send(updates.location(owner, *NEAR_B1))
    await press(harness, owner, harness.button(owner, "mreg:kind:"))  # 餐饮, the first kind
    await harness.send(updates.text(owner, "跳过"))
    await press(harness, owner, harness.button(owner, "mreg:send:"))


async def test_a_shop_registers_by_location_and_the_grid_worker_approves_it(harness):
    await harness.send(updates.text(RESIDENT, "/merchant"))
    await harness.send(updates.text(RESIDENT, "店" * 41))  # too long: asked again politely
    assert "1–40 个字" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "老王面馆"))
    await harness.send(updates.location(RESIDENT, *FAR_AWAY))
    assert "不在本街道任何网格内" in harness.last_text(RESIDENT)
    assert await harness.services.store.merchants.of_owner(RESIDENT) is None
    await harness.send(updates.location(RESIDENT, *NEAR_B1))
    assert "第一网格 / 1栋" in harness.texts_to(RESIDENT)[-2]
    await press(harness, RESIDENT, harness.button(RESIDENT, "mreg:kind:"))
    await harness.send(updates.text(RESIDENT, "call me"))
    assert "不像电话号码" in harness.last_text(RESIDENT)
    await harness.send(updates.contact(RESIDENT, "13800000000"))
    stale = harness.button(RESIDENT, "mreg:send:").replace("send", "redo")[:-1] + "x"
    await press(harness, RESIDENT, harness.button(RESIDENT, "mreg:send:"))
    assert "等待第一网格工作人员审核" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, stale)  # an old button after the end: nothing happens
    assert (await harness.services.store.merchants.of_owner(RESIDENT)).phone == "13800000000"

    assert "老王面馆" in harness.last_text(WORKER_G1) and "13800000000" in harness.last_text(
        WORKER_G1
    )
    await press(harness, WORKER_G2, "merch:ok:1")  # a forged press from the other grid
    assert (
        last_answer(harness) and (await harness.services.store.merchants.get(1)).status == "pending"
    )
    await press(harness, WORKER_G1, "merch:ok:1")
    assert "已通过（李网格）" in harness.last_text(WORKER_G1)
    assert "通过审核" in harness.last_text(RESIDENT) and "灭火器在有效期内 📷" in harness.last_text(
        RESIDENT
    )
    await press(harness, WORKER_G1, "merch:no:1")
    assert last_answer(harness) == "这个登记已经处理过了。"


async def test_the_owner_answers_item_by_item_with_a_photo_and_submits_once(harness):
    await register_shop(harness)
    await press(harness, WORKER_G1, "merch:ok:1")
    assert await merchants.sweep(harness.services, harness.clock()) == 1
    await harness.deliver()
    go = harness.button(RESIDENT, "mchk:go:1:")
    await press(harness, WORKER_G2, go)  # someone else's checklist
    assert last_answer(harness) and await harness.services.store.drafts.get(WORKER_G2) is None

    await press(harness, RESIDENT, go)
    first = harness.button(RESIDENT, "mchk:ok:")
    await press(harness, RESIDENT, first)
    assert "第 1 项 安全出口畅通：✅ 正常" in harness.texts_to(RESIDENT)[-2]
    await press(harness, RESIDENT, first)  # the same button again
    assert last_answer(harness) == "这一项已经回答过了，不会重复记录。"

    await press(harness, RESIDENT, harness.button(RESIDENT, "mchk:bad:"))  # 灭火器: a photo
    await harness.send(updates.document(RESIDENT))  # a PDF
    assert "PDF、贴纸或文字不能代替照片" in harness.last_text(RESIDENT)
    await harness.send(updates.sticker(RESIDENT))
    assert "PDF、贴纸或文字不能代替照片" in harness.last_text(RESIDENT)
    await harness.send(updates.photo(RESIDENT, "extinguisher-photo"))
    await harness.send(updates.text(RESIDENT, "灭火器已过期"))
    await press(harness, RESIDENT, harness.button(RESIDENT, "mchk:ok:"))  # 燃气
    assert "灭火器已过期" in harness.last_text(RESIDENT)
    send = harness.button(RESIDENT, "mchk:send:")
    await press(harness, RESIDENT, send)
    assert "R000001" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, send)  # a double press
    assert last_answer(harness) == "这份自查已提交或已结束。"
    report = await harness.services.reports.get(1)
    assert (report.category, report.unit, report.photos) == (
        "safety",
        "B1",
        ("extinguisher-photo",),
    )
    assert tuple(await harness.services.store.db.fetchone("SELECT COUNT(*) FROM reports")) == (1,)
    assert any("R000001" in text for text in harness.texts_to(WORKER_G1))


async def test_staff_page_through_their_areas_shops(harness):
    for owner in range(6001, 6011):
        await register_shop(harness, owner, f"店{owner}")
    await harness.send(updates.text(WORKER_G1, "/merchants"))
    assert "共 10 家 · 第 1/2 页" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "merchs:l:1"))
    assert "第 2/2 页" in harness.last_text(WORKER_G1) and "店6010" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(RESIDENT, "/merchants"))
    assert "仅供网格及以上工作人员" in harness.last_text(RESIDENT)
    await harness.send(updates.text(WORKER_G2, "/merchants"))
    assert "暂无登记商户" in harness.last_text(WORKER_G2)


async def test_stopping_a_shop_is_confirmed_and_a_forged_press_learns_nothing(harness):
    await register_shop(harness)
    await press(harness, WORKER_G1, "merch:ok:1")
    await press(harness, RESIDENT, "merch:off:1")  # forged by the owner: no confirm card
    assert "老王面馆" not in (last_answer(harness) or "")
    assert not any("确定停用" in text for text in harness.texts_to(RESIDENT))
    await harness.send(updates.text(WORKER_G1, "/merchants"))
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "merch:off:1"))
    assert "确定停用商户 #1「老王面馆」" in harness.last_text(WORKER_G1)
    await press(harness, WORKER_G1, harness.button(WORKER_G1, "merch:offok:1"))
    await press(harness, WORKER_G1, "merch:offok:1")  # a second press
    assert last_answer(harness) == "「老王面馆」已经停用了。"
    assert "已由网格停用" in harness.last_text(RESIDENT)
    await harness.send(updates.text(RESIDENT, "/merchant"))
    assert "已停用" in harness.last_text(RESIDENT)
