"""bot/notices/buttons.keyboard writes the reply_markup python-telegram-bot's own serialisation
gives (the outbox rows and their "already shows this" comparisons depend on it), without its
object round trip for plain buttons."""

from __future__ import annotations

import json

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LoginUrl, WebAppInfo

from bot.notices.buttons import button, key, keyboard

ROWS = [
    [[button("接单", "report", "accept", 7)]],
    [[button("a", "x", "y"), InlineKeyboardButton("link", url="https://example.org/a")], []],
    [[], [button("办结", "report", "resolve", 7), button("转派", "report", "transfer", 7)]],
    [[InlineKeyboardButton("pay", pay=True)]],
    [[InlineKeyboardButton("login", login_url=LoginUrl("https://example.org/login"))]],
    [[InlineKeyboardButton("app", web_app=WebAppInfo("https://example.org/app"))]],
    [[InlineKeyboardButton("q", switch_inline_query="find")]],
    [[InlineKeyboardButton("both", callback_data="x:y", url="https://example.org")]],
    [],
]


@pytest.mark.parametrize("rows", ROWS)
def test_keyboard_equals_python_telegram_bots_serialisation(rows):
    expected = InlineKeyboardMarkup([row for row in rows if row]).to_dict()
    got = keyboard(rows)
    assert got == expected
    assert json.dumps(got) == json.dumps(expected)  # the same keys in the same order


def test_a_key_is_the_button_it_stands_for():
    assert key("接单", "report", "accept", 7) == button("接单", "report", "accept", 7).to_dict()
    mixed = [[key("a", "x", "y", 1), button("b", "x", "z", 2)]]
    assert keyboard(mixed) == keyboard([[button("a", "x", "y", 1), button("b", "x", "z", 2)]])
    assert json.dumps(keyboard(mixed)) == json.dumps(
        InlineKeyboardMarkup([[button("a", "x", "y", 1), button("b", "x", "z", 2)]]).to_dict()
    )


def test_a_key_over_64_bytes_is_refused_like_a_button():
    with pytest.raises(ValueError):
        key("x", "report", "card", "9" * 80)


def test_keyboard_does_not_share_the_keys_it_was_given():
    show = key("看", "report", "card", 1)
    markup = keyboard([[show]])
    markup["inline_keyboard"][0][0]["text"] = "changed"
    assert show["text"] == "看"
