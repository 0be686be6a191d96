"""What a resident is shown after changing their own record: the persistent reply keyboard."""

from __future__ import annotations

from bot.notices import outgoing
from bot.texts import Texts


def main_keyboard(texts: Texts, lang: str) -> dict:
    """Returns the persistent reply keyboard: 随手拍 and my reports."""
    return outgoing.reply_keyboard(
        [[texts("resident.button_report", lang), texts("resident.button_my", lang)]]
    )
