"""Broadcasts (政策宣传): what a staff member may send, to whom, and how its delivery is counted.

Pure: no Telegram, no database, no clock (times come in as arguments).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree

MAX_TEXT = 3500  # a text broadcast; the header line and Telegram's 4096 leave room
MAX_CAPTION = 900  # a photo's or document's caption; Telegram allows 1024 with the header


class Kind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"


class Audience(StrEnum):
    """Who gets a broadcast: the registered residents of the unit's subtree, its bound groups,
    or both."""

    RESIDENTS = "residents"
    GROUPS = "groups"
    BOTH = "both"

    @property
    def residents(self) -> bool:
        return self is not Audience.GROUPS

    @property
    def groups(self) -> bool:
        return self is not Audience.RESIDENTS


class BroadcastError(ValueError):
    """Content that cannot be broadcast; KEY is the catalog key that says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Content:
    """What is broadcast: a text, or a photo or document (Telegram's file_id) with a caption."""

    kind: Kind
    text: str
    file_id: str | None = None


def check_content(kind: Kind, text: str, file_id: str | None) -> Content:
    """Returns the content if it can go out; raises BroadcastError (empty, too long, no file)."""
    text = text.strip()
    if kind is Kind.TEXT:
        if not text:
            raise BroadcastError("broadcast.empty")
        if len(text) > MAX_TEXT:
            raise BroadcastError("broadcast.too_long")
        return Content(kind, text)
    if not file_id:
        raise BroadcastError("broadcast.empty")
    if len(text) > MAX_CAPTION:
        raise BroadcastError("broadcast.caption_too_long")
    return Content(kind, text, file_id)


def may_reach(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF may broadcast to (or poll) UNIT's residents: staff of the grid at
    UNIT or above it (admins: anywhere). Partners hold no unit's residents."""
    if staff is None or unit not in tree or staff.unit not in tree:
        return False
    if staff.role is Role.ADMIN:
        return True
    if staff.role is Role.PARTNER or staff.role.is_helper:  # helpers reach no residents
        return False
    return tree.is_within(unit, staff.unit)


@dataclass(frozen=True, slots=True)
class Broadcast:
    created_by: int
    unit: str
    content: Content
    audience: Audience
    residents: int
    groups: int
    created_at: datetime
    lang: str = "zh"
    done: bool = False
    id: int | None = None

    @property
    def recipients(self) -> int:
        return self.residents + self.groups


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a broadcast's delivery stands, counted from its outbox rows."""

    total: int
    delivered: int
    blocked: int  # 403: the chat blocked or removed the bot
    failed: int  # refused or gave up after retries

    @property
    def pending(self) -> int:
        return max(0, self.total - self.delivered - self.blocked - self.failed)

    @property
    def finished(self) -> bool:
        return self.pending == 0
