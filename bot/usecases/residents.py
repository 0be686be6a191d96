"""A resident's own record: where they live (the end of the place walk), their phone, their
language. Each is one commit: the change, the end of the draft and the confirmation (with the
main keyboard given back)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.residents import main_keyboard
from bot.services import Services
from bot.texts import LANGUAGES
from bot.usecases.results import Done, Refused
from bot.usecases.staff import refresh_menu
from storage.outbox import Outgoing

PHONE_LIMIT = 32


async def _known(services: Services, user_id: int) -> Person | None:
    """Returns USER_ID as the bot knows them now (None: erased meanwhile, or never seen)."""
    return await services.people.get(user_id)


def _lang(services: Services, me: Person) -> str:
    return me.lang or services.settings.default_language


async def set_place(
    services: Services,
    user_id: int,
    unit: str,
    *,
    at: datetime,
    changing: bool = False,
    shown: Sequence[Outgoing] = (),
    then: Sequence[Outgoing] = (),
) -> Done[str] | Refused:
    """Stores UNIT as USER_ID's place, ends their draft and thanks them, in one commit (SHOWN
    first: the walk's card showing the choice; THEN after the thanks: what the flow that asked
    for the place answers, e.g. /grid's list).

    Refused: "common.not_allowed" (the bot no longer knows USER_ID), "common.stale_button"
    (UNIT left the tree meanwhile: the units were imported again).
    """
    me = await _known(services, user_id)
    if me is None:
        return Refused("common.not_allowed")
    tree = await services.units.tree()
    if unit not in tree:
        return Refused("common.stale_button")
    lang = _lang(services, me)
    key = "register.changed" if changing else "register.done"
    text = services.texts(key, lang, place=tree.place_name(unit))
    thanks = outgoing.message(user_id, text, markup=main_keyboard(services.texts, lang))
    async with services.store.transaction() as tx:
        await tx.people.update(user_id, at, [*shown, thanks, *then], clear_draft=True, unit=unit)
    return Done(unit)


async def save_phone(
    services: Services, user_id: int, phone: str, *, owner: int | None, at: datetime
) -> Done[str] | Refused:
    """Stores PHONE (a shared contact card, whose user is OWNER) as USER_ID's phone and ends
    their draft, in one commit. Only one's own contact is taken.

    Refused: "me.not_own_contact" (another person's card), "me.use_contact_button" (no number),
    "common.not_allowed" (the bot no longer knows USER_ID).
    """
    if owner != user_id:
        return Refused("me.not_own_contact")
    phone = phone.replace(" ", "")[:PHONE_LIMIT]
    if not phone:
        return Refused("me.use_contact_button")
    me = await _known(services, user_id)
    if me is None:
        return Refused("common.not_allowed")
    lang = _lang(services, me)
    text = services.texts("me.phone_saved", lang, phone=phone)
    done = outgoing.message(user_id, text, markup=main_keyboard(services.texts, lang))
    async with services.store.transaction() as tx:
        await tx.people.update(user_id, at, [done], clear_draft=True, phone=phone)
    return Done(phone)


async def remove_phone(services: Services, user_id: int, *, at: datetime) -> Done[None] | Refused:
    """Forgets USER_ID's phone and says so, in one commit.

    Refused: "common.not_allowed" (the bot no longer knows USER_ID).
    """
    me = await _known(services, user_id)
    if me is None:
        return Refused("common.not_allowed")
    text = services.texts("me.phone_removed", _lang(services, me))
    async with services.store.transaction() as tx:
        await tx.people.update(user_id, at, [outgoing.message(user_id, text)], phone=None)
    return Done(None)


async def set_language(
    services: Services, user_id: int, wanted: str, *, at: datetime
) -> Done[str] | Refused:
    """Switches USER_ID to WANTED ("zh" / "en"; anything else toggles between the two), says so
    in the new language and, for staff, queues their command menu in it: one commit.

    Refused: "common.not_allowed" (the bot no longer knows USER_ID).
    """
    me = await _known(services, user_id)
    if me is None:
        return Refused("common.not_allowed")
    wanted = wanted.lower()[:2]
    lang = wanted if wanted in LANGUAGES else ("en" if me.lang == "zh" else "zh")
    text = services.texts("common.language_set", lang)
    done = outgoing.message(user_id, text, markup=main_keyboard(services.texts, lang))
    async with services.store.transaction() as tx:
        await tx.people.update(user_id, at, [done], lang=lang)
        await refresh_menu(services, user_id, at=at)  # staff only: a menu of their own
    return Done(lang)
