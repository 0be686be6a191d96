"""handlers/web/guard.py: a flood of web requests is held to a few places and public clients to
their rate, each refusal in its route group's own format with Retry-After; the webhook and
/healthz are never held back. Through httpx's ASGI transport in the test's event loop, so held
requests really wait; the clock of the rate limit is the test's."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.metrics import Prometheus
from bot.services import Services
from handlers.web import guard, health, metrics, open311, pages, server, webhook
from handlers.web.context import Web, Webhook
from handlers.web.guard import Guard

HOOK = Webhook(path="hook-path", secret="hook-secret")
SERVICES_JSON = "/open311/v2/services.json"


class Held:
    """A test page that waits until released: it keeps a place taken."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0

    async def page(self, request: Request) -> Response:
        self.running += 1
        await self.release.wait()
        return PlainTextResponse("done")


def use(services: Services, monkeypatch: pytest.MonkeyPatch, **web: Any) -> None:
    settings = services.settings
    changed = settings.web.model_copy(update={"listen": "127.0.0.1:8080", **web})
    monkeypatch.setattr(services, "settings", settings.model_copy(update={"web": changed}))


class Site:
    def __init__(self, services: Services, held: Held, clock: Callable[[], float]):
        self.web = Web(services, None, Prometheus(), services.clock(), webhook=HOOK)  # type: ignore[arg-type]
        routes = [Route("/held", held.page)]
        for group in (health.routes, metrics.routes, webhook.routes, open311.routes, pages.routes):
            routes += group(self.web)
        self.paused: list[float] = []  # the pause before each refusal, not waited here
        self.guard = Guard(Starlette(routes=routes), self.web, clock=clock, pause=self.pause)

    async def pause(self, seconds: float) -> None:
        self.paused.append(seconds)

    def client(self, address: str = "192.0.2.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.guard, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def held() -> Held:
    return Held()


@pytest.fixture
def ticks() -> Clock:
    """The guard's monotonic seconds (the bot's own clock is the `clock` fixture)."""
    return Clock()


async def full(site: Site, held: Held) -> AsyncIterator[list[asyncio.Task[httpx.Response]]]:
    """Takes busy_limit=1 place and the busy_queue=1 wait with two held requests."""
    client = site.client()
    tasks = [asyncio.create_task(client.get("/held")) for _ in range(2)]
    for _ in range(500):
        if held.running == 1 and site.guard.places.waiting == 1:
            break
        await asyncio.sleep(0.01)
    assert (held.running, site.guard.places.waiting) == (1, 1)
    yield tasks
    held.release.set()
    answers = await asyncio.gather(*tasks)
    assert [a.status_code for a in answers] == [200, 200]  # the queued one was served after all
    await client.aclose()


@pytest.fixture
async def busy(services, monkeypatch, held, ticks) -> AsyncIterator[Site]:
    use(services, monkeypatch, busy_limit=1, busy_queue=1, busy_retry_after=7)
    site = Site(services, held, ticks)
    async for _ in full(site, held):
        yield site


async def test_beyond_the_places_and_the_queue_open311_answers_the_spec_s_error_list(busy: Site):
    async with busy.client() as client:
        as_json = await client.get(SERVICES_JSON, headers={"Accept-Language": "en"})
        as_xml = await client.get("/open311/v2/requests.xml?locale=en")

    assert as_json.status_code == 503 and as_json.headers["retry-after"] == "7"
    assert as_json.headers["content-type"].startswith("application/json")
    busy_text = "The service is busy; try again in 7 s."
    assert as_json.json() == [{"code": 503, "description": busy_text}]
    assert as_xml.status_code == 503 and as_xml.headers["retry-after"] == "7"
    root = ET.fromstring(as_xml.content)
    assert root.tag == "errors" and root.findtext("error/code") == "503"
    assert root.findtext("error/description") == busy_text


async def test_beyond_them_a_dashboard_page_is_a_503_page_and_metrics_a_503_text(busy: Site):
    async with busy.client() as client:
        page = await client.get("/cases", headers={"Accept-Language": "zh-CN"})
        scrape = await client.get("/metrics")
        ready = await client.get("/readyz")

    assert page.status_code == 503 and page.headers["retry-after"] == "7"
    assert page.headers["content-type"].startswith("text/html")
    assert "系统繁忙，请 7 秒后重试。" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert scrape.status_code == 503 and scrape.headers["retry-after"] == "7"
    assert scrape.headers["content-type"].startswith("text/plain")
    assert (ready.status_code, ready.json()) == (503, {"status": "busy"})
    assert busy.paused == [1.0, 1.0, 1.0]  # each refusal waited (at most 1 s) before its answer
    assert b'griddesk_web_refused_total{status="503"} 3.0' in busy.web.metrics.render()


async def test_healthz_static_and_the_webhook_are_answered_while_every_place_is_taken(
    busy: Site, services: Services
):
    update = {"update_id": 777001, "message": {"message_id": 1, "date": 0, "chat": {"id": 5}}}
    async with busy.client() as client:
        alive = await client.get("/healthz")
        style = await client.get("/static/dashboard.css")
        stored = await client.post(
            f"/telegram/{HOOK.path}",
            content=json.dumps(update),
            headers={webhook.SECRET_HEADER: HOOK.secret},
        )
    row = await services.store.db.fetchone(
        "SELECT COUNT(*) FROM inbox WHERE update_id = ?", (777001,)
    )

    assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
    assert style.status_code == 200
    assert (stored.status_code, stored.json()) == (200, {"ok": True})
    assert row is not None and row[0] == 1


async def test_a_request_waiting_in_the_queue_is_served_once_a_place_is_free(
    services, monkeypatch, held, ticks
):
    use(services, monkeypatch, busy_limit=1, busy_queue=1)
    site = Site(services, held, ticks)
    async for tasks in full(site, held):
        assert not any(task.done() for task in tasks)
    # full() checked that both held requests (one of them queued) were answered 200


async def test_a_client_over_its_rate_gets_429_with_retry_after_until_its_bucket_refills(
    services, monkeypatch, held, ticks
):
    use(services, monkeypatch, public_rate=0.5, public_burst=2)
    site = Site(services, held, ticks)
    async with site.client("192.0.2.1") as one, site.client("192.0.2.2") as other:
        served = [(await one.get(SERVICES_JSON)).status_code for _ in range(2)]
        over = await one.get(SERVICES_JSON, headers={"Accept-Language": "en"})
        over_xml = await one.get("/open311/v2/services.xml?locale=en")
        scrape = await one.get("/metrics")
        another = await other.get(SERVICES_JSON)
        ticks.now += 1.9  # not yet a whole token back
        still = await one.get(SERVICES_JSON)
        ticks.now += 0.1
        again = await one.get(SERVICES_JSON)
        after = await one.get(SERVICES_JSON)

    assert served == [200, 200]
    assert over.status_code == 429 and over.headers["retry-after"] == "2"
    assert over.json() == [
        {"code": 429, "description": "Too many requests from this address; try again in 2 s."}
    ]
    assert over_xml.status_code == 429
    assert ET.fromstring(over_xml.content).findtext("error/code") == "429"
    assert scrape.status_code == 429 and scrape.headers["retry-after"] == "2"
    assert another.status_code == 200
    assert still.status_code == 429 and still.headers["retry-after"] == "1"
    assert (again.status_code, after.status_code) == (200, 429)
    assert site.paused == [1.0, 1.0, 1.0, 1.0, 1.0]  # over, over_xml, scrape, still, after


async def test_past_the_paused_refusals_a_refusal_is_answered_at_once(
    services, monkeypatch, held, ticks
):
    monkeypatch.setattr(guard, "PAUSED", 0)
    use(services, monkeypatch, public_rate=0.001, public_burst=1)
    site = Site(services, held, ticks)
    async with site.client() as client:
        answers = [(await client.get(SERVICES_JSON)).status_code for _ in range(3)]

    assert answers == [200, 429, 429] and site.paused == []


async def test_the_rate_limit_spares_staff_pages_filing_and_the_webhook(
    services, monkeypatch, held, ticks
):
    use(services, monkeypatch, public_rate=0.001, public_burst=1)
    site = Site(services, held, ticks)
    async with site.client() as client:
        first = await client.get(SERVICES_JSON)
        limited = await client.get(SERVICES_JSON)
        pages_seen = [(await client.get("/cases")).status_code for _ in range(3)]
        filed = [(await client.post("/open311/v2/requests.json")).status_code for _ in range(3)]
        hooks = [
            (
                await client.post(
                    f"/telegram/{HOOK.path}",
                    content=json.dumps({"update_id": 778000 + n}),
                    headers={webhook.SECRET_HEADER: HOOK.secret},
                )
            ).status_code
            for n in range(3)
        ]

    assert (first.status_code, limited.status_code) == (200, 429)
    assert pages_seen == [404, 404, 404]  # not held back (no such page in this app)
    assert filed == [403, 403, 403]  # the spec's "no api_key", never 429
    assert hooks == [200, 200, 200]


async def test_with_no_bound_and_no_rate_nothing_is_held_back(services, monkeypatch, held, ticks):
    use(services, monkeypatch, busy_limit=0, public_rate=0, public_burst=1)
    site = Site(services, held, ticks)
    async with site.client() as client:
        waiting = [asyncio.create_task(client.get("/held")) for _ in range(5)]
        for _ in range(500):
            if held.running == 5:
                break
            await asyncio.sleep(0.01)
        answers = [(await client.get(SERVICES_JSON)).status_code for _ in range(5)]
        held.release.set()
        done = [answer.status_code for answer in await asyncio.gather(*waiting)]

    assert held.running == 5
    assert answers == [200] * 5 and done == [200] * 5


# Through server.build: the guard is in every app, and X-Forwarded-For counts only from a proxy


def built(services: Services, monkeypatch: pytest.MonkeyPatch) -> httpx.AsyncClient:
    monkeypatch.setattr(guard, "PAUSE", 0.0)  # the real pause is asyncio.sleep here
    web = Web(services, None, Prometheus(), services.clock())  # type: ignore[arg-type]
    app = server.build(web, [health.routes, open311.routes])
    transport = httpx.ASGITransport(app=app, client=("10.0.0.5", 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def statuses(client: httpx.AsyncClient, forwarded_for: str, times: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    return [(await client.get(SERVICES_JSON, headers=headers)).status_code for _ in range(times)]


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(services, monkeypatch):
    use(services, monkeypatch, public_rate=0.001, public_burst=1)
    async with built(services, monkeypatch) as client:
        first = await statuses(client, "198.51.100.1", 2)
        forged = await statuses(client, "198.51.100.2", 1)  # a new address, made up

    assert first == [200, 429] and forged == [429]


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate(services, monkeypatch):
    use(services, monkeypatch, public_rate=0.001, public_burst=1, trusted_proxies=["10.0.0.0/24"])
    async with built(services, monkeypatch) as client:
        first = await statuses(client, "198.51.100.1", 2)
        second = await statuses(client, "198.51.100.2", 2)
        # what the client put before the proxy's own entry is not trusted
        chained = await statuses(client, "203.0.113.9, 198.51.100.1", 1)

    assert first == [200, 429] and second == [200, 429] and chained == [429]


@pytest.mark.parametrize(
    ("path", "held", "public"),
    [
        ("/telegram/anything", False, False),
        ("/healthz", False, False),
        ("/static/dashboard.css", False, False),
        ("/open311/v2/requests.json", True, True),
        ("/metrics", True, True),
        ("/readyz", True, False),
        ("/cases/R000001", True, False),
        ("/", True, False),
        ("/healthzz", True, False),
        ("/metrics/x", True, False),
    ],
)
def test_each_path_falls_in_its_route_group(path, held, public):
    group = guard.group_of(path)

    assert (group.held, group.public) == (held, public)
