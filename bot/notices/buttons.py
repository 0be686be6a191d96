"""Callback data codec: "<noun>:<verb>:<arg>…", at most 64 bytes. Clients can forge it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_BYTES = 64

# A callback button as the Bot API's JSON: what keyboard() writes for it ({"callback_data",
# "text"}, the keys in the order python-telegram-bot's to_dict gives them).
Key = dict[str, str]

# The fields of InlineKeyboardButton besides text, callback_data and url: a button that sets
# any of them is serialised by python-telegram-bot itself.
_OTHER_FIELDS = tuple(
    name for name in InlineKeyboardButton.__slots__ if name not in ("callback_data", "text", "url")
)


@dataclass(frozen=True, slots=True)
class Press:
    noun: str
    verb: str
    args: tuple[str, ...]

    def int_arg(self, index: int = 0) -> int | None:
        """Returns argument INDEX as an int, or None if it is missing or not a number."""
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            return None


def encode(noun: str, verb: str, *args: object) -> str:
    data = ":".join([noun, verb, *(str(a) for a in args)])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None) -> Press | None:
    """Returns the parsed press, or None for anything malformed."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return Press(parts[0], parts[1], tuple(parts[2:]))


def button(text: str, noun: str, verb: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=encode(noun, verb, *args))


def key(text: str, noun: str, verb: str, *args: object) -> Key:
    """Returns a callback button as keyboard() writes it, without building python-telegram-bot's
    object (~15 µs each; the deadline sweep writes 100,000 of them in a pass)."""
    return {"callback_data": encode(noun, verb, *args), "text": text}


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton | Key]]) -> dict:
    """Returns the reply_markup as JSON for an outbox row (empty rows dropped): the dict
    InlineKeyboardMarkup(rows).to_dict() gives, built directly for plain callback and link
    buttons (python-telegram-bot's round trip cost ~75 µs a keyboard)."""
    inline = [[_json(b) for b in row] for row in rows if row]
    return {"inline_keyboard": inline} if inline else {}  # as to_dict: {} is no keyboard


def _json(item: InlineKeyboardButton | Key) -> dict:
    if isinstance(item, dict):
        return dict(item)
    if all(getattr(item, name) is None for name in _OTHER_FIELDS) and item.api_kwargs == {}:
        data = item.callback_data
        if item.url is None and isinstance(data, str):
            return {"callback_data": data, "text": item.text}
        if data is None and item.url is not None:
            return {"text": item.text, "url": item.url}
    return InlineKeyboardMarkup([[item]]).to_dict()["inline_keyboard"][0][0]


def pattern(noun: str) -> str:
    return rf"^{noun}:"
