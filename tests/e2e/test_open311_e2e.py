"""Open311 GeoReport v2 on the real `griddesk run` process (issue 10 item 4): a 12345 hotline files
a report with its key, the grid worker gets the case card in chat and accepts it there, and the
public GETs follow it without personal data. Bad input gets the spec's error list and stores
nothing. One process serves every test of this file (none of them leaves a report behind but the
first, whose number each test reads from the database)."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from georeport import GeoReport

from tests.conftest import RESIDENT, WORKER_G1, WORKER_G2
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.e2e.web import Site, file_with_pin, serving
from tests.fakebotapi import FakeBotApi
from tests.open311_config import FAR_AWAY, KEY_C1, KEY_G2, NEAR_B1, add_open311

# One process for the file: its fixtures and tests share pytest-asyncio's module loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

DESCRIPTION = "1栋门口路面塌陷一个坑，电动车差点摔倒，联系电话13800138000"


@dataclass
class Office:
    fake: FakeBotApi
    griddesk: Griddesk
    root: str  # …/open311/v2

    def stored(self) -> tuple[int, int, int]:
        """What a refused request must not change: reports, their events, outbox rows."""
        return (
            self.griddesk.scalar("SELECT COUNT(*) FROM reports"),
            self.griddesk.scalar("SELECT COUNT(*) FROM report_events"),
            self.griddesk.scalar("SELECT COUNT(*) FROM outbox"),
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def office(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Office]:
    """The bot with [web] and two Open311 keys (C1's hotline, G2's platform), polling the fake."""
    async with serving(tmp_path_factory.mktemp("open311"), config=add_open311) as site:
        for staff in (WORKER_G1, WORKER_G2):  # staff must have started the bot
            site.fake.user(staff).send_text("/start")
            await site.fake.wait_for(lambda s=staff: site.fake.texts(s), what=f"{staff} started")
        yield Office(site.fake, site.griddesk, f"{site.base}/open311/v2")


def post(root: str, **fields: str | None) -> httpx.Response:
    data = {
        "api_key": KEY_C1,
        "service_code": "road",
        "lat": str(NEAR_B1[0]),
        "long": str(NEAR_B1[1]),
        "description": DESCRIPTION,
    } | fields
    return httpx.post(
        f"{root}/requests.json", data={k: v for k, v in data.items() if v is not None}, timeout=10
    )


async def filed(office: Office) -> str:
    """The case the hotline filed in the first test (filing it here if this test runs alone)."""
    number = office.griddesk.scalar(
        "SELECT id FROM reports WHERE json_extract(extra, '$.source') = 'open311'"
    )
    if number is not None:
        return f"R{number:06d}"
    response = await asyncio.to_thread(post, office.root)
    assert response.status_code == 201, response.text
    number_text: str = response.json()[0]["service_request_id"]
    return number_text


async def test_a_keyed_post_reaches_the_worker_who_accepts_in_chat_and_the_public_get_follows(
    office: Office,
) -> None:
    fake, griddesk, root = office.fake, office.griddesk, office.root
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))

    posted = await asyncio.to_thread(post, root)

    assert posted.status_code == 201, posted.text
    [answer] = posted.json()
    number = answer["service_request_id"]
    report_id = griddesk.scalar("SELECT id FROM reports WHERE reporter_id IS NULL")
    assert number == f"R{report_id:06d}"
    assert "1栋" in answer["service_notice"] and answer["account_id"] is None
    assert griddesk.scalar("SELECT unit FROM reports WHERE id = ?", (report_id,)) == "B1"

    # The grid worker of 1栋 gets the case card, as for a report from chat; the other grid not.
    card = await worker.wait_text(number)
    assert DESCRIPTION in card
    one = await asyncio.to_thread(GeoReport(root).get_service_request, number)
    assert one["status"] == "open" and one["status_notes"] == "待接单"
    assert one["service_code"] == "road" and one["agency_responsible"] == "第一网格"
    assert (one["lat"], one["long"]) == NEAR_B1
    assert "路面塌陷" not in str(one) and "13800138000" not in str(one)  # the text stays private
    assert not [text for text in fake.texts(WORKER_G2) if number in text]

    await worker.tap(f"report:accept:{report_id}")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "accepted",
        what="the case accepted",
    )
    async with httpx.AsyncClient(base_url=root, timeout=10) as web:
        accepted = (await web.get(f"/requests/{number}.json")).json()
        listed = (await web.get("/requests.json", params={"status": "open"})).json()
        as_xml = await web.get(f"/requests/{number}.xml")
        closed = (await web.get("/requests.json", params={"status": "closed"})).json()

    assert accepted[0]["status"] == "open" and accepted[0]["status_notes"] == "处置中"
    assert number in [r["service_request_id"] for r in listed]
    assert number not in [r["service_request_id"] for r in closed]
    assert as_xml.status_code == 200
    assert as_xml.headers["content-type"].startswith("text/xml")
    request = ET.fromstring(as_xml.content).find("request")
    assert request is not None
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "open" and request.findtext("status_notes") == "处置中"
    assert "13800138000" not in as_xml.text


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"api_key": None}, 403, "缺少 api_key"),
        ({"api_key": "not-a-key-of-this-office"}, 403, "api_key 无效"),
        ({"api_key": KEY_G2}, 403, "二网格平台"),  # 1栋 is in G1, outside G2's subtree
        ({"lat": str(FAR_AWAY[0]), "long": str(FAR_AWAY[1])}, 400, "超过 2 公里"),
        ({"lat": "北纬30度"}, 400, ""),
        ({"lat": "91"}, 400, ""),
        ({"long": None}, 400, ""),
    ],
    ids=["no-key", "unknown-key", "other-units-key", "out-of-area", "bad-lat", "lat-91", "no-long"],
)
async def test_a_refused_post_answers_the_spec_error_list_and_stores_nothing(
    office: Office, fields: dict[str, str | None], status: int, says: str
) -> None:
    await filed(office)
    before = office.stored()

    response = await asyncio.to_thread(post, office.root, **fields)

    assert response.status_code == status, response.text
    [error] = response.json()
    assert set(error) == {"code", "description"} and error["code"] == status
    assert says in error["description"]
    assert office.stored() == before


async def test_a_huge_page_size_is_refused_in_json_and_xml(office: Office) -> None:
    number = await filed(office)
    async with httpx.AsyncClient(base_url=office.root, timeout=10) as web:
        as_json = await web.get("/requests.json", params={"page_size": "1000000000"})
        as_xml = await web.get("/requests.xml", params={"page_size": "1000000000"})
        capped = await web.get("/requests.json", params={"page_size": "100"})

    assert as_json.status_code == 400
    [error] = as_json.json()
    assert error["code"] == 400 and "100" in error["description"]
    assert as_xml.status_code == 400
    errors = ET.fromstring(as_xml.content)
    assert errors.tag == "errors"
    assert errors.findtext("error/code") == "400" and "100" in errors.findtext(
        "error/description", ""
    )
    assert capped.status_code == 200
    assert number in [r["service_request_id"] for r in capped.json()]


async def test_a_report_filed_in_chat_with_a_pin_is_public_with_its_pin_and_nothing_personal(
    office: Office,
) -> None:
    site = Site(office.fake, office.griddesk, office.root.removesuffix("/open311/v2"))
    resident = Player(office.fake, office.fake.user(RESIDENT, "张三丰"))
    await register(resident, "第一网格", "2栋")
    pin = (30.60105, 114.30093)

    report_id = await file_with_pin(site, resident, *pin, text="2栋门口井盖松动，张三丰报")

    number = f"R{report_id:06d}"
    assert office.griddesk.scalar("SELECT unit FROM reports WHERE id = ?", (report_id,)) == "B2"
    answer = await asyncio.to_thread(GeoReport(office.root).get_service_request, number)
    assert (answer["lat"], answer["long"]) == pin
    assert answer["status"] == "open" and answer["description"] == "道路设施"
    assert "张三丰" not in str(answer) and "井盖" not in str(answer)
