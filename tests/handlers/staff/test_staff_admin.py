"""/staff and /invite through the real Application: staff who leave, move or change role."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.app import SWEEPS, open_services
from bot.domain import reports as domain
from bot.domain.care import Cadence, VisitorKind
from bot.domain.care import register as register_household
from bot.domain.people import Role, Staff
from bot.domain.reports import Status
from bot.jobs import run_sweeps
from bot.usecases.care import care_policy
from bot.usecases.reports import save_move, submit
from storage.care import Households
from tests import updates
from tests.conftest import ADMIN, COMMUNITY, HEAD_G1, RESIDENT, STREET, WORKER_G1, WORKER_G2
from tests.handlers.kit.picking import choose_here, offers_here, stands_at, walk
from tests.handlers.volunteers.support import answers

NEWCOMER = 7001


async def new_report(harness, unit: str = "B1", category: str = "litter"):
    return await submit(
        harness.services,
        reporter_id=RESIDENT,
        entered_by=None,
        category=category,
        unit=unit,
        description="楼道堆物",
        photos=["p1"],
    )


async def enrol(harness, role: Role = Role.PARTNER, unit: str = "G1") -> None:
    """Enrols NEWCOMER from a CSV import (not the config), handling road reports at UNIT."""
    categories = ("road",) if role is Role.PARTNER else ()
    await harness.services.people.sync_staff(
        [Staff(NEWCOMER, "新同事", role, unit, categories)], "csv", harness.clock()
    )


def ever_offered(harness, chat_id: int, data: str) -> bool:
    """Tells whether any message sent or edited into CHAT_ID carried a button with DATA."""
    for call in harness.request.sent(chat_id=chat_id):
        markup = call.params.get("reply_markup")
        if markup:
            markup = markup if isinstance(markup, dict) else json.loads(markup)
            rows = markup.get("inline_keyboard", [])
            if any(b.get("callback_data") == data for row in rows for b in row):
                return True
    return False


async def press(harness, user_id: int, data: str) -> None:
    await harness.send(updates.press(user_id, data))


async def test_an_admin_deactivates_a_worker_and_their_open_reports_are_routed_again(harness):
    waiting = await new_report(harness)
    accepted = await new_report(harness)
    worker = await harness.services.people.staff(WORKER_G1)
    after, event = domain.accept(accepted, worker, harness.clock())
    accepted = await save_move(harness.services, accepted, after, event)
    await harness.deliver()

    await harness.send(updates.text(ADMIN, "/staff"))
    assert harness.button(ADMIN, f"staff:show:{WORKER_G1}")
    await press(harness, ADMIN, f"staff:show:{WORKER_G1}")
    await press(harness, ADMIN, f"staff:off:{WORKER_G1}")
    assert await harness.services.people.staff(WORKER_G1) is not None  # only asked so far
    await press(harness, ADMIN, f"staff:offok:{WORKER_G1}")

    assert await harness.services.people.staff(WORKER_G1) is None
    assert any("身份已停用" in t for t in harness.texts_to(WORKER_G1))
    for before in (waiting, accepted):
        report = await harness.services.reports.get(before.id)
        # Nobody else works at G1 but its grid head: held there, for them to take.
        assert (report.status, report.assignee_id, report.holder_unit) == (
            Status.OPEN,
            None,
            "G1",
        )
        events = await harness.services.reports.events(before.id)
        assert events[-1].action == "reassign" and events[-1].data["from"] == WORKER_G1
        assert ever_offered(harness, HEAD_G1, f"report:accept:{before.id}")
        assert any(before.number in t and "调离" in t for t in harness.texts_to(RESIDENT))
    assert "2" in harness.last_text(ADMIN)  # two items handed over

    # The leaver's old buttons change nothing.
    await press(harness, WORKER_G1, f"report:accept:{waiting.id}")
    report = await harness.services.reports.get(waiting.id)
    assert (report.status, report.assignee_id) == (Status.OPEN, None)
    await press(harness, HEAD_G1, f"report:accept:{waiting.id}")
    assert (await harness.services.reports.get(waiting.id)).assignee_id == HEAD_G1
    # New reports no longer reach them.
    assert (await new_report(harness)).assignee_id is None


async def test_someone_who_left_comes_back_with_a_new_invite(harness):
    await enrol(harness, Role.GRID_WORKER, "G2")
    await press(harness, ADMIN, f"staff:offok:{NEWCOMER}")
    assert await harness.services.people.staff(NEWCOMER) is None
    await harness.send(updates.text(ADMIN, "/invite grid_worker G1"))
    token = harness.last_text(ADMIN).split("?start=")[1].split()[0]
    await harness.send(updates.text(NEWCOMER, f"/start {token}"))
    back = await harness.services.people.staff(NEWCOMER)
    assert back is not None and back.unit == "G1"
    actions = [a for a, _, _ in await harness.services.people.staff_events(NEWCOMER)]
    assert actions == ["deactivate", "reactivate"]


async def test_a_leavers_households_go_to_the_nearest_care_staff(harness):
    store = Households(harness.services.store.db)
    household = register_household(
        kind="empty_nest",
        unit="B3",
        label="2-301",
        cadence=Cadence.WEEKLY,
        visitor_id=WORKER_G2,
        visitor_kind=VisitorKind.STAFF,
        notes="独居",
        by=COMMUNITY,
        at=harness.clock(),
        policy=care_policy(harness.services),
    )
    stored = await store.create(household, [], clear_draft_of=COMMUNITY)

    await press(harness, ADMIN, f"staff:offok:{WORKER_G2}")

    after = await store.get(stored.id)
    assert after.visitor_id == COMMUNITY  # nobody else at G2: the community takes the visits
    assert "2-301" in harness.last_text(COMMUNITY)
    assert "独居" not in harness.last_text(COMMUNITY)  # the notes never go with the brief


async def test_the_street_moves_a_csv_staff_member_and_their_reports_stay_behind(harness):
    await enrol(harness)
    road = await new_report(harness, category="road")
    assert road.assignee_id == NEWCOMER

    await press(harness, STREET, f"staff:move:{NEWCOMER}")
    await walk(harness, STREET, "春晖社区", "第二网格")
    assert offers_here(harness, STREET)
    await choose_here(harness, STREET)

    assert (await harness.services.people.staff(NEWCOMER)).unit == "G2"
    assert any("第二网格" in t and "岗位" in t for t in harness.texts_to(NEWCOMER))
    moved = await harness.services.reports.get(road.id)
    assert moved.assignee_id == WORKER_G1  # G1's worker takes the road report left behind
    assert [e.action for e in await harness.services.reports.events(road.id)][-1] == "reassign"


async def test_a_move_outside_the_managers_area_is_refused(harness):
    await enrol(harness)
    await press(harness, STREET, f"staff:move:{NEWCOMER}")
    assert await stands_at(harness, STREET) == "S1" and not offers_here(harness, STREET)
    n = (await harness.services.drafts.get(STREET)).data["n"]
    await press(harness, STREET, f"place:here:{n}")  # their own unit, not below it (forged)
    assert "不能把人员调整到这个单位" in harness.last_text(STREET)
    await press(harness, STREET, f"place:up:{n}")  # above them (forged)
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    assert await stands_at(harness, STREET) == "S1"
    await press(harness, STREET, "staffmv:pick:D1")  # a button of the walk before the picker
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    assert (await harness.services.people.staff(NEWCOMER)).unit == "G1"


async def test_a_walk_follows_the_managers_reach_when_they_move_meanwhile(harness):
    await enrol(harness)
    await press(harness, STREET, f"staff:move:{NEWCOMER}")
    await walk(harness, STREET, "春晖社区", "第二网格")
    street = await harness.services.people.staff(STREET)
    await harness.services.people.change(
        street, replace(street, role=Role.GRID_HEAD), ADMIN, harness.clock()
    )
    await choose_here(harness, STREET)  # no longer manages staff: the reach is read again
    assert answers(harness)[-1] == "这个按钮已失效，请使用最新的消息。"
    assert (await harness.services.people.staff(NEWCOMER)).unit == "G1"


async def test_a_role_change_is_limited_to_roles_below_the_manager(harness):
    await enrol(harness, Role.GRID_WORKER, "G2")
    await press(harness, STREET, f"staff:role:{NEWCOMER}")
    assert harness.button(STREET, f"staff:setrole:{NEWCOMER}:grid_head")
    assert not any(d.endswith(":street") for _, d in harness.buttons(STREET))
    await press(harness, STREET, f"staff:setrole:{NEWCOMER}:admin")  # forged
    assert (await harness.services.people.staff(NEWCOMER)).role is Role.GRID_WORKER
    await press(harness, STREET, f"staff:setrole:{NEWCOMER}:grid_head")
    assert (await harness.services.people.staff(NEWCOMER)).role is Role.GRID_HEAD
    assert "网格长" in harness.last_text(NEWCOMER)


async def test_staff_from_the_config_file_are_moved_in_the_file(harness):
    await press(harness, ADMIN, f"staff:move:{WORKER_G2}")
    await press(harness, ADMIN, f"staff:setrole:{WORKER_G2}:grid_head")
    staff = await harness.services.people.staff(WORKER_G2)
    assert (staff.unit, staff.role) == ("G2", Role.GRID_WORKER)
    assert "配置文件" in harness.last_text(ADMIN)


async def test_non_managers_and_forged_presses_change_nothing(harness):
    await harness.send(updates.text(WORKER_G1, "/staff"))
    assert "仅限管理员" in harness.last_text(WORKER_G1)
    await harness.send(updates.text(RESIDENT, "/staff"))
    assert "仅限管理员" in harness.last_text(RESIDENT)
    await press(harness, WORKER_G1, f"staff:offok:{WORKER_G2}")
    await press(harness, COMMUNITY, f"staff:offok:{WORKER_G2}")
    await press(harness, STREET, f"staff:offok:{ADMIN}")  # above the street
    await press(harness, ADMIN, f"staff:offok:{ADMIN}")  # never oneself
    for forged in ("staff:offok:abc", "staff:offok:999999", "staff:explode:1", "staff:offok"):
        await press(harness, ADMIN, forged)
    for user_id in (WORKER_G2, ADMIN):
        assert await harness.services.people.staff(user_id) is not None
    assert len(answers(harness)) == 8 and all(answers(harness))


async def test_an_admin_makes_an_invite_link_in_chat_that_enrols_once(harness):
    await harness.send(updates.text(ADMIN, "/invite grid_worker G2 小王"))
    text = harness.last_text(ADMIN)
    assert "https://t.me/" in text and "?start=" in text
    token = text.split("?start=")[1].split()[0]
    await harness.send(updates.text(NEWCOMER, f"/start {token}"))
    staff = await harness.services.people.staff(NEWCOMER)
    assert (staff.role, staff.unit, staff.name) == (Role.GRID_WORKER, "G2", "小王")
    await harness.send(updates.text(NEWCOMER + 1, f"/start {token}"))
    assert await harness.services.people.staff(NEWCOMER + 1) is None


async def test_invite_requests_that_do_not_fit_are_explained(harness):
    await harness.send(updates.text(ADMIN, "/invite"))
    assert "/invite" in harness.last_text(ADMIN)
    assert "grid_worker (网格员)" in harness.last_text(ADMIN)  # the name may be typed as well
    assert "例如：/invite grid_worker G1 李娜" in harness.last_text(ADMIN)  # a unit of this office
    await harness.send(updates.text(STREET, "/invite"))
    assert "例如：/invite grid_worker G1 李娜" in harness.last_text(STREET)
    await harness.send(updates.text(ADMIN, "/invite mayor G1"))
    assert "grid_worker" in harness.last_text(ADMIN)
    await harness.send(updates.text(ADMIN, "/invite 网格员 NOPE"))
    assert "NOPE" in harness.last_text(ADMIN)
    await harness.send(updates.text(STREET, "/invite street C1"))
    assert "t.me" not in harness.last_text(STREET)
    await harness.send(updates.text(STREET, "/invite 网格员 G1"))
    assert "t.me" in harness.last_text(STREET)
    await harness.send(updates.text(WORKER_G1, "/invite grid_worker G1"))
    assert "仅限管理员" in harness.last_text(WORKER_G1)


async def test_a_worker_removed_from_the_config_hands_over_at_the_next_start(harness, settings):
    report = await new_report(harness, unit="B3")
    assert report.assignee_id == WORKER_G2
    await harness.deliver()

    # The next `griddesk run` start-up sync, with WORKER_G2 gone from the file.
    without = settings.model_copy(
        update={"staff": [s for s in settings.staff if s.telegram_id != WORKER_G2]}
    )
    restarted = await open_services(without, harness.clock)
    await restarted.store.close()
    assert await harness.services.people.staff(WORKER_G2) is None

    results = await run_sweeps(harness.services, SWEEPS)
    assert results["staff_departed"] == 1
    await harness.deliver()
    moved = await harness.services.reports.get(report.id)
    # G2 has nobody else: held at the community, where its staff may take it.
    assert (moved.assignee_id, moved.holder_unit) == (None, "C1")
    assert ever_offered(harness, COMMUNITY, f"report:accept:{report.id}")
    assert any(report.number in t and "调离" in t for t in harness.texts_to(RESIDENT))
    # Done once: a second pass finds nothing left to hand over.
    assert (await run_sweeps(harness.services, SWEEPS))["staff_departed"] == 0

    # Added back to the file: active again, and routed to as before.
    restarted = await open_services(settings, harness.clock)
    await restarted.store.close()
    assert (await new_report(harness, unit="B3")).assignee_id == WORKER_G2


async def test_the_move_walk_offers_only_units_the_manager_may_choose(harness):
    await enrol(harness, Role.GRID_WORKER, "G1")
    await press(harness, STREET, f"staff:move:{NEWCOMER}")
    assert await stands_at(harness, STREET) == "S1"
    assert not offers_here(harness, STREET)  # the street's own unit: a peer's place
    await walk(harness, STREET, "春晖社区")
    assert offers_here(harness, STREET)
    await walk(harness, STREET, "第一网格")
    assert not offers_here(harness, STREET)  # where they already are
    await walk(harness, STREET, "⬆️ 返回上一级", "第二网格")
    assert offers_here(harness, STREET)
    # An admin may place anywhere but where the person already is.
    await press(harness, ADMIN, f"staff:move:{NEWCOMER}")
    await walk(harness, ADMIN, "江岸区")
    assert offers_here(harness, ADMIN)
    await walk(harness, ADMIN, "青山街道", "春晖社区", "第一网格")
    assert not offers_here(harness, ADMIN)


async def test_a_move_saved_before_a_crash_is_handed_over_by_one_sweep_pass(harness):
    await enrol(harness)
    road = await new_report(harness, category="road")
    assert road.assignee_id == NEWCOMER
    await harness.deliver()

    # The move is committed, then the process dies before its hand-over runs.
    before = await harness.services.people.staff(NEWCOMER)
    assert await harness.services.people.change(
        before, replace(before, unit="G2"), STREET, harness.clock()
    )
    assert (await harness.services.reports.get(road.id)).assignee_id == NEWCOMER
    assert [u for u, _ in await harness.services.people.pending_handovers()] == [NEWCOMER]

    assert (await run_sweeps(harness.services, SWEEPS))["staff_departed"] == 1
    await harness.deliver()
    moved = await harness.services.reports.get(road.id)
    assert moved.assignee_id == WORKER_G1  # G1's worker takes the road report left behind
    assert any(road.number in t and "调离" in t for t in harness.texts_to(RESIDENT))
    # Exactly once: the marker is gone and a second pass finds nothing.
    assert await harness.services.people.pending_handovers() == []
    assert (await run_sweeps(harness.services, SWEEPS))["staff_departed"] == 0
    actions = [e.action for e in await harness.services.reports.events(road.id)]
    assert actions.count("reassign") == 1


async def test_a_move_in_chat_leaves_nothing_pending(harness):
    await enrol(harness)
    await press(harness, ADMIN, f"staff:setrole:{NEWCOMER}:grid_worker")
    assert (await harness.services.people.staff(NEWCOMER)).role is Role.GRID_WORKER
    assert await harness.services.people.pending_handovers() == []
    assert (await run_sweeps(harness.services, SWEEPS))["staff_departed"] == 0


async def test_a_worker_moved_in_the_config_file_hands_over_after_the_next_start(harness, settings):
    report = await new_report(harness, unit="B3")
    assert report.assignee_id == WORKER_G2
    await harness.deliver()

    moved_in_file = settings.model_copy(
        update={
            "staff": [
                s.model_copy(update={"unit": "G1"}) if s.telegram_id == WORKER_G2 else s
                for s in settings.staff
            ]
        }
    )
    for _ in range(2):  # a second start with the same file changes nothing more
        restarted = await open_services(moved_in_file, harness.clock)
        await restarted.store.close()
    assert (await harness.services.people.staff(WORKER_G2)).unit == "G1"
    events = await harness.services.people.staff_events(WORKER_G2)
    assert [(a, actor, d["to_unit"]) for a, actor, d in events] == [("move", None, "G1")]

    assert (await run_sweeps(harness.services, SWEEPS))["staff_departed"] == 1
    after = await harness.services.reports.get(report.id)
    assert (after.assignee_id, after.holder_unit) == (None, "C1")  # nobody else at G2
    assert (await run_sweeps(harness.services, SWEEPS))["staff_departed"] == 0
