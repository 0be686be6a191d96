"""The reporter's side of a resolved report: solved → (with a 回音壁: may we show your photos?)
→ 1–5 stars → optional comment, or reopen.

Only the reporter (for 代报, whoever entered it) may verify; every press is checked against
the report as stored, so a forged, repeated or stale press changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import access
from bot.domain.people import Person
from bot.domain.reports import Report, Status
from bot.notices import echo as notices
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.usecases import echo, reports
from bot.usecases.results import Refused
from handlers.kit.flows import StepCallback, offer_idle, person_of
from handlers.kit.presses import answer
from handlers.kit.refusals import deny
from handlers.kit.reply import say
from handlers.reports.worker_press import report_pressed, tell
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "comment"
COMMENT_LIMIT = 500
PATTERN = r"^report:(solved|unsolved|photos|stars|nocomment):"


async def on_press(update: Update, ctx: GridContext) -> None:
    """report:(solved|unsolved|photos|stars|nocomment):<id>[:<n>] — only the reporter may
    press."""
    found = await report_pressed(
        update, ctx, "report", tuple(VERBS), missing="common.not_allowed", answer_first=False
    )
    if found is None:
        return
    me, press, report = found
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
    if verb == "photos" and stars not in (0, 1):
        return ctx.texts("common.stale_button", me.lang)
    if verb == "nocomment":
        draft = await ctx.drafts.get(me.user_id)
        waiting = draft is not None and draft.flow == FLOW and draft.data["report"] == report.id
        return None if waiting else ctx.texts("common.stale_button", me.lang)
    if report.status is not Status.RESOLVED:
        status = ctx.texts(f"status.{report.status.value}", me.lang)
        return ctx.texts("verify.not_now", me.lang, number=report.number, status=status)
    return None


def stars_question(ctx: GridContext, me: Person, report: Report) -> Outgoing:
    stars = [button("⭐" * n, "report", "stars", report.id, n) for n in range(1, 6)]
    markup = keyboard([stars[:3], stars[3:]])
    text = ctx.texts("verify.ask_stars", me.lang, number=report.number)
    return outgoing.message(me.user_id, text, markup=markup)


async def ask_stars(ctx: GridContext, me: Person, report: Report, _: int | None) -> None:
    """Solved: asks for 1–5 stars (first, with a 回音壁, whether its photos may be shown there);
    nothing changes until the stars are given."""
    if echo.is_on(ctx.services):
        question = notices.consent_question(
            ctx.texts, me.lang, me.user_id, report.id or 0, report.number
        )
    else:
        question = stars_question(ctx, me, report)
    await ctx.outbox.send([question], ctx.now())


async def photos_answered(ctx: GridContext, me: Person, report: Report, allow: int | None) -> None:
    """Records whether the 回音壁 may show the photos (default no), then asks for the stars."""
    outcome = await echo.consent(
        ctx.services,
        report.id,
        by=me.user_id,
        at=ctx.now(),
        allow=allow == 1,
        extra=[
            notices.consent_answered(
                ctx.texts, me.lang, me.user_id, report.id or 0, report.number, allow=allow == 1
            ),
            stars_question(ctx, me, report),
        ],
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)


async def rate(ctx: GridContext, me: Person, report: Report, stars: int | None) -> None:
    """Closes the report with the stars, then offers an optional comment."""
    outcome = await reports.verify(
        ctx.services, report.id, by=me.user_id, at=ctx.now(), stars=stars
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)
        return
    skip = button(ctx.texts("verify.skip", me.lang), "report", "nocomment", report.id)
    text = ctx.texts("verify.ask_comment", me.lang, limit=COMMENT_LIMIT)
    draft = Draft(me.user_id, FLOW, "text", {"report": report.id})
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard([[skip]]))]
    )


async def reopen(ctx: GridContext, me: Person, report: Report, _: int | None) -> None:
    """Not solved: the report goes one tier up, on a new clock (at the top tier it stays)."""
    outcome = await reports.reopen(ctx.services, report.id, by=me.user_id, at=ctx.now())
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)


async def skip_comment(ctx: GridContext, me: Person, report: Report, _: int | None) -> None:
    text = ctx.texts("verify.thanks", me.lang)
    await ctx.drafts.clear(me.user_id, ctx.now(), [outgoing.message(me.user_id, text)])


VERBS: dict[str, Callable[[GridContext, Person, Report, int | None], Awaitable[None]]] = {
    "solved": ask_stars,
    "unsolved": reopen,
    "photos": photos_answered,
    "stars": rate,
    "nocomment": skip_comment,
}


async def receive_comment(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the comment on the rating; a photo instead starts a new report."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    text = (message.text or "").strip()
    if not text:
        if await offer_idle(update, ctx, me):
            return
        await say(ctx, me, "verify.comment_text")
    elif len(text) > COMMENT_LIMIT:
        await say(ctx, me, "verify.comment_too_long", limit=COMMENT_LIMIT, length=len(text))
    else:
        thanks = outgoing.message(me.user_id, ctx.texts("verify.thanks", me.lang))
        outcome = await reports.verify(
            ctx.services,
            draft.data["report"],
            by=me.user_id,
            at=ctx.now(),
            comment=text,
            extra=[thanks],
        )
        if isinstance(outcome, Refused):
            await tell(ctx, me, outcome, end_flow=True)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "text"): receive_comment,
}
