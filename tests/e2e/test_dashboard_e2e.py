"""The case pages against the real `griddesk run` process and the fake Bot API over HTTP: a
resident files a report with photos in chat; the pages (served here on the process's database,
with a test viewer until the login's session middleware lands) fetch its photos through the
fake's real getFile and download, and a page's accept reaches the resident in chat, sent by the
running bot from the shared outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot import settings as settings_module
from bot.app import build_application, initialize, shutdown
from bot.metrics import Prometheus
from handlers.web import dashboard, pages, server
from handlers.web.context import Web
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.e2e.test_web_e2e import RESIDENT, file_report, web_on
from tests.fakebotapi import FakeBotApi
from tests.web.test_dashboard_pages import AsViewer, Site

WORKER_G1 = 101


@pytest.fixture
async def site(fake: FakeBotApi, griddesk: Griddesk) -> AsyncIterator[Site]:
    web_on(griddesk)
    await griddesk.start()
    settings = settings_module.load(griddesk.config)
    app = build_application(settings, token=settings.telegram.token, api_url=fake.api_url)
    await initialize(app)
    try:
        web = Web(app.bot_data["services"], app, Prometheus(), datetime.now(UTC))
        served = server.build(web, [pages.routes, dashboard.routes])
        served.user_middleware.clear()  # AsViewer stands in for the session middleware
        gate = AsViewer(served)
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Site(None, client, gate, services=web.services)  # type: ignore[arg-type]
    finally:
        await shutdown(app)


async def test_photos_come_through_getfile_and_an_accept_reaches_the_resident(
    fake: FakeBotApi, griddesk: Griddesk, site: Site
) -> None:
    report_id = await file_report(fake, griddesk)
    number = f"R{report_id:06d}"
    first_photo = griddesk.scalar(
        "SELECT file_id FROM report_photos WHERE report_id = ? ORDER BY position", (report_id,)
    )
    await site.as_(WORKER_G1)

    listed = await site.get("/cases")
    photo = await site.get(f"/cases/{number}/photos/1")
    assert number in listed.text
    assert photo.status_code == 200 and photo.content == fake.files[first_photo].content
    assert photo.headers["content-type"] == "image/jpeg"
    assert "123456:TEST-TOKEN" not in photo.text

    await site.post(f"/cases/{number}/accept")
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "accepted",
        what="the report accepted",
    )
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    await resident.wait_text("已由网格员接单")  # the reporter's notice, sent by the running bot
    assert await griddesk.stop() == 0
