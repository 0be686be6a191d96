"""公示 through the real Application: /grid for residents, /contact for supervisors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.people import Role, Staff
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, DATA, HEAD_G1, RESIDENT, WORKER_G1, WORKER_G2
from tests.handlers.reports.test_submit_flow import press, registered

INVITED = 111  # an invited grid worker of G1 (not in the config file)
DESK_PHONE = "027-8288 1234"
PRIVATE_PHONE = "13800001111"
WORKER_LINES = 'telegram_id = 101\nname = "李网格"\nrole = "grid_worker"\nunit = "G1"\n'


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    assert WORKER_LINES in text
    published = (
        WORKER_LINES + "public = true\n"
        'title = "第一网格专职网格员"\n'
        'office_hours = "工作日 9:00-17:00"\n'
        f'public_phone = "{DESK_PHONE}"\n'
    )
    path.write_text(text.replace(WORKER_LINES, published), encoding="utf-8")
    return path


async def grid_answer(harness, user_id: int = RESIDENT) -> str:
    await harness.send(updates.text(user_id, "/grid"))
    return harness.last_text(user_id)


async def invited(harness) -> None:
    services = harness.services
    await services.people.sync_staff(
        [Staff(INVITED, "孙网格", Role.GRID_WORKER, "G1")], "invite", harness.clock()
    )
    await services.people.touch(INVITED, "孙网格", "zh", harness.clock())
    await services.people.update(INVITED, harness.clock(), phone=PRIVATE_PHONE)


async def test_grid_shows_the_published_grid_worker_and_nobody_unpublished(harness):
    await registered(harness)
    await harness.services.people.update(WORKER_G1, harness.clock(), phone=PRIVATE_PHONE)
    text = await grid_answer(harness)
    assert "第一网格" in text and "李网格" in text and "第一网格专职网格员" in text
    assert "工作日 9:00-17:00" in text and DESK_PHONE in text
    assert PRIVATE_PHONE not in text
    for hidden in ("王网格", "赵网格长", "陈社区", "管理员"):  # unpublished or not of this grid
        assert hidden not in text


async def test_a_resident_of_another_grid_does_not_see_this_grids_worker(harness):
    await registered(harness, unit="G2")
    text = await grid_answer(harness)
    assert "李网格" not in text and "第二网格" in text


async def test_a_resident_without_a_place_walks_the_tree_and_then_sees_the_list(harness):
    await harness.services.people.touch(RESIDENT, "张三", "zh", harness.clock())
    await harness.send(updates.text(RESIDENT, "/grid"))
    assert "登记住址" in harness.last_text(RESIDENT)
    await press(harness, RESIDENT, harness.button(RESIDENT, "place:pick:"))  # 第一网格
    for label, data in harness.buttons(RESIDENT):
        if label == "1栋":
            await press(harness, RESIDENT, data)
            break
    else:
        raise AssertionError(harness.buttons(RESIDENT))
    assert (await harness.services.people.get(RESIDENT)).unit == "B1"
    assert "李网格" in harness.last_text(RESIDENT)
    assert await harness.services.drafts.get(RESIDENT) is None


async def test_a_published_staff_member_who_left_never_shows(harness):
    await registered(harness)
    await harness.services.people.deactivate(WORKER_G1, ADMIN, harness.clock())
    text = await grid_answer(harness)
    assert "李网格" not in text and "暂未公示" in text


async def test_a_supervisor_publishes_an_invited_worker_with_hours_and_a_public_phone(harness):
    await registered(harness)
    await invited(harness)
    await harness.send(updates.text(COMMUNITY, "/contact"))
    await press(harness, COMMUNITY, f"contact:show:{INVITED}")
    assert "孙网格" in harness.last_text(COMMUNITY)
    await press(harness, COMMUNITY, harness.button(COMMUNITY, f"contact:pub:{INVITED}:1"))
    await press(harness, COMMUNITY, f"contact:edit:{INVITED}:public_phone")
    await harness.send(updates.text(COMMUNITY, "call me maybe"))
    assert "电话格式不正确" in harness.last_text(COMMUNITY)  # the step stays
    await harness.send(updates.text(COMMUNITY, DESK_PHONE))
    await press(harness, COMMUNITY, f"contact:edit:{INVITED}:office_hours")
    await harness.send(updates.text(COMMUNITY, "周二、周四下午"))

    text = await grid_answer(harness)
    assert "孙网格" in text and DESK_PHONE in text and "周二、周四下午" in text
    assert PRIVATE_PHONE not in text

    await press(harness, COMMUNITY, f"contact:edit:{INVITED}:office_hours")
    await harness.send(updates.text(COMMUNITY, "-"))  # clears it
    assert "周二、周四下午" not in await grid_answer(harness)


async def test_forged_presses_by_a_peer_change_nothing_and_are_recorded(harness):
    await registered(harness)
    await invited(harness)
    await press(harness, WORKER_G2, f"contact:pub:{INVITED}:1")
    await press(harness, WORKER_G2, f"contact:edit:{INVITED}:title")
    assert not (await harness.services.store.contacts.get(INVITED)).public
    assert await harness.services.drafts.get(WORKER_G2) is None
    counts = await harness.services.store.refusals.counts_since(harness.clock())
    assert counts == {"contact_publish": 2}
    await harness.send(updates.text(WORKER_G2, "/contact"))
    assert "没有可设置" in harness.last_text(WORKER_G2)


async def test_config_staff_are_published_from_the_file_not_in_chat(harness):
    await press(harness, ADMIN, f"contact:show:{HEAD_G1}")
    assert "配置文件" in harness.last_text(ADMIN)
    assert not any(d.startswith("contact:pub:") for _, d in harness.buttons(ADMIN))
    await press(harness, ADMIN, f"contact:pub:{HEAD_G1}:1")  # forged: refused politely
    assert "配置文件" in harness.last_text(ADMIN)
    assert not (await harness.services.store.contacts.get(HEAD_G1)).public


async def test_forged_arguments_and_a_cancelled_edit_change_nothing(harness):
    await invited(harness)
    await press(harness, ADMIN, f"contact:pub:{INVITED}:7")
    await press(harness, ADMIN, f"contact:edit:{INVITED}:telegram_id")
    assert "过期" in harness.last_text(ADMIN)
    assert await harness.services.drafts.get(ADMIN) is None
    await press(harness, ADMIN, f"contact:edit:{INVITED}:title")
    await harness.send(updates.text(ADMIN, "/cancel"))
    await harness.send(updates.text(ADMIN, "社区书记"))  # no longer an answer to anything
    contact = await harness.services.store.contacts.get(INVITED)
    assert (contact.public, contact.title) == (False, None)


async def test_the_list_pages_through_everyone_an_admin_may_publish(harness):
    for n in range(10):
        await harness.services.people.sync_staff(
            [Staff(2000 + n, f"网格员{n}", Role.GRID_WORKER, "G2")], "invite", harness.clock()
        )
    await harness.send(updates.text(ADMIN, "/contact"))
    first = harness.last_text(ADMIN)
    assert "第 1/" in first and len([d for _, d in harness.buttons(ADMIN) if ":show:" in d]) == 8
    await press(harness, ADMIN, harness.button(ADMIN, "contact:page:1"))
    assert "第 2/" in harness.last_text(ADMIN)
