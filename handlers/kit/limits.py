"""Flood limits for residents: messages per minute, button presses per second, reports per hour
and per day. Staff are never limited. Counts of messages and presses live in memory (a restart
forgives them); report counts come from the database, so they survive restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import GridContext
from bot.domain.limits import Verdict, Window, report_refusal
from bot.domain.people import Person
from handlers.kit.flows import person_of
from handlers.kit.presses import answer
from handlers.kit.reply import say


@dataclass
class Gates:
    messages: Window
    presses: Window


def gates(ctx: GridContext) -> Gates:
    """Returns the process's flood windows, made from [limits] on first use."""
    found = ctx.bot_data.get("flood_gates")
    if found is None:
        limits = ctx.services.settings.limits
        found = Gates(
            Window(limits.messages_per_minute, timedelta(minutes=1)),
            Window(limits.presses_per_second, timedelta(seconds=1)),
        )
        ctx.bot_data["flood_gates"] = found
    return found


async def is_staff(ctx: GridContext, user_id: int) -> bool:
    person = await ctx.people.get(user_id)
    return person is not None and person.is_staff


async def guard(update: Update, ctx: GridContext) -> None:
    """Stops a resident's message or press beyond the limits; says so once per window."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return
    if update.callback_query is not None:
        verdict = gates(ctx).presses.hit(user.id, ctx.now())
    elif chat is not None and chat.type == ChatType.PRIVATE and update.effective_message:
        # When it was sent, not when it is processed: a backlog after downtime is no flood.
        sent = update.effective_message.date or ctx.now()
        verdict = gates(ctx).messages.hit(user.id, sent)
    else:
        return
    if verdict is Verdict.ALLOWED or await is_staff(ctx, user.id):
        return
    me = await person_of(update, ctx)
    if update.callback_query is not None:
        await answer(update, ctx.texts("limits.presses", me.lang))  # every press needs an answer
    elif verdict is Verdict.TELL:
        await say(ctx, me, "limits.messages")
    raise ApplicationHandlerStop


async def report_refused(ctx: GridContext, me: Person) -> bool:
    """Says why ME may not make another report now, and from when they may; False if they may.

    Asked when a report starts (so nobody fills in a report only to be refused) and again at 提交
    (a limit can be reached while a draft waits).
    """
    if me.is_staff:
        return False
    limits, now = ctx.services.settings.limits, ctx.now()
    times = await ctx.reports.times_by_reporter_since(me.user_id, now - timedelta(days=1))
    refusal = report_refusal(times, now, limits.reports_per_hour, limits.reports_per_day)
    if refusal is None:
        return False
    local = refusal.until.astimezone(ctx.services.tz)
    shown = (
        f"{local:%H:%M}"
        if local.date() == now.astimezone(ctx.services.tz).date()
        else (f"{local:%Y-%m-%d %H:%M}")
    )
    await say(ctx, me, f"limits.{refusal.key}", limit=refusal.limit, until=shown)
    return True


# Its own group, earliest of all: a group runs only its first matching handler, so sharing a group
# with another early handler would shadow it. ApplicationHandlerStop ends the update here.
GROUP = -100


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, guard), group=GROUP)
