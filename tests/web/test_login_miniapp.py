"""The Mini App's login: /app's page and script, and POST /login/telegram checking initData as
Telegram documents (HMAC with the bot token); forged, stale and non-staff data are refused with
a clear 403 and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.domain.weblogin import sign_init_data
from bot.services import Services
from handlers.web.login import COOKIE
from tests.conftest import RESIDENT
from tests.fakes import FakeClock
from tests.usecases.support import refusals
from tests.web.login_support import Actions, app_client, count, web_on

WORKER = 101
TOKEN = "123456:TEST-TOKEN"  # tests/data/config.toml


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return web_on(config_path, "https://desk.example.cn")


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with app_client(services, Actions()) as client:
        yield client


def init_data(user_id: int, auth_date: int, *, token: str = TOKEN) -> str:
    """initData as a Telegram client hands it to a Mini App opened from the bot's button."""
    user = {"id": user_id, "first_name": "李", "language_code": "zh"}
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date),
        "signature": "c2lnbmF0dXJl",
    }
    return sign_init_data(fields, bot_token=token)


def now_ts(clock: FakeClock) -> int:
    return int(clock().timestamp())


async def test_signed_init_data_of_staff_opens_a_session_for_the_cross_site_iframe(
    services: Services, clock: FakeClock, client: TestClient
):
    response = client.post("/login/telegram", data={"init_data": init_data(WORKER, now_ts(clock))})
    assert response.status_code == 200 and response.json() == {"ok": True, "next": "/"}
    cookie = response.headers["set-cookie"].lower()
    assert "samesite=none" in cookie and "secure" in cookie and "httponly" in cookie
    row = await services.store.db.fetchone("SELECT user_id, via FROM web_sessions")
    assert row is not None and tuple(row) == (WORKER, "miniapp")
    event = await services.store.db.fetchone(
        "SELECT action, data FROM staff_events WHERE user_id = ? ORDER BY id DESC", (WORKER,)
    )
    assert event is not None and tuple(event) == ("web_login", '{"via": "miniapp"}')


def flip(raw: str, at: int) -> str:
    return raw[:at] + ("1" if raw[at] != "1" else "2") + raw[at + 1 :]


async def test_init_data_with_any_byte_changed_is_refused(
    services: Services, clock: FakeClock, client: TestClient
):
    good = init_data(WORKER, now_ts(clock))
    user_at = good.index("user=") + len("user=%7B%22id%22%3A")  # the id's first digit
    forged = [
        flip(good, user_at),  # another user
        flip(good, len(good) - 1),  # the hash
        init_data(WORKER, now_ts(clock), token="654321:OTHER-BOT"),  # another bot's
        good.split("&hash=")[0],  # no hash
        "",
        "%%%",
    ]
    cross_site = client.post(
        "/login/telegram", data={"init_data": good}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    for raw in forged:
        response = client.post("/login/telegram", data={"init_data": raw})
        assert response.status_code == 403, raw
        assert response.json() == {
            "ok": False,
            "error": "无法确认您的 Telegram 身份，未登录。请从机器人的按钮重新打开。",
        }
        assert "set-cookie" not in response.headers
    assert await count(services, "web_sessions") == 0


async def test_stale_init_data_is_refused_and_says_so(
    services: Services, clock: FakeClock, client: TestClient
):
    signed = now_ts(clock) - 10 * 60 - 1  # login_link_minutes (10) and a second ago
    response = client.post(
        "/login/telegram",
        data={"init_data": init_data(WORKER, signed)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 403
    assert "expired" in response.json()["error"]
    assert await count(services, "web_sessions") == 0
    fresh = client.post("/login/telegram", data={"init_data": init_data(WORKER, signed + 2)})
    assert fresh.status_code == 200


async def test_a_resident_s_genuine_init_data_is_refused_and_recorded(
    services: Services, clock: FakeClock, client: TestClient
):
    response = client.post(
        "/login/telegram", data={"init_data": init_data(RESIDENT, now_ts(clock))}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "网页工作台仅供工作人员使用。"
    assert await count(services, "web_sessions") == 0
    assert await refusals(services) == [(RESIDENT, "web:miniapp", "web_login", None)]


async def test_the_mini_app_page_loads_its_script_from_the_app_itself(client: TestClient):
    page = client.get("/app")
    assert page.status_code == 200
    assert '<script src="/static/miniapp.js" defer></script>' in page.text
    assert "telegram.org" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    script = client.get("/static/miniapp.js")
    assert script.status_code == 200 and "tgWebAppData" in script.text
    assert "/login/telegram" in script.text and "https://telegram.org" not in script.text
    assert client.get("/secret").status_code == 303  # the page itself logs nobody in
    assert COOKIE not in client.cookies
