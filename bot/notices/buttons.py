"""Callback data codec: "<noun>:<verb>:<arg>…", at most 64 bytes. Clients can forge it."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_BYTES = 64


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


def keyboard(rows: list[list[InlineKeyboardButton]]) -> dict:
    """Returns the reply_markup as JSON for an outbox row."""
    return InlineKeyboardMarkup([row for row in rows if row]).to_dict()


def pattern(noun: str) -> str:
    return rf"^{noun}:"
