"""工作月汇报: /teamreport asks a helper the configured questions one by one (a draft, so a
restart keeps the answers so far) and stores the report; /teamreports [YYYY-MM] shows a grid
head (and community staff and above) the month's reports of their area and who is missing.

Callbacks: "teamrep:start" (the reminder's button) starts /teamreport;
"teamrep:page:<month>:<n>" pages through /teamreports.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain import teams as domain
from bot.domain.people import Person
from bot.domain.teams import MonthlyReport
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.notices.teams import NOUN
from bot.settings import TeamPrompt
from bot.usecases import teams
from bot.usecases.results import Refused
from bot.usecases.teams import Reading
from handlers.kit.flows import NEW_PRIVATE, StepCallback, person_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say, say_refused
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "teamreport"
PAGE = 8


def _prompts(ctx: GridContext) -> list[TeamPrompt]:
    return list(ctx.services.settings.teams.prompts)


def question(ctx: GridContext, me: Person, index: int) -> Outgoing:
    prompts = _prompts(ctx)
    prompt = prompts[index]
    hint = ctx.texts(f"teams.hint_{prompt.kind}", me.lang)
    text = ctx.texts(
        "teams.ask",
        me.lang,
        index=index + 1,
        total=len(prompts),
        question=prompt.en if me.lang == "en" else prompt.zh,
        hint=hint,
    )
    return outgoing.message(me.user_id, text)


async def begin(ctx: GridContext, me: Person) -> None:
    """Starts the monthly report at its first question, if ME owes one."""
    month = await teams.begin_report(ctx.services, by=me.user_id, at=ctx.now())
    if isinstance(month, Refused):
        await say_refused(ctx, me, month)
        return
    current = await ctx.drafts.get(me.user_id)
    if current is not None and current.flow == FLOW and current.data.get("month") == month.value:
        index = int(current.data.get("i", 0))  # a second press: the answers so far are kept
        if index < len(_prompts(ctx)):
            await ctx.outbox.send([question(ctx, me, index)], ctx.now())
            return
    draft = Draft(me.user_id, FLOW, "answer", {"month": month.value, "i": 0, "answers": {}})
    intro = outgoing.message(
        me.user_id, ctx.texts("teams.intro", me.lang, month=month.value, total=len(_prompts(ctx)))
    )
    await ctx.drafts.put(draft, ctx.now(), [intro, question(ctx, me, 0)])


async def command(update: Update, ctx: GridContext) -> None:
    """/teamreport: this month's 工作月汇报."""
    await begin(ctx, await person_of(update, ctx))


def receipt(ctx: GridContext, me: Person, report: MonthlyReport) -> list[Outgoing]:
    text = ctx.texts("teams.sent", me.lang, month=report.month, answers=_answers(ctx, me, report))
    return [outgoing.message(me.user_id, text)]


def _answers(ctx: GridContext, me: Person, report: MonthlyReport) -> str:
    lines = []
    for prompt in _prompts(ctx):
        if prompt.code in report.answers:
            name = prompt.en if me.lang == "en" else prompt.zh
            lines.append(
                ctx.texts(
                    "teams.answer_line", me.lang, question=name, answer=report.answers[prompt.code]
                )
            )
    return "\n".join(lines)


async def receive_answer(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes one answer: a bad one is explained and asked again; the last one sends the report."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    prompts = _prompts(ctx)
    index = int(draft.data.get("i", 0))
    if index >= len(prompts):  # the questions changed under a half-filled report
        await say(ctx, me, "teams.stale", end_flow=True)
        return
    prompt = prompts[index]
    answer = domain.parse_answer(prompt.kind, message.text)
    if answer is None:
        await say(
            ctx, me, f"teams.bad_{prompt.kind}", max=domain.NUMBER_MAX, length=domain.TEXT_MAX
        )
        return
    answers = {**dict(draft.data.get("answers", {})), prompt.code: answer}
    if index + 1 < len(prompts):
        data = {**draft.data, "i": index + 1, "answers": answers}
        nxt = Draft(me.user_id, FLOW, "answer", data)
        await ctx.drafts.put(nxt, ctx.now(), [question(ctx, me, index + 1)])
        return
    sent = await teams.send_report(
        ctx.services,
        str(draft.data["month"]),
        answers,
        by=me.user_id,
        at=ctx.now(),
        then=lambda report: receipt(ctx, me, report),
    )
    if isinstance(sent, Refused):
        await say_refused(ctx, me, sent, end_flow=True)


def reading_card(ctx: GridContext, me: Person, reading: Reading, page: int) -> Outgoing:
    """Returns page PAGE of READING: the missing first, then PAGE reports a page."""
    t, lang = ctx.texts, me.lang
    pages = max(1, -(-len(reading.sent) // PAGE))
    page = min(max(page, 0), pages - 1)
    blocks = [
        t(
            "teams.reports_title",
            lang,
            month=reading.month,
            sent=len(reading.sent),
            missing=len(reading.missing),
            page=page + 1,
            pages=pages,
        )
    ]
    if reading.missing and page == 0:
        names = ", ".join(p.name for p in reading.missing[:50])
        more = len(reading.missing) - 50
        if more > 0:
            names += " " + t("teams.and_more", lang, count=more)
        blocks.append(t("teams.reports_missing", lang, names=names))
    for name, report in reading.sent[page * PAGE : (page + 1) * PAGE]:
        role = t(f"invite.roles.{report.role.value}", lang)
        blocks.append(
            t("teams.reports_entry", lang, name=name, role=role, answers=_answers(ctx, me, report))
        )
    if not reading.sent:
        blocks.append(t("teams.reports_none", lang))
    nav = []
    if page > 0:
        nav.append(button(t("staff.previous", lang), NOUN, "page", reading.month, page - 1))
    if page + 1 < pages:
        nav.append(button(t("staff.next", lang), NOUN, "page", reading.month, page + 1))
    text = "\n\n".join(blocks)
    return outgoing.card(
        me.user_id, f"teamreports:{me.user_id}", text, markup=keyboard([nav]) or None
    )


async def show_reports(ctx: GridContext, me: Person, month: str, page: int) -> None:
    found = await teams.monthly_reports(ctx.services, month, by=me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        await say_refused(ctx, me, found)
        return
    await ctx.outbox.send([reading_card(ctx, me, found.value, page)], ctx.now())


async def list_command(update: Update, ctx: GridContext) -> None:
    """/teamreports [YYYY-MM]: the month's monthly reports of the reader's area (default: now)."""
    me = await person_of(update, ctx)
    text = " ".join(ctx.args or []).strip()
    month = domain.parse_month(text) if text else domain.month_of(ctx.now(), ctx.services.tz)
    if month is None:
        await say(ctx, me, "teams.bad_month")
        return
    await show_reports(ctx, me, month, 0)


async def on_press(update: Update, ctx: GridContext) -> None:
    """teamrep:start (the reminder's button) and teamrep:page:<month>:<n>."""
    found = await press_of(update, ctx, noun=NOUN, verbs=("start", "page"))
    if found is None:
        return
    me, press, _ = found
    if press.verb == "start":
        await begin(ctx, me)
        return
    month = domain.parse_month(press.args[0]) if press.args else None
    page = press.int_arg(1)
    if month is None or page is None:
        await say(ctx, me, "teams.stale")
        return
    await show_reports(ctx, me, month, page)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("teamreport", command, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("teamreports", list_command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{NOUN}:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {(FLOW, "answer"): receive_answer}
