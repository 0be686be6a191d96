"""Builds Telegram updates as the Bot API sends them (dicts for Update.de_json)."""

from __future__ import annotations

import itertools
from typing import Any

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


# Telegram names of test users other than 张三 (a test sets one with monkeypatch.setitem).
NAMES: dict[int, str] = {}


def user(user_id: int, name: str | None = None, lang: str = "zh-hans") -> dict[str, Any]:
    name = name or NAMES.get(user_id, "张三")
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": lang}


def _message(user_id: int, chat_id: int | None = None, **fields: Any) -> dict[str, Any]:
    chat_id = chat_id if chat_id is not None else user_id
    chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
    if chat_id > 0:
        chat["first_name"] = "x"
    else:
        chat["title"] = "group"
    return {
        "message_id": next(_message_ids),
        "date": 1764000000,
        "chat": chat,
        "from": user(user_id, lang=fields.pop("lang", "zh-hans")),
        **fields,
    }


def update(**fields: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), **fields}


def text(
    user_id: int, body: str, *, chat_id: int | None = None, lang: str = "zh-hans"
) -> dict[str, Any]:
    """Returns a text message update; a leading /command gets its bot_command entity."""
    fields: dict[str, Any] = {"text": body, "lang": lang}
    if body.startswith("/"):
        command = body.split()[0]
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return update(message=_message(user_id, chat_id, **fields))


def photo(
    user_id: int,
    file_id: str = "photo-1",
    *,
    caption: str | None = None,
    media_group_id: str | None = None,
    file_size: int = 150_000,
) -> dict[str, Any]:
    sizes = [
        {
            "file_id": f"{file_id}-small",
            "file_unique_id": f"{file_id}-s",
            "width": 90,
            "height": 90,
            "file_size": 2000,
        },
        {
            "file_id": file_id,
            "file_unique_id": f"{file_id}-u",
            "width": 1280,
            "height": 960,
            "file_size": file_size,
        },
    ]
    fields: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        fields["caption"] = caption
    if media_group_id is not None:
        fields["media_group_id"] = media_group_id
    return update(message=_message(user_id, **fields))


def document(
    user_id: int,
    *,
    mime: str = "application/pdf",
    name: str = "a.pdf",
    size: int = 30_000,
    lang: str = "zh-hans",
) -> dict[str, Any]:
    doc = {
        "file_id": f"doc-{name}",
        "file_unique_id": f"du-{name}",
        "file_name": name,
        "mime_type": mime,
        "file_size": size,
    }
    return update(message=_message(user_id, document=doc, lang=lang))


def sticker(user_id: int) -> dict[str, Any]:
    st = {
        "file_id": "st",
        "file_unique_id": "stu",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    return update(message=_message(user_id, sticker=st))


def voice(user_id: int) -> dict[str, Any]:
    v = {"file_id": "vo", "file_unique_id": "vou", "duration": 3}
    return update(message=_message(user_id, voice=v))


def location(user_id: int, lat: float, lon: float) -> dict[str, Any]:
    return update(message=_message(user_id, location={"latitude": lat, "longitude": lon}))


def contact(user_id: int, phone: str) -> dict[str, Any]:
    c = {"phone_number": phone, "first_name": "x", "user_id": user_id}
    return update(message=_message(user_id, contact=c))


def press(
    user_id: int, data: str, *, message_id: int = 1, chat_id: int | None = None
) -> dict[str, Any]:
    """Returns a callback query: USER_ID tapped a button carrying DATA."""
    chat_id = chat_id if chat_id is not None else user_id
    message = {
        "message_id": message_id,
        "date": 1764000000,
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
        "from": {"id": 7000000001, "is_bot": True, "first_name": "griddesk"},
        "text": "card",
    }
    return update(
        callback_query={
            "id": str(next(_update_ids)),
            "from": user(user_id),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
    )
