"""码上安全 merchant self-checks: a shop, who may decide on it, where it lies, its cadence and the
one thing the sweep does for it now. Pure: time is passed in.

A shop registered in chat waits for its grid's staff (or the community's) to approve it. Each
cadence period (a week or a month from the office's weekday or day and hour) an approved shop is
sent the checklist; it is answered item by item and submitted as a whole. Unanswered, it is
reminded every `remind_every`, and after `grace` (or when the next period begins) the grid
worker is told once. After downtime the sweep does the highest step reached, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.people import Role, Staff
from bot.domain.units import Tier, Unit, UnitTree, distance_m

MAX_NAME = 40
MAX_NOTE = 300


class MerchantError(ValueError):
    """Bad input from the merchant; KEY is the catalog key of the polite answer."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class MerchantStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    INACTIVE = "inactive"


class Stage(StrEnum):
    """Where the current period's checklist stands."""

    OPEN = "open"  # sent, not yet submitted
    DONE = "done"  # submitted
    MISSED = "missed"  # not submitted in time: the grid worker was told


class Action(StrEnum):
    SEND = "send"  # a new period: the checklist goes out
    REMIND = "remind"
    ESCALATE = "escalate"  # missed: one line in the grid worker's list
    DEFER = "defer"  # nothing to say yet: look again at next_at


@dataclass(frozen=True, slots=True)
class Merchant:
    owner_id: int
    name: str
    kind: str
    unit: str
    phone: str | None = None
    status: MerchantStatus = MerchantStatus.PENDING
    decided_by: int | None = None
    decided_at: datetime | None = None
    period: str | None = None
    stage: Stage | None = None
    opened_at: datetime | None = None
    reminders: int = 0
    next_at: datetime | None = None
    last_check_at: datetime | None = None
    last_failed: int | None = None
    version: int = 0
    created_at: datetime | None = None
    id: int | None = None

    @property
    def is_approved(self) -> bool:
        return self.status is MerchantStatus.APPROVED


@dataclass(frozen=True, slots=True)
class Item:
    """One checklist item as the office configured it."""

    code: str
    zh: str
    en: str
    category: str
    photo: bool = False
    kinds: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Answer:
    """The merchant's answer to one item: ok, or a problem with a note; a photo where asked."""

    code: str
    ok: bool
    note: str | None = None
    photo: str | None = None
    report_id: int | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """The office's cadence and clocks ([merchants])."""

    tz: ZoneInfo
    cadence: str = "weekly"  # or "monthly"
    weekday: int = 1  # 1 = Monday
    day: int = 1
    hour: int = 9
    reminders: int = 2
    remind_every: timedelta = timedelta(hours=24)
    grace: timedelta = timedelta(hours=72)


def checklist(items: Iterable[Item], kind: str) -> list[Item]:
    """Returns the items a shop of KIND answers, in the configured order."""
    return [item for item in items if not item.kinds or kind in item.kinds]


# Input -------------------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


def clean_name(text: str | None) -> str:
    value = " ".join((text or "").split())
    if not value or len(value) > MAX_NAME or value.startswith("/"):
        raise MerchantError("merchant.bad_name")
    return value


def clean_phone(text: str | None) -> str:
    value = (text or "").strip()
    if not _PHONE.match(value):
        raise MerchantError("merchant.bad_phone")
    return value


def clean_note(text: str | None) -> str:
    value = (text or "").strip()
    if not value or len(value) > MAX_NOTE or value.startswith("/"):
        raise MerchantError("merchant.bad_note")
    return value


def in_a_grid(tree: UnitTree, code: str) -> bool:
    """Tells whether CODE is a grid or lies below one (a shop's place must)."""
    return code in tree and any(unit.level == "grid" for unit in tree.chain(code))


def locate(tree: UnitTree, lat: float, lon: float, max_m: float) -> tuple[Unit, float] | None:
    """Returns the unit with coordinates in a grid nearest to (LAT, LON) and its distance, if
    within MAX_M metres; None: the place lies outside every grid."""
    best: tuple[Unit, float] | None = None
    for unit in tree.buildings():
        assert unit.lat is not None and unit.lon is not None
        if not in_a_grid(tree, unit.code):
            continue
        metres = distance_m(lat, lon, unit.lat, unit.lon)
        if metres <= max_m and (best is None or metres < best[1]):
            best = (unit, metres)
    return best


# Who decides and who is told --------------------------------------------------------------

_DECIDERS = (Role.GRID_WORKER, Role.GRID_HEAD, Role.COMMUNITY, Role.STREET, Role.DISTRICT)


def may_manage(staff: Staff | None, unit: str, tree: UnitTree) -> bool:
    """Tells whether STAFF looks after shops at UNIT: staff of its grid or above (not partners)."""
    if staff is None:
        return False
    if staff.role is Role.ADMIN:
        return True
    return (
        staff.role in _DECIDERS
        and unit in tree
        and staff.unit in tree
        and tree.is_within(unit, staff.unit)
    )


def responsible(unit: str, tree: UnitTree, staff: Iterable[Staff]) -> list[Staff]:
    """Returns who decides on and hears about a shop at UNIT: the staff of the nearest unit at
    or above it (its grid's workers first, else the community's …); admins if none."""
    staff = list(staff)
    if unit in tree:
        for candidate in tree.chain(unit):
            here = [s for s in staff if s.unit == candidate.code and s.role in _DECIDERS]
            if here:
                return sorted(here, key=lambda s: (s.role is not Role.GRID_WORKER, s.user_id))
    return sorted((s for s in staff if s.role is Role.ADMIN), key=lambda s: s.user_id)


def grid_of(unit: str, tree: UnitTree) -> Unit | None:
    return tree.unit_at_tier(unit, Tier.GRID) if unit in tree else None


# The cadence -------------------------------------------------------------------------------


def period_start(policy: Policy, at: datetime) -> datetime:
    """Returns the start (UTC-aware, in the office's zone) of the cadence period holding AT."""
    local = at.astimezone(policy.tz)
    if policy.cadence == "monthly":
        start = _at(policy, date(local.year, local.month, policy.day))
        if start > at:
            year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
            start = _at(policy, date(year, month, policy.day))
        return start
    back = (local.isoweekday() - policy.weekday) % 7
    start = _at(policy, local.date() - timedelta(days=back))
    return start if start <= at else _at(policy, local.date() - timedelta(days=back + 7))


def next_start(policy: Policy, at: datetime) -> datetime:
    """Returns the start of the period after the one holding AT."""
    start = period_start(policy, at).astimezone(policy.tz)
    if policy.cadence == "monthly":
        year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
        return _at(policy, date(year, month, policy.day))
    return _at(policy, start.date() + timedelta(days=7))


def period_key(policy: Policy, at: datetime) -> str:
    """Names the period holding AT by its first local day ("2026-12-07")."""
    return period_start(policy, at).astimezone(policy.tz).date().isoformat()


def _at(policy: Policy, day: date) -> datetime:
    return datetime.combine(day, time(policy.hour), tzinfo=policy.tz)


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    merchant: Merchant  # as it stands after the action


def decide(merchant: Merchant, now: datetime, policy: Policy) -> Decision:
    """Returns the one thing the sweep does for an approved MERCHANT at NOW (after downtime:
    the highest step reached, once) and the merchant after it."""
    current = period_key(policy, now)
    upcoming = next_start(policy, now)
    if merchant.stage is Stage.OPEN and merchant.opened_at is not None:
        if now >= merchant.opened_at + policy.grace:  # told once; a new period's checklist
            after_at = now if merchant.period != current else upcoming  # follows next pass
            return Decision(Action.ESCALATE, _moved(merchant, Stage.MISSED, after_at))
        if merchant.period != current:  # opened late in its period: the new one replaces it
            return _send(merchant, current, now, policy)
        due = min(policy.reminders, int((now - merchant.opened_at) / policy.remind_every))
        if due > merchant.reminders:
            return Decision(
                Action.REMIND, _moved(merchant, Stage.OPEN, _next_look(merchant, due, policy), due)
            )
        return Decision(
            Action.DEFER,
            _moved(merchant, Stage.OPEN, _next_look(merchant, merchant.reminders, policy)),
        )
    if merchant.period != current:
        return _send(merchant, current, now, policy)
    return Decision(Action.DEFER, _moved(merchant, merchant.stage, upcoming))


def _send(merchant: Merchant, period: str, now: datetime, policy: Policy) -> Decision:
    opened = replace(merchant, period=period, opened_at=now, reminders=0)
    return Decision(Action.SEND, _moved(opened, Stage.OPEN, _next_look(opened, 0, policy)))


def _next_look(merchant: Merchant, reminded: int, policy: Policy) -> datetime:
    assert merchant.opened_at is not None
    end = merchant.opened_at + policy.grace
    if reminded < policy.reminders:
        return min(merchant.opened_at + policy.remind_every * (reminded + 1), end)
    return end


def _moved(
    merchant: Merchant, stage: Stage | None, next_at: datetime, reminders: int | None = None
) -> Merchant:
    return replace(
        merchant,
        stage=stage,
        next_at=next_at,
        reminders=merchant.reminders if reminders is None else reminders,
    )


def approve(merchant: Merchant, by: Staff, at: datetime, approved: bool) -> Merchant:
    """Returns the pending MERCHANT approved (its first checklist on the next sweep) or
    declined; raises MerchantError("merchant.already_decided") if it is not pending."""
    if merchant.status is not MerchantStatus.PENDING:
        raise MerchantError("merchant.already_decided")
    if not approved:
        return replace(
            merchant, status=MerchantStatus.DECLINED, decided_by=by.user_id, decided_at=at
        )
    return replace(
        merchant,
        status=MerchantStatus.APPROVED,
        decided_by=by.user_id,
        decided_at=at,
        next_at=at,  # the first checklist goes out at once: a new shop checks itself now
    )


def deactivate(merchant: Merchant) -> Merchant:
    if merchant.status is MerchantStatus.INACTIVE:
        raise MerchantError("merchant.already_inactive")
    return replace(merchant, status=MerchantStatus.INACTIVE, next_at=None)


def may_submit(merchant: Merchant, period: str) -> str | None:
    """Returns why the check of PERIOD cannot be submitted now (a catalog key), or None."""
    if not merchant.is_approved:
        return "merchant.not_active"
    if merchant.period != period:
        return "merchant.check_expired"
    if merchant.stage is Stage.DONE:
        return "merchant.already_submitted"
    return None


def submitted(merchant: Merchant, at: datetime, failed: int, policy: Policy) -> Merchant:
    """Returns MERCHANT after its check of the current period with FAILED items (a late one,
    after the worker was told, counts too): done until the next period."""
    return replace(
        merchant,
        stage=Stage.DONE,
        next_at=next_start(policy, at),
        last_check_at=at,
        last_failed=failed,
    )


def failures(items: Sequence[Item], answers: Sequence[Answer]) -> list[tuple[Item, Answer]]:
    """Returns the failed items with their answers, in checklist order."""
    by_code = {item.code: item for item in items}
    return [(by_code[a.code], a) for a in answers if not a.ok and a.code in by_code]


def complete(items: Sequence[Item], answers: Sequence[Answer]) -> bool:
    """Tells whether ANSWERS answer ITEMS in order, each photo and problem note given."""
    if [a.code for a in answers] != [i.code for i in items]:
        return False
    return all(
        (not item.photo or a.photo) and (a.ok or a.note)
        for item, a in zip(items, answers, strict=True)
    )
