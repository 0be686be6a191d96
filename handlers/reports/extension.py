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
from bot.domain import access, deadlines
from bot.domain.deadlines import ExtensionError, Span
from bot.domain.people import Person
from bot.domain.reports import InvalidTransition, Report
from bot.notices import outgoing
from bot.notices.buttons import Press, button, keyboard, parse
from bot.notices.reports import Cards
from bot.texts import plural_key
from bot.usecases.deadlines import Situation
from bot.usecases.reports import save_move
from handlers.kit.flows import StepCallback, person_of
from handlers.kit.presses import answer
from handlers.kit.refusals import record
from handlers.kit.reply import say
from storage.drafts import Draft
from storage.outbox import Outgoing
from storage.reports import StaleReport

FLOW = "extension"
PATTERN = r"^ext:(ask|span|ok|no):"
CHOICES = ("1d", "2d", "3d")  # the buttons; anything else up to 10 days or 72 h can be typed
REASON_MIN, REASON_LIMIT = 2, 300


def card_key(report: Report, request: int) -> str:
    return f"extension:{report.id}:{request}"


def span_label(ctx: GridContext, span: Span, lang: str) -> str:
    amount = int(span.amount) if span.amount == int(span.amount) else span.amount
    return ctx.texts(plural_key(f"extension.span_{span.unit}", amount), lang, n=amount)


async def on_press(update: Update, ctx: GridContext) -> None:
    """ext:(ask|span|ok|no):<report id>[:<arg>] — answered first, then re-authorised."""
    query = update.callback_query
    assert query is not None
    await answer(update)
    me = await person_of(update, ctx)
    press = parse(query.data)
    report_id = press.int_arg(0) if press else None
    report = await ctx.reports.get(report_id) if report_id is not None else None
    if press is None or report is None:
        await say(ctx, me, "extension.stale")
        return
    await VERBS[press.verb](ctx, me, report, press)


async def why_not_ask(ctx: GridContext, me: Person, report: Report) -> str | None:
    """Returns the catalog key saying why ME cannot ask for more time on REPORT now, or None
    (a refusal by access.ask_extension is recorded)."""
    if not report.status.is_open or report.due_at is None or report.timer is None:
        return "extension.not_open"
    if (refused := access.ask_extension(await ctx.people.staff(me.user_id), report)) is not None:
        await record(ctx, me.user_id, refused, f"report:{report.id}", "ext:ask")
        return "extension.not_holder"
    if deadlines.pending_extension(report) is not None:
        return "extension.already_pending"
    return None


async def refuse(ctx: GridContext, me: Person, report: Report, key: str) -> None:
    status = ctx.texts(f"status.{report.status.value}", me.lang)
    await say(ctx, me, key, number=report.number, status=status)


async def ask(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    """申请延期 on the worker card: asks how much more time, with the usual choices."""
    if refusal := await why_not_ask(ctx, me, report):
        await refuse(ctx, me, report, refusal)
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
    report = await ctx.reports.get(int(draft.data.get("report", 0)))
    if report is None or await why_not_ask(ctx, me, report):
        await end(ctx, me, report, "extension.gone")
        return
    await send_request(ctx, me, report, Span.parse(draft.data["span"]), reason)


async def end(ctx: GridContext, me: Person, report: Report | None, key: str) -> None:
    """Ends the conversation with KEY's message, in one commit."""
    number = report.number if report else ""
    text = ctx.texts(key, me.lang, number=number)
    await ctx.drafts.clear(me.user_id, ctx.now(), [outgoing.message(me.user_id, text)])


async def send_request(
    ctx: GridContext, me: Person, report: Report, span: Span, reason: str
) -> None:
    """Stores the request (ASK_EXTENSION) with its cards to the deciders, and ends the flow."""
    staff = await ctx.people.staff(me.user_id)
    assert staff is not None  # why_not_ask checked it
    tree = await ctx.units.tree()
    deciders = deadlines.extension_deciders(report, tree, await ctx.people.all_staff())
    if not deciders:
        await end(ctx, me, report, "extension.nobody")
        return
    try:
        after, event = deadlines.ask_extension(report, staff, ctx.now(), span, reason)
    except ExtensionError as refused:
        await end(ctx, me, report, refused.key)
        return
    request = int(event.data["request"])
    cards = await Cards.load(ctx.services)
    langs = await ctx.people.languages(d.user_id for d in deciders)
    messages = []
    for decider in deciders:
        lang = langs.get(decider.user_id, ctx.services.settings.default_language)
        choices = [
            button(ctx.texts("extension.approve", lang), "ext", "ok", report.id, request),
            button(ctx.texts("extension.deny", lang), "ext", "no", report.id, request),
        ]
        text = await request_text(ctx, cards, after, lang)
        key = card_key(report, request)
        messages.append(outgoing.card(decider.user_id, key, text, markup=keyboard([choices])))
    unit = tree.get(deciders[0].unit).name if deciders[0].unit in tree else ""
    label = span_label(ctx, span, me.lang)
    sent = ctx.texts("extension.sent", me.lang, number=report.number, span=label, unit=unit)
    messages.append(outgoing.message(me.user_id, sent))
    try:
        await ctx.reports.save(
            after, event, messages, expect_version=report.version, clear_draft_of=me.user_id
        )
    except StaleReport:
        await end(ctx, me, report, "extension.gone")


async def request_text(ctx: GridContext, cards: Cards, report: Report, lang: str) -> str:
    """Returns the request card's text for REPORT's pending request."""
    pending = deadlines.pending_extension(report)
    assert pending is not None
    span = Span.parse(pending["span"])
    asker = await ctx.people.staff(int(pending["by"]))
    situation = await Situation.load(ctx.services)
    new_due = deadlines.extended_due(
        report, span, ctx.now(), situation.rules, urgent=situation.is_urgent(report)
    )
    return ctx.texts(
        "extension.request",
        lang,
        number=report.number,
        tier=cards.tier_label(report, lang),
        category=cards.category_name(report.category, lang),
        place=cards.place(report),
        who=asker.name if asker else "—",
        span=span_label(ctx, span, lang),
        reason=pending.get("reason", ""),
        due=cards.when(report.due_at),
        new_due=cards.when(new_due),
    )


async def approve(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    await decide(ctx, me, report, press, approved=True)


async def deny(ctx: GridContext, me: Person, report: Report, press: Press) -> None:
    await decide(ctx, me, report, press, approved=False)


async def decide(
    ctx: GridContext, me: Person, report: Report, press: Press, *, approved: bool
) -> None:
    """Approves (EXTEND: the deadline moves) or denies the request, if ME may and it still waits."""
    staff = await ctx.people.staff(me.user_id)
    refused = access.decide_extension(staff, report, await ctx.units.tree())
    if refused is not None:
        await refuse(ctx, me, report, "extension.not_allowed")
        await record(ctx, me.user_id, refused, f"report:{report.id}", f"ext:{press.verb}")
        return
    assert staff is not None
    request = press.int_arg(1)
    pending = deadlines.pending_extension(report)
    if request is None or pending is None or pending.get("n") != request:
        await say(ctx, me, "extension.stale")
        return
    now, situation = ctx.now(), await Situation.load(ctx.services)
    try:
        if approved:
            after, event = deadlines.approve_extension(
                report, staff, now, request, situation.rules, urgent=situation.is_urgent(report)
            )
        else:
            after, event = deadlines.deny_extension(report, staff, now, request)
    except (ExtensionError, InvalidTransition):
        await say(ctx, me, "extension.stale")
        return
    messages = await decision_messages(ctx, report, after, staff.name, approved)
    try:
        if approved:  # the deadline moved: cards and the reporter's status card show it
            await save_move(ctx.services, report, after, event, extra=messages)
        else:
            await ctx.reports.save(after, event, messages, expect_version=report.version)
    except StaleReport:
        await say(ctx, me, "extension.stale")


async def decision_messages(
    ctx: GridContext, before: Report, after: Report, who: str, approved: bool
) -> list[Outgoing]:
    """Returns the answer to the asker and every decider's card, now without buttons."""
    pending = deadlines.pending_extension(before)
    assert pending is not None
    cards = await Cards.load(ctx.services)
    key = card_key(before, int(pending["n"]))
    asker = int(pending["by"])
    chats = await ctx.outbox.card_chats(key)
    langs = await ctx.people.languages([asker, *chats])
    lang_of = lambda chat: langs.get(chat, ctx.services.settings.default_language)  # noqa: E731
    due = cards.when(after.due_at)
    out = []
    for chat in chats:
        lang = lang_of(chat)
        outcome = "extension.decided_approved" if approved else "extension.decided_denied"
        text = await request_text(ctx, cards, before, lang)
        text += "\n\n" + ctx.texts(outcome, lang, who=who, due=due)
        out.append(outgoing.card(chat, key, text))
    answer = "extension.approved" if approved else "extension.denied"
    out.append(
        outgoing.message(asker, ctx.texts(answer, lang_of(asker), number=after.number, due=due))
    )
    return out


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
