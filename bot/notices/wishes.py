"""What each move of a wish tells whom: review cards, announcements, offers, the claimer's card.

Groups get the wish number, its kind and the grid only — never the text, a name or an address.
Matched volunteers get the text privately; the contact details go to the claimer alone, once
the claim is theirs.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.units import UnitTree
from bot.domain.volunteers import (
    nearest_staff,
)
from bot.domain.wishes import OTHER, Wish, WishStatus
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.notices.volunteers import (
    area,
    lang_of,
    matching_volunteers,
    option_name,
    volunteer_groups,
)
from bot.services import Services
from bot.texts import Raw, plural_key
from storage.outbox import Outgoing


def review_key(wish: Wish) -> str:
    return f"wish:{wish.id}:review"


def group_key(wish: Wish) -> str:
    return f"wish:{wish.id}:group"


def offer_key(wish: Wish) -> str:
    return f"wish:{wish.id}:offer"


def claim_key(wish: Wish) -> str:
    return f"wish:{wish.id}:claim"


def kind_name(services: Services, wish: Wish, lang: str) -> str:
    if wish.category == OTHER:
        return services.texts("wish.kind_other", lang)
    return option_name(services.settings.volunteers.skills, wish.category, lang)


def contact_text(services: Services, wish: Wish, lang: str, tree: UnitTree) -> str:
    """Returns the resident's contact: only ever for the poster, the claimer and staff."""
    name = wish.contact_name or services.texts("wish.no_name", lang)
    link = (
        services.texts("wish.chat_link", lang, user_id=wish.resident_id)
        if wish.resident_id is not None
        else ""
    )
    return services.texts(
        "wish.contact",
        lang,
        name=name,
        phone=wish.contact_phone or services.texts("volunteer.no_phone", lang),
        place=tree.place_name(wish.unit),
        link=Raw(link),
    )


def review_card(
    services: Services,
    wish: Wish,
    chat_id: int,
    lang: str,
    tree: UnitTree,
    *,
    by: str | None = None,
) -> Outgoing:
    """Returns the staff review card: approve / decline while pending, then who decided."""
    text = contact_card_text(services, wish, "wish.review", lang, tree)
    if by:
        text += "\n" + services.texts("wish.decided_by", lang, name=by)
    markup = None
    if wish.status is WishStatus.PENDING:
        markup = buttons.keyboard(
            [
                [
                    button(services.texts("wish.approve", lang), "wish", "ok", wish.id),
                    button(services.texts("wish.decline", lang), "wish", "no", wish.id),
                ]
            ]
        )
    return outgoing.card(chat_id, review_key(wish), text, markup=markup)


def contact_card_text(services: Services, wish: Wish, key: str, lang: str, tree: UnitTree) -> str:
    """Returns catalog KEY for the wish with its contact and status (staff, the claimer)."""
    return services.texts(
        key,
        lang,
        number=wish.number,
        kind=kind_name(services, wish, lang),
        text=wish.text,
        contact=Raw(contact_text(services, wish, lang, tree)),
        status=services.texts(f"wish.status_{wish.status.value}", lang),
    )


def public_text(services: Services, wish: Wish, key: str, lang: str, tree: UnitTree, **more) -> str:
    """Returns catalog KEY for the wish without personal data: number, kind and area (MORE)."""
    kind, where = kind_name(services, wish, lang), area(tree, wish.unit)
    return services.texts(key, lang, number=wish.number, kind=kind, area=where, **more)


def while_open(services: Services, wish: Wish, label: str, verb: str, lang: str) -> dict | None:
    """Returns the one button ("wish:VERB:<id>", catalog LABEL) a card shows while it is open."""
    if wish.status is not WishStatus.OPEN:
        return None
    return buttons.keyboard([[button(services.texts(label, lang), "wish", verb, wish.id)]])


def group_card(services: Services, wish: Wish, chat_id: int, lang: str, tree: UnitTree) -> Outgoing:
    """Returns the group announcement (no personal data), edited as the wish moves."""
    status = services.texts(f"wish.status_{wish.status.value}", lang)
    text = public_text(services, wish, "wish.group", lang, tree, status=status)
    markup = while_open(services, wish, "wish.view", "view", lang)
    return outgoing.card(chat_id, group_key(wish), text, markup=markup)


def offer_card(services: Services, wish: Wish, chat_id: int, lang: str, tree: UnitTree) -> Outgoing:
    """Returns a volunteer's private offer: the wish without contact, a claim button while open."""
    text = public_text(services, wish, "wish.offer", lang, tree, text=wish.text)
    if wish.status is not WishStatus.OPEN:
        mine = wish.claimer_id == chat_id
        text += "\n\n" + services.texts("wish.offer_yours" if mine else "wish.offer_taken", lang)
    markup = while_open(services, wish, "wish.claim", "claim", lang)
    return outgoing.card(chat_id, offer_key(wish), text, markup=markup)


def claim_card(services: Services, wish: Wish, lang: str, tree: UnitTree) -> Outgoing:
    """Returns the claimer's card: the wish with the resident's contact and what to do next."""
    assert wish.claimer_id is not None
    text = contact_card_text(services, wish, "wish.claimed_card", lang, tree)
    markup = None
    if wish.status is WishStatus.CLAIMED:
        markup = buttons.keyboard(
            [
                [
                    button(services.texts("wish.done", lang), "wish", "done", wish.id),
                    button(services.texts("wish.release", lang), "wish", "release", wish.id),
                ]
            ]
        )
    return outgoing.card(wish.claimer_id, claim_key(wish), text, markup=markup)


async def refresh_offers(services: Services, wish: Wish) -> list[Outgoing]:
    """Returns the offer and group cards redrawn for the wish's new state."""
    tree = await services.units.tree()
    holders = await services.outbox.card_chats(offer_key(wish))
    langs = await lang_of(services, holders)
    out = [offer_card(services, wish, chat, langs[chat], tree) for chat in holders]
    for binding in await volunteer_groups(services, wish.unit):
        if binding.chat_id in await services.outbox.card_chats(group_key(wish)):
            out.append(group_card(services, wish, binding.chat_id, binding.lang, tree))
    return out


async def announcement(services: Services, wish: Wish) -> tuple[list[Outgoing], int]:
    """Returns the group announcement and the private offers of an open wish, and how many."""
    tree = await services.units.tree()
    out = [
        group_card(services, wish, b.chat_id, b.lang, tree)
        for b in await volunteer_groups(services, wish.unit)
    ]
    skills = wish.skills
    exclude = [wish.posted_by] + ([wish.resident_id] if wish.resident_id else [])
    matched = await matching_volunteers(services, wish.unit, skills, exclude=exclude)
    langs = await lang_of(services, [v.user_id for v in matched])
    out += [offer_card(services, wish, v.user_id, langs[v.user_id], tree) for v in matched]
    # Volunteers told before (a released wish) see it open again even if no longer matched.
    told = {v.user_id for v in matched}
    for chat in await services.outbox.card_chats(offer_key(wish)):
        if chat not in told:
            lang = (await lang_of(services, [chat]))[chat]
            out.append(offer_card(services, wish, chat, lang, tree))
    return out, len(matched)


async def review_messages(services: Services, wish: Wish, by: str | None = None) -> list[Outgoing]:
    """Returns the review cards for the staff of the nearest staffed unit over the wish."""
    tree = await services.units.tree()
    holders = set(await services.outbox.card_chats(review_key(wish)))
    if not holders:
        staff = nearest_staff(wish.unit, tree, await services.people.all_staff())
        holders = {s.user_id for s in staff}
    langs = await lang_of(services, holders)
    out: list[Outgoing] = []
    for chat in sorted(holders):
        if wish.photo and wish.status is WishStatus.PENDING:
            out.append(outgoing.photo(chat, wish.photo, wish.number))
        out.append(review_card(services, wish, chat, langs[chat], tree, by=by))
    return out


async def confirmed_messages(
    services: Services, wish: Wish, *, by: int, claimer: int, points: int
) -> list[Outgoing]:
    """Returns what confirming WISH tells: BY (who confirmed) that it is closed, with a thank-you
    button; CLAIMER the POINTS they earned."""
    langs = await lang_of(services, [by, claimer])
    thank = buttons.keyboard(
        [[button(services.texts("wish.say_thanks", langs[by]), "wish", "thank", wish.id)]]
    )
    earned = plural_key("wish.confirmed_notice", points)
    return [
        outgoing.message(
            by, services.texts("wish.closed_notice", langs[by], number=wish.number), markup=thank
        ),
        outgoing.message(
            claimer,
            services.texts(earned, langs[claimer], number=wish.number, points=points),
        ),
    ]


async def claimed_messages(services: Services, wish: Wish, claimer: int) -> list[Outgoing]:
    """Returns the claimer's card (with the contact), the resident's notice, redrawn offers."""
    tree = await services.units.tree()
    volunteer = await services.store.volunteers.get(claimer)
    assert volunteer is not None
    langs = await lang_of(services, [wish.confirmer, claimer])
    confirmer_lang = langs[wish.confirmer]
    notice = services.texts(
        "wish.claimed_notice",
        confirmer_lang,
        number=wish.number,
        name=volunteer.name,
        phone=volunteer.phone or services.texts("volunteer.no_phone", confirmer_lang),
    )
    out = [claim_card(services, wish, langs[claimer], tree)]
    if wish.photo:
        out.append(outgoing.photo(claimer, wish.photo, wish.number))
    out.append(outgoing.message(wish.confirmer, notice))
    return out + await refresh_offers(services, wish)


async def released_messages(services: Services, after: Wish) -> list[Outgoing]:
    """Returns the confirmer's notice and the offers of a wish given back (AFTER: open again)."""
    offers, _ = await announcement(services, after)
    lang = (await lang_of(services, [after.confirmer]))[after.confirmer]
    notice = outgoing.message(
        after.confirmer, services.texts("wish.released_notice", lang, number=after.number)
    )
    return [notice, *offers]


async def under_review(services: Services, wish: Wish, lang: str, tree: UnitTree) -> str:
    """Returns the poster's note that WISH waits for review, naming the unit whose staff get the
    review card."""
    reviewers = nearest_staff(wish.unit, tree, await services.people.all_staff())
    if not reviewers:
        return services.texts("wish.sent_for_review_staff", lang, number=wish.number)
    unit = tree.get(reviewers[0].unit).name
    return services.texts("wish.sent_for_review", lang, number=wish.number, unit=unit)


async def posted_messages(services: Services, wish: Wish, by: int, card: str) -> list[Outgoing]:
    """Returns what a new wish tells: the poster's summary card CARD turned into what happened
    (announced to how many, or waiting for whose review), then the announcement or the review
    cards."""
    lang = (await lang_of(services, [by]))[by]
    if wish.status is WishStatus.OPEN:
        out, told = await announcement(services, wish)
        key = plural_key("wish.announced", told)
        note = services.texts(key, lang, number=wish.number, count=told)
    else:
        out = await review_messages(services, wish)
        note = await under_review(services, wish, lang, await services.units.tree())
    return [outgoing.card(by, card, note), *out]


async def reviewed_messages(services: Services, wish: Wish, by: str) -> list[Outgoing]:
    """Returns what a review tells: the review cards closed naming BY, the announcement of an
    approved wish, and the poster's notice."""
    messages = await review_messages(services, wish, by=by)
    lang = (await lang_of(services, [wish.posted_by]))[wish.posted_by]
    if wish.status is WishStatus.OPEN:
        out, told = await announcement(services, wish)
        messages += out
        key = plural_key("wish.approved_notice", told)
        note = services.texts(key, lang, number=wish.number, count=told)
    else:
        note = services.texts("wish.declined_notice", lang, number=wish.number)
    messages.append(outgoing.message(wish.posted_by, note))
    return messages


async def finished_messages(services: Services, wish: Wish, note: str | None) -> list[Outgoing]:
    """Returns what a finished wish tells: the claimer's card redrawn and their note that the
    proof went off, the confirmer the proof photo with confirm / not done."""
    assert wish.claimer_id is not None and wish.proof_photo is not None
    tree = await services.units.tree()
    langs = await lang_of(services, [wish.claimer_id, wish.confirmer])
    mine, lang = langs[wish.claimer_id], langs[wish.confirmer]
    caption = services.texts("wish.done_notice", lang, number=wish.number, note=note or "")
    markup = buttons.keyboard(
        [
            [
                button(services.texts("wish.confirm_done", lang), "wish", "confirm", wish.id),
                button(services.texts("wish.not_done", lang), "wish", "redo", wish.id),
            ]
        ]
    )
    sent = services.texts("wish.proof_sent", mine, number=wish.number)
    return [
        claim_card(services, wish, mine, tree),
        outgoing.message(wish.claimer_id, sent),
        outgoing.photo(wish.confirmer, wish.proof_photo, caption, markup=markup),
    ]


async def redo_messages(services: Services, wish: Wish, by: int) -> list[Outgoing]:
    """Returns what sending a wish back tells: BY that it went back, the claimer why, and the
    claimer's card with its buttons again."""
    assert wish.claimer_id is not None
    tree = await services.units.tree()
    langs = await lang_of(services, [by, wish.claimer_id])
    lang = langs[wish.claimer_id]
    return [
        outgoing.message(by, services.texts("wish.redo_sent", langs[by], number=wish.number)),
        outgoing.message(
            wish.claimer_id, services.texts("wish.redo_notice", lang, number=wish.number)
        ),
        claim_card(services, wish, lang, tree),
    ]


async def thanks_messages(services: Services, wish: Wish, by: int) -> list[Outgoing]:
    """Returns BY's note that the thanks went off and the claimer's notice with the thanks."""
    assert wish.claimer_id is not None
    langs = await lang_of(services, [by, wish.claimer_id])
    text = services.texts(
        "wish.thanks_notice", langs[wish.claimer_id], number=wish.number, text=wish.thanks or ""
    )
    return [
        outgoing.message(by, services.texts("wish.thanks_sent", langs[by])),
        outgoing.message(wish.claimer_id, text),
    ]


async def nag_messages(services: Services, wish: Wish, now: datetime) -> list[Outgoing]:
    """Returns the nag to the staff over a wish left unclaimed (or claimed and not done): how
    long, and who holds it."""
    tree = await services.units.tree()
    staff = nearest_staff(wish.unit, tree, await services.people.all_staff())
    langs = await lang_of(services, [s.user_id for s in staff])
    since = wish.claimed_at if wish.status is WishStatus.CLAIMED else wish.updated_at
    hours = int((now - (since or wish.created_at)).total_seconds() // 3600)
    key = "wish.nag_claimed" if wish.status is WishStatus.CLAIMED else "wish.nag_open"
    claimer = await _volunteer_name(services, wish.claimer_id)
    return [
        outgoing.message(
            s.user_id,
            services.texts(
                key,
                langs[s.user_id],
                number=wish.number,
                kind=kind_name(services, wish, langs[s.user_id]),
                area=area(tree, wish.unit),
                hours=hours,
                claimer=claimer,
            ),
        )
        for s in staff
    ]


async def _volunteer_name(services: Services, user_id: int | None) -> str:
    if user_id is None:
        return ""
    volunteer = await services.store.volunteers.get(user_id)
    return volunteer.name if volunteer else str(user_id)
