"""/web through the real Application: staff get a login link (a Mini App button only when the
app is on https), residents and group chats are refused politely."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import updates
from tests.conftest import COMMUNITY, RESIDENT
from tests.web.login_support import web_on

GROUP = -100500


@pytest.fixture(params=["http://127.0.0.1:8080", "https://desk.example.cn"])
def config_path(config_path: Path, request: pytest.FixtureRequest) -> Path:
    return web_on(config_path, request.param)


async def test_staff_get_a_login_link_and_the_mini_app_button_only_on_https(harness):
    await harness.send(updates.text(COMMUNITY, "/web"))
    base = harness.services.settings.web.public_url
    text = harness.last_text(COMMUNITY)
    assert f"{base}/login?t=" in text and "一次" in text
    (call,) = harness.request.sent(chat_id=COMMUNITY)
    assert call.params["link_preview_options"] in ({"is_disabled": True}, '{"is_disabled": true}')
    markup = harness.request.last_markup(COMMUNITY)
    if base.startswith("https://"):
        assert markup == {
            "inline_keyboard": [
                [{"text": "在 Telegram 内打开工作台", "web_app": {"url": f"{base}/app"}}]
            ]
        }
    else:
        assert markup is None


async def test_a_resident_is_refused_and_gets_no_link(harness):
    await harness.send(updates.text(RESIDENT, "/web"))
    assert harness.last_text(RESIDENT) == "网页工作台仅供工作人员使用。"
    assert "login?t=" not in "".join(harness.texts_to(RESIDENT))


async def test_web_in_a_group_points_to_the_private_chat_and_sends_no_link(harness):
    await harness.send(updates.text(COMMUNITY, "/web", chat_id=GROUP))
    assert harness.texts_to(GROUP) == ["请在与机器人的私聊中使用此功能。"]
    assert harness.texts_to(COMMUNITY) == []
