"""微心愿 (micro-wishes): a resident's small need, approved by staff, claimed by one volunteer.

pending → (staff approve) open → (first volunteer to claim) claimed → (proof photo) done →
(the resident, or the staff member who posted it, confirms) closed. Every move is an event.
Contact details reach the claimer only once the claim is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.people import Staff
from bot.domain.units import UnitTree
from bot.domain.volunteers import InvalidInput, InvalidMove, NotAllowed, Volunteer, may_manage

MAX_TEXT = 500
MIN_TEXT = 4
MAX_THANKS = 300
OTHER = "other"  # a wish whose kind is none of the configured skills


class WishStatus(StrEnum):
    PENDING = "pending"  # 待审核
    OPEN = "open"  # 待认领
    CLAIMED = "claimed"  # 已认领
    DONE = "done"  # 待确认: the claimer sent the proof photo
    CLOSED = "closed"  # 已完成
    DECLINED = "declined"  # staff declined it

    @property
    def is_active(self) -> bool:
        return self in (WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.DONE)


class WishAction(StrEnum):
    POST = "post"
    APPROVE = "approve"
    DECLINE = "decline"
    CLAIM = "claim"
    RELEASE = "release"  # the claimer gives it back
    FINISH = "finish"
    CONFIRM = "confirm"
    REDO = "redo"  # the resident says it is not done yet
    THANK = "thank"
    NAG = "nag"


TRANSITIONS: dict[tuple[WishStatus | None, WishAction], WishStatus] = {
    (None, WishAction.POST): WishStatus.PENDING,
    (WishStatus.PENDING, WishAction.APPROVE): WishStatus.OPEN,
    (WishStatus.PENDING, WishAction.DECLINE): WishStatus.DECLINED,
    (WishStatus.OPEN, WishAction.CLAIM): WishStatus.CLAIMED,
    (WishStatus.CLAIMED, WishAction.RELEASE): WishStatus.OPEN,
    (WishStatus.CLAIMED, WishAction.FINISH): WishStatus.DONE,
    (WishStatus.DONE, WishAction.CONFIRM): WishStatus.CLOSED,
    (WishStatus.DONE, WishAction.REDO): WishStatus.CLAIMED,
    (WishStatus.CLOSED, WishAction.THANK): WishStatus.CLOSED,
    (WishStatus.OPEN, WishAction.NAG): WishStatus.OPEN,
    (WishStatus.CLAIMED, WishAction.NAG): WishStatus.CLAIMED,
}


@dataclass(frozen=True, slots=True)
class NagPolicy:
    unclaimed: timedelta  # open this long without a claim: nag staff
    stalled: timedelta  # claimed this long without being done: nag staff
    max_nags: int


@dataclass(frozen=True, slots=True)
class Wish:
    posted_by: int  # the resident, or the staff member who posted on someone's behalf
    unit: str
    category: str  # a skill code, or OTHER
    text: str
    created_at: datetime
    resident_id: int | None = None  # None when staff posted for someone without Telegram
    contact_name: str = ""
    contact_phone: str | None = None
    photo: str | None = None
    status: WishStatus = WishStatus.PENDING
    claimer_id: int | None = None
    claimed_at: datetime | None = None
    proof_photo: str | None = None
    proof_note: str | None = None
    done_at: datetime | None = None
    thanks: str | None = None
    approved_by: int | None = None
    nag_at: datetime | None = None  # when the sweep next nags staff (NULL: nothing due)
    nags: int = 0
    updated_at: datetime | None = None
    id: int | None = None
    version: int = 0

    @property
    def number(self) -> str:
        return f"W{self.id:06d}" if self.id is not None else "W??????"

    @property
    def confirmer(self) -> int:
        """Returns who confirms it is done: the resident, else the staff member who posted it."""
        return self.resident_id if self.resident_id is not None else self.posted_by

    @property
    def skills(self) -> tuple[str, ...]:
        """Returns the skills a helper needs (none for OTHER: anyone near may help)."""
        return () if self.category == OTHER else (self.category,)

    def may_see_contact(self, user_id: int) -> bool:
        """Tells whether USER_ID may see the resident's contact: the poster and the claimer."""
        if user_id in (self.posted_by, self.resident_id):
            return True
        return self.claimer_id == user_id and self.status in (
            WishStatus.CLAIMED,
            WishStatus.DONE,
            WishStatus.CLOSED,
        )


@dataclass(frozen=True, slots=True)
class WishEvent:
    action: WishAction
    old: WishStatus | None
    new: WishStatus
    actor_id: int | None
    at: datetime
    note: str | None = None
    wish_id: int | None = None


def clean_wish_text(text: str | None) -> str:
    value = (text or "").strip()
    if len(value) < MIN_TEXT:
        raise InvalidInput("wish.text_too_short")
    if len(value) > MAX_TEXT:
        raise InvalidInput("wish.text_too_long")
    return value


def _move(
    wish: Wish, action: WishAction, actor: int | None, at: datetime, note: str | None = None, **kw
) -> tuple[Wish, WishEvent]:
    new = TRANSITIONS.get((wish.status, action))
    if new is None:
        raise InvalidMove
    after = replace(wish, status=new, updated_at=at, **kw)
    return after, WishEvent(action, wish.status, new, actor, at, note, wish.id)


def post(wish: Wish, at: datetime) -> tuple[Wish, WishEvent]:
    """Returns the new wish waiting for staff, and its first event."""
    after = replace(wish, status=WishStatus.PENDING, created_at=at, updated_at=at)
    return after, WishEvent(WishAction.POST, None, WishStatus.PENDING, wish.posted_by, at)


def approve(
    wish: Wish, staff: Staff, at: datetime, tree: UnitTree, policy: NagPolicy
) -> tuple[Wish, WishEvent]:
    if not may_manage(staff, wish.unit, tree):
        raise NotAllowed
    return _move(
        wish,
        WishAction.APPROVE,
        staff.user_id,
        at,
        approved_by=staff.user_id,
        nag_at=at + policy.unclaimed,
        nags=0,
    )


def decline(wish: Wish, staff: Staff, at: datetime, tree: UnitTree) -> tuple[Wish, WishEvent]:
    if not may_manage(staff, wish.unit, tree):
        raise NotAllowed
    return _move(wish, WishAction.DECLINE, staff.user_id, at, nag_at=None)


def claim(
    wish: Wish, volunteer: Volunteer | None, at: datetime, policy: NagPolicy
) -> tuple[Wish, WishEvent]:
    """Returns the wish claimed by VOLUNTEER (storage makes the first claim win)."""
    if volunteer is None or not volunteer.is_approved:
        raise NotAllowed
    if volunteer.user_id in (wish.posted_by, wish.resident_id):
        raise NotAllowed  # nobody earns points for their own wish
    return _move(
        wish,
        WishAction.CLAIM,
        volunteer.user_id,
        at,
        claimer_id=volunteer.user_id,
        claimed_at=at,
        nag_at=at + policy.stalled,
        nags=0,
    )


def release(wish: Wish, user_id: int, at: datetime, policy: NagPolicy) -> tuple[Wish, WishEvent]:
    if user_id != wish.claimer_id:
        raise NotAllowed
    return _move(
        wish,
        WishAction.RELEASE,
        user_id,
        at,
        claimer_id=None,
        claimed_at=None,
        nag_at=at + policy.unclaimed,
        nags=0,
    )


def finish(
    wish: Wish, user_id: int, photo: str | None, note: str | None, at: datetime
) -> tuple[Wish, WishEvent]:
    """Returns the wish done by its claimer; the proof photo is required."""
    if user_id != wish.claimer_id:
        raise NotAllowed
    if not photo:
        raise InvalidInput("wish.proof_photo_needed")
    return _move(
        wish,
        WishAction.FINISH,
        user_id,
        at,
        note,
        proof_photo=photo,
        proof_note=note,
        done_at=at,
        nag_at=None,
    )


def confirm(wish: Wish, user_id: int, at: datetime) -> tuple[Wish, WishEvent]:
    if user_id != wish.confirmer:
        raise NotAllowed
    return _move(wish, WishAction.CONFIRM, user_id, at, nag_at=None)


def redo(wish: Wish, user_id: int, at: datetime, policy: NagPolicy) -> tuple[Wish, WishEvent]:
    if user_id != wish.confirmer:
        raise NotAllowed
    return _move(wish, WishAction.REDO, user_id, at, nag_at=at + policy.stalled, nags=0)


def thank(wish: Wish, user_id: int, text: str, at: datetime) -> tuple[Wish, WishEvent]:
    if user_id != wish.confirmer:
        raise NotAllowed
    if wish.thanks is not None:
        raise InvalidMove
    thanks = clean_thanks(text)
    return _move(wish, WishAction.THANK, user_id, at, thanks, thanks=thanks)


def clean_thanks(text: str | None) -> str:
    value = (text or "").strip()
    if not value or len(value) > MAX_THANKS:
        raise InvalidInput("wish.bad_thanks")
    return value


def nag(wish: Wish, at: datetime, policy: NagPolicy) -> tuple[Wish, WishEvent]:
    """Returns the wish after one nag to staff: the next one after another window, up to a cap."""
    window = policy.unclaimed if wish.status is WishStatus.OPEN else policy.stalled
    nags = wish.nags + 1
    next_at = at + window if nags < policy.max_nags else None
    after, event = _move(wish, WishAction.NAG, None, at, nag_at=next_at, nags=nags)
    return replace(after, updated_at=wish.updated_at), event
