"""Voting: a resident's buttons on a poll card (poll:vote:<id>:<option>, poll:notify:<id>), and
Telegram's poll updates with the counts of the groups' native (anonymous) polls."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, PollHandler

from bot.context import GridContext
from bot.notices.buttons import pattern
from bot.notices.polls import VOTE
from bot.usecases import polls
from bot.usecases.results import Refused
from handlers.kit.presses import press_of
from handlers.kit.reply import say, say_refused


async def on_press(update: Update, ctx: GridContext) -> None:
    """Votes once (a second vote is refused, naming the one that stands) or asks for the result."""
    pressed = await press_of(update, ctx, noun=VOTE, verbs=("vote", "notify"))
    if pressed is None:
        return
    me, press, _ = pressed
    poll_id = press.int_arg(0)
    if poll_id is None:
        await say(ctx, me, "common.stale_button")
        return
    if press.verb == "vote":
        option = press.int_arg(1)
        if option is None:
            await say(ctx, me, "common.stale_button")
            return
        result = await polls.vote(ctx.services, poll_id, option, by=me, at=ctx.now())
    else:
        result = await polls.notify_me(ctx.services, poll_id, by=me, at=ctx.now())
    if isinstance(result, Refused):
        await say_refused(ctx, me, result)


async def on_poll(update: Update, ctx: GridContext) -> None:
    """Keeps the counts Telegram reports for one of our native group polls."""
    poll = update.poll
    if poll is None:
        return
    await polls.count_native(
        ctx.services,
        poll.id,
        [option.voter_count for option in poll.options],
        poll.total_voter_count,
        poll.is_closed,
        ctx.now(),
    )


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=pattern(VOTE)))
    app.add_handler(PollHandler(on_poll))
