"""tests/e2e/web.py login_link finds the login link wherever the bot puts it in its reply to /web:
the text, a text link or a URL button (a real Bot client answers through the fake Bot API)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tests.conftest import WORKER_G1
from tests.e2e.web import login_link
from tests.fakebotapi import FakeBotApi

LINK = "http://127.0.0.1:8080/login?t=AbC-123_xyz"


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot("123456:TEST-TOKEN", base_url=f"{fake.api_url}/bot") as bot:
        yield bot


@pytest.mark.parametrize(
    "reply",
    [
        {"text": f"打开 {LINK} 登录（10 分钟内有效）"},
        {"text": '<a href="' + LINK + '">登录工作台</a>', "parse_mode": "HTML"},
        {
            "text": "登录工作台",
            "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton("打开", url=LINK)]]),
        },
    ],
    ids=["text", "text-link", "button"],
)
async def test_login_link_returns_the_link_of_the_bots_reply_to_web(
    fake: FakeBotApi, bot: Bot, reply: dict[str, Any]
) -> None:
    async def answer() -> None:
        await fake.wait_for(
            lambda: [u for u in fake.pending_updates() if u["message"]["text"] == "/web"],
            what="/web",
        )
        await bot.send_message(WORKER_G1, **reply)

    fake.user(WORKER_G1).send_text("/start")
    await bot.send_message(WORKER_G1, f"旧链接 {LINK}old")  # before /web: never returned
    answering = asyncio.create_task(answer())
    link = await login_link(fake, WORKER_G1, timeout=10)
    await answering

    assert link == LINK
