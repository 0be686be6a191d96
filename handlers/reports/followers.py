"""A follower's side of a resolved report (并单): solved → 1–5 stars (their own rating), or not
solved, which reopens it as the reporter's answer would.

follow:(solved|unsolved|stars):<id>[:<n>]. Only a follower (as stored now) may press; the use
case (bot/usecases/duplicates.follower_answer) re-checks everything, so a forged, repeated or
stale press changes nothing and says why.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.notices.buttons import button, keyboard
from bot.usecases import duplicates
from bot.usecases.results import Refused
from handlers.kit.presses import press_of
from handlers.kit.refusals import action_of
from handlers.kit.reply import say
from handlers.reports.worker_press import tell

PATTERN = r"^follow:(solved|unsolved|stars):"


async def on_press(update: Update, ctx: GridContext) -> None:
    """Solved asks for stars; stars and not solved are the follower's answer."""
    found = await press_of(update, ctx, noun="follow", verbs=("solved", "unsolved", "stars"))
    if found is None:
        return
    me, press, _ = found
    report_id, now = press.int_arg(0), ctx.now()
    if press.verb == "solved":
        checked = await duplicates.follower_check(
            ctx.services, report_id, by=me.user_id, at=now, attempted=action_of(update)
        )
        if isinstance(checked, Refused):
            await tell(ctx, me, checked)
            return
        report = checked.value
        stars = [button("⭐" * n, "follow", "stars", report.id, n) for n in range(1, 6)]
        markup = keyboard([stars[:3], stars[3:]])
        await say(ctx, me, "verify.ask_stars", markup=markup, number=report.number)
        return
    outcome = await duplicates.follower_answer(
        ctx.services,
        report_id,
        by=me.user_id,
        at=now,
        stars=press.int_arg(1) if press.verb == "stars" else None,
        solved=press.verb == "stars",
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))
