"""The wish use cases, and what they decide with: the nag policy from the settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import access
from bot.domain import wishes as domain
from bot.domain.points import PointKind, value_of
from bot.domain.volunteers import InvalidMove, NotAllowed
from bot.domain.wishes import NagPolicy, Wish
from bot.notices import outgoing
from bot.notices.volunteers import lang_of
from bot.notices.wishes import (
    claim_key,
    claimed_messages,
    confirmed_messages,
    offer_key,
    refresh_offers,
    released_messages,
)
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
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
    wish = await services.store.wishes.get(wish_id)
    if wish is None:
        return Refused("common.stale_button")
    if (rule := access.act_as_confirmer(by, wish)) is not None:
        return await refuse(services, by, rule, f"wish:{wish.id}", "wish:confirm", at=at)
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
        return await refuse(services, by, rule, f"wish:{wish.id}", "wish:claim", at=at, key=key)
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


async def release_wish(
    services: Services, wish_id: int, *, by: int, at: datetime
) -> Done[Wish] | Refused:
    """The claimer BY gives WISH_ID back: it is open again, the confirmer is told and it is
    offered anew, in one commit.

    Refused: "common.stale_button" (no such wish, or no longer theirs to give back),
    "common.not_allowed" (not the claimer: recorded), "wish.changed_meanwhile" (with {number}).
    """
    wish = await services.store.wishes.get(wish_id)
    if wish is None:
        return Refused("common.stale_button")
    if (rule := access.act_as_claimer(by, wish)) is not None:
        return await refuse(services, by, rule, f"wish:{wish.id}", "wish:release", at=at)
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
