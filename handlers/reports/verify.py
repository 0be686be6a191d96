"""The reporter's side of a resolved report: solved → 1–5 stars → optional comment, or reopen.

Only the reporter (for 代报, whoever entered it) may verify; every press is checked against
the report as stored, so a forged, repeated or stale press changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain import reports as domain
from bot.domain.people import Person
from bot.domain.reports import InvalidTransition, Report, ReportEvent, Status
from bot.domain.routing import refer_target
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard, parse
from bot.usecases.reports import save_move
from handlers.kit.flows import StepCallback, offer_idle, person_of
from handlers.kit.refusals import deny
from handlers.kit.reply import say
from handlers.residents.place import answer
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.reports import StaleReport

FLOW = "comment"
COMMENT_LIMIT = 500
PATTERN = r"^report:(solved|unsolved|stars|nocomment):"

Move = Callable[[Report], tuple[Report, ReportEvent]]


async def on_press(update: Update, ctx: GridContext) -> None:
    """report:(solved|unsolved|stars|nocomment):<id>[:<n>] — only the reporter may press."""
    assert update.callback_query is not None
    me, press = await person_of(update, ctx), parse(update.callback_query.data)
    report_id = press.int_arg(0) if press else None
    report = await ctx.reports.get(report_id) if report_id is not None else None
    if press is None or report is None:
        await answer(update, ctx.texts("common.not_allowed", me.lang))
        return
    if (refused := access.verify_report(me.user_id, report)) is not None:
        await deny(update, ctx, me, refused, f"report:{report.id}")
        return
    refusal = await why_not(ctx, me, report, press.verb, press.int_arg(1))
    await answer(update, refusal)
    if refusal is None:
        await VERBS[press.verb](ctx, me, report, press.int_arg(1))


async def why_not(
    ctx: GridContext, me: Person, report: Report, verb: str, stars: int | None
) -> str | None:
    """Returns why VERB cannot be pressed on REPORT now (shown on the button), or None."""
    if verb == "stars" and (stars is None or not 1 <= stars <= 5):
        return ctx.texts("common.stale_button", me.lang)
    if verb == "nocomment":
        draft = await ctx.drafts.get(me.user_id)
        waiting = draft is not None and draft.flow == FLOW and draft.data["report"] == report.id
        return None if waiting else ctx.texts("common.stale_button", me.lang)
    if report.status is not Status.RESOLVED:
        status = ctx.texts(f"status.{report.status.value}", me.lang)
        return ctx.texts("verify.not_now", me.lang, number=report.number, status=status)
    return None


async def ask_stars(ctx: GridContext, me: Person, report: Report, _: int | None) -> None:
    """Solved: asks for 1–5 stars; nothing changes until the stars are given."""
    stars = [button("⭐" * n, "report", "stars", report.id, n) for n in range(1, 6)]
    markup = keyboard([stars[:3], stars[3:]])
    await say(ctx, me, "verify.ask_stars", markup=markup, number=report.number)


async def rate(ctx: GridContext, me: Person, report: Report, stars: int | None) -> None:
    """Closes the report with the stars, then offers an optional comment."""
    assert stars is not None
    if not await move(
        ctx, me, report, lambda r: domain.confirm(r, me.user_id, ctx.now(), stars=stars)
    ):
        return
    skip = button(ctx.texts("verify.skip", me.lang), "report", "nocomment", report.id)
    text = ctx.texts("verify.ask_comment", me.lang, limit=COMMENT_LIMIT)
    draft = Draft(me.user_id, FLOW, "text", {"report": report.id})
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard([[skip]]))]
    )


async def reopen(ctx: GridContext, me: Person, report: Report, _: int | None) -> None:
    """Not solved: the report goes one tier up, on a new clock (at the top tier it stays)."""
    tree = await ctx.units.tree()
    staff = await ctx.people.along(tree, report.holder_unit)
    up = refer_target(report.holder_unit, tree, staff, report.category)
    await move(ctx, me, report, lambda r: domain.reopen(r, me.user_id, ctx.now(), up=up))


async def skip_comment(ctx: GridContext, me: Person, report: Report, _: int | None) -> None:
    text = ctx.texts("verify.thanks", me.lang)
    await ctx.drafts.clear(me.user_id, ctx.now(), [outgoing.message(me.user_id, text)])


VERBS: dict[str, Callable[[GridContext, Person, Report, int | None], Awaitable[None]]] = {
    "solved": ask_stars,
    "unsolved": reopen,
    "stars": rate,
    "nocomment": skip_comment,
}


async def move(
    ctx: GridContext,
    me: Person,
    report: Report,
    make: Move,
    *,
    end_flow: bool = False,
    extra: Sequence[Outgoing] = (),
) -> bool:
    """Stores MAKE(report) with its notices and EXTRA (compare-and-set); else tells ME why not."""
    try:
        after, event = make(report)
        drafts_of = me.user_id if end_flow else None
        await save_move(ctx.services, report, after, event, clear_draft_of=drafts_of, extra=extra)
    except (InvalidTransition, StaleReport):
        fresh = await ctx.reports.get(report.id) if report.id is not None else None
        status = ctx.texts(f"status.{(fresh or report).status.value}", me.lang)
        text = ctx.texts("verify.not_now", me.lang, number=report.number, status=status)
        message = [outgoing.message(me.user_id, text)]
        if end_flow:
            await ctx.drafts.clear(me.user_id, ctx.now(), message)
        else:
            await ctx.outbox.send(message, ctx.now())
        return False
    return True


async def receive_comment(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the comment on the rating; a photo instead starts a new report."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    text = (message.text or "").strip()
    report = await ctx.reports.get(draft.data["report"])
    if not text:
        if await offer_idle(update, ctx, me):
            return
        await say(ctx, me, "verify.comment_text")
    elif len(text) > COMMENT_LIMIT:
        await say(ctx, me, "verify.comment_too_long", limit=COMMENT_LIMIT, length=len(text))
    elif report is not None:
        thanks = outgoing.message(me.user_id, ctx.texts("verify.thanks", me.lang))
        commenting = lambda r: domain.comment(r, me.user_id, ctx.now(), text)  # noqa: E731
        await move(ctx, me, report, commenting, end_flow=True, extra=[thanks])


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "text"): receive_comment,
}
