"""The owner answers the 码上安全 checklist in chat, one item at a time.

The sweep sends "mchk:go:<shop>:<period>"; the press opens the check (a draft: the period, the
item at hand, the answers so far). Each item is a card with ✅ / ❌ ("mchk:ok|bad:<nonce>:<i>");
a photo follows where the item asks for one, a note for a problem. The answered card loses its
buttons, so an old button or a second press finds the item answered and says so; the whole check
is submitted at the end ("mchk:send:<nonce>") in one commit, once per period.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import GridContext
from bot.domain import merchants as domain
from bot.domain.merchants import Answer, Item, MerchantError
from bot.domain.people import Person
from bot.notices import buttons, outgoing
from bot.notices.buttons import Press, button
from bot.notices.merchants import CHECK
from bot.usecases.merchants import open_check, submit_check
from bot.usecases.results import Refused
from handlers.kit.flows import StepCallback, person_of, text_of
from handlers.kit.image_files import offers_photo, photo_in
from handlers.kit.presses import answer, press_of
from handlers.kit.reply import say, say_refused, tell
from storage.drafts import Draft
from storage.outbox import Outgoing

FLOW = "mcheck"


def _item_key(draft: Draft, i: int) -> str:
    return f"mchk:{draft.data['m']}:{draft.data['p']}:{i}"


def item_card(ctx: GridContext, me: Person, draft: Draft, items: list[Item]) -> Outgoing:
    """Returns the card of the item at hand with its ✅ / ❌ buttons."""
    i, t = draft.data["i"], ctx.texts
    item = items[i]
    text = t(
        "merchant.item",
        me.lang,
        n=i + 1,
        total=len(items),
        name=item.name(me.lang),
        photo=t("merchant.item_photo", me.lang) if item.photo else "",
    )
    n = draft.data["n"]
    markup = buttons.keyboard(
        [
            [
                button(t("merchant.answer_ok", me.lang), CHECK, "ok", n, i),
                button(t("merchant.answer_bad", me.lang), CHECK, "bad", n, i),
            ]
        ]
    )
    return outgoing.card(me.user_id, _item_key(draft, i), text, markup=markup)


def answered_card(ctx: GridContext, me: Person, draft: Draft, item: Item, ok: bool) -> Outgoing:
    """Returns the item's card as answered (no buttons left to press twice)."""
    key = "merchant.item_ok" if ok else "merchant.item_bad"
    text = ctx.texts(key, me.lang, n=draft.data["i"] + 1, name=item.name(me.lang))
    return outgoing.card(me.user_id, _item_key(draft, draft.data["i"]), text)


def summary_card(ctx: GridContext, me: Person, draft: Draft, items: list[Item]) -> Outgoing:
    t = ctx.texts
    lines = []
    for item, a in zip(items, draft.data["a"], strict=False):
        mark = "✅" if a["ok"] else "❌"
        note = f"：{a['note']}" if a.get("note") else ""
        lines.append(f"{mark} {item.name(me.lang)}{note}")
    text = t("merchant.summary", me.lang, lines="\n".join(lines))  # escaped: notes are typed
    n = draft.data["n"]
    markup = buttons.keyboard(
        [
            [button(t("merchant.submit", me.lang), CHECK, "send", n)],
            [button(t("merchant.restart", me.lang), CHECK, "redo", n)],
        ]
    )
    return outgoing.card(me.user_id, _summary_key(draft), text, markup=markup)


def _summary_key(draft: Draft) -> str:
    return f"mchk:{draft.data['m']}:{draft.data['p']}:end"


async def _items(ctx: GridContext, me: Person, draft: Draft) -> list[Item] | None:
    """Returns the shop's checklist if it is still the one the draft answers; else ends the
    draft with why."""
    opened = await open_check(
        ctx.services, draft.data["m"], draft.data["p"], by=me.user_id, at=ctx.now()
    )
    if isinstance(opened, Refused):
        await say_refused(ctx, me, opened, end_flow=True)
        return None
    items = opened.value[1]
    if [item.code for item in items] != draft.data["codes"]:
        await say(ctx, me, "merchant.check_changed", end_flow=True)
        return None
    return items


async def advance(
    ctx: GridContext, me: Person, draft: Draft, items: list[Item], shown: list[Outgoing]
) -> None:
    """Keeps the answer at hand and shows the next item, or the summary after the last."""
    draft.data["a"].append(draft.data.pop("cur"))
    draft.data["i"] += 1
    draft.data["n"] = secrets.token_hex(3)
    if draft.data["i"] < len(items):
        draft = replace(draft, step="item")
        shown.append(item_card(ctx, me, draft, items))
    else:
        draft = replace(draft, step="confirm")
        shown.append(summary_card(ctx, me, draft, items))
    await ctx.drafts.put(draft, ctx.now(), shown)


# Starting ----------------------------------------------------------------------------------


async def on_go(update: Update, ctx: GridContext) -> None:
    """mchk:go:<shop>:<period> — opens the check (or shows where an open one stands)."""
    found = await press_of(update, ctx, noun=CHECK, verbs=("go",), answer_first=False)
    if found is None:
        return
    me, press, _ = found
    period = press.args[1] if len(press.args) > 1 else ""
    opened = await open_check(ctx.services, press.int_arg(0), period, by=me.user_id, at=ctx.now())
    if isinstance(opened, Refused):
        await tell(update, ctx, me, opened.key, **opened.params)
        return
    await answer(update)
    merchant, items = opened.value
    draft = await ctx.drafts.get(me.user_id)
    if (
        draft is not None
        and draft.flow == FLOW
        and draft.data.get("m") == merchant.id
        and draft.data.get("p") == period
        and draft.data.get("codes") == [item.code for item in items]
    ):  # already under way: show where it stands again
        draft.data["n"] = secrets.token_hex(3)
        if draft.step == "confirm":
            shown = summary_card(ctx, me, draft, items)
        else:
            draft.data.pop("cur", None)
            draft = replace(draft, step="item")
            shown = item_card(ctx, me, draft, items)
        await ctx.drafts.put(draft, ctx.now(), [shown])
        return
    data = {
        "m": merchant.id,
        "p": period,
        "i": 0,
        "a": [],
        "codes": [item.code for item in items],
        "n": secrets.token_hex(3),
    }
    draft = Draft(me.user_id, FLOW, "item", data)
    intro = outgoing.message(
        me.user_id, ctx.texts("merchant.check_intro", me.lang, name=merchant.name)
    )
    await ctx.drafts.put(draft, ctx.now(), [intro, item_card(ctx, me, draft, items)])


# Answers -------------------------------------------------------------------------------------


async def _own_draft(update: Update, ctx: GridContext, me: Person, press: Press) -> Draft | None:
    """Returns the check draft the press belongs to; else says why (answered already, or the
    check is over) and returns None."""
    draft = await ctx.drafts.get(me.user_id)
    fits = draft is not None and draft.flow == FLOW and bool(press.args)
    if not fits or draft is None:
        await tell(update, ctx, me, "merchant.check_closed")
        return None
    if draft.data.get("n") != press.args[0]:
        item = press.int_arg(1)
        same_check = press.verb in ("ok", "bad") and item is not None and item <= draft.data["i"]
        await tell(
            update, ctx, me, "merchant.answered_already" if same_check else "merchant.check_closed"
        )
        return None
    return draft


async def on_press(update: Update, ctx: GridContext) -> None:
    """mchk:ok|bad|send|redo:<nonce>[:<i>] — an answer, the submission or starting over."""
    found = await press_of(
        update,
        ctx,
        noun=CHECK,
        verbs=("ok", "bad", "send", "redo"),
        own_chat=True,
        answer_first=False,
    )
    if found is None:
        return
    me, press, _ = found
    draft = await _own_draft(update, ctx, me, press)
    if draft is None:
        return
    wanted = "confirm" if press.verb in ("send", "redo") else "item"
    if draft.step != wanted:
        await tell(update, ctx, me, "merchant.finish_item")
        return
    items = await _items(ctx, me, draft)
    if items is None:
        await answer(update)
        return
    await answer(update)
    if press.verb == "redo":
        draft.data.update(i=0, a=[], n=secrets.token_hex(3))
        await ctx.drafts.put(
            replace(draft, step="item"), ctx.now(), [item_card(ctx, me, draft, items)]
        )
        return
    if press.verb == "send":
        await send(ctx, me, draft)
        return
    item, ok = items[draft.data["i"]], press.verb == "ok"
    draft.data["cur"] = {"code": item.code, "ok": ok}
    draft.data["n"] = secrets.token_hex(3)  # this item's buttons are spent
    shown = [answered_card(ctx, me, draft, item, ok)]
    if item.photo:
        shown.append(outgoing.message(me.user_id, ctx.texts("merchant.ask_photo", me.lang)))
        await ctx.drafts.put(replace(draft, step="photo"), ctx.now(), shown)
    elif not ok:
        shown.append(outgoing.message(me.user_id, ctx.texts("merchant.ask_note", me.lang)))
        await ctx.drafts.put(replace(draft, step="note"), ctx.now(), shown)
    else:
        await advance(ctx, me, draft, items, shown)


async def send(ctx: GridContext, me: Person, draft: Draft) -> None:
    answers = [
        Answer(a["code"], bool(a["ok"]), a.get("note"), a.get("photo")) for a in draft.data["a"]
    ]
    closed = outgoing.card(
        me.user_id, _summary_key(draft), ctx.texts("merchant.summary_sent", me.lang)
    )
    done = await submit_check(
        ctx.services,
        draft.data["m"],
        draft.data["p"],
        answers,
        by=me.user_id,
        at=ctx.now(),
        shown=[closed],
    )
    if isinstance(done, Refused):
        await say_refused(ctx, me, done, end_flow=True)


# Messages ------------------------------------------------------------------------------------


async def receive_photo(update: Update, ctx: GridContext, draft: Draft) -> None:
    """The photo an item asks for; anything else (a PDF, a sticker, text) is asked again."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    if not offers_photo(message):
        await say(ctx, me, "merchant.need_photo")
        return
    file_id = await photo_in(ctx, me, message)
    if file_id is None:  # an image file that could not be used: photo_in said why
        return
    items = await _items(ctx, me, draft)
    if items is None:
        return
    draft.data["cur"]["photo"] = file_id
    if not draft.data["cur"]["ok"]:
        prompt = outgoing.message(me.user_id, ctx.texts("merchant.ask_note", me.lang))
        await ctx.drafts.put(replace(draft, step="note"), ctx.now(), [prompt])
        return
    await advance(ctx, me, draft, items, [])


async def receive_note(update: Update, ctx: GridContext, draft: Draft) -> None:
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    try:
        note = domain.clean_note(text_of(message))
    except MerchantError as bad:
        await say(ctx, me, bad.key, limit=domain.MAX_NOTE)
        return
    items = await _items(ctx, me, draft)
    if items is None:
        return
    draft.data["cur"]["note"] = note
    await advance(ctx, me, draft, items, [])


async def receive_at_button_step(update: Update, ctx: GridContext, draft: Draft) -> None:
    me = await person_of(update, ctx)
    await say(ctx, me, "merchant.use_check_buttons")


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_go, pattern=rf"^{CHECK}:go:"))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{CHECK}:(ok|bad|send|redo):"))


STEPS: dict[tuple[str, str], StepCallback] = {
    (FLOW, "item"): receive_at_button_step,
    (FLOW, "photo"): receive_photo,
    (FLOW, "note"): receive_note,
    (FLOW, "confirm"): receive_at_button_step,
}
