"""handlers/web/login.py through Starlette's TestClient: a /web link opens a session whose
cookie opens staff_only pages until logout, idle or total expiry, or deactivation; bad links,
missing CSRF tokens and forged cookies are refused with nothing done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.domain.weblogin import digest
from bot.services import Services
from bot.usecases.staff import deactivate_staff
from handlers.web.login import COOKIE
from tests.conftest import ADMIN, COMMUNITY
from tests.fakes import FakeClock
from tests.web.login_support import Actions, app_client, count, link_token, web_on

WORKER = 101


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return web_on(config_path, session_idle_hours=2, session_max_hours=5)


@pytest.fixture
def actions() -> Actions:
    return Actions()


@pytest.fixture
def client(services: Services, actions: Actions) -> Iterator[TestClient]:
    with app_client(services, actions) as client:
        yield client


def log_in(client: TestClient, token: str) -> str:
    """POSTs TOKEN as the login page's button does; returns the session cookie."""
    response = client.post("/login", data={"t": token})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    return client.cookies[COOKIE]


async def test_a_link_logs_in_once_and_the_cookie_opens_staff_pages_until_logout(
    services: Services, client: TestClient, actions: Actions
):
    assert client.get("/secret").headers["location"] == "/login"
    token = await link_token(services, WORKER)

    shown = client.get(f"/login?t={token}")  # what a link preview fetches: nothing used up
    assert shown.status_code == 200 and f'value="{token}"' in shown.text
    assert client.get(f"/login?t={token}").status_code == 200
    cookie = log_in(client, token)
    header = client.post("/login", data={"t": token}).headers  # (refused: see below)
    assert "set-cookie" not in header

    page = client.get("/secret")
    user_id, lang, csrf = page.text.split()
    assert (page.status_code, int(user_id), lang) == (200, WORKER, "zh")
    stored = await services.store.db.fetchone("SELECT hash, user_id FROM web_sessions")
    assert stored is not None and tuple(stored) == (digest(cookie), WORKER)
    assert cookie not in str(tuple(stored)) and token not in str(tuple(stored))

    assert client.post("/secret", data={"csrf": csrf}).status_code == 200
    assert actions.done == [WORKER]
    out = client.post("/logout", data={"csrf": csrf})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert COOKIE not in client.cookies
    client.cookies.set(COOKIE, cookie)  # an old copy of the cookie no longer works
    assert client.get("/secret").headers["location"] == "/login"
    assert await count(services, "web_sessions") == 0


async def test_the_session_cookie_is_http_only_lax_and_lives_no_longer_than_a_session(
    services: Services, client: TestClient
):
    response = client.post("/login", data={"t": await link_token(services, WORKER)})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=18000" in cookie and "secure" not in cookie  # public_url is http here


@pytest.mark.parametrize(
    ("how", "zh", "en"),
    [
        ("used", "已经使用过", "already been used"),
        ("expired", "已过期", "has expired"),
        ("forged", "无效", "not valid"),
    ],
)
async def test_a_reused_expired_or_forged_link_gets_a_400_page_that_says_which(
    services: Services, clock: FakeClock, client: TestClient, how: str, zh: str, en: str
):
    token = await link_token(services, WORKER)
    if how == "used":
        log_in(client, token)
        client.cookies.clear()
    elif how == "expired":
        clock.advance(minutes=10, seconds=1)  # login_link_minutes defaults to 10
    else:
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    sessions = await count(services, "web_sessions")

    for method in ("get", "post"):
        kwargs = {"params": {"t": token}} if method == "get" else {"data": {"t": token}}
        chinese = getattr(client, method)("/login", **kwargs)
        english = getattr(client, method)(
            "/login", headers={"Accept-Language": "en-GB,en;q=0.9"}, **kwargs
        )
        assert (chinese.status_code, english.status_code) == (400, 400)
        assert zh in chinese.text and en in english.text
        assert "set-cookie" not in chinese.headers and "<form" not in chinese.text
    assert await count(services, "web_sessions") == sessions
    assert client.get("/secret").status_code == 303


async def test_a_post_without_the_session_s_csrf_token_is_403_and_does_nothing(
    services: Services, client: TestClient, actions: Actions
):
    log_in(client, await link_token(services, WORKER))
    assert client.post("/secret").status_code == 403
    wrong = client.post("/secret", data={"csrf": "x" * 43})
    assert wrong.status_code == 403 and "页面已过期" in wrong.text
    assert client.post("/logout").status_code == 403
    assert actions.done == []
    assert await count(services, "web_sessions") == 1  # logout without the token did nothing


async def test_a_session_ends_after_idle_hours_without_a_request(
    services: Services, clock: FakeClock, client: TestClient
):
    log_in(client, await link_token(services, WORKER))
    clock.advance(hours=1, minutes=59)
    assert client.get("/secret").status_code == 200  # a request: seen again
    clock.advance(hours=1, minutes=59)
    assert client.get("/secret").status_code == 200
    clock.advance(hours=2)
    assert client.get("/secret").headers["location"] == "/login"
    assert await count(services, "web_sessions") == 0


async def test_a_session_ends_max_hours_after_login_however_busy(
    services: Services, clock: FakeClock, client: TestClient
):
    log_in(client, await link_token(services, WORKER))
    for _ in range(4):
        clock.advance(hours=1, minutes=14)
        assert client.get("/secret").status_code == 200
    clock.advance(minutes=5)  # 5 h 1 min after login
    assert client.get("/secret").headers["location"] == "/login"


async def test_seen_at_is_written_at_most_once_a_minute(
    services: Services, clock: FakeClock, client: TestClient
):
    log_in(client, await link_token(services, WORKER))
    login_at = clock()

    async def seen() -> str:
        row = await services.store.db.fetchone("SELECT seen_at FROM web_sessions")
        assert row is not None
        return str(row[0])

    clock.advance(seconds=59)
    client.get("/secret")
    assert await seen() == login_at.isoformat(timespec="microseconds")
    clock.advance(seconds=1)
    client.get("/secret")
    assert await seen() == clock().isoformat(timespec="microseconds")


async def test_a_deactivated_member_s_cookie_and_unused_links_stop_working(
    services: Services, client: TestClient
):
    log_in(client, await link_token(services, WORKER))
    spare = await link_token(services, WORKER)
    assert client.get("/secret").status_code == 200

    done = await deactivate_staff(services, WORKER, by=ADMIN, at=services.clock())
    assert not hasattr(done, "key"), done
    assert client.get("/secret").headers["location"] == "/login"
    assert await count(services, "web_sessions") == 0
    assert client.post("/login", data={"t": spare}).status_code == 400


async def test_a_member_no_longer_staff_loses_the_session_on_the_next_request(
    services: Services, client: TestClient
):
    """Staff removed another way (the config file's sync) are caught by the middleware."""
    log_in(client, await link_token(services, COMMUNITY))
    await services.people.deactivate(COMMUNITY, None, services.clock(), reason="config")
    assert client.get("/secret").headers["location"] == "/login"
    assert await count(services, "web_sessions") == 0


async def test_a_forged_cookie_opens_nothing_and_is_cleared(client: TestClient):
    client.cookies.set(COOKIE, "A" * 43)
    response = client.get("/secret")
    assert response.headers["location"] == "/login"
    assert response.headers["set-cookie"].startswith(f"{COOKIE}=;")


async def test_the_login_page_without_a_token_says_to_send_web_to_the_bot(client: TestClient):
    page = client.get("/login")
    assert page.status_code == 200 and "/web" in page.text and "<form" not in page.text
    english = client.get("/login", headers={"Accept-Language": "en"})
    assert "Send /web to the bot" in english.text


async def test_a_login_post_from_another_site_is_refused_and_spends_nothing(
    services: Services, client: TestClient
):
    token = await link_token(services, WORKER)
    evil = client.post("/login", data={"t": token}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "set-cookie" not in evil.headers
    assert await count(services, "web_sessions") == 0
    ours = client.post("/login", data={"t": token}, headers={"Origin": "http://127.0.0.1:8080"})
    assert ours.status_code == 303


async def test_a_login_post_is_judged_by_sec_fetch_site_since_our_pages_send_origin_null(
    services: Services, client: TestClient
):
    # Referrer-Policy: no-referrer makes a browser send `Origin: null` on its own form POSTs;
    # Sec-Fetch-Site says where the POST came from.
    token = await link_token(services, WORKER)
    for site in ("cross-site", "same-site"):
        evil = client.post(
            "/login", data={"t": token}, headers={"Origin": "null", "Sec-Fetch-Site": site}
        )
        assert evil.status_code == 403 and "set-cookie" not in evil.headers, site
    assert await count(services, "web_sessions") == 0
    ours = client.post(
        "/login", data={"t": token}, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    )
    assert ours.status_code == 303 and ours.headers["set-cookie"].startswith(f"{COOKIE}=")
