"""An erased volunteer's loose ends, tied in the erasure's own commit.

The wishes they claimed and had not finished go back to open through the release path of
handlers/volunteers/wish_claims.py (an event, the confirmer told, the wish offered again) and
the staff member who approved it is told why; their places in activities that have not started
are cancelled through the cancellation of handlers/volunteers/activities.py (the earliest on
the waitlist moves up and is told). Past sign-ups, check-ins and points stay, under the
erasure's pseudonym. Nothing goes to the volunteer's own chat: it is erased in the same commit.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import wishes as domain
from bot.domain.wishes import Wish
from bot.notices import outgoing
from bot.notices.activities import promotion
from bot.notices.volunteers import lang_of
from bot.notices.wishes import released_messages
from bot.services import Services
from bot.usecases.wishes import policy
from storage.outbox import Outgoing
from storage.privacy import Before


def loose_ends(services: Services, uid: int, now: datetime) -> Before:
    """Returns the work erasing UID does first: releases their claimed wishes, cancels their
    coming sign-ups. It runs inside the erasure's commit, which holds the only writer, so what
    it reads cannot change before it writes."""

    async def tie(_: object) -> None:
        # The erasure's transaction is open in this task: the unit of work joins it.
        async with services.store.transaction() as tx:
            for wish in await tx.wishes.claimed_by(uid):
                after, event = domain.release(wish, uid, now, policy(services))
                told = await released_messages(services, after) + await staff_told(services, after)
                mine = [m for m in told if m.chat_id != uid]  # an offer they had been sent
                await tx.wishes.save(after, event, mine, expect_version=wish.version)
            for activity in await tx.activities.signed_up(uid, now):
                await tx.activities.cancel(activity, uid, now, [], promotion(services, activity))

    return tie


async def staff_told(services: Services, after: Wish) -> list[Outgoing]:
    """Returns the notice to the staff member who approved the wish (unless they confirm it and
    so are told by the release notice already)."""
    staff = after.approved_by
    if staff is None or staff == after.confirmer:
        return []
    lang = (await lang_of(services, [staff]))[staff]
    text = services.texts("erasure.wish_released_staff", lang, number=after.number)
    return [outgoing.message(staff, text)]
