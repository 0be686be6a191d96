"""bot/usecases/patrols.py on a real SQLite file, no Application: a round is stored with its
summary only for care staff covering the unit; a finding becomes one report."""

from __future__ import annotations

from bot.domain.patrols import Finding, Patrol, PatrolKind
from bot.domain.people import Person
from bot.services import Services
from bot.usecases.patrols import log_patrol, report_finding
from bot.usecases.results import Done, Refused
from storage.drafts import Draft
from tests.conftest import RESIDENT

WORKER = 101  # grid worker of G1, which holds B1
OTHER_GRID = 102  # grid worker of G2


async def person(services: Services, user_id: int) -> Person:
    return Person(user_id, "", "zh", staff=await services.people.staff(user_id))


async def count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_a_round_is_stored_with_a_report_button_per_finding_and_ends_the_draft(
    services: Services,
):
    me = await person(services, WORKER)
    await services.store.drafts.put(Draft(WORKER, "patrol", "findings", {}), services.clock())
    result = await log_patrol(
        services,
        by=me,
        unit="B1",
        kind=PatrolKind.DOORKNOCK,
        note="",
        photos=["p1"],
        findings=["楼道堆放杂物", "路灯不亮"],
        at=services.clock(),
    )
    assert isinstance(result, Done)
    patrol = result.value
    assert await services.store.patrols.get(patrol.id or 0) == patrol
    assert [f.text for f in patrol.findings] == ["楼道堆放杂物", "路灯不亮"]
    assert await services.store.drafts.get(WORKER) is None
    rows = await services.store.db.fetchall("SELECT chat_id, payload FROM outbox")
    assert [row[0] for row in rows] == [WORKER]
    for finding in patrol.findings:
        assert f"patrol:find:{finding.id}" in rows[0][1]


async def test_a_round_outside_ones_units_or_by_a_resident_is_refused_and_recorded(
    services: Services,
):
    for user_id in (OTHER_GRID, RESIDENT):
        result = await log_patrol(
            services,
            by=await person(services, user_id),
            unit="B1",
            kind=PatrolKind.PATROL,
            note="",
            photos=[],
            findings=[],
            at=services.clock(),
        )
        assert isinstance(result, Refused) and result.key == "patrol.not_allowed"
    assert await count(services, "patrols") == 0
    assert await count(services, "refusals") == 2


async def test_a_finding_becomes_one_report_only(services: Services):
    me = await person(services, WORKER)
    patrol = await services.store.patrols.create(
        Patrol(
            WORKER,
            PatrolKind.PATROL,
            "B1",
            services.clock(),
            "",
            ("p1",),
            (Finding("路灯不亮", 0),),
        ),
        lambda p: [],
        clear_draft_of=WORKER,
    )
    finding = patrol.findings[0]
    first = await report_finding(services, patrol, finding, by=me, category="road")
    assert isinstance(first, Done) and first.value.description == "路灯不亮"
    assert first.value.photos == ("p1",)
    second = await report_finding(services, patrol, finding, by=me, category="road")
    assert second == Refused("patrol.finding_taken")
    assert await count(services, "reports") == 1
    stored = await services.store.patrols.get(patrol.id or 0)
    assert stored is not None and stored.findings[0].report_id == first.value.id
