"""The wish use cases (微心愿), and what they decide with: the nag policy from the settings.

A wish is posted (by a resident, or by staff for someone without Telegram), reviewed by staff,
claimed by a volunteer, finished with a proof photo, confirmed (or sent back) by the resident,
who may thank the volunteer; the sweep nags staff about wishes left lying. Each is one commit
with compare-and-set on the wish's version (or status), so a second press changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import wishes as domain
from bot.domain.access import Rule
from bot.domain.people import Role
from bot.domain.points import PointKind, value_of
from bot.domain.volunteers import InvalidInput, InvalidMove, NotAllowed, Volunteer, may_manage
from bot.domain.wishes import NagPolicy, Wish, WishEvent, WishStatus
from bot.notices import outgoing
from bot.notices.volunteers import lang_of
from bot.notices.wishes import (
    claim_key,
    claimed_messages,
    confirmed_messages,
    finished_messages,
    nag_messages,
    offer_key,
    posted_messages,
    redo_messages,
    refresh_offers,
    released_messages,
    reviewed_messages,
    thanks_messages,
)
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing
from storage.wishes import StaleWish


def policy(services: Services) -> NagPolicy:
    config = services.settings.volunteers
    return NagPolicy(
        unclaimed=timedelta(hours=config.wish_unclaimed_hours),
        stalled=timedelta(days=config.wish_stalled_days),
        max_nags=config.wish_max_nags,
    )


async def confirm_wish(
    services: Services, wish_id: int, *, by: int, at: datetime
) -> Done[Wish] | Refused:
    """The resident (or the staff member who posted for them) confirms WISH_ID done: the wish
    closes and its claimer earns the wish's points, in one commit with both notices.

    Refused: "common.stale_button" (no such wish), "common.not_allowed" (not the confirmer:
    recorded for /audit), "wish.already_closed" (a second press, or it changed meanwhile).
    """
    wish = await _wish_for(
        services, wish_id, access.act_as_confirmer, by=by, at=at, action="wish:confirm"
    )
    if isinstance(wish, Refused):
        return wish
    try:
        after, event = domain.confirm(wish, by, at)
    except NotAllowed:
        return Refused("common.not_allowed")
    except InvalidMove:
        return Refused("wish.already_closed")
    assert wish.claimer_id is not None
    claimer = wish.claimer_id
    points = value_of(PointKind.WISH, services.settings.volunteers.points.model_dump())
    messages = [
        *await confirmed_messages(services, wish, by=by, claimer=claimer, points=points),
        *await refresh_offers(services, after),
    ]
    try:
        async with services.store.transaction() as tx:
            await tx.wishes.save(after, event, messages, expect_version=wish.version)
            await tx.points.award(claimer, PointKind.WISH, wish.id, points, at)
    except StaleWish:
        return Refused("wish.already_closed")
    return Done(after)


async def claim_wish(
    services: Services, wish_id: int, *, by: int, at: datetime
) -> Done[Wish] | Refused:
    """Volunteer BY claims WISH_ID if it is still open: of two claims at once exactly one wins
    (compare-and-set on the open status) and only the winner gets the contact.

    Refused: "common.stale_button", "audit.wish_not_offered" / "wish.volunteers_only" (by
    access.claim_wish, recorded), "wish.yours_already", "wish.taken", "wish.taken_meanwhile"
    (lost the race; with {number}).
    """
    found = await _claimable(services, wish_id, by=by, at=at, action="wish:claim")
    if isinstance(found, Refused):
        return found
    wish, volunteer = found
    try:
        after, event = domain.claim(wish, volunteer, at, policy(services))
    except NotAllowed:
        return Refused("wish.volunteers_only")
    except InvalidMove:
        return Refused("wish.yours_already" if wish.claimer_id == by else "wish.taken")
    messages = await claimed_messages(services, after, by)
    async with services.store.transaction() as tx:
        if not await tx.wishes.claim(after, event, messages):
            return Refused("wish.taken_meanwhile", {"number": wish.number})
    return Done(after)


async def view_wish(
    services: Services, wish_id: int, *, by: int, at: datetime
) -> Done[Wish] | Refused:
    """Returns the open wish WISH_ID for volunteer BY to read privately (pressed under a group
    announcement): the same volunteers who may claim it may see it. Nothing is written.

    Refused: "common.stale_button", "audit.wish_not_offered" / "wish.volunteers_only" (by
    access.claim_wish, recorded), "wish.taken" (no longer open).
    """
    found = await _claimable(services, wish_id, by=by, at=at, action="wish:view")
    if isinstance(found, Refused):
        return found
    wish, _ = found
    if wish.status is not WishStatus.OPEN:
        return Refused("wish.taken")
    return Done(wish)


async def _claimable(
    services: Services, wish_id: int, *, by: int, at: datetime, action: str
) -> tuple[Wish, Volunteer | None] | Refused:
    """Returns WISH_ID and BY's volunteer record if access.claim_wish lets BY see and claim it
    (offered to them, or one the matching would pick); else the refusal of ACTION, recorded."""
    wish = await services.store.wishes.get(wish_id)
    if wish is None:
        return Refused("common.stale_button")
    volunteer = await services.store.volunteers.get(by)
    offered = by in await services.store.outbox.card_chats(offer_key(wish))
    rule = access.claim_wish(
        volunteer,
        wish,
        await services.store.units.tree(),
        offered=offered,
        levels_up=services.settings.volunteers.match_levels_up,
    )
    if rule is not None:
        approved = volunteer is not None and volunteer.is_approved
        key = "audit.wish_not_offered" if approved else "wish.volunteers_only"
        return await refuse(services, by, rule, f"wish:{wish.id}", action, at=at, key=key)
    return wish, volunteer


async def release_wish(
    services: Services, wish_id: int, *, by: int, at: datetime
) -> Done[Wish] | Refused:
    """The claimer BY gives WISH_ID back: it is open again, the confirmer is told and it is
    offered anew, in one commit.

    Refused: "common.stale_button" (no such wish, or no longer theirs to give back),
    "common.not_allowed" (not the claimer: recorded), "wish.changed_meanwhile" (with {number}).
    """
    wish = await _wish_for(
        services, wish_id, access.act_as_claimer, by=by, at=at, action="wish:release"
    )
    if isinstance(wish, Refused):
        return wish
    try:
        after, event = domain.release(wish, by, at, policy(services))
    except (NotAllowed, InvalidMove):
        return Refused("common.stale_button")
    lang = (await lang_of(services, [by]))[by]
    card = outgoing.card(
        by, claim_key(wish), services.texts("wish.released_card", lang, number=wish.number)
    )
    messages = [card, *await released_messages(services, after)]
    try:
        async with services.store.transaction() as tx:
            await tx.wishes.save(after, event, messages, expect_version=wish.version)
    except StaleWish:
        return Refused("wish.changed_meanwhile", {"number": wish.number})
    return Done(after)


async def post_wish(
    services: Services,
    *,
    by: int,
    at: datetime,
    unit: str,
    category: str,
    text: str,
    contact_name: str,
    contact_phone: str | None,
    photo: str | None,
    for_someone: bool,
    card: str,
) -> Done[Wish]:
    """Stores BY's wish (FOR_SOMEONE: staff posting for a resident without Telegram, who is then
    named by CONTACT_NAME only). Staff over UNIT approve their own at once and it is announced;
    any other goes to the nearest staff for review. BY's card CARD says which, and BY's draft
    ends, in one commit."""
    wish, first = domain.post(
        Wish(
            posted_by=by,
            resident_id=None if for_someone else by,
            unit=unit,
            category=category,
            text=text,
            created_at=at,
            contact_name=contact_name,
            contact_phone=contact_phone,
            photo=photo,
        ),
        at,
    )
    events = [first]
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    if staff is not None and staff.role is not Role.PARTNER and may_manage(staff, unit, tree):
        wish, approved = domain.approve(wish, staff, at, tree, policy(services))
        events.append(approved)

    async def messages(stored: Wish) -> list[Outgoing]:  # the notices need the wish's number
        return await posted_messages(services, stored, by, card)

    async with services.store.transaction() as tx:
        stored = await tx.wishes.create(wish, events, messages)
        await tx.drafts.clear(by, at)
    return Done(stored)


async def review_wish(
    services: Services, wish_id: int, *, by: int, at: datetime, approve: bool
) -> Done[Wish] | Refused:
    """Staff member BY approves (announces) or declines a pending wish: the review cards close
    naming BY and the poster is told, in one commit; once only.

    Refused: "common.stale_button" (no such wish), "common.not_allowed" (BY does not look after
    the wish's unit: recorded), "wish.already_reviewed".
    """
    wish = await services.store.wishes.get(wish_id)
    if wish is None:
        return Refused("common.stale_button")
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    if (rule := access.review_wish(staff, wish, tree)) is not None or staff is None:
        action = "wish:ok" if approve else "wish:no"
        return await refuse(
            services, by, rule or Rule.WISH_REVIEW, f"wish:{wish.id}", action, at=at
        )
    try:
        if approve:
            after, event = domain.approve(wish, staff, at, tree, policy(services))
        else:
            after, event = domain.decline(wish, staff, at, tree)
    except NotAllowed:  # the rule above said yes; kept so the domain's own check stays honest
        return Refused("common.not_allowed")
    except InvalidMove:
        return Refused("wish.already_reviewed")
    messages = await reviewed_messages(services, after, staff.name)
    return await _save(services, wish, after, event, messages, stale="wish.already_reviewed")


async def finish_wish(
    services: Services,
    wish_id: int,
    *,
    by: int,
    at: datetime,
    photo: str | None,
    note: str | None,
) -> Done[Wish] | Refused:
    """The claimer BY marks WISH_ID done with the proof PHOTO (required) and a NOTE: the resident
    gets the photo with confirm / not done, and BY's draft ends, in one commit.

    Refused: "common.stale_button" (no such wish, or no longer claimed),
    "common.not_allowed" (claimed by someone else: recorded), "wish.proof_photo_needed" (no photo),
    "wish.changed_meanwhile" (with {number}).
    """
    wish = await services.store.wishes.get(wish_id)
    if wish is None or wish.status is not WishStatus.CLAIMED:  # e.g. released meanwhile
        return Refused("common.stale_button")
    if (rule := access.act_as_claimer(by, wish)) is not None:
        return await refuse(services, by, rule, f"wish:{wish.id}", "wish:done", at=at)
    try:
        after, event = domain.finish(wish, by, photo, note, at)
    except InvalidInput as bad:
        return Refused(bad.key)
    except (NotAllowed, InvalidMove):
        return Refused("common.stale_button")
    messages = await finished_messages(services, after, note)
    return await _save(services, wish, after, event, messages, end_flow_of=by)


async def redo_wish(
    services: Services, wish_id: int, *, by: int, at: datetime
) -> Done[Wish] | Refused:
    """The resident (or the staff member who posted) BY says WISH_ID is not done yet: it goes
    back to its claimer, who is told, in one commit.

    Refused: "common.stale_button" (no such wish), "common.not_allowed" (not the confirmer:
    recorded), "wish.already_closed" (not done, e.g. a second press), "wish.changed_meanwhile".
    """
    wish = await _wish_for(
        services, wish_id, access.act_as_confirmer, by=by, at=at, action="wish:redo"
    )
    if isinstance(wish, Refused):
        return wish
    try:
        after, event = domain.redo(wish, by, at, policy(services))
    except NotAllowed:
        return Refused("common.not_allowed")
    except InvalidMove:
        return Refused("wish.already_closed")
    return await _save(services, wish, after, event, await redo_messages(services, after, by))


async def thank_wish(
    services: Services, wish_id: int, *, by: int, at: datetime, text: str | None
) -> Done[Wish] | Refused:
    """The resident BY thanks the volunteer of a closed wish with TEXT, once: the claimer gets
    it and BY's draft ends, in one commit.

    Refused: "common.stale_button" (no such wish, not closed, or thanked already),
    "common.not_allowed" (not the confirmer: recorded), "wish.bad_thanks" (with {limit}),
    "wish.changed_meanwhile".
    """
    wish = await _wish_for(
        services, wish_id, access.act_as_confirmer, by=by, at=at, action="wish:thank"
    )
    if isinstance(wish, Refused):
        return wish
    if wish.status is not WishStatus.CLOSED:
        return Refused("common.stale_button")
    try:
        after, event = domain.thank(wish, by, text or "", at)
    except InvalidInput as bad:
        return Refused(bad.key, {"limit": domain.MAX_THANKS})
    except (NotAllowed, InvalidMove):
        return Refused("common.stale_button")
    messages = await thanks_messages(services, after, by)
    return await _save(services, wish, after, event, messages, end_flow_of=by)


async def nag_wish(services: Services, wish: Wish, *, at: datetime) -> Done[Wish] | Refused:
    """The sweep's work on one WISH whose nag is due: the staff over it are told how long it has
    lain, and the next nag is set (up to the cap), in one commit.

    Refused("wish.changed_meanwhile") if it was claimed or moved since it was read (the new
    state set its own clock); Refused("common.stale_button") if it is no longer due.
    """
    if wish.status not in (WishStatus.OPEN, WishStatus.CLAIMED) or wish.nag_at is None:
        return Refused("common.stale_button")
    if wish.nag_at > at:
        return Refused("common.stale_button")
    after, event = domain.nag(wish, at, policy(services))
    messages = await nag_messages(services, wish, at)
    return await _save(services, wish, after, event, messages, completes_update=False)


async def _wish_for(
    services: Services,
    wish_id: int,
    rule: Callable[[int, Wish], Rule | None],
    *,
    by: int,
    at: datetime,
    action: str,
) -> Wish | Refused:
    """Returns WISH_ID if RULE lets BY act on it; else Refused("common.stale_button") (no such
    wish) or the rule's refusal of ACTION, recorded."""
    wish = await services.store.wishes.get(wish_id)
    if wish is None:
        return Refused("common.stale_button")
    if (refused := rule(by, wish)) is not None:
        return await refuse(services, by, refused, f"wish:{wish.id}", action, at=at)
    return wish


async def _save(
    services: Services,
    before: Wish,
    after: Wish,
    event: WishEvent,
    messages: list[Outgoing],
    *,
    stale: str = "wish.changed_meanwhile",
    end_flow_of: int | None = None,
    completes_update: bool = True,
) -> Done[Wish] | Refused:
    """Writes AFTER with its event and MESSAGES if nobody changed the wish since BEFORE (and
    ends END_FLOW_OF's draft), in one commit; else Refused(STALE) with the wish's number."""
    try:
        async with services.store.transaction(completes_update=completes_update) as tx:
            saved = await tx.wishes.save(after, event, messages, expect_version=before.version)
            if end_flow_of is not None:
                await tx.drafts.clear(end_flow_of, event.at)
    except StaleWish:
        return Refused(stale, {"number": before.number})
    return Done(saved)
