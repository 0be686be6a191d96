"""bot/usecases/weblogin.py: /web's link (refusals, the Mini App button only on https, the bound
on live links) and logging in with it, on a real SQLite file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.services import Services
from bot.settings import WebSettings
from bot.usecases.results import Done, Refused
from bot.usecases.weblogin import issue_link, login_with_link
from tests.conftest import PROPERTY, RESIDENT
from tests.usecases.support import refusals
from tests.web.login_support import count, link_token, web_on

WORKER = 101


@pytest.fixture
def config_path(config_path: Path) -> Path:
    return web_on(config_path)


async def payloads(services: Services, chat_id: int) -> list[dict]:
    rows = await services.store.db.fetchall(
        "SELECT payload FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(row[0]) for row in rows]


async def test_staff_get_a_link_without_preview_and_no_mini_app_button_on_http(
    services: Services,
):
    done = await issue_link(services, by=WORKER, at=services.clock())
    assert isinstance(done, Done) and done.value.startswith("http://127.0.0.1:8080/login?t=")
    (sent,) = await payloads(services, WORKER)
    assert done.value in sent["text"] and "10 分钟" in sent["text"]
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert "reply_markup" not in sent
    token = done.value.split("t=")[1]
    row = await services.store.db.fetchone("SELECT hash, user_id, expires_at FROM web_links")
    assert row is not None and row[1] == WORKER and token not in row[0]


async def test_on_https_the_link_comes_with_a_mini_app_button(services: Services):
    web = services.settings.web.model_copy(update={"public_url": "https://desk.example.cn/"})
    https = replace(services, settings=services.settings.model_copy(update={"web": web}))
    assert isinstance(await issue_link(https, by=PROPERTY, at=services.clock()), Done)
    (sent,) = await payloads(services, PROPERTY)
    assert sent["text"].count("https://desk.example.cn/login?t=") == 1
    (row,) = sent["reply_markup"]["inline_keyboard"]
    assert row == [
        {"text": "在 Telegram 内打开工作台", "web_app": {"url": "https://desk.example.cn/app"}}
    ]


async def test_a_resident_is_refused_politely_and_the_refusal_recorded(services: Services):
    refused = await issue_link(services, by=RESIDENT, at=services.clock())
    assert refused == Refused("weblogin.staff_only", {}, refused.rule)  # type: ignore[union-attr]
    assert await count(services, "web_links") == 0
    assert await refusals(services) == [(RESIDENT, "/web", "web_login", None)]


async def test_without_the_web_app_configured_nobody_gets_a_link(services: Services):
    off = replace(services, settings=services.settings.model_copy(update={"web": WebSettings()}))
    assert await issue_link(off, by=WORKER, at=services.clock()) == Refused(
        "weblogin.not_configured"
    )
    assert await count(services, "web_links") == 0 and await payloads(services, WORKER) == []


async def test_a_sixth_link_makes_the_oldest_die(services: Services, clock):
    tokens = []
    for _ in range(6):
        tokens.append(await link_token(services, WORKER))
        clock.advance(seconds=1)
    assert await count(services, "web_links") == 5
    assert await login_with_link(services, tokens[0], at=clock()) == Refused(
        "weblogin.link_unknown"
    )
    assert isinstance(await login_with_link(services, tokens[1], at=clock()), Done)


async def test_a_link_logs_in_once_and_records_the_login(services: Services, clock):
    token = await link_token(services, WORKER)
    first = await login_with_link(services, token, at=clock())
    assert isinstance(first, Done) and first.value.staff.user_id == WORKER
    assert await login_with_link(services, token, at=clock()) == Refused("weblogin.link_used")
    assert await count(services, "web_sessions") == 1
    rows = await services.store.db.fetchall(
        "SELECT action FROM staff_events WHERE user_id = ? AND action = 'web_login'", (WORKER,)
    )
    assert len(rows) == 1


async def test_a_link_of_someone_who_left_meanwhile_opens_nothing(services: Services, clock):
    token = await link_token(services, WORKER)
    await services.people.deactivate(WORKER, None, clock(), reason="config")
    refused = await login_with_link(services, token, at=clock())
    assert isinstance(refused, Refused) and refused.key == "weblogin.staff_only"
    assert await count(services, "web_sessions") == 0
    assert await refusals(services) == [(WORKER, "web:login", "web_login", None)]
