"""双报告: an in-service party member (在职党员) who 双报到s to their residential community has
their verified service reported each month to their work unit's contact ("定期反馈表现情况").

Only verified service counts — what the points ledger holds: a wish the resident confirmed, an
activity check-in by its organiser, a visit staff confirmed — never what a member declares. The
contact is the member's employer, so the report names the member; it never carries a phone, an
address or anything about the residents served.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.people import Role, Staff

MAX_TEXT = 3500  # characters per message: Telegram allows 4096, HTML tags and a header included


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """A configured work unit ([[work_units]]) and who hears about its members."""

    code: str
    name: str
    contact_chat: int | None = None
    contact_user: int | None = None

    def contacts(self) -> tuple[int, ...]:
        """Returns the chats the report goes to: the work unit's chat, then its contact person."""
        found = [c for c in (self.contact_chat, self.contact_user) if c is not None]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class Service:
    """One member's verified service in a month."""

    user_id: int
    name: str
    wishes: int = 0  # 微心愿 confirmed by the resident
    checkins: int = 0  # activity check-ins by the organiser
    visits: int = 0  # visits confirmed by staff
    points: int = 0

    @property
    def empty(self) -> bool:
        return not (self.wishes or self.checkins or self.visits or self.points)


def ordered(found: Iterable[Service]) -> list[Service]:
    """Returns the members most points first, then by name (stable for the same figures)."""
    return sorted(found, key=lambda s: (-s.points, s.empty, s.name, s.user_id))


def nothing_done(found: Iterable[Service]) -> bool:
    """Tells whether no member did any verified service (the report is then one line)."""
    return all(s.empty for s in found)


def pages(lines: Iterable[str], limit: int = MAX_TEXT) -> list[list[str]]:
    """Returns LINES cut into messages of at most LIMIT characters (a line is never split)."""
    out: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if out[-1] and size + len(line) + 1 > limit:
            out.append([])
            size = 0
        out[-1].append(line)
        size += len(line) + 1
    return out


_PREVIEWERS = (Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN)


def may_preview(staff: Staff | None) -> bool:
    """Tells whether STAFF may preview the 双报告 of members living in their area: the staff
    who approve volunteers (community and above), and admins."""
    return staff is not None and staff.role in _PREVIEWERS
