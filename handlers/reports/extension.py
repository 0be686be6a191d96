"""申请延期: the holder of a report asks for more time; staff of a unit above approve or deny.

ext:ask:<id> (worker card) → how much more (ext:span:<id>:<span>, or typed) → why (typed) →
a request card with ext:ok / ext:no :<id>:<n> to the nearest supervisors above the holder.
Every step is a report event (ASK_EXTENSION, EXTEND, DENY_EXTENSION); every press is checked
against the report as stored, so a forged, repeated or lapsed press changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import deadlines
from bot.domain.deadlines import Span
from bot.domain.people import Person
from bot.domain.reports import Report
from bot.notices import outgoing
from bot.notices import reports as notices
from bot.notices.buttons import Press, button, keyboard
from bot.notices.reports import Cards
from bot.usecases import reports
from bot.usecases.results import Refused
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.reply import say
from handlers.reports.worker_press import report_pressed, tell
from storage.drafts import Draft

FLOW = "extension"
PATTERN = r"^ext:(ask|span|ok|no):"
CHOICES = ("1d", "2d", "3d")  # the buttons; anything else up to 10 days or 72 h can be typed
REASON_MIN, REASON_LIMIT = 2, 300


def span_label(ctx: GridContext, span: Span, lang: str) -> str:
    return notices.span_label(ctx.services, span, lang)


async def on_press(update: Update, ctx: GridContext) -> None:
    """ext:(ask|span|ok|no):<report id>[:<arg>] — answered first, then re-authorised."""
    found = await report_pressed(update, ctx, "ext", tuple(VERBS), missing="extension.stale")
    if found is None:
        return
    me, press, report = found
    await VERBS[press.verb](ctx, me, report, press)


async def ask(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    """申请延期 on the worker card: asks how much more time, with the usual choices."""
    if refused := await reports.extension_refused(
        ctx.services, report, by=me.user_id, at=ctx.now()
    ):
        await tell(ctx, me, refused)
        return
    cards = await Cards.load(ctx.services)
    choices = [
        button(span_label(ctx, Span.parse(code), me.lang), "ext", "span", report.id, code)
        for code in CHOICES
    ]
    text = ctx.texts(
        "extension.ask_span", me.lang, number=report.number, due=cards.when(report.due_at)
    )
    draft = Draft(me.user_id, FLOW, "span", {"report": report.id})
    await ctx.drafts.put(
        draft, ctx.now(), [outgoing.message(me.user_id, text, markup=keyboard([choices]))]
    )


async def choose_span(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    """A duration button: goes on to the reason, if the conversation is still about REPORT."""
    code = press.args[1] if len(press.args) > 1 else ""
    draft = await ctx.drafts.get(me.user_id)
    if (
        code not in CHOICES
        or draft is None
        or draft.flow != FLOW
        or draft.data.get("report") != report.id
    ):
        await say(ctx, me, "extension.stale")
        return
    await ask_reason(ctx, me, draft, Span.parse(code))


async def receive_span(update: Update, ctx: GridContext, draft: Draft) -> None:
    """A typed duration ('2', '2天', '4小时'); anything else is asked again."""
    me = await person_of(update, ctx)
    text = (update.effective_message.text or "") if update.effective_message else ""
    span = deadlines.parse_extension(text)
    if span is None:
        await say(ctx, me, "extension.bad_span")
        return
    await ask_reason(ctx, me, draft, span)


async def ask_reason(ctx: GridContext, me: Person, draft: Draft, span: Span) -> None:
    text = ctx.texts(
        "extension.ask_reason",
        me.lang,
        span=span_label(ctx, span, me.lang),
        min=REASON_MIN,
        limit=REASON_LIMIT,
    )
    after = Draft(me.user_id, FLOW, "reason", {**draft.data, "span": str(span)})
    await ctx.drafts.put(after, ctx.now(), [outgoing.message(me.user_id, text)])


async def receive_reason(update: Update, ctx: GridContext, draft: Draft) -> None:
    """The reason: records the request and sends it to the staff who decide."""
    me = await person_of(update, ctx)
    message = update.effective_message
    reason = (message.text or "").strip() if message else ""
    if not reason:
        await say(ctx, me, "extension.reason_text")
        return
    if not REASON_MIN <= len(reason) <= REASON_LIMIT:
        await say(
            ctx,
            me,
            "extension.reason_length",
            min=REASON_MIN,
            limit=REASON_LIMIT,
            length=len(reason),
        )
        return
    outcome = await reports.request_extension(
        ctx.services,
        int(draft.data.get("report", 0)),
        by=me.user_id,
        at=ctx.now(),
        span=Span.parse(draft.data["span"]),
        reason=reason,
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome, end_flow=True)


async def approve(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    await decide(ctx, me, report, press, approved=True)


async def deny(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    await decide(ctx, me, report, press, approved=False)


async def decide(
    ctx: GridContext, me: Person, report: Report, press: Press, *, approved: bool
) -> None:
    """Approves (EXTEND: the deadline moves) or denies the request, if ME may and it still waits."""
    outcome = await reports.decide_extension(
        ctx.services, report.id, press.int_arg(1), by=me.user_id, at=ctx.now(), approve=approved
    )
    if isinstance(outcome, Refused):
        await tell(ctx, me, outcome)


VERBS: dict[str, Callable[[GridContext, Person, Report, Press], Awaitable[None]]] = {
    "ask": ask,
    "span": choose_span,
    "ok": approve,
    "no": deny,
}


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=PATTERN))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "span"): receive_span,
    (FLOW, "reason"): receive_reason,
}
