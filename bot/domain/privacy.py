"""Privacy rules: what /delete_my_data lists, who may erase themselves, and the retention
cut-offs. Pure: the time is passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.people import Person

DAYS_PER_YEAR = 365


@dataclass(frozen=True, slots=True)
class Holdings:
    """What the bot holds of a person, counted (what /delete_my_data will erase)."""

    registered: bool
    phone: bool
    reports: int
    wishes: int
    volunteer: bool
    photos: int
    claimed: int = 0  # wishes they claimed and have not finished: offered again
    signups: int = 0  # places in activities not yet started: handed to the waitlist
    followed: int = 0  # reports they follow (并单 "me too" or merged): the link is erased
    votes: int = 0  # 议事会 poll votes: kept in the counts under an anonymous record
    muted: bool = False  # they muted broadcasts: the setting goes with them


def erase_items(held: Holdings) -> list[tuple[str, dict[str, int]]]:
    """Returns the catalog keys (with parameters) of the lines that say what will be erased."""
    items: list[tuple[str, dict[str, int]]] = [("privacy.item_profile", {})]
    if held.phone:
        items.append(("privacy.item_phone", {}))
    if held.reports:
        items.append(("privacy.item_reports", {"count": held.reports, "photos": held.photos}))
    if held.wishes:
        items.append(("privacy.item_wishes", {"count": held.wishes}))
    if held.volunteer:
        items.append(("privacy.item_volunteer", {}))
    if held.claimed:
        items.append(("erasure.item_claimed", {"count": held.claimed}))
    if held.signups:
        items.append(("erasure.item_signups", {"count": held.signups}))
    if held.followed:
        items.append(("erasure.item_followed", {"count": held.followed}))
    if held.votes:
        items.append(("erasure.item_votes", {"count": held.votes}))
    if held.muted:
        items.append(("erasure.item_muted", {}))
    items.append(("privacy.item_raw", {}))
    return items


def may_erase_self(person: Person | None) -> bool:
    """Tells whether PERSON may erase themselves: staff records follow the office's rules
    (an admin removes them first); anyone else may, even someone the bot no longer knows."""
    return person is None or person.staff is None


@dataclass(frozen=True, slots=True)
class Retention:
    """How long raw and personal data is kept ([privacy] settings)."""

    raw_days: int = 7
    draft_days: int = 7
    case_years: int = 3
    care_note_days: int = 730
    audit_days: int = 180
    batch: int = 500


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Rows older than these go (UTC): raw payloads and sent bodies, drafts, closed reports'
    personal fields (by their last change), visit notes, refused presses."""

    raw: datetime
    drafts: datetime
    cases: datetime
    care_notes: datetime
    audit: datetime
    batch: int


def cutoffs(policy: Retention, now: datetime) -> Cutoffs:
    """Returns the cut-offs of POLICY at NOW (a year counts 365 days)."""
    return Cutoffs(
        raw=now - timedelta(days=policy.raw_days),
        drafts=now - timedelta(days=policy.draft_days),
        cases=now - timedelta(days=policy.case_years * DAYS_PER_YEAR),
        care_notes=now - timedelta(days=policy.care_note_days),
        audit=now - timedelta(days=policy.audit_days),
        batch=policy.batch,
    )
