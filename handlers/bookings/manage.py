"""/bookings and the presses on a stored booking, "book:<verb>:<id>[:<arg>]".

Staff: confirm, move (mvday <yyyymmdd> → mvto <yyyymmddHHMM>), decline (then the reason, typed:
flow "bkdecline"), came / noshow after the start, and the day list (day <yyyymmdd> <page>).
The booker: accept (a move) and cancel. Every press is re-authorised by its use case.
"""

from __future__ import annotations

from datetime import date, datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.people import Person
from bot.notices import bookings as notices
from bot.notices import outgoing
from bot.notices.buttons import Press
from bot.usecases import bookings
from bot.usecases.results import Done, Refused
from handlers.kit.flows import NEW_PRIVATE, StepCallback, person_of, text_of
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say_refused, tell
from storage.drafts import Draft

FLOW = "bkdecline"
# Refusals said in the chat (a press that lost a race, or a slot that filled): the rest are
# short notices on the press.
IN_CHAT = (
    "booking.full",
    "booking.stale",
    "booking.not_pending",
    "booking.not_open",
    "booking.started",
    "booking.marked",
    "booking.not_started",
    "booking.same_slot",
    "booking.past",
    "booking.holiday",
    "booking.outside_hours",
    "booking.too_far",
)


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


async def render(update: Update, ctx: GridContext, me: Person, result: object) -> bool:
    """Answers the press with a use case's RESULT: bare when done, else why (see IN_CHAT)."""
    if isinstance(result, Done):
        await answer(update)
        return True
    assert isinstance(result, Refused)
    if result.key in IN_CHAT:
        await answer(update)
        await say_refused(ctx, me, result)
    else:
        await tell(update, ctx, me, result.key, **dict(result.params))
    return False


async def list_command(update: Update, ctx: GridContext) -> None:
    """Staff who decide about resources: today's bookings; anyone else: their own."""
    me = await person_of(update, ctx)
    now = ctx.now()
    today = now.astimezone(ctx.services.tz).date()
    listed = await bookings.day_page(ctx.services, today, 0, by=me.user_id, at=now)
    own = await ctx.services.store.bookings.mine(me.user_id, now, limit=1)
    if isinstance(listed, Done):
        await ctx.outbox.send_anew([listed.value], now)
    if own or not isinstance(listed, Done):  # staff who booked something see theirs too
        mine = await bookings.my_bookings(ctx.services, by=me.user_id, at=now)
        await ctx.outbox.send([mine], now)


async def on_press(update: Update, ctx: GridContext) -> None:
    found = await press_of(update, ctx, noun=notices.NOUN, verbs=tuple(ACTIONS), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    await ACTIONS[press.verb](update, ctx, me, press)


async def confirm(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    result = await bookings.confirm(
        ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now()
    )
    await render(update, ctx, me, result)


async def accept(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    result = await bookings.accept(ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result)


async def cancel(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    result = await bookings.cancel(ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now())
    await render(update, ctx, me, result)


async def came(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    await _mark(update, ctx, me, press, came=True)


async def no_show(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    await _mark(update, ctx, me, press, came=False)


async def _mark(update: Update, ctx: GridContext, me: Person, press: Press, *, came: bool) -> None:
    booking_id = press.int_arg(0) or 0
    result = await bookings.mark(ctx.services, booking_id, came, by=me.user_id, at=ctx.now())
    if await render(update, ctx, me, result) and isinstance(result, Done):
        day = result.value.starts_at.astimezone(ctx.services.tz).date()
        listed = await bookings.day_page(ctx.services, day, 0, by=me.user_id, at=ctx.now())
        if isinstance(listed, Done):
            await ctx.outbox.send([listed.value], ctx.now())


async def decline(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """Asks the reason (typed next); the use case re-authorises when it arrives."""
    booking_id = press.int_arg(0) or 0
    got = await bookings.as_staff(
        ctx.services, booking_id, by=me.user_id, at=ctx.now(), action="decline"
    )
    if isinstance(got, Refused):
        await render(update, ctx, me, got)
        return
    await answer(update)
    booking, _ = got.value
    ask = outgoing.message(
        me.user_id, ctx.texts("booking.ask_reason", me.lang, number=booking.number)
    )
    await ctx.drafts.put(Draft(me.user_id, FLOW, "reason", {"id": booking_id}), ctx.now(), [ask])


async def receive_reason(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    message = update.effective_message
    text = text_of(message) if message is not None else None
    result = await bookings.decline(
        ctx.services, int(draft.data["id"]), text or "", by=me.user_id, at=ctx.now()
    )
    if isinstance(result, Refused):
        # A bad reason keeps the question open; anything else ends it.
        await say_refused(ctx, me, result, end_flow=result.key != "booking.bad_reason")


async def move(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """Shows the staff member the open days to move the booking to."""
    got = await bookings.as_staff(
        ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now(), action="move"
    )
    if isinstance(got, Refused):
        await render(update, ctx, me, got)
        return
    await answer(update)
    booking, resource = got.value
    days = bookings.open_days(ctx.services, resource, ctx.now())
    await ctx.outbox.send(
        [notices.move_days(ctx.services, booking, days, me.user_id, me.lang)], ctx.now()
    )


async def move_day(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """Shows the free slots of the day chosen."""
    day = _day(press.args[1]) if len(press.args) > 1 else None
    got = await bookings.as_staff(
        ctx.services, press.int_arg(0) or 0, by=me.user_id, at=ctx.now(), action="mvday"
    )
    if isinstance(got, Refused) or day is None:
        await render(
            update, ctx, me, got if isinstance(got, Refused) else Refused("common.stale_button")
        )
        return
    await answer(update)
    booking, resource = got.value
    slots = await bookings.free_slots(ctx.services, resource, day, ctx.now())
    await ctx.outbox.send(
        [notices.move_slots(ctx.services, booking, day, slots, me.user_id, me.lang)], ctx.now()
    )


async def move_to(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    stamp = press.args[1] if len(press.args) > 1 else ""
    try:
        local = datetime.strptime(stamp, "%Y%m%d%H%M")
    except ValueError:
        await tell(update, ctx, me, "common.stale_button")
        return
    starts = local.replace(tzinfo=ctx.services.tz)
    result = await bookings.move(
        ctx.services, press.int_arg(0) or 0, starts, by=me.user_id, at=ctx.now()
    )
    await render(update, ctx, me, result)


async def day(update: Update, ctx: GridContext, me: Person, press: Press) -> None:
    """Turns the staff member's day list to another day or page."""
    shown = _day(press.args[0]) if press.args else None
    page = press.int_arg(1) or 0
    if shown is None:
        await tell(update, ctx, me, "common.stale_button")
        return
    listed = await bookings.day_page(ctx.services, shown, page, by=me.user_id, at=ctx.now())
    if isinstance(listed, Refused):
        await render(update, ctx, me, listed)
        return
    await answer(update)
    await ctx.outbox.send([listed.value], ctx.now())


ACTIONS = {
    "confirm": confirm,
    "decline": decline,
    "move": move,
    "mvday": move_day,
    "mvto": move_to,
    "accept": accept,
    "cancel": cancel,
    "came": came,
    "noshow": no_show,
    "day": day,
}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bookings", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{notices.NOUN}:"))


STEPS: dict[tuple[str, str], StepCallback] = {(FLOW, "reason"): receive_reason}
