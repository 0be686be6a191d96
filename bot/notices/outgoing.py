"""Builds outbox rows: replies, prompts and cards. Handlers queue these, the sender delivers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.outbox import CARD, Outgoing


def message(
    chat_id: int,
    text: str,
    *,
    markup: dict | None = None,
    collapse_key: str | None = None,
    not_before: datetime | None = None,
) -> Outgoing:
    params: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    if markup is not None:
        params["reply_markup"] = markup
    return Outgoing(
        chat_id, "sendMessage", params, collapse_key=collapse_key, not_before=not_before
    )


def photo(chat_id: int, file_id: str, caption: str, *, markup: dict | None = None) -> Outgoing:
    params: dict[str, Any] = {"photo": file_id, "caption": caption[:1024], "parse_mode": "HTML"}
    if markup is not None:
        params["reply_markup"] = markup
    return Outgoing(chat_id, "sendPhoto", params)


# A picture the sender composes when it sends the row (bot/before_after.py): the report's photos
# before and after it was resolved, read from the report then, so the whole of the resolver's
# album is in it. {"$before_after": {"report": id, "labels": [before, after]}} in place of a file.
BEFORE_AFTER = "$before_after"


def before_after_picture(report_id: int, labels: tuple[str, str]) -> dict[str, Any]:
    """Returns the "photo" the sender composes of REPORT_ID's photos before and after."""
    return {BEFORE_AFTER: {"report": report_id, "labels": list(labels)}}


def before_after(
    chat_id: int,
    report_id: int,
    labels: tuple[str, str],
    caption: str,
    *,
    markup: dict | None = None,
) -> Outgoing:
    """Returns a photo message showing REPORT_ID's photos before and after, side by side, under
    LABELS (the first after-photo alone when there is nothing to put beside it)."""
    params: dict[str, Any] = {
        "photo": before_after_picture(report_id, labels),
        "caption": caption[:1024],
        "parse_mode": "HTML",
    }
    if markup is not None:
        params["reply_markup"] = markup
    return Outgoing(chat_id, "sendPhoto", params)


# A stored "photo" that arrived as an image file before such files were re-encoded (reports made
# before issue 7): Telegram will not resend a document's file_id as a photo, so such ids carry
# this prefix and go out as documents. New reports keep only re-encoded photos (image_files.py).
DOCUMENT = "doc:"


def media(chat_id: int, file_ids: list[str] | tuple[str, ...]) -> list[Outgoing]:
    """Returns the calls that show FILE_IDS: one album of the photos, then each image file."""
    photos = [f for f in file_ids if not f.startswith(DOCUMENT)]
    files = [f.removeprefix(DOCUMENT) for f in file_ids if f.startswith(DOCUMENT)]
    out = [album(chat_id, photos)] if photos else []
    return out + [Outgoing(chat_id, "sendDocument", {"document": f}) for f in files]


def album(chat_id: int, file_ids: list[str] | tuple[str, ...]) -> Outgoing:
    """Returns one photo, or an album of 2–10 photos (Telegram's sendMediaGroup limits)."""
    if len(file_ids) == 1:
        return Outgoing(chat_id, "sendPhoto", {"photo": file_ids[0]})
    media = [{"type": "photo", "media": file_id} for file_id in file_ids[:10]]
    return Outgoing(chat_id, "sendMediaGroup", {"media": media})


def card(chat_id: int, key: str, text: str, *, markup: dict | None = None) -> Outgoing:
    """Returns a message that is sent once and then edited in place under KEY."""
    params: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
    # An edit without reply_markup removes the buttons, which is what a finished card wants.
    params["reply_markup"] = markup if markup is not None else {"inline_keyboard": []}
    return Outgoing(chat_id, CARD, params, card=key)


def reply_keyboard(rows: list[list[str]], *, one_time: bool = False) -> dict:
    return {
        "keyboard": [[{"text": text} for text in row] for row in rows],
        "resize_keyboard": True,
        "one_time_keyboard": one_time,
        "is_persistent": not one_time,
    }


def remove_keyboard() -> dict:
    return {"remove_keyboard": True}
