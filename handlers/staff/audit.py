"""/audit: admins see how often each rule refused someone in the last week, and the latest ones."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import GridContext
from bot.domain import access
from bot.notices import outgoing
from handlers.kit.flows import NEW_PRIVATE, person_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say

DAYS = 7
LATEST = 20


async def show(update: Update, ctx: GridContext) -> None:
    """Sends an admin the counts by rule for the last week and the latest refusals (ids only)."""
    me = await person_of(update, ctx)
    if (refused := access.admin_only(await ctx.people.staff(me.user_id))) is not None:
        await deny(update, ctx, me, refused, None)
        return
    refusals = ctx.store.refusals
    counts = await refusals.counts_since(ctx.now() - timedelta(days=DAYS))
    if not counts:
        await say(ctx, me, "audit.none", days=DAYS)
        return
    t, lang, tz = ctx.texts, me.lang, ctx.services.tz
    lines = [t("audit.title", lang, days=DAYS, total=sum(counts.values()))]
    lines += [t("audit.by_rule", lang, rule=rule, count=n) for rule, n in counts.items()]
    latest = await refusals.latest(LATEST)
    lines += ["", t("audit.latest", lang, count=len(latest))]
    lines += [
        t(
            "audit.row",
            lang,
            at=r.at.astimezone(tz).strftime("%m-%d %H:%M"),
            user_id=r.user_id,
            action=r.action,
            rule=r.rule,
            target=r.target or t("audit.no_target", lang),
        )
        for r in latest
    ]
    await ctx.outbox.send([outgoing.message(me.user_id, "\n".join(lines))], ctx.now())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("audit", show, filters=NEW_PRIVATE))
