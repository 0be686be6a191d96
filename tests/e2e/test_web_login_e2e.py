"""Staff login on the real `griddesk run` process: /web through the fake Bot API, the link from
the bot's message POSTed with httpx, the cookie opening a staff_only route, the link refused the
second time, and neither token nor cookie in the log."""

from __future__ import annotations

import re

import httpx

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.e2e.test_web_e2e import web_on
from tests.fakebotapi import FakeBotApi

WORKER = 101  # 李网格 in tests/data/config.toml
RESIDENT = 5001


async def test_a_worker_logs_in_with_the_link_from_web_once(
    fake: FakeBotApi, griddesk: Griddesk
) -> None:
    base = web_on(griddesk)
    await griddesk.start()
    worker = Player(fake, fake.user(WORKER, "李网格"))
    worker.send(worker.user.send_text, "/web")
    text = await worker.wait_text("/login?t=")
    match = re.search(rf"{re.escape(base)}/login\?t=([A-Za-z0-9_-]+)", text)
    assert match, text
    token = match.group(1)

    resident = Player(fake, fake.user(RESIDENT, "张三"))
    resident.send(resident.user.send_text, "/web")
    assert "仅供工作人员" in await resident.wait_text("工作台")

    async with httpx.AsyncClient(base_url=base, timeout=10) as web:
        # Without a session a staff_only route sends the browser to the login page.
        assert (await web.post("/logout")).headers["location"] == "/login"
        # A link preview's GET spends nothing; the page's button POSTs the token.
        preview = await web.get("/login", params={"t": token})
        assert preview.status_code == 200 and token in preview.text
        login = await web.post("/login", data={"t": token})
        assert login.status_code == 303 and login.headers["location"] == "/"
        cookie = web.cookies["griddesk_session"]
        # The cookie opens staff_only routes: /logout now wants the session's CSRF token.
        assert (await web.post("/logout")).status_code == 403
        assert (await web.get("/login")).headers["location"] == "/"

    async with httpx.AsyncClient(base_url=base, timeout=10) as other:
        again = await other.post("/login", data={"t": token})
        assert again.status_code == 400 and "已经使用过" in again.text
        assert "griddesk_session" not in other.cookies
    assert griddesk.scalar("SELECT COUNT(*) FROM web_sessions WHERE user_id = ?", (WORKER,)) == 1
    assert await griddesk.stop() == 0
    log = griddesk.log_tail(10_000)
    assert token not in log and cookie not in log and "李网格" not in log
