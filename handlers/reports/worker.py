"""Grid workers: the worker card's buttons — accept, resolve, transfer, refer up, reject, show.

Every press is answered first, then re-authorised against the database (bot/usecases/reports.check):
callback data can be forged, and a card can be old.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain.reports import Action, RejectReason
from bot.notices.buttons import button
from bot.usecases import reports
from handlers.kit.reply import say
from handlers.reports import relay
from handlers.reports import worker_steps as worker_flows
from handlers.reports.worker_press import Pressed, allowed, card_for, made, pressed

# The resident side owns ^report:(solved|unsolved|stars|nocomment):
PATTERN = r"^report:(accept|resolve|transfer|transfer_to|refer|reject|reject_reason|card|ask):"


async def on_press(update: Update, ctx: GridContext) -> None:
    """Runs the worker-card button that was pressed, once the presser is re-authorised."""
    press = await pressed(update, ctx, tuple(VERBS))
    if press is not None:
        await VERBS[press.verb](ctx, press)


async def accept(ctx: GridContext, press: Pressed) -> None:
    """接单: the report becomes the presser's and is in progress."""
    outcome = await reports.accept(
        ctx.services, press.report.id, by=press.me.user_id, at=ctx.now(), attempted="report:accept"
    )
    await made(ctx, press.me, outcome)


async def show_card(ctx: GridContext, press: Pressed) -> None:
    """Shows the card again: in place after a choice list ('back'), else as a new message."""
    card = await card_for(ctx, press.report, press.me)
    if press.args[:1] == ("back",):
        await ctx.outbox.send([card], ctx.now())
    else:
        await ctx.outbox.send_anew([card], ctx.now())


async def choose_transfer(ctx: GridContext, press: Pressed) -> None:
    """转派: turns the card into a list of staff of the same and sibling units."""
    if not await allowed(ctx, press, Action.TRANSFER):
        return
    targets = await reports.transfer_targets(ctx.services, press.report, by=press.me.user_id)
    if not targets:
        await say(ctx, press.me, "transfer.nobody", number=press.report.number)
        return
    tree, report = await ctx.units.tree(), press.report
    choices = [
        [
            button(
                f"{s.name}（{tree.get(s.unit).name}）",
                "report",
                "transfer_to",
                report.id,
                s.user_id,
            )
        ]
        for s in targets
    ]
    prompt = ctx.texts("transfer.choose", press.me.lang, number=report.number)
    await ctx.outbox.send(
        [await card_for(ctx, report, press.me, prompt=prompt, choices=choices)], ctx.now()
    )


async def transfer_to(ctx: GridContext, press: Pressed) -> None:
    """Hands the report to the chosen staff member, if they are still a valid choice."""
    wanted = press.args[0] if press.args else ""
    outcome = await reports.transfer(
        ctx.services,
        press.report.id,
        by=press.me.user_id,
        to_user=int(wanted) if wanted.isdigit() else 0,
        at=ctx.now(),
    )
    await made(ctx, press.me, outcome)


async def choose_reject_reason(ctx: GridContext, press: Pressed) -> None:
    """退回: turns the card into the list of reasons (not ours / duplicate / invalid)."""
    if not await allowed(ctx, press, Action.REJECT) or await worker_flows.parts_open(ctx, press):
        return
    report, lang = press.report, press.me.lang
    choices = [
        [
            button(
                ctx.texts(f"reject.{reason.value}", lang),
                "report",
                "reject_reason",
                report.id,
                reason.value,
            )
        ]
        for reason in RejectReason
    ]
    prompt = ctx.texts("reject_flow.choose", lang, number=report.number)
    await ctx.outbox.send(
        [await card_for(ctx, report, press.me, prompt=prompt, choices=choices)], ctx.now()
    )


VERBS: dict[str, Callable[[GridContext, Pressed], Awaitable[None]]] = {
    "accept": accept,
    "resolve": worker_flows.start_resolve,
    "transfer": choose_transfer,
    "transfer_to": transfer_to,
    "refer": worker_flows.start_refer,
    "reject": choose_reject_reason,
    "reject_reason": worker_flows.start_reject_note,
    "card": show_card,
    "ask": relay.start_ask,  # anonymous reports: 💬 ask the resident
}


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))
