"""回音壁: what a closed, verified report shows on the office's public channel, de-identified.

Only the case number, the category, the place at grid level, the official reply and — if the
reporter agreed when verifying — the before/after photos. Never the reporter's name, phone, id,
description, comment, exact building or coordinates. The official reply is the resolver's note,
cleaned of anything that identifies the reporter (their name, phone, contact, description) and of
every phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.reports import Report, Status
from bot.domain.units import UnitTree

# Mainland mobiles, landlines with an area code, and any +international number (as bot/logredact).
_PHONES = (
    re.compile(r"(?<![\d])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![\d])"),
    re.compile(r"(?<![\d])0\d{2,3}[\s-]?\d{7,8}(?![\d])"),
    re.compile(r"\+\d[\d\s-]{6,}\d"),
    re.compile(r"(?<![\d])\d{7,}(?![\d])"),  # any long digit run: an id, a door code, a phone
)
MIN_TERM = 2  # a one-character "name" would blank out half of any Chinese sentence
# Above this level a place says too little to identify anyone; buildings and below say too much.
_PUBLIC_LEVELS = ("grid", "community", "street", "district")
MAX_PHOTOS = 10  # Telegram's album limit


@dataclass(frozen=True, slots=True)
class EchoPost:
    """One case as the channel shows it. REPLY is None when the resolver left no note."""

    number: str
    category: str
    place: str
    reply: str | None
    stars: int | None
    photos: tuple[str, ...]  # what the reporter agreed to show, before and after
    report_id: int | None = None


def is_postable(report: Report) -> bool:
    """Tells whether REPORT belongs on the 回音壁: closed and verified by the reporter (rated)."""
    return report.status is Status.CLOSED and report.stars is not None


def public_unit(tree: UnitTree, unit: str) -> str | None:
    """Returns the nearest unit at or above UNIT that is a grid or wider (never a building, a
    door or a level of the office's own below the grid), or None if UNIT is unknown."""
    if unit not in tree:
        return None
    for node in tree.chain(unit):
        if node.level in _PUBLIC_LEVELS:
            return node.code
    return None


def scrub(text: str, terms: Iterable[str | None], marker: str) -> str:
    """Returns TEXT with every phone-like number and every TERM (the reporter's name, phone,
    contact, description) replaced by MARKER."""
    for term in sorted({t.strip() for t in terms if t and len(t.strip()) >= MIN_TERM}, key=len)[
        ::-1
    ]:
        text = text.replace(term, marker)
    for pattern in _PHONES:
        text = pattern.sub(marker, text)
    return text


def compose(
    report: Report,
    tree: UnitTree,
    *,
    photos_allowed: bool,
    terms: Iterable[str | None],
    marker: str,
) -> EchoPost:
    """Returns REPORT as the channel shows it.

    Photos only when the reporter agreed and is not erased (an erasure removes their consent
    with their photos); image files kept as documents (`doc:`, never re-encoded, may carry GPS)
    never go.
    """
    erased = bool(report.extra.get("erased"))
    photos: tuple[str, ...] = ()
    if photos_allowed and not erased:
        candidates = (*report.photos, *report.after_photos)
        photos = tuple(p for p in candidates if p and not p.startswith("doc:"))[:MAX_PHOTOS]
    unit = public_unit(tree, report.unit)
    place = tree.place_name(unit) if unit is not None else ""
    note = (report.resolution_note or "").strip()
    reply = scrub(note, [*terms, report.description, report.contact, report.comment], marker)
    return EchoPost(
        number=report.number,
        category=report.category,
        place=place,
        reply=reply or None,
        stars=report.stars,
        photos=photos,
        report_id=report.id,
    )
