"""What every handler does when a rule (bot/domain/access.py) refuses: answer, record, no change."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import GridContext
from bot.domain.access import Rule
from bot.domain.people import Person
from bot.notices import buttons, outgoing
from bot.usecases.results import refuse
from handlers.kit.presses import answer

log = logging.getLogger(__name__)


def action_of(update: Update) -> str:
    """Returns what was attempted: the press's "noun:verb" or the "/command" (never its args)."""
    query = update.callback_query
    if query is not None:
        press = buttons.parse(query.data)
        return f"{press.noun}:{press.verb}" if press else "press"
    message = update.effective_message
    text = (message.text or "") if message is not None else ""
    if text.startswith("/"):
        return text.split()[0].split("@")[0][:32]
    return "message"


async def deny(
    update: Update,
    ctx: GridContext,
    me: Person,
    rule: Rule,
    target: str | None,
    key: str = "common.not_allowed",
    **params: object,
) -> None:
    """Answers ME politely in their language (catalog KEY) and records the refusal by RULE.

    A press is answered with a short notice, anything else with a private message. Nothing
    else changes.
    """
    if update.callback_query is not None:
        await answer(update, ctx.texts(key, me.lang, **params))
    else:
        text = ctx.texts(key, me.lang, **params)
        await ctx.outbox.send([outgoing.message(me.user_id, text)], ctx.now())
    await record(ctx, me.user_id, rule, target, action_of(update))


async def record(
    ctx: GridContext, user_id: int, rule: Rule, target: str | None, action: str
) -> None:
    """Records that RULE refused USER_ID the ACTION ("noun:verb" or "/command") on TARGET (ids only:
    "wish:12"), for /audit.

    For handlers that answer the refusal their own way. A failure to record is logged (ids
    only) and never fails the update: the refusal itself already stands.
    """
    await refuse(ctx.services, user_id, rule, target, action, at=ctx.now())
