"""bot/usecases/groups.py on a real SQLite file, no Application: a group is bound (or unbound)
with what is said in it in one commit, only by staff of the unit or above, and a refusal is
recorded and changes nothing."""

from __future__ import annotations

import json

from bot.domain.access import Rule
from bot.domain.groups import Purpose
from bot.services import Services
from bot.usecases.groups import bind_group, follow_migration, unbind_group
from bot.usecases.results import Done, Refused
from tests.conftest import COMMUNITY, RESIDENT, WORKER_G1, WORKER_G2

GROUP = -100123
SUPERGROUP = -100999


async def said(services: Services, chat_id: int) -> list[str]:
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(row[0])["text"] for row in rows]


async def test_staff_bind_a_group_to_their_unit_and_the_group_is_told(services: Services):
    at = services.clock()

    done = await bind_group(services, GROUP, Purpose.SUMMARY, None, by=WORKER_G1, at=at, lang="zh")

    assert isinstance(done, Done) and (done.value.unit, done.value.bound_by) == ("G1", WORKER_G1)
    assert await services.store.groups.binding(GROUP, Purpose.SUMMARY) == done.value
    [text] = await said(services, GROUP)
    assert "第一网格" in text


async def test_a_unit_is_found_whatever_its_case_and_a_rebinding_names_the_old_unit(
    services: Services,
):
    at = services.clock()
    await bind_group(services, GROUP, Purpose.VOLUNTEERS, "g1", by=COMMUNITY, at=at, lang="en")

    done = await bind_group(
        services, GROUP, Purpose.VOLUNTEERS, "C1", by=COMMUNITY, at=at, lang="en"
    )

    assert isinstance(done, Done) and done.value.unit == "C1"
    assert "第一网格" in (await said(services, GROUP))[-1]  # "was bound to 第一网格"


async def test_binding_outside_ones_unit_is_refused_recorded_and_changes_nothing(
    services: Services,
):
    at = services.clock()

    refused = await bind_group(
        services, GROUP, Purpose.SUMMARY, "G2", by=WORKER_G1, at=at, lang="zh"
    )

    assert refused == Refused("group.not_allowed", {"unit": "第一网格"}, Rule.GROUP_BIND)
    assert await services.store.groups.binding(GROUP, Purpose.SUMMARY) is None
    assert await said(services, GROUP) == []
    [refusal] = await services.store.refusals.latest()
    assert (refusal.user_id, refusal.action, refusal.target) == (WORKER_G1, "/bind", "unit:G2")


async def test_replacing_a_binding_over_a_unit_one_does_not_cover_is_refused(services: Services):
    at = services.clock()
    await bind_group(services, GROUP, Purpose.SUMMARY, "G2", by=COMMUNITY, at=at, lang="zh")

    refused = await bind_group(
        services, GROUP, Purpose.SUMMARY, None, by=WORKER_G1, at=at, lang="zh"
    )

    assert isinstance(refused, Refused) and refused.key == "group.not_allowed_existing"
    binding = await services.store.groups.binding(GROUP, Purpose.SUMMARY)
    assert binding is not None and binding.unit == "G2"


async def test_residents_and_unknown_units_are_refused(services: Services):
    at = services.clock()
    for_resident = await bind_group(
        services, GROUP, Purpose.SUMMARY, None, by=RESIDENT, at=at, lang="zh"
    )
    assert for_resident == Refused("group.not_staff")
    unknown = await bind_group(
        services, GROUP, Purpose.SUMMARY, "X9", by=COMMUNITY, at=at, lang="zh"
    )
    assert unknown == Refused("group.unknown_unit", {"code": "X9"})
    assert await said(services, GROUP) == []


async def test_unbinding_needs_a_binding_and_the_right_over_its_unit(services: Services):
    at = services.clock()
    nothing = await unbind_group(services, GROUP, Purpose.SUMMARY, by=COMMUNITY, at=at, lang="zh")
    assert nothing == Refused("group.not_bound_summary")
    await bind_group(services, GROUP, Purpose.SUMMARY, "G1", by=COMMUNITY, at=at, lang="zh")

    refused = await unbind_group(services, GROUP, Purpose.SUMMARY, by=WORKER_G2, at=at, lang="zh")
    assert isinstance(refused, Refused) and refused.rule is Rule.GROUP_BIND
    assert await services.store.groups.binding(GROUP, Purpose.SUMMARY) is not None

    done = await unbind_group(services, GROUP, Purpose.SUMMARY, by=WORKER_G1, at=at, lang="zh")
    assert isinstance(done, Done) and done.value.unit == "G1"
    assert await services.store.groups.binding(GROUP, Purpose.SUMMARY) is None
    assert len(await said(services, GROUP)) == 2


async def test_a_group_that_became_a_supergroup_keeps_its_bindings(services: Services):
    at = services.clock()
    await bind_group(services, GROUP, Purpose.SUMMARY, "G1", by=COMMUNITY, at=at, lang="zh")

    await follow_migration(services, GROUP, SUPERGROUP)

    assert await services.store.groups.binding(GROUP, Purpose.SUMMARY) is None
    moved = await services.store.groups.binding(SUPERGROUP, Purpose.SUMMARY)
    assert moved is not None and moved.unit == "G1"
