"""bot/usecases/open311.py on a real SQLite file: filing through reports.submit, the public
view of a report, the filters and paging of the requests list, and every bad filing refused with
nothing stored."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.access import Rule
from bot.domain.reports import Status
from bot.services import Services
from bot.usecases import open311
from bot.usecases.reports import submit
from bot.usecases.results import Done, Refused
from tests.conftest import RESIDENT, WORKER_G1
from tests.fakes import FakeClock
from tests.open311_config import FAR_AWAY, KEY_C1, KEY_G2, NEAR_B1, NEAR_B3, add_open311


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_open311(config_path)


async def count(services: Services, table: str) -> int:
    row = await services.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def file(services: Services, **changes: object) -> Done[open311.Filed] | Refused:
    given: dict = {
        "api_key": KEY_C1,
        "service_code": "litter",
        "lat": NEAR_B1[0],
        "lon": NEAR_B1[1],
        "description": "3号楼门口垃圾堆了三天",
        "lang": "zh",
    }
    return await open311.file_request(services, **(given | changes))


async def resident_report(services: Services, **changes: object):
    given: dict = {
        "reporter_id": RESIDENT,
        "entered_by": None,
        "category": "litter",
        "unit": "B1",
        "description": "我家门口有垃圾，电话 13912345678",
        "photos": ["photo-of-my-door"],
        "contact": "13912345678",
    }
    return await submit(services, **(given | changes))


async def test_a_filed_request_is_routed_to_the_nearest_buildings_grid_and_its_worker_is_told(
    services: Services,
):
    result = await file(services)

    assert isinstance(result, Done)
    assert result.value.service_request_id == "R000001"
    assert "R000001" in result.value.service_notice
    report = await services.reports.get(1)
    assert report is not None
    assert (report.unit, report.holder_unit, report.status) == ("B1", "G1", Status.OPEN)
    assert (report.reporter_id, report.entered_by) == (None, None)
    assert report.extra == {"source": "open311", "key": "12345热线"}
    assert (report.lat, report.lon) == NEAR_B1
    assert report.due_at is not None  # the accept clock runs as for a report from chat
    rows = await services.store.db.fetchall("SELECT chat_id FROM outbox")
    assert WORKER_G1 in {row[0] for row in rows}


@pytest.mark.parametrize(
    ("changes", "key", "rule"),
    [
        ({"api_key": None}, "open311.no_key", None),
        ({"api_key": ""}, "open311.no_key", None),
        ({"api_key": "not-a-key-at-all-000"}, "open311.bad_key", None),
        ({"api_key": KEY_G2}, "open311.outside_key", Rule.OPEN311_FILE),  # B1 is in G1
        ({"service_code": "unicorns"}, "open311.unknown_service", None),
        ({"service_code": None}, "open311.unknown_service", None),
        ({"description": "   "}, "open311.no_description", None),
        ({"description": "长" * 1001}, "open311.long_description", None),
        ({"lat": None}, "open311.no_location", None),
        ({"lat": 91.0}, "open311.bad_location", None),
        ({"lon": -181.0}, "open311.bad_location", None),
        ({"lat": float("nan")}, "open311.bad_location", None),
        ({"lat": FAR_AWAY[0], "lon": FAR_AWAY[1]}, "open311.out_of_area", None),
    ],
)
async def test_a_bad_filing_is_refused_by_name_and_stores_nothing(
    services: Services, changes: dict, key: str, rule: Rule | None
):
    result = await file(services, **changes)

    assert isinstance(result, Refused)
    assert (result.key, result.rule) == (key, rule)
    assert services.texts(key, "en", **{k: str(v) for k, v in result.params.items()})
    for table in ("reports", "report_events", "outbox"):
        assert await count(services, table) == 0, table


async def test_a_grid_key_files_inside_its_grid(services: Services):
    result = await file(services, api_key=KEY_G2, lat=NEAR_B3[0], lon=NEAR_B3[1])

    assert isinstance(result, Done)
    report = await services.reports.get(1)
    assert report is not None and (report.unit, report.holder_unit) == ("B3", "G2")


async def test_the_public_view_has_no_reporter_phone_photo_or_free_text_by_default(
    services: Services,
):
    await resident_report(services)

    result = await open311.list_requests(services, at=services.clock(), lang="zh")

    assert isinstance(result, Done)
    (request,) = result.value
    assert request.service_request_id == "R000001"
    assert (request.status, request.service_code, request.service_name) == (
        "open",
        "litter",
        "环境卫生",
    )
    assert request.description == "环境卫生"  # the category's name, not the resident's text
    assert request.agency_responsible == "第一网格"
    assert request.address == "青山街道 / 春晖社区 / 第一网格 / 1栋"
    assert (request.lat, request.long) == (30.6, 114.3)  # no pin: the building's coordinates
    assert request.requested_datetime.utcoffset() == timedelta(hours=8)
    assert request.expected_datetime is not None
    shown = json.dumps(asdict(request), ensure_ascii=False, default=str)
    for private in ("13912345678", "我家门口", "photo-of-my-door", str(RESIDENT)):
        assert private not in shown


async def test_the_description_and_official_reply_show_when_the_office_allows_it(
    services: Services,
):
    report = await resident_report(services, description="路灯坏了", lat=30.61, lon=114.31)
    async with services.store.db.transaction() as conn:
        await conn.execute(
            "UPDATE reports SET status = 'closed', resolution_note = '已更换灯泡' WHERE id = ?",
            (report.id,),
        )
    services.settings.open311.public_description = True

    result = await open311.request_of(services, "R000001", lang="en")

    assert isinstance(result, Done)
    assert result.value.description == "路灯坏了"
    assert result.value.status == "closed"
    assert result.value.status_notes == "Closed: 已更换灯泡"
    assert (result.value.lat, result.value.long) == (30.61, 114.31)  # the report's own pin


@pytest.mark.parametrize(
    ("states", "numbers"),
    [
        ((), ["R000004", "R000003", "R000002", "R000001"]),
        (("open",), ["R000002", "R000001"]),
        (("closed",), ["R000004", "R000003"]),
        (("open", "closed"), ["R000004", "R000003", "R000002", "R000001"]),
    ],
)
async def test_status_open_is_open_or_accepted_and_merged_counts_as_closed(
    services: Services, clock: FakeClock, states: tuple[str, ...], numbers: list[str]
):
    for _ in range(4):
        await resident_report(services)
        clock.advance(minutes=1)
    async with services.store.db.transaction() as conn:
        await conn.execute("UPDATE reports SET status = 'accepted' WHERE id = 2")
        await conn.execute("UPDATE reports SET status = 'merged' WHERE id = 3")
        await conn.execute("UPDATE reports SET status = 'resolved' WHERE id = 4")

    result = await open311.list_requests(services, at=clock(), lang="zh", states=states)

    assert isinstance(result, Done)
    assert [r.service_request_id for r in result.value] == numbers


async def test_without_dates_the_list_is_the_last_90_days_by_the_bots_clock(
    services: Services, clock: FakeClock
):
    await resident_report(services)
    made = clock()
    clock.advance(days=91)
    await resident_report(services, category="road")

    recent = await open311.list_requests(services, at=clock(), lang="zh")
    then = await open311.list_requests(services, at=clock(), lang="zh", start=made)
    road = await open311.list_requests(services, at=clock(), lang="zh", service_codes=("litter",))

    assert isinstance(recent, Done) and isinstance(then, Done) and isinstance(road, Done)
    assert [r.service_request_id for r in recent.value] == ["R000002"]
    assert [r.service_request_id for r in then.value] == ["R000001"]
    assert road.value == []


async def test_pages_go_newest_first_without_overlap(services: Services, clock: FakeClock):
    for _ in range(5):
        await resident_report(services)
        clock.advance(seconds=1)

    pages = []
    for page in (1, 2, 3, 4):
        result = await open311.list_requests(
            services, at=clock(), lang="zh", page=page, page_size=2
        )
        assert isinstance(result, Done)
        pages.append([r.service_request_id for r in result.value])

    assert pages == [["R000005", "R000004"], ["R000003", "R000002"], ["R000001"], []]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"page_size": 1_000_000_000}, "open311.page_size"),
        ({"page_size": 0}, "open311.page_size"),
        ({"page": 0}, "open311.page"),
        ({"states": ("pending",)}, "open311.unknown_status"),
        ({"service_codes": ("litter", "unicorns")}, "open311.unknown_service"),
        ({"start": "later", "end": "earlier"}, "open311.dates_reversed"),
        ({"start": "earlier", "end": "much later"}, "open311.dates_span"),
    ],
)
async def test_a_bad_query_is_refused_with_a_clear_reason(
    services: Services, clock: FakeClock, query: dict, key: str
):
    times = {"earlier": clock(), "later": clock() + timedelta(days=1)}
    times["much later"] = clock() + timedelta(days=91)
    query = {k: times.get(v, v) if isinstance(v, str) else v for k, v in query.items()}

    result = await open311.list_requests(services, at=clock(), lang="en", **query)

    assert isinstance(result, Refused)
    assert result.key == key


@pytest.mark.parametrize("number", ["R000009", "R", "abc", "R-1", "R１２３"])
async def test_an_unknown_or_malformed_number_is_no_request(services: Services, number: str):
    await resident_report(services)

    result = await open311.request_of(services, number, lang="zh")

    assert isinstance(result, Refused) and result.key == "open311.unknown_request"


async def test_a_number_is_found_with_or_without_its_letter(services: Services):
    await resident_report(services)

    for number in ("R000001", "r1", "1"):
        result = await open311.request_of(services, number, lang="zh")
        assert isinstance(result, Done) and result.value.service_request_id == "R000001"
