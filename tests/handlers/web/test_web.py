"""The web app (handlers/web) on the real Application and a real SQLite file, through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_web, webhook_secrets
from bot.metrics import Prometheus
from bot.usecases import reports
from handlers.web import metrics as web_metrics
from handlers.web.context import Webhook
from tests import updates
from tests.conftest import RESIDENT, Harness

HOOK = Webhook("the-secret-path", "the-secret-token")
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Site:
    client: httpx.AsyncClient
    harness: Harness
    metrics: Prometheus
    woken: list[int]

    async def inbox(self) -> dict[str, int]:
        return await self.harness.services.inbox.counts()


@pytest.fixture
async def site(harness: Harness) -> AsyncIterator[Site]:
    metrics = Prometheus()
    harness.services.metrics = metrics
    woken: list[int] = []
    app = build_web(
        harness.app,
        harness.services,
        metrics,
        started=harness.clock(),
        webhook=HOOK,
        wake=lambda: woken.append(1),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://griddesk") as client:
        yield Site(client, harness, metrics, woken)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def update(update_id: int, text: str = "/start") -> dict[str, Any]:
    payload = updates.text(RESIDENT, text)
    payload["update_id"] = update_id
    return payload


async def test_healthz_answers_alive(site: Site) -> None:
    response = await site.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_is_ready_then_503_when_the_inbox_backlog_grows_old(site: Site) -> None:
    response = await site.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    await site.harness.services.inbox.store([update(7)], site.harness.clock())
    site.harness.clock.advance(seconds=60)
    body = (await site.client.get("/readyz")).json()
    assert body["inbox"] == {"backlog": 1, "oldest_age_seconds": 60}
    site.harness.clock.advance(seconds=61)  # past [web] ready_inbox_age (120 s)
    response = await site.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["inbox"]


async def test_readyz_of_an_instance_that_does_not_sweep_follows_the_recorded_passes(
    site: Site,
) -> None:
    # several instances on one PostgreSQL: this one does not lead "sweeps" and never ends a
    # pass itself; the leader records each of its passes in the database
    clock = site.harness.clock
    clock.advance(seconds=601)  # past [web] ready_sweep_age (600 s) since the start
    response = await site.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["sweeps"]
    await site.harness.services.store.web.sweeps_passed(clock() - timedelta(seconds=30))
    response = await site.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["sweeps"] == {"last_pass_age_seconds": 30, "ran": True}
    clock.advance(seconds=571)  # the leader stalled: its last pass is 601 s old
    response = await site.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["sweeps"]


async def test_readyz_is_503_when_the_database_is_gone(site: Site) -> None:
    await site.harness.services.store.close()
    response = await site.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "database": "unreachable",
        "failing": ["database"],
    }
    assert (await site.client.get("/healthz")).status_code == 200  # alive all the same
    metrics = samples((await site.client.get("/metrics")).text)
    assert metrics[("griddesk_database_up", ())] == 0


async def test_metrics_count_reports_by_state_and_tier_and_the_overdue(site: Site) -> None:
    services = site.harness.services
    for _ in range(2):
        await reports.submit(
            services,
            reporter_id=RESIDENT,
            entered_by=None,
            category="litter",
            unit="G1",
            description="楼道堆放杂物",
            photos=[],
        )
    response = await site.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("griddesk_reports", (("state", "open"), ("tier", "grid")))] == 2
    assert found[("griddesk_reports_overdue", ())] == 0
    assert found[("griddesk_outbox_backlog", ())] >= 2  # the notices, not yet sent
    assert "楼道" not in response.text and str(RESIDENT) not in response.text
    site.harness.clock.advance(days=30)
    cached = samples((await site.client.get("/metrics")).text)  # within FRESH_SECONDS: shared
    assert cached[("griddesk_reports_overdue", ())] == 0
    site.metrics.refreshed_at -= web_metrics.FRESH_SECONDS
    found = samples((await site.client.get("/metrics")).text)
    assert found[("griddesk_reports_overdue", ())] == 2


async def test_webhook_stores_an_update_once_and_wakes_the_processor(site: Site) -> None:
    path = f"/telegram/{HOOK.path}"
    headers = {HEADER: HOOK.secret}
    response = await site.client.post(path, json=update(11), headers=headers)
    assert response.status_code == 200
    assert await site.inbox() == {"new": 1}
    assert site.woken == [1]
    again = await site.client.post(path, json=update(11), headers=headers)  # a redelivery
    assert again.status_code == 200
    assert await site.inbox() == {"new": 1}
    found = samples((await site.client.get("/metrics")).text)
    assert found[("griddesk_updates_received_total", ())] == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {HEADER: "wrong"}, {HEADER: HOOK.secret + "x"}, {HEADER: ""}],
    ids=["missing", "wrong", "longer", "empty"],
)
async def test_webhook_without_the_secret_is_403_and_stores_nothing(
    site: Site, headers: dict[str, str]
) -> None:
    response = await site.client.post(f"/telegram/{HOOK.path}", json=update(12), headers=headers)
    assert response.status_code == 403
    assert await site.inbox() == {}
    assert site.woken == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "12"}', b'{"update_id": -1}'],
    ids=["text", "list", "no id", "string id", "negative id"],
)
async def test_webhook_rejects_what_is_not_an_update(site: Site, body: bytes) -> None:
    response = await site.client.post(
        f"/telegram/{HOOK.path}", content=body, headers={HEADER: HOOK.secret}
    )
    assert response.status_code == 400
    assert await site.inbox() == {}


async def test_webhook_on_another_path_or_method_is_not_found(site: Site) -> None:
    headers = {HEADER: HOOK.secret}
    wrong = await site.client.post("/telegram/guess", json=update(13), headers=headers)
    assert wrong.status_code == 404
    get = await site.client.get(f"/telegram/{HOOK.path}", headers=headers)
    assert get.status_code == 405
    assert await site.inbox() == {}


async def test_polling_mode_has_no_webhook_route(harness: Harness) -> None:
    app = build_web(
        harness.app, harness.services, Prometheus(), started=harness.clock(), webhook=None,
        wake=lambda: None,
    )  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://griddesk") as client:
        response = await client.post(f"/telegram/{HOOK.path}", json=update(14))
    assert response.status_code == 404


async def test_webhook_secrets_are_generated_once_and_kept(harness: Harness) -> None:
    first = await webhook_secrets(harness.services)
    second = await webhook_secrets(harness.services)
    assert first == second
    assert len(first.path) >= 32 and len(first.secret) >= 43
    assert first.path != first.secret
