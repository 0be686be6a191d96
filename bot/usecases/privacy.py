"""Privacy use cases: consent to use a shared location, a person erasing themselves (with the
loose ends an erased volunteer leaves), and staff erasing a 五必访 household with a reason.

Erasing a person is one unit of work: the wishes they claimed and had not finished go back to
open (an event, the confirmer told, the wish offered again; the staff member who approved it
told why), their places in activities that have not started are cancelled (the earliest on the
waitlist moves up and is told), then storage/privacy.py erases them from every table. Past
sign-ups, check-ins and points stay, under the erasure's pseudonym. Nothing goes to the
person's own chat: it is erased in the same commit, so the handler answers the press instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import access
from bot.domain import privacy as rules
from bot.domain import wishes as wish_rules
from bot.domain.wishes import Wish
from bot.notices import outgoing
from bot.notices.activities import promotion
from bot.notices.volunteers import lang_of
from bot.notices.wishes import released_messages
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from bot.usecases.wishes import policy
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.privacy import Erased
from storage.uow import UnitOfWork

LOCATION = "location"  # consent to use a shared location (the nearest building)
CONSENTS = (LOCATION,)
REASON_MIN = 2  # a household's erasure needs a reason of at least this many characters
REASON_MAX = 200


async def give_consent(
    services: Services,
    user_id: int,
    kind: str,
    *,
    at: datetime,
    draft: Draft,
    messages: Sequence[Outgoing] = (),
) -> Done[None] | Refused:
    """Records USER_ID's consent of KIND with its time, moves their DRAFT on and queues MESSAGES
    (the prompt it unlocks), in one commit — only while DRAFT is still the prompt that asked.

    Refused: "common.not_allowed" (no such consent), "common.stale_button" (the walk moved on
    or ended meanwhile: nothing is recorded).
    """
    if kind not in CONSENTS or draft.user_id != user_id:
        return Refused("common.not_allowed")
    async with services.store.transaction() as tx:
        current = await tx.drafts.get(user_id)
        if current is None or (current.flow, current.data.get("n")) != (
            draft.flow,
            draft.data.get("n"),
        ):
            return Refused("common.stale_button")
        await tx.privacy.give_consent(user_id, kind, at, draft, messages)
    return Done(None)


async def erase_person(services: Services, user_id: int, *, at: datetime) -> Done[Erased] | Refused:
    """Erases USER_ID (and first hands on what they leave as a volunteer) in one commit.

    Refused("privacy.staff"): staff records follow the office's rules (an admin removes them
    first); nothing changes.
    """
    me = await services.people.get(user_id)
    if not rules.may_erase_self(me):
        return Refused("privacy.staff")
    marker = services.texts("privacy.erased_marker", services.settings.default_language)
    async with services.store.transaction() as tx:
        await _release_wishes(services, tx, user_id, at)
        for activity in await tx.activities.signed_up(user_id, at):
            await tx.activities.cancel(activity, user_id, at, [], promotion(services, activity))
        erased = await tx.privacy.erase(user_id, at, marker)
    return Done(erased)


async def _release_wishes(services: Services, tx: UnitOfWork, uid: int, at: datetime) -> None:
    """Gives back the wishes UID claimed: open again, offered anew, the confirmer and the
    approving staff member told (never UID: an offer to them would outlive the erasure)."""
    for wish in await tx.wishes.claimed_by(uid):
        after, event = wish_rules.release(wish, uid, at, policy(services))
        told = await released_messages(services, after) + await _approver_told(services, after)
        others = [m for m in told if m.chat_id != uid]
        await tx.wishes.save(after, event, others, expect_version=wish.version)


async def _approver_told(services: Services, after: Wish) -> list[Outgoing]:
    """Returns the notice to the staff member who approved the wish (unless they confirm it and
    so are told by the release notice already)."""
    staff = after.approved_by
    if staff is None or staff == after.confirmer:
        return []
    lang = (await lang_of(services, [staff]))[staff]
    text = services.texts("erasure.wish_released_staff", lang, number=after.number)
    return [outgoing.message(staff, text)]


async def household_to_erase(
    services: Services,
    household_id: int | None,
    *,
    by: int,
    at: datetime,
    action: str = "hherase:ask",
) -> Done[int] | Refused:
    """Returns HOUSEHOLD_ID if BY is staff who may manage it (access.manage_household) and it is
    not erased yet: what asking for the reason needs, and erasing checks again.

    Refused: "common.not_allowed" (no such household; or the rule refused: recorded),
    "privacy.household_already" (with {id}).
    """
    household = await services.store.households.get(household_id) if household_id else None
    if household is None or household.id is None:
        return Refused("common.not_allowed")
    staff = await services.people.staff(by)
    rule = access.manage_household(staff, household, await services.units.tree())
    if rule is not None:
        return await refuse(services, by, rule, f"household:{household.id}", action, at=at)
    if await services.privacy.household_erased(household.id):
        return Refused("privacy.household_already", {"id": household.id})
    return Done(household.id)


async def erase_household(
    services: Services, household_id: int | None, *, by: int, at: datetime, reason: str
) -> Done[int] | Refused:
    """Erases the household's label, notes and visit notes and stops its visits (the visits
    and events stay for the monthly figures), records BY and REASON, ends BY's draft and tells
    them, in one commit. Returns the household's id.

    Refused: "privacy.household_reason_short" (with {minimum}; the draft stays for another
    try), or what `household_to_erase` refuses.
    """
    reason = reason.strip()[:REASON_MAX]
    if len(reason) < REASON_MIN:
        return Refused("privacy.household_reason_short", {"minimum": REASON_MIN})
    found = await household_to_erase(services, household_id, by=by, at=at, action="hherase:erase")
    if isinstance(found, Refused):
        return found
    erased_id = found.value
    lang = (await services.people.languages([by])).get(by, services.settings.default_language)
    done = services.texts("privacy.household_erased", lang, id=erased_id, reason=reason)
    marker = services.texts("privacy.erased_marker", services.settings.default_language)
    async with services.store.transaction() as tx:
        erased = await tx.privacy.erase_household(
            erased_id,
            by,
            reason,
            at,
            marker,
            [outgoing.message(by, done)],
            clear_draft_of=by,
        )
    if not erased:  # erased by someone else meanwhile
        return Refused("privacy.household_already", {"id": erased_id})
    return Done(erased_id)
