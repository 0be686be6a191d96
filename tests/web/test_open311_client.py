"""A real Open311 client from PyPI (`georeport` 0.3) against a real uvicorn server serving the
Open311 routes on a free localhost port, on the services of the real Application (Harness).

georeport only reads (services, service definition, requests, one request): it has no call to
file a request, so the POST goes over plain HTTP (httpx) as the spec describes it, and the
worker's notice is then delivered through the Application like any other report's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from georeport import GeoReport
from starlette.applications import Starlette

from bot.metrics import Prometheus
from handlers.web import open311
from handlers.web.context import Web
from tests.conftest import WORKER_G1, Harness
from tests.open311_config import FAR_AWAY, KEY_C1, KEY_G2, NEAR_B1, add_open311


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return add_open311(config_path)


@pytest.fixture
async def root(harness: Harness) -> AsyncIterator[str]:
    """Serves the Open311 routes of a Web built from the harness's services with uvicorn on a
    free port of 127.0.0.1; yields the endpoint's root address."""
    web = Web(harness.services, harness.app, Prometheus(), harness.services.clock())
    app = Starlette(routes=open311.routes(web))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # bounded: returns as soon as uvicorn listens
        if server.started or serving.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}/open311/v2"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        sock.close()


async def test_georeport_reads_what_a_keyed_post_filed_and_the_worker_is_told_in_chat(
    root: str, harness: Harness
):
    client = GeoReport(root)
    async with httpx.AsyncClient() as http:
        posted = await http.post(
            f"{root}/requests.json",
            data={
                "api_key": KEY_C1,
                "service_code": "road",
                "lat": str(NEAR_B1[0]),
                "long": str(NEAR_B1[1]),
                "description": "路面塌陷一个坑",
            },
        )
    await harness.deliver()

    services = await asyncio.to_thread(client.get_service_list)
    definition = await asyncio.to_thread(client.get_service_definition, "road")
    requests = await asyncio.to_thread(client.get_service_requests, status="open")
    one = await asyncio.to_thread(client.get_service_request, "R000001")
    xml = await asyncio.to_thread(
        GeoReport(root, output_format="xml").get_service_request, "R000001"
    )

    assert posted.status_code == 201, posted.text
    assert posted.json()[0]["service_request_id"] == "R000001"
    assert "road" in [s["service_code"] for s in services]
    assert definition == {"service_code": "road", "attributes": []}
    assert [r["service_request_id"] for r in requests] == ["R000001"]
    assert one["service_code"] == "road" and one["status"] == "open"
    assert one["agency_responsible"] == "第一网格"
    assert "路面塌陷" not in str(one)  # public_description is off
    assert xml["service_request_id"] == "R000001" and xml["status"] == "open"
    assert any("R000001" in text for text in harness.texts_to(WORKER_G1))


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"api_key": None}, 403),
        ({"api_key": KEY_G2}, 403),
        ({"lat": "abc"}, 400),
        ({"lat": str(FAR_AWAY[0]), "long": str(FAR_AWAY[1])}, 400),
    ],
)
async def test_a_bad_post_over_http_is_refused_and_georeport_sees_nothing(
    root: str, harness: Harness, changes: dict, status: int
):
    data = {
        "api_key": KEY_C1,
        "service_code": "road",
        "lat": str(NEAR_B1[0]),
        "long": str(NEAR_B1[1]),
        "description": "路面塌陷",
    } | changes
    async with httpx.AsyncClient() as http:
        posted = await http.post(
            f"{root}/requests.json", data={k: v for k, v in data.items() if v is not None}
        )
    listed = await asyncio.to_thread(GeoReport(root).get_service_requests)
    huge = await asyncio.to_thread(
        httpx.get, f"{root}/requests.json", params={"page_size": "1000000000"}
    )

    assert posted.status_code == status
    assert posted.json()[0]["code"] == status
    assert listed == []
    assert huge.status_code == 400 and "100" in huge.json()[0]["description"]
    await harness.deliver()
    assert harness.texts_to(WORKER_G1) == []
