"""Staff who leave, on a real SQLite file: only active staff route, history stays, re-activation."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta

from bot import settings as settings_module
from bot.app import open_services
from bot.domain.people import Role, Staff
from bot.domain.routing import route
from tests.conftest import ADMIN, DATA, HEAD_G1, STREET, WORKER_G1, WORKER_G2
from tests.fakes import FakeClock

NEWCOMER = 7001


async def services_for(tmp_path, clock, *, drop: tuple[int, ...] = ()):
    """Opens the services on TMP_PATH's config, minus the [[staff]] entries with ids in DROP."""
    path = tmp_path / "config.toml"
    if not path.exists():
        shutil.copy(DATA / "config.toml", path)
    settings = settings_module.load(path)
    settings = settings.model_copy(
        update={"staff": [s for s in settings.staff if s.telegram_id not in drop]}
    )
    return await open_services(settings, clock)


async def test_deactivated_staff_are_invisible_to_routing_lists_and_permissions(tmp_path):
    clock = FakeClock()
    services = await services_for(tmp_path, clock)
    try:
        people = services.people
        assert await people.deactivate(WORKER_G1, ADMIN, clock())
        assert await people.staff(WORKER_G1) is None
        assert WORKER_G1 not in {s.user_id for s in await people.all_staff()}
        assert WORKER_G1 not in {s.user_id for s in await people.staff_at(["G1"])}
        tree = await services.units.tree()
        along = await people.along(tree, "B1")
        assert route("B1", "litter", tree, along).assignee is None  # held for the grid head
        # The row stays, with who deactivated them, and a second deactivation changes nothing.
        former = await people.former(WORKER_G1)
        assert former is not None and former.role is Role.GRID_WORKER
        assert not await people.deactivate(WORKER_G1, ADMIN, clock())
        assert await people.staff_events(WORKER_G1) == [("deactivate", ADMIN, {"reason": "chat"})]
        person = await people.get(WORKER_G1)
        assert person is None or person.staff is None
    finally:
        await services.store.close()


async def test_a_staff_member_removed_from_the_config_is_deactivated_and_comes_back(tmp_path):
    clock = FakeClock()
    await (await services_for(tmp_path, clock)).store.close()  # an earlier start, with them
    services = await services_for(tmp_path, clock, drop=(WORKER_G2,))
    try:
        assert await services.people.staff(WORKER_G2) is None
        assert await services.people.staff_events(WORKER_G2) == [
            ("deactivate", None, {"reason": "config"})
        ]
        assert await services.people.staff(WORKER_G1) is not None
    finally:
        await services.store.close()
    services = await services_for(tmp_path, clock)  # added back to the file
    try:
        assert (await services.people.staff(WORKER_G2)).unit == "G2"
        actions = [action for action, _, _ in await services.people.staff_events(WORKER_G2)]
        assert actions == ["deactivate", "reactivate"]
    finally:
        await services.store.close()


async def test_the_config_does_not_bring_back_someone_deactivated_in_chat(tmp_path):
    clock = FakeClock()
    services = await services_for(tmp_path, clock)
    try:
        await services.people.deactivate(HEAD_G1, ADMIN, clock())
    finally:
        await services.store.close()
    services = await services_for(tmp_path, clock)  # still listed in the file
    try:
        assert await services.people.staff(HEAD_G1) is None
        assert await services.people.kept_out([HEAD_G1, WORKER_G1]) == [HEAD_G1]
        # An invite brings them back, with the invite's role and unit.
        token = await services.people.create_invite(
            Role.GRID_WORKER, "G2", "", clock(), timedelta(hours=1)
        )
        await services.people.redeem_invite(token, HEAD_G1, "赵", clock())
        back = await services.people.staff(HEAD_G1)
        assert back is not None and (back.role, back.unit) == (Role.GRID_WORKER, "G2")
    finally:
        await services.store.close()


async def test_a_change_is_compare_and_set_and_recorded(tmp_path):
    clock = FakeClock()
    services = await services_for(tmp_path, clock)
    try:
        people = services.people
        before = await people.staff(WORKER_G2)
        moved = replace(before, unit="G1")
        assert await people.change(before, moved, STREET, clock())
        assert (await people.staff(WORKER_G2)).unit == "G1"
        # A second press made on the old card finds the person changed and does nothing.
        promoted = replace(before, role=Role.GRID_HEAD)
        assert not await people.change(before, promoted, STREET, clock())
        assert (await people.staff(WORKER_G2)).role is Role.GRID_WORKER
        assert [a for a, _, _ in await people.staff_events(WORKER_G2)] == ["move"]
    finally:
        await services.store.close()


async def test_csv_staff_are_not_deactivated_by_the_config_sync(tmp_path):
    clock = FakeClock()
    services = await services_for(tmp_path, clock)
    try:
        await services.people.sync_staff(
            [Staff(NEWCOMER, "新人", Role.GRID_WORKER, "G2")], "csv", clock()
        )
    finally:
        await services.store.close()
    services = await services_for(tmp_path, clock)
    try:
        assert await services.people.staff(NEWCOMER) is not None
    finally:
        await services.store.close()


async def test_a_change_leaves_its_hand_over_pending_until_that_change_is_handed_over(tmp_path):
    clock = FakeClock()
    services = await services_for(tmp_path, clock)
    try:
        people = services.people
        assert await people.pending_handovers() == []
        before = await people.staff(WORKER_G2)
        moved = replace(before, unit="G1")
        assert await people.change(before, moved, STREET, clock())
        [(user_id, first)] = await people.pending_handovers()
        assert user_id == WORKER_G2 and await people.pending_handover(WORKER_G2) == first
        # A second change while the first is being handed over keeps its own marker.
        promoted = replace(moved, role=Role.GRID_HEAD)
        assert await people.change(moved, promoted, STREET, clock())
        second = await people.pending_handover(WORKER_G2)
        assert second is not None and second != first
        assert not await people.handover_done(WORKER_G2, first)
        assert await people.pending_handovers() == [(WORKER_G2, second)]
        assert await people.handover_done(WORKER_G2, second)
        assert await people.pending_handovers() == []
        assert await people.pending_handover(WORKER_G2) is None
        # Other meta rows are not taken for markers.
        assert await services.store.db.fetchone("SELECT 1 FROM meta WHERE key = 'units_version'")
    finally:
        await services.store.close()
