"""/export [UNIT]: a staff member's 台账 as an XLSX file, in private.

/export asks the period (buttons: this month, last month, this quarter, last quarter, this
year; or typed `YYYY-MM-DD YYYY-MM-DD`, both days included) for their own unit, or for UNIT
below it; a supervisor (and an admin) also gets "other unit…", which walks the one unit picker
(handlers/kit/picker.py) down from their unit and asks the period again for the unit chosen.
The use case re-authorises, refuses an empty period and records the export; the ledger sweep
builds and sends it (bot/jobs/ledger.py), so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import secrets
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import GridContext
from bot.domain.ledger import PERIODS, Period, PeriodError, parse_period, period
from bot.domain.people import Person, Role
from bot.domain.units import UnitTree
from bot.notices import ledger as notices
from bot.notices import outgoing
from bot.notices.buttons import pattern
from bot.usecases import ledger
from bot.usecases.results import Refused
from handlers.kit import picker
from handlers.kit.flows import NEW_PRIVATE, NOWHERE, Place, StepCallback, person_of, text_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say
from storage.drafts import Draft

FLOW = "ledger"
IN_GROUPS = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS
MAX_CODE = 32  # a unit code echoed back in a refusal is cut here


async def start(update: Update, ctx: GridContext) -> None:
    """Asks the period of the export of the staff member's unit (or the unit named)."""
    me = await person_of(update, ctx)
    args = ctx.args or []
    if len(args) > 1:
        await say(ctx, me, "ledger.usage")
        return
    unit = args[0][:MAX_CODE] if args else None
    result = await ledger.offer(ctx.services, me.user_id, unit, at=ctx.now())
    if isinstance(result, Refused):
        params: dict[str, Any] = dict(result.params)
        await say(ctx, me, result.key, **params)
        return
    draft = Draft(me.user_id, FLOW, "period", {"unit": result.value})
    await ctx.drafts.put(draft, ctx.now(), [await _period_prompt(ctx, me, draft)])


async def _period_prompt(ctx: GridContext, me: Person, draft: Draft) -> outgoing.Outgoing:
    """Puts a new nonce on DRAFT and returns the period question for its unit (with "other
    unit…" for staff who may export a unit below their own)."""
    tree = await ctx.units.tree()
    draft.data["n"] = nonce = secrets.token_hex(3)
    staff = await ctx.people.staff(me.user_id)
    unit = str(draft.data["unit"])
    others = staff is not None and (
        staff.role is Role.ADMIN or (staff.role.is_supervisor and _has_below(staff.unit, tree))
    )
    return notices.period_prompt(
        ctx.services, me.user_id, me.lang, tree.get(unit).name, nonce, other_units=others
    )


def _has_below(unit: str, tree: UnitTree) -> bool:
    return unit in tree and bool(tree.children(unit))


async def on_press(update: Update, ctx: GridContext) -> None:
    """ledger:period:<nonce>:<key>: one of the offered periods."""
    got = await press_of(
        update, ctx, noun=FLOW, verbs={"period", "unit"}, flow=FLOW, steps=("period",), nonce=True
    )
    if got is None:
        return
    me, press, draft = got
    assert draft is not None
    if press.verb == "unit":  # "other unit…": the one picker, from the presser's reach down
        await ctx.drafts.put(draft, ctx.now(), await picker.begin(ctx, me, draft))
        return
    key = str(press.args[1]) if len(press.args) > 1 else ""
    if key not in PERIODS:
        await say(ctx, me, "common.stale_button")
        return
    today = ctx.now().astimezone(ctx.services.tz).date()
    await _request(ctx, me, draft, period(key, today))


async def receive_period(update: Update, ctx: GridContext, draft: Draft) -> None:
    """A typed period: `YYYY-MM-DD YYYY-MM-DD`; anything else gets a hint and the question stays."""
    me = await person_of(update, ctx)
    message = update.effective_message
    assert message is not None
    try:
        span = parse_period(text_of(message) or "")
    except PeriodError as error:
        await say(ctx, me, error.key)
        return
    await _request(ctx, me, draft, span)


async def _request(ctx: GridContext, me: Person, draft: Draft, span: Period) -> None:
    result = await ledger.request(
        ctx.services, me.user_id, str(draft.data["unit"]), span, at=ctx.now(), lang=me.lang
    )
    if isinstance(result, Refused):
        params: dict[str, Any] = dict(result.params)
        # An empty period keeps the question open: another period may be chosen.
        await say(ctx, me, result.key, end_flow=result.key != "ledger.empty", **params)


async def in_group(update: Update, ctx: GridContext) -> None:
    """Points to the private chat: a unit's ledger never goes to a group."""
    chat = update.effective_chat
    assert chat is not None
    lang = ctx.services.settings.default_language
    text = ctx.texts("ledger.private_only", lang)
    await ctx.outbox.send([outgoing.message(chat.id, text)], ctx.now())


# The unit picker (handlers/kit/picker.py) ---------------------------------------------------


async def reach(ctx: GridContext, me: Person, draft: Draft) -> str | None:
    """Returns how far the walk goes: from the staff member's unit down (admins: the whole
    tree); NOWHERE for anyone who may export nothing any more (read on every press)."""
    staff = await ctx.people.staff(me.user_id)
    if staff is None or staff.role is Role.PARTNER:
        return NOWHERE
    return None if staff.role is Role.ADMIN else staff.unit


async def ask_unit(
    ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
) -> str:
    where = tree.place_name(node) if node is not None else "—"
    return ctx.texts("ledger.ask_unit", me.lang, place=where)


async def unit_chosen(
    ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[outgoing.Outgoing]
) -> None:
    """Asks the period for the unit chosen, re-authorised (the walk's reach may be stale)."""
    result = await ledger.offer(ctx.services, me.user_id, code, at=ctx.now())
    if isinstance(result, Refused):
        params: dict[str, Any] = dict(result.params)
        refusal = outgoing.message(me.user_id, ctx.texts(result.key, me.lang, **params))
        await ctx.drafts.clear(me.user_id, ctx.now(), [*messages, refusal])
        return
    draft.step, draft.data = "period", {"unit": result.value}
    await ctx.drafts.put(draft, ctx.now(), [*messages, await _period_prompt(ctx, me, draft)])


STEPS: dict[tuple[str, str], StepCallback] = {(FLOW, "period"): receive_period}
PLACES: dict[str, Place] = {
    FLOW: Place(done=unit_chosen, ask=ask_unit, here="ledger.pick_here", reach=reach)
}


def register(app: Application) -> None:
    app.add_handler(CommandHandler("export", start, filters=NEW_PRIVATE))
    app.add_handler(CommandHandler("export", in_group, filters=IN_GROUPS))
    app.add_handler(CallbackQueryHandler(on_press, pattern=pattern(FLOW)))
