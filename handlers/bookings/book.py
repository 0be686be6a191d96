"""/book (预约办理 / 找场馆): a resident picks a resource, a day, a free slot, types the purpose
and confirms. Steps live in a draft (flow "booking"); the card's buttons are "bknew:<verb>:…":
res <code>, day <yyyymmdd>, slot <HHMM>, back, ok, restart. Every choice is checked again by
the use case when the booking is made (the slot may have filled meanwhile)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import bookings as domain
from bot.domain.bookings import Booking, BookingStatus, InvalidBooking, Resource
from bot.domain.people import Person
from bot.notices import bookings as notices
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.usecases import bookings
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, StepCallback, person_of, text_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "booking"
NOUN = "bknew"
# Refusals after which choosing another slot makes sense: the day's slots are shown again.
CHOOSE_AGAIN = (
    "booking.full",
    "booking.past",
    "booking.outside_hours",
    "booking.holiday",
    "booking.too_far",
)


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


async def start(update: Update, ctx: GridContext) -> None:
    me = await person_of(update, ctx)
    if not ctx.services.settings.resources:
        await say(ctx, me, "booking.none_configured")
        return
    draft = Draft(me.user_id, FLOW, "resource", {"card": f"bknew:{int(ctx.now().timestamp())}"})
    await ctx.drafts.put(draft, ctx.now(), [await card(ctx, me, draft)])


async def card(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Returns the flow's one card for DRAFT's step (edited in place as the resident goes on)."""
    services, lang, data, t = ctx.services, me.lang, draft.data, ctx.texts
    resource = bookings.resource_of(services, data.get("resource", ""))
    rows: list[list] = []
    back = [button(t("booking.back", lang), NOUN, "back")]
    if draft.step == "resource" or resource is None:
        tree = await ctx.units.tree()
        for r in domain.nearby_first(bookings.resources(services), me.unit, tree):
            kind = t(f"booking.kind_{r.kind}", lang)
            rows.append([button(f"{r.name(lang)} · {kind}", NOUN, "res", r.code)])
        text = t("booking.ask_resource", lang)
    elif draft.step == "day":
        days = bookings.open_days(services, resource, ctx.now())
        labels = [
            button(notices.day_label(services, d, lang), NOUN, "day", d.strftime("%Y%m%d"))
            for d in days
        ]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)] + [back]
        key = "booking.ask_day" if days else "booking.no_days"
        text = t(key, lang, resource=resource.name(lang), ahead=resource.days_ahead)
    elif draft.step == "slot":
        day = _day(data["day"]) or ctx.now().date()
        slots = await bookings.free_slots(services, resource, day, ctx.now())
        labels = [
            button(
                notices.slot_label(services, s, lang),
                NOUN,
                "slot",
                s.starts_at.astimezone(services.tz).strftime("%H%M"),
            )
            for s in slots
        ]
        rows = [labels[i : i + 3] for i in range(0, len(labels), 3)] + [back]
        key = "booking.ask_slot" if slots else "booking.day_full"
        text = t(
            key,
            lang,
            resource=resource.name(lang),
            day=notices.day_label(services, day, lang),
            number="",
        )
    else:
        booking = _draft_booking(ctx, me, draft, resource)
        details = notices.details(services, booking, resource, lang)
        if draft.step == "purpose":
            text = t("booking.ask_purpose", lang, details=details, limit=_limit(ctx))
            rows = [back]
        else:
            text = t("booking.confirm_booking", lang, details=details)
            rows = [
                [
                    button(t("booking.submit", lang), NOUN, "ok"),
                    button(t("booking.restart", lang), NOUN, "restart"),
                ]
            ]
    return outgoing.card(me.user_id, data["card"], text, markup=buttons.keyboard(rows))


def _limit(ctx: GridContext) -> int:
    return ctx.services.settings.bookings.purpose_max


def _starts(ctx: GridContext, data: dict) -> datetime:
    day = _day(data.get("day", "")) or ctx.now().date()
    hhmm = data.get("slot", "0000")
    return datetime(
        day.year, day.month, day.day, int(hhmm[:2]), int(hhmm[2:]), tzinfo=ctx.services.tz
    )


def _draft_booking(ctx: GridContext, me: Person, draft: Draft, resource: Resource) -> Booking:
    starts = _starts(ctx, draft.data)
    return Booking(
        resource=resource.code,
        unit=resource.unit,
        user_id=me.user_id,
        starts_at=starts,
        ends_at=starts + resource.slot,
        purpose=draft.data.get("purpose", ""),
        status=BookingStatus.PENDING if resource.confirm else BookingStatus.CONFIRMED,
        created_at=ctx.now(),
    )


# verb → the steps its button belongs to (an old card's button is stale)
VERBS = {
    "res": ("resource",),
    "day": ("day",),
    "slot": ("slot",),
    "back": ("day", "slot", "purpose"),
    "ok": ("confirm",),
    "restart": ("confirm",),
}
_BACK = {"day": "resource", "slot": "day", "purpose": "slot"}


async def on_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun=NOUN, verbs=VERBS, flow=FLOW)
    if found is None:
        return
    me, press, draft = found
    assert draft is not None
    arg = press.args[0] if press.args else ""
    data = dict(draft.data)
    if press.verb == "res":
        if bookings.resource_of(ctx.services, arg) is None:
            await say(ctx, me, "common.stale_button")
            return
        data["resource"], step = arg, "day"
    elif press.verb == "day":
        resource = bookings.resource_of(ctx.services, data.get("resource", ""))
        day = _day(arg)
        if resource is None or day not in bookings.open_days(ctx.services, resource, ctx.now()):
            await say(ctx, me, "common.stale_button")
            return
        data["day"], step = arg, "slot"
    elif press.verb == "slot":
        if not (len(arg) == 4 and arg.isdigit() and int(arg[:2]) < 24 and int(arg[2:]) < 60):
            await say(ctx, me, "common.stale_button")
            return
        data["slot"], step = arg, "purpose"
    elif press.verb == "back":
        step = _BACK[draft.step]
    elif press.verb == "restart":
        step = "resource"
    else:
        await submit(ctx, me, draft)
        return
    draft = replace(draft, step=step, data=data)
    await ctx.drafts.put(draft, ctx.now(), [await card(ctx, me, draft)])


async def receive_purpose(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    text = text_of(message) if message is not None else None
    try:
        purpose = domain.clean_purpose(text, _limit(ctx))
    except InvalidBooking as bad:
        await say(ctx, me, bad.key, limit=_limit(ctx))
        return
    draft = replace(draft, step="confirm", data={**draft.data, "purpose": purpose})
    await ctx.drafts.put(draft, ctx.now(), [await card(ctx, me, draft)])


async def receive_text_at_button_step(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "booking.use_buttons")


async def submit(ctx: GridContext, me: Person, draft: Draft) -> None:
    """Makes the booking; a slot taken meanwhile (or gone past) shows the day's slots again."""
    data = draft.data
    result = await bookings.book(
        ctx.services,
        data.get("resource", ""),
        _starts(ctx, data),
        data.get("purpose", ""),
        by=me.user_id,
        at=ctx.now(),
    )
    if not isinstance(result, Refused):
        return
    if result.key in CHOOSE_AGAIN:
        draft = replace(draft, step="slot")
        message = outgoing.message(
            me.user_id, ctx.texts(result.key, me.lang, **dict(result.params))
        )
        await ctx.drafts.put(draft, ctx.now(), [message, await card(ctx, me, draft)])
        return
    await say_refused(ctx, me, result, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("book", start, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=buttons.pattern(NOUN)))


STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "resource"): receive_text_at_button_step,
    (FLOW, "day"): receive_text_at_button_step,
    (FLOW, "slot"): receive_text_at_button_step,
    (FLOW, "purpose"): receive_purpose,
    (FLOW, "confirm"): receive_text_at_button_step,
}
