"""handlers/web/open311.py through Starlette's TestClient on the services of a real SQLite file:
the GeoReport v2 endpoints in JSON and XML, the spec's error list, and bad input refused with
nothing stored."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.metrics import Prometheus
from bot.services import Services
from bot.usecases.reports import submit
from handlers.web import open311
from handlers.web.context import Web
from tests.conftest import RESIDENT
from tests.open311_config import FAR_AWAY, KEY_C1, KEY_G2, NEAR_B1, add_open311

BASE = "/open311/v2"


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_open311(config_path)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    app = Starlette(routes=open311.routes(Web(services, None, Prometheus(), services.clock())))
    with TestClient(app) as client:
        yield client


def form(**changes: object) -> dict:
    return {
        "api_key": KEY_C1,
        "service_code": "litter",
        "lat": str(NEAR_B1[0]),
        "long": str(NEAR_B1[1]),
        "description": "楼下垃圾桶满了",
        "email": "someone@example.com",
        "phone": "13900000000",
        "media_url": "http://192.0.2.1/never-fetched.jpg",
    } | changes


async def reports_stored(services: Services) -> int:
    row = await services.store.db.fetchone("SELECT COUNT(*) FROM reports")
    assert row is not None
    return int(row[0])


async def test_discovery_names_the_endpoint_and_both_formats(client: TestClient):
    body = client.get(f"{BASE}/discovery.json").json()
    root = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)

    (endpoint,) = body["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


async def test_services_are_the_categories_in_chinese_unless_english_is_asked(client: TestClient):
    zh = client.get(f"{BASE}/services.json").json()
    en = client.get(f"{BASE}/services.json?locale=en").json()
    accepted = client.get(f"{BASE}/services.json", headers={"Accept-Language": "en-GB,en;q=0.8"})
    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)

    assert [s["service_code"] for s in zh] == ["litter", "road", "property", "dispute", "safety"]
    assert zh[0] | {"description": "", "group": ""} == {
        "service_code": "litter",
        "service_name": "环境卫生",
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": "环境卫生,Litter and sanitation",
        "group": "",
    }
    assert en[0]["service_name"] == accepted.json()[0]["service_name"] == "Litter and sanitation"
    assert xml.findtext("service/service_name") == "环境卫生"
    assert xml.findtext("service/metadata") == "false"


async def test_a_service_definition_has_no_attributes_and_an_unknown_one_is_404(
    client: TestClient,
):
    known = client.get(f"{BASE}/services/litter.json")
    unknown = client.get(f"{BASE}/services/unicorns.xml")

    assert known.json() == {"service_code": "litter", "attributes": []}
    assert unknown.status_code == 404
    error = ET.fromstring(unknown.content).find("error")
    assert error is not None and error.findtext("code") == "404"
    assert "unicorns" in (error.findtext("description") or "")


async def test_a_keyed_post_files_a_report_and_the_public_get_shows_it_without_personal_data(
    client: TestClient, services: Services
):
    posted = client.post(f"{BASE}/requests.json", data=form())
    one = client.get(f"{BASE}/requests/R000001.json")
    listed = client.get(f"{BASE}/requests.xml")

    assert posted.status_code == 201
    (filed,) = posted.json()
    assert filed["service_request_id"] == "R000001"
    assert "R000001" in filed["service_notice"]
    (request,) = one.json()
    assert request["service_request_id"] == "R000001"
    assert (request["status"], request["service_code"]) == ("open", "litter")
    assert request["description"] == "环境卫生"  # public_description is off by default
    assert request["agency_responsible"] == "第一网格"
    assert [request["lat"], request["long"]] == list(NEAR_B1)
    assert request["requested_datetime"].endswith("+08:00")
    for private in ("楼下垃圾桶", "13900000000", "someone@example.com", "never-fetched"):
        assert private not in one.text and private not in listed.text
    root = ET.fromstring(listed.content)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == "R000001"
    report = await services.reports.get(1)
    assert report is not None and report.extra == {"source": "open311", "key": "12345热线"}


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"api_key": ""}, 403, "api_key is missing"),
        ({"api_key": "someone-elses-key-xyz"}, 403, "not valid"),
        ({"api_key": KEY_G2}, 403, "outside the area"),  # 1栋 is in the first grid
        ({"lat": "north"}, 400, "not valid coordinates"),
        ({"lat": "1e999"}, 400, "not valid coordinates"),
        ({"lat": "95"}, 400, "not valid coordinates"),
        ({"lat": str(FAR_AWAY[0]), "long": str(FAR_AWAY[1])}, 400, "outside the area"),
        ({"lat": ""}, 400, "lat and long are missing"),
        ({"service_code": "unicorns"}, 400, "Unknown service_code"),
        ({"description": ""}, 400, "description is missing"),
        ({"description": "x" * 1001}, 400, "at most 1000"),
    ],
)
async def test_a_bad_post_gets_the_spec_error_list_and_stores_nothing(
    client: TestClient, services: Services, changes: dict, status: int, words: str
):
    answer = client.post(f"{BASE}/requests.json?locale=en", data=form(**changes))

    assert answer.status_code == status
    (error,) = answer.json()
    assert error["code"] == status
    assert words in error["description"]
    assert await reports_stored(services) == 0


async def test_a_key_in_the_url_is_not_taken(client: TestClient, services: Services):
    fields = {k: v for k, v in form().items() if k != "api_key"}

    answer = client.post(f"{BASE}/requests.json?api_key={KEY_C1}", data=fields)

    assert answer.status_code == 403
    assert await reports_stored(services) == 0


async def test_a_post_without_a_form_body_is_a_clear_400(client: TestClient, services: Services):
    answer = client.post(
        f"{BASE}/requests.xml",
        content=b"\xff\xfe not a form",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )

    assert answer.status_code == 400
    assert ET.fromstring(answer.content).findtext("error/code") == "400"
    assert await reports_stored(services) == 0


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("page_size=1000000000", "page_size must be between 1 and 100"),
        ("page_size=ten", "page_size is not a valid number"),
        ("page=0", "page must be between"),
        ("status=pending", "Unknown status"),
        ("start_date=yesterday", "start_date is not a valid ISO 8601"),
        ("end_date=9999-12-31T23:59:59", "end_date is not a valid ISO 8601"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "at most 90 days"),
        ("service_code=litter,unicorns", "Unknown service_code: unicorns"),
    ],
)
async def test_a_bad_query_is_a_400_in_the_spec_error_format(
    client: TestClient, query: str, words: str
):
    answer = client.get(f"{BASE}/requests.json?locale=en&{query}")

    assert answer.status_code == 400
    (error,) = answer.json()
    assert error["code"] == 400 and words in error["description"]


async def test_filters_and_paging_reach_the_list(client: TestClient, services: Services):
    for category in ("litter", "road", "litter"):
        await submit(
            services,
            reporter_id=RESIDENT,
            entered_by=None,
            category=category,
            unit="B2",
            description="…",
            photos=[],
        )

    litter = client.get(f"{BASE}/requests.json?service_code=litter").json()
    page_2 = client.get(f"{BASE}/requests.json?page_size=2&page=2").json()
    closed = client.get(f"{BASE}/requests.json?status=closed").json()
    dated = client.get(f"{BASE}/requests.json?start_date=2026-11-24T10:00:00+08:00").json()
    before = client.get(f"{BASE}/requests.json?end_date=2026-11-24T09:59:59%2B08:00").json()

    assert sorted(r["service_request_id"] for r in litter) == ["R000001", "R000003"]
    assert [r["service_request_id"] for r in page_2] == ["R000001"]
    assert closed == []
    assert len(dated) == 3
    assert before == []


async def test_an_unknown_request_or_format_is_an_error_not_a_crash(client: TestClient):
    missing = client.get(f"{BASE}/requests/R000042.json")
    csv = client.get(f"{BASE}/requests.csv")
    nowhere = client.get(f"{BASE}/tokens/1.xml")

    assert nowhere.status_code == 404
    assert ET.fromstring(nowhere.content).findtext("error/code") == "404"
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert csv.status_code == 400 and csv.json()[0]["code"] == 400


async def test_a_description_with_control_characters_is_still_well_formed_xml(
    client: TestClient, services: Services
):
    services.settings.open311.public_description = True
    posted = client.post(f"{BASE}/requests.json", data=form(description="坑\x0b深\x01 <b>&"))

    answer = client.get(f"{BASE}/requests/R000001.xml")

    assert posted.status_code == 201
    assert ET.fromstring(answer.content).findtext("request/description") == "坑深 <b>&"
    assert (
        client.get(f"{BASE}/requests/R000001.json").json()[0]["description"] == "坑\x0b深\x01 <b>&"
    )


async def test_a_local_time_with_a_space_before_the_clock_is_read_in_the_office_zone(
    client: TestClient, services: Services
):
    await submit(
        services,
        reporter_id=RESIDENT,
        entered_by=None,
        category="road",
        unit="B2",
        description="…",
        photos=[],
    )  # at 2026-11-24 10:00 in Shanghai

    after = client.get(f"{BASE}/requests.json", params={"start_date": "2026-11-24 10:00:01"})
    at = client.get(f"{BASE}/requests.json", params={"start_date": "2026-11-24 10:00:00"})

    assert after.json() == []
    assert [r["service_request_id"] for r in at.json()] == ["R000001"]
