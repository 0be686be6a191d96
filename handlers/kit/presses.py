"""Button presses: answering one (the press guard joins here in later steps)."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import TelegramError

MAX_ANSWER = 190  # a callback answer shows at most 200 characters


async def answer(update: Update, text: str | None = None) -> None:
    """Answers the button press, with TEXT as a short notice (the one direct Bot API call a
    handler makes; its errors are ignored: the press is handled all the same)."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):
        await query.answer(text[:MAX_ANSWER] if text else None)
