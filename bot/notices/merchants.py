"""码上安全: who is told what about a shop — the deciders' cards, the owner's verdict and card,
the checklist, its reminders, the report numbers, and the grid worker's list of missed checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.domain.merchants import Answer, Item, Merchant, MerchantStatus
from bot.domain.people import Staff
from bot.domain.units import UnitTree
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.services import Services
from bot.texts import Raw
from storage.outbox import Outgoing

NOUN = "merch"  # staff's buttons on a shop
CHECK = "mchk"  # the owner's checklist buttons
MISSED_LISTED = 15  # shops named in one missed-check message; the rest are counted


async def langs(services: Services, user_ids: Iterable[int]) -> dict[int, str]:
    """Returns each user's language (the office default for those never seen)."""
    ids = list(user_ids)
    known = await services.people.languages(ids)
    default = services.settings.default_language
    return {user_id: known.get(user_id, default) for user_id in ids}


def kind_name(services: Services, code: str, lang: str) -> str:
    for kind in services.settings.merchants.kinds:
        if kind.code == code:
            return kind.en if lang == "en" else kind.zh
    return code


def local(services: Services, at: datetime | None) -> str:
    return at.astimezone(services.tz).strftime("%Y-%m-%d %H:%M") if at else "—"


def describe(
    services: Services, merchant: Merchant, lang: str, tree: UnitTree, *, staff: bool
) -> str:
    """Returns the shop's lines: name, kind, place; for STAFF its phone, status and last check."""
    t = services.texts
    text = t(
        "merchant.line",
        lang,
        name=merchant.name,
        kind=kind_name(services, merchant.kind, lang),
        place=tree.place_name(merchant.unit),
    )
    if not staff:
        return text
    if merchant.last_check_at is None:
        last = t("merchant.never_checked", lang)
    elif merchant.last_failed:
        last = t(
            "merchant.last_failed",
            lang,
            at=local(services, merchant.last_check_at),
            failed=merchant.last_failed,
        )
    else:
        last = t("merchant.last_ok", lang, at=local(services, merchant.last_check_at))
    return t(
        "merchant.staff_line",
        lang,
        id=merchant.id,
        line=Raw(text),
        phone=merchant.phone or "—",
        status=t(f"merchant.status_{merchant.status.value}", lang),
        last=Raw(last),
    )


def item_lines(services: Services, items: Sequence[Item], lang: str) -> str:
    t = services.texts
    return "\n".join(
        t(
            "merchant.item_line",
            lang,
            n=i + 1,
            name=item.name(lang),
            photo=t("merchant.photo_mark", lang) if item.photo else "",
        )
        for i, item in enumerate(items)
    )


def decide_key(merchant_id: int) -> str:
    return f"merchant:{merchant_id}:decide"


async def decision_cards(
    services: Services, merchant: Merchant, deciders: Sequence[Staff], tree: UnitTree
) -> list[Outgoing]:
    """Returns the approve / decline card for each decider."""
    assert merchant.id is not None
    found = await langs(services, [s.user_id for s in deciders])
    out = []
    for person in deciders:
        lang = found[person.user_id]
        text = services.texts(
            "merchant.decide",
            lang,
            details=Raw(describe(services, merchant, lang, tree, staff=True)),
        )
        markup = buttons.keyboard(
            [
                [
                    button(services.texts("merchant.approve", lang), NOUN, "ok", merchant.id),
                    button(services.texts("merchant.decline", lang), NOUN, "no", merchant.id),
                ]
            ]
        )
        out.append(outgoing.card(person.user_id, decide_key(merchant.id), text, markup=markup))
    return out


async def decided_messages(
    services: Services,
    merchant: Merchant,
    by: Staff,
    deciders: Sequence[Staff],
    tree: UnitTree,
    items: Sequence[Item],
) -> list[Outgoing]:
    """Returns the owner's verdict (approved: their card with the checks and the cadence) and
    every decider's card closed naming BY."""
    assert merchant.id is not None
    t = services.texts
    found = await langs(services, [merchant.owner_id, *(s.user_id for s in deciders)])
    lang = found[merchant.owner_id]
    if merchant.status is MerchantStatus.APPROVED:
        owner = t(
            "merchant.approved",
            lang,
            card=Raw(describe(services, merchant, lang, tree, staff=False)),
            items=Raw(item_lines(services, items, lang)),
            cadence=cadence_text(services, lang),
        )
    else:
        owner = t("merchant.declined", lang, name=merchant.name)
    out = [outgoing.message(merchant.owner_id, owner)]
    verdict = (
        "merchant.decided_ok"
        if merchant.status is MerchantStatus.APPROVED
        else "merchant.decided_no"
    )
    for person in deciders:
        plang = found[person.user_id]
        text = t(
            verdict,
            plang,
            details=Raw(describe(services, merchant, plang, tree, staff=True)),
            by=by.name,
        )
        out.append(outgoing.card(person.user_id, decide_key(merchant.id), text))
    return out


def cadence_text(services: Services, lang: str) -> str:
    config = services.settings.merchants
    t = services.texts
    if config.cadence == "monthly":
        return t("merchant.cadence_monthly", lang, day=config.day, hour=config.hour)
    weekday = t(f"merchant.weekday_{config.weekday}", lang)
    return t("merchant.cadence_weekly", lang, weekday=weekday, hour=config.hour)


def checklist_message(
    services: Services, merchant: Merchant, lang: str, items: Sequence[Item], *, reminder: int = 0
) -> Outgoing:
    """Returns the checklist's invitation (or its REMINDER-th reminder) with the start button."""
    assert merchant.id is not None and merchant.period is not None
    t = services.texts
    key = "merchant.checklist" if reminder == 0 else "merchant.reminder"
    text = t(
        key,
        lang,
        name=merchant.name,
        count=len(items),
        items=Raw(item_lines(services, items, lang)),
        due=local(services, merchant.opened_at + _grace(services) if merchant.opened_at else None),
    )
    markup = buttons.keyboard(
        [[button(t("merchant.start_check", lang), CHECK, "go", merchant.id, merchant.period)]]
    )
    return outgoing.message(merchant.owner_id, text, markup=markup)


def _grace(services: Services) -> timedelta:
    return timedelta(hours=services.settings.merchants.grace_hours)


def missed_message(
    services: Services, to: Staff, lang: str, merchants: Sequence[Merchant], tree: UnitTree
) -> Outgoing:
    """Returns one message to TO listing the shops whose check was missed (names and places;
    phones only reach staff)."""
    lines = [describe(services, m, lang, tree, staff=True) for m in merchants[:MISSED_LISTED]]
    if len(merchants) > MISSED_LISTED:  # a message holds at most 4096 characters
        more = len(merchants) - MISSED_LISTED
        lines.append(services.texts("merchant.missed_more", lang, more=more))
    text = services.texts(
        "merchant.missed", lang, count=len(merchants), lines=Raw("\n\n".join(lines))
    )
    return outgoing.message(to.user_id, text)


def submitted_message(
    services: Services,
    merchant: Merchant,
    lang: str,
    answers: Sequence[Answer],
    numbers: Sequence[str],
) -> Outgoing:
    """Returns the owner's receipt: how many items passed, the report numbers of the others."""
    t = services.texts
    if numbers:
        text = t(
            "merchant.submitted_problems",
            lang,
            ok=sum(1 for a in answers if a.ok),
            failed=len(numbers),
            numbers="、".join(numbers) if lang == "zh" else ", ".join(numbers),
        )
    else:
        text = t("merchant.submitted_ok", lang, count=len(answers))
    return outgoing.message(merchant.owner_id, text)
