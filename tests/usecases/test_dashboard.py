"""bot/usecases/dashboard.py on a real SQLite file: who sees which reports in the case list and on
the case page, the filters, paging at its edges, a foreign unit refused, and 办结 handed to chat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.reports import Action, Status
from bot.services import Services
from bot.usecases import dashboard
from bot.usecases.dashboard import PAGE, Filters, cases, parse_number
from bot.usecases.reports import accept, submit
from bot.usecases.results import Done, Refused
from storage.db import to_db
from tests.conftest import ADMIN, COMMUNITY, HEAD_G1, PROPERTY, RESIDENT, WORKER_G1, WORKER_G2


async def report(services: Services, unit: str = "B1", category: str = "litter", text: str = "x"):
    return await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category=category,
        unit=unit,
        description=text,
        photos=["before-1"],
    )


async def sql(services: Services, statement: str, *params: object) -> None:
    async with services.store.db.transaction(completes_update=False) as conn:
        await conn.execute(statement, params)


async def listed(services: Services, by: int, filters: Filters | None = None, page: int = 1):
    outcome = await cases(services, by, filters or Filters(), page, at=services.clock())
    assert isinstance(outcome, Done), outcome
    return [row.report.id for row in outcome.value.rows]


async def test_each_role_lists_only_the_reports_of_its_area(services: Services):
    g1 = await report(services, "B1")
    g2 = await report(services, "B3")
    prop = await report(services, "B3", "property")

    assert await listed(services, WORKER_G1) == [g1.id]
    assert set(await listed(services, WORKER_G2)) == {g2.id, prop.id}
    assert set(await listed(services, HEAD_G1)) == {g1.id}
    assert set(await listed(services, COMMUNITY)) == {g1.id, g2.id, prop.id}
    assert await listed(services, PROPERTY) == [prop.id]
    assert set(await listed(services, ADMIN)) == {g1.id, g2.id, prop.id}


async def test_a_resident_is_refused_the_list(services: Services):
    await report(services)
    outcome = await cases(services, RESIDENT, Filters(), 1, at=services.clock())
    assert outcome == Refused("dashboard.not_staff")


async def test_a_report_assigned_to_a_worker_elsewhere_is_in_their_list(services: Services):
    g2 = await report(services, "B3")
    await sql(services, "UPDATE reports SET assignee_id = ? WHERE id = ?", WORKER_G1, g2.id)
    assert await listed(services, WORKER_G1) == [g2.id]


async def test_a_partner_lists_what_is_assigned_to_them_even_of_another_category(
    services: Services,
):
    litter = await report(services, "B3", "litter")
    await sql(services, "UPDATE reports SET assignee_id = ? WHERE id = ?", PROPERTY, litter.id)
    prop = await report(services, "B1", "property")
    assert set(await listed(services, PROPERTY)) == {litter.id, prop.id}
    only = await listed(services, PROPERTY, Filters(category="property"))
    assert only == [prop.id]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(unit="G1"), {"g1", "taken"}),
        (Filters(unit="G2"), {"g2", "prop"}),
        (Filters(category="property"), {"prop"}),
        (Filters(state="accepted"), {"taken"}),
        (Filters(state="closed"), set()),
        (Filters(state="all"), {"g1", "g2", "prop", "taken"}),
        (Filters(tier="grid"), {"g1", "g2", "prop", "taken"}),
        (Filters(tier="street"), set()),
        (Filters(overdue=True), {"late"}),
    ],
)
async def test_the_filters_narrow_the_list(services: Services, filters: Filters, expected: set):
    made = {
        "g1": await report(services, "B1"),
        "g2": await report(services, "B3"),
        "prop": await report(services, "B3", "property"),
        "taken": await report(services, "B2"),
    }
    await accept(services, made["taken"].id, by=WORKER_G1, at=services.clock())
    names = {r.id: name for name, r in made.items()}
    if filters.overdue:  # one open report past its deadline
        past = services.clock() - timedelta(hours=1)
        await sql(
            services, "UPDATE reports SET due_at = ? WHERE id = ?", to_db(past), made["g2"].id
        )
        names[made["g2"].id] = "late"
    got = {names[i] for i in await listed(services, COMMUNITY, filters)}
    assert got == expected


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (Filters(unit="G2"), "unit"),  # another grid: refused, not widened
        (Filters(unit="C1"), "unit"),  # above the worker's area
        (Filters(unit="NOPE"), "unit"),
        (Filters(unit="x" * 5000), "unit"),
        (Filters(category="nonsense"), "category"),
        (Filters(state="lost"), "state"),
        (Filters(tier="purple"), "tier"),
    ],
)
async def test_a_filter_outside_the_area_or_unknown_is_refused(
    services: Services, filters: Filters, field: str
):
    outcome = await cases(services, WORKER_G1, filters, 1, at=services.clock())
    assert outcome == Refused("dashboard.bad_filter", {"field": field})


async def test_a_partner_cannot_filter_by_a_category_not_theirs(services: Services):
    outcome = await cases(services, PROPERTY, Filters(category="litter"), 1, at=services.clock())
    assert outcome == Refused("dashboard.bad_filter", {"field": "category"})


@pytest.mark.parametrize("page", [0, -1, dashboard.MAX_PAGE + 1])
async def test_a_page_out_of_range_is_refused(services: Services, page: int):
    outcome = await cases(services, ADMIN, Filters(), page, at=services.clock())
    assert outcome == Refused("dashboard.bad_page", {"max": dashboard.MAX_PAGE})


async def test_pages_hold_fifty_and_end_where_the_reports_end(services: Services):
    made = [await report(services, "B1") for _ in range(PAGE + 1)]
    closed = await cases(services, ADMIN, Filters(state="all"), 1, at=services.clock())
    second = await cases(services, ADMIN, Filters(state="all"), 2, at=services.clock())
    third = await cases(services, ADMIN, Filters(state="all"), 3, at=services.clock())
    assert isinstance(closed, Done) and isinstance(second, Done) and isinstance(third, Done)

    assert [r.report.id for r in closed.value.rows] == [r.id for r in reversed(made)][:PAGE]
    assert closed.value.has_next and closed.value.count == PAGE + 1
    assert [r.report.id for r in second.value.rows] == [made[0].id]
    assert not second.value.has_next
    assert third.value.rows == [] and not third.value.has_next


async def test_the_count_stops_past_its_cap(services: Services, monkeypatch):
    monkeypatch.setattr(dashboard, "COUNT_CAP", 3)
    for _ in range(5):
        await report(services)
    outcome = await cases(services, ADMIN, Filters(), 1, at=services.clock())
    assert isinstance(outcome, Done) and outcome.value.count == 4  # "more than 3"


async def test_open_reports_come_most_urgent_first(services: Services):
    first, second = await report(services), await report(services)
    soon = services.clock() + timedelta(minutes=5)
    await sql(services, "UPDATE reports SET due_at = ? WHERE id = ?", to_db(soon), second.id)
    assert await listed(services, ADMIN) == [second.id, first.id]


async def test_an_open_report_without_a_deadline_comes_before_those_with_one(services: Services):
    first, second = await report(services), await report(services)
    await sql(services, "UPDATE reports SET due_at = NULL WHERE id = ?", second.id)
    assert await listed(services, ADMIN) == [second.id, first.id]


@pytest.mark.parametrize(
    ("text", "number"), [("R000123", 123), ("r123", 123), ("123", 123), ("R0", None), ("x1", None)]
)
def test_case_numbers_are_read_as_typed(text: str, number: int | None):
    assert parse_number(text) == number


async def test_the_case_page_shows_history_photos_and_the_moves_allowed(services: Services):
    made = await report(services)
    view = await dashboard.case(services, WORKER_G1, made.number)
    assert isinstance(view, Done)

    assert view.value.place == "江岸区/青山街道/春晖社区/第一网格/1栋"
    assert [e.action for e in view.value.history] == [Action.SUBMIT]
    assert view.value.photos == 1
    assert {Action.ACCEPT, Action.RESOLVE, Action.REFER_UP} <= view.value.actions

    await accept(services, made.id, by=WORKER_G1, at=services.clock())
    after = await dashboard.case(services, WORKER_G1, str(made.id))
    assert isinstance(after, Done)
    assert Action.RESOLVE in after.value.actions and Action.ACCEPT not in after.value.actions
    elsewhere = await dashboard.case(services, COMMUNITY, made.number)
    assert isinstance(elsewhere, Done)  # a supervisor above sees it and may act on it
    assert Action.RESOLVE in elsewhere.value.actions


@pytest.mark.parametrize("number", ["R999999", "nonsense", "0"])
async def test_an_unknown_number_is_not_found(services: Services, number: str):
    await report(services)
    assert await dashboard.case(services, WORKER_G1, number) == Refused("dashboard.not_found")


async def test_another_units_case_is_not_found_like_an_unknown_one(services: Services):
    g2 = await report(services, "B3")
    assert await dashboard.case(services, WORKER_G1, g2.number) == Refused("dashboard.not_found")
    assert await dashboard.photo(services, WORKER_G1, g2.number, 1) == Refused(
        "dashboard.not_found"
    )


async def test_photos_are_numbered_from_one_with_the_after_photo_last(services: Services):
    made = await report(services)
    await sql(
        services,
        "UPDATE reports SET resolution_photo = 'after-1' WHERE id = ?",
        made.id,
    )
    assert await dashboard.photo(services, WORKER_G1, made.number, 1) == Done("before-1")
    assert await dashboard.photo(services, WORKER_G1, made.number, 2) == Done("after-1")
    assert await dashboard.photo(services, WORKER_G1, made.number, 3) == Refused(
        "dashboard.not_found"
    )


async def test_resolving_from_the_page_starts_the_cards_chat_flow(services: Services):
    made = await report(services)
    await accept(services, made.id, by=WORKER_G1, at=services.clock())
    outcome = await dashboard.start_resolve(
        services, made.number, by=WORKER_G1, at=services.clock()
    )
    draft = await services.drafts.get(WORKER_G1)

    assert isinstance(outcome, Done)
    assert draft is not None and (draft.flow, draft.step) == ("resolve", "photo")
    assert draft.data["report"] == made.id
    stored = await services.reports.get(made.id)
    assert stored is not None and stored.status is Status.ACCEPTED  # the photo comes in chat


async def test_resolving_another_grids_report_from_the_page_is_refused(services: Services):
    made = await report(services)
    outcome = await dashboard.start_resolve(
        services, made.number, by=WORKER_G2, at=services.clock()
    )
    assert isinstance(outcome, Refused) and outcome.key == "worker.not_allowed"
    assert await services.drafts.get(WORKER_G2) is None


@pytest.mark.parametrize("state", ["open", "accepted"])
async def test_an_admins_open_lists_read_the_deadline_index_and_still_filter(
    services: Services, state: str
):
    waiting, taken = await report(services, "B1"), await report(services, "B3")
    await accept(services, taken.id, by=WORKER_G2, at=services.clock())
    expected = {"open": {waiting.id, taken.id}, "accepted": {taken.id}}[state]
    assert set(await listed(services, ADMIN, Filters(state=state))) == expected
