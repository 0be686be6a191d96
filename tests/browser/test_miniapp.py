"""The dashboard as a Telegram Mini App in chromium on the real process (issue 10 item 5): the
client opens /app with the launch data in the URL fragment, as Telegram does; /app's script
posts the initData, the server checks its HMAC with the bot token and opens a session."""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlsplit

import pytest
from playwright.async_api import Page

from bot.domain.weblogin import sign_init_data
from handlers.web.login import COOKIE
from tests.conftest import WORKER_G1
from tests.e2e.web import Site

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOKEN = "123456:TEST-TOKEN"  # the bot's token in tests/e2e/harness.py's config
FORGED = "无法确认您的 Telegram 身份，未登录。请从机器人的按钮重新打开。"  # weblogin.miniapp_forged


def init_data(user_id: int) -> str:
    """initData as a Telegram client hands it to the Mini App opened from the bot's button."""
    user = {"id": user_id, "first_name": "李", "language_code": "zh"}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(time.time())),
    }
    return sign_init_data(fields, bot_token=TOKEN)


def launch(site: Site, data: str) -> str:
    """The URL Telegram opens: /app with the launch parameters in the fragment."""
    return f"{site.base}/app#tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0"


async def session_cookies(page: Page) -> list[str]:
    return [c["value"] for c in await page.context.cookies() if c["name"] == COOKIE]


async def test_the_mini_app_logs_a_staff_member_in_with_signed_init_data(
    site: Site, page: Page
) -> None:
    await page.goto(launch(site, init_data(WORKER_G1)))

    await page.wait_for_url(f"{site.base}/")
    await page.locator(".bar .who").filter(has_text="李网格").wait_for()
    assert len(await session_cookies(page)) == 1
    assert site.griddesk.scalar("SELECT via FROM web_sessions WHERE user_id = ?", (WORKER_G1,)) == (
        "miniapp"
    )


async def test_init_data_with_one_byte_changed_shows_the_refusal_and_sets_no_cookie(
    site: Site, page: Page
) -> None:
    good = init_data(WORKER_G1)
    at = good.index("auth_date=") + len("auth_date=")  # a digit of the signing time
    forged = good[:at] + ("1" if good[at] != "1" else "2") + good[at + 1 :]
    before = site.griddesk.scalar("SELECT COUNT(*) FROM web_sessions")

    async with page.expect_response(f"{site.base}/login/telegram") as answer:
        await page.goto(launch(site, forged))
    assert (await answer.value).status == 403
    await page.locator("#miniapp-status").filter(has_text=FORGED).wait_for()
    assert urlsplit(page.url).path == "/app"
    assert await session_cookies(page) == []
    assert site.griddesk.scalar("SELECT COUNT(*) FROM web_sessions") == before
    assert await page.locator(".bar .who").count() == 0
