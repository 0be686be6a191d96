"""并单 by staff: 🔗 on the worker card lists nearby open reports of the same kind the presser
may handle (merge:pick:<id>); choosing one merges the card's report into it
(merge:into:<duplicate>:<survivor>). `/merge R000124 R000123` does the same by number.

Every press is answered first and re-authorised against the database by the use case
(bot/usecases/duplicates.merge), so a forged, repeated or stale press changes nothing and says why.
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.reports import Action
from bot.notices.buttons import button
from bot.notices.reports import Cards
from bot.usecases import duplicates, reports
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.presses import press_of
from handlers.kit.refusals import action_of, deny
from handlers.kit.reply import say
from handlers.reports.worker_press import Pressed, allowed, card_for, made, tell

PATTERN = r"^merge:(pick|into):"
NUMBER = re.compile(r"^[Rr]?0*(\d{1,9})$")


async def on_press(update: Update, ctx: GridContext) -> None:
    """merge:pick:<id> or merge:into:<duplicate>:<survivor>."""
    found = await press_of(update, ctx, noun="merge", verbs=("pick", "into"))
    if found is None:
        return
    me, press, _ = found
    checked = await reports.check(
        ctx.services, press.int_arg(0), by=me.user_id, at=ctx.now(), attempted=action_of(update)
    )
    if isinstance(checked, Refused):
        await tell(ctx, me, checked)
        return
    handling = checked.value
    pressed = Pressed(me, handling.staff, handling.report, press.verb, press.args[1:])
    if press.verb == "pick":
        await pick(ctx, pressed)
    else:
        await into(ctx, pressed, press.int_arg(1))


async def pick(ctx: GridContext, press: Pressed) -> None:
    """Turns the card into the list of reports it may be merged into (nearest first)."""
    if not await allowed(ctx, press, Action.MERGE):
        return
    report, lang = press.report, press.me.lang
    targets = await duplicates.merge_targets(ctx.services, report, by=press.me.user_id)
    if not targets:
        await say(ctx, press.me, "merge.none_near", number=report.number)
        return
    cards = await Cards.load(ctx.services)
    choices = []
    for target in targets:
        metres = target.distance_m
        distance = (
            ctx.texts("merge.distance", lang, metres=round(metres)) if metres is not None else ""
        )
        unit = target.report.unit
        place = cards.tree.get(unit).name if unit in cards.tree else unit
        label = ctx.texts(
            "merge.pick_line", lang, number=target.report.number, place=place, distance=distance
        )
        choices.append([button(label, "merge", "into", report.id, target.report.id)])
    prompt = ctx.texts("merge.pick", lang, number=report.number)
    card = await card_for(ctx, report, press.me, prompt=prompt, choices=choices)
    await ctx.outbox.send([card], ctx.now())


async def into(ctx: GridContext, press: Pressed, survivor: int | None) -> None:
    """Merges the card's report into SURVIVOR; the notices are queued by the use case."""
    outcome = await duplicates.merge(
        ctx.services,
        press.report.id,
        survivor,
        by=press.me.user_id,
        at=ctx.now(),
        attempted="merge:into",
    )
    await made(ctx, press.me, outcome)


async def merge_command(update: Update, ctx: GridContext) -> None:
    """/merge DUPLICATE KEEP: staff merge one report into another by their numbers."""
    me = await person_of(update, ctx)
    if (refused := access.staff_only(me.staff)) is not None:
        await deny(update, ctx, me, refused, None)
        return
    args = ctx.args or []
    numbers = [NUMBER.match(a) for a in args]
    if len(numbers) != 2 or not all(numbers):
        await say(ctx, me, "merge.usage")
        return
    duplicate, survivor = (int(m.group(1)) for m in numbers if m)
    outcome = await duplicates.merge(
        ctx.services, duplicate, survivor, by=me.user_id, at=ctx.now(), attempted="/merge"
    )
    await made(ctx, me, outcome)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("merge", merge_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))
