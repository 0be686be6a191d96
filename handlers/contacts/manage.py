"""/contact (公示): admins and supervisors choose what /grid publishes about the staff below them.

Callbacks: "contact:page:<n>" the list; "contact:show:<id>" a person's card;
"contact:pub:<id>:<1|0>" publishes or withdraws them; "contact:edit:<id>:<field>" asks for a
display name, title, office hours or public phone (the answer is a draft step; "-" clears it).
Every press and answer is re-authorised by bot/usecases/contacts.py (rule contact_publish).
Staff listed in the config file are published from the file.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import GridContext
from bot.domain.contacts import FIELDS, Contact
from bot.domain.people import Person, Staff
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.usecases import contacts
from bot.usecases.results import Refused
from handlers.kit.flows import NEW_PRIVATE, StepCallback, person_of
from handlers.kit.presses import press_of
from handlers.kit.reply import say
from storage.drafts import Draft
from storage.outbox import Outgoing

NOUN = "contact"
FLOW = "contact"
PAGE = 8


async def refused(
    ctx: GridContext, me: Person, outcome: Refused, *, end_flow: bool = False
) -> None:
    """Says why the use case refused, in ME's language."""
    params = {key: str(value) for key, value in outcome.params.items()}
    text = ctx.texts(outcome.key, me.lang, **params)
    message = outgoing.message(me.user_id, text)
    if end_flow:
        await ctx.drafts.clear(me.user_id, ctx.now(), [message])
    else:
        await ctx.outbox.send([message], ctx.now())


def card_key(user_id: int) -> str:
    return f"contact-admin:{user_id}"


async def list_card(ctx: GridContext, me: Person, people: list[Staff], page: int) -> Outgoing:
    tree = await ctx.units.tree()
    published = {p.user_id: (await ctx.store.contacts.get(p.user_id)).public for p in people}
    pages = max(1, -(-len(people) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = []
    for s in people[page * PAGE : (page + 1) * PAGE]:
        mark = "📢" if published[s.user_id] else "·"
        role = ctx.texts(f"invite.roles.{s.role.value}", me.lang)
        unit = tree.get(s.unit).name if s.unit in tree else s.unit
        rows.append([button(f"{mark} {s.name} · {role} · {unit}", NOUN, "show", s.user_id)])
    nav = []
    if page > 0:
        nav.append(button(ctx.texts("staff.previous", me.lang), NOUN, "page", page - 1))
    if page + 1 < pages:
        nav.append(button(ctx.texts("staff.next", me.lang), NOUN, "page", page + 1))
    rows.append(nav)
    text = ctx.texts("contacts.list", me.lang, count=len(people), page=page + 1, pages=pages)
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


def person_card(
    ctx: GridContext, me: Person, target: Staff, contact: Contact, *, in_config: bool
) -> Outgoing:
    t, lang, uid = ctx.texts, me.lang, target.user_id
    unset = t("contacts.unset", lang)
    text = t(
        "contacts.card",
        lang,
        name=target.name,
        role=t(f"invite.roles.{target.role.value}", lang),
        state=t("contacts.public" if contact.public else "contacts.private", lang),
        public_name=contact.public_name or unset,
        title=contact.title or unset,
        office_hours=contact.office_hours or unset,
        public_phone=contact.public_phone or unset,
    )
    rows = []
    if in_config:
        text += "\n\n" + t("contacts.in_config", lang)
    else:
        toggle = "contacts.button_withdraw" if contact.public else "contacts.button_publish"
        rows.append([button(t(toggle, lang), NOUN, "pub", uid, 0 if contact.public else 1)])
        edits = [button(t(f"contacts.button_{f}", lang), NOUN, "edit", uid, f) for f in FIELDS]
        rows += [edits[:2], edits[2:]]
    rows.append([button(t("staff.back", lang), NOUN, "page", 0)])
    return outgoing.card(me.user_id, card_key(me.user_id), text, markup=keyboard(rows))


async def card_messages(ctx: GridContext, me: Person, target: Staff, contact: Contact) -> Outgoing:
    in_config = await ctx.people.source_of(target.user_id) == "config"
    return person_card(ctx, me, target, contact, in_config=in_config)


async def command(update: Update, ctx: GridContext) -> None:
    """/contact: the staff the sender may publish, a button per person (📢: published)."""
    me = await person_of(update, ctx)
    found = await contacts.publishable(ctx.services, by=me.user_id, at=ctx.now())
    if isinstance(found, Refused):
        await refused(ctx, me, found)
        return
    await ctx.outbox.send([await list_card(ctx, me, found.value, 0)], ctx.now())


async def on_press(update: Update, ctx: GridContext) -> None:
    """contact:(page|show|pub|edit):… — re-authorised by the use case on every press."""
    found = await press_of(update, ctx, noun=NOUN, verbs=("page", "show", "pub", "edit"))
    if found is None:
        return
    me, press, _ = found
    now, uid = ctx.now(), press.int_arg(0)
    if press.verb == "page":
        people = await contacts.publishable(ctx.services, by=me.user_id, at=now)
        if isinstance(people, Refused):
            await refused(ctx, me, people)
            return
        await ctx.outbox.send([await list_card(ctx, me, people.value, uid or 0)], now)
        return
    if uid is None:
        await say(ctx, me, "contacts.stale")
        return
    if press.verb == "show":
        shown = await contacts.card_of(
            ctx.services, uid, by=me.user_id, at=now, attempted="contact:show"
        )
        if isinstance(shown, Refused):
            await refused(ctx, me, shown)
            return
        await ctx.outbox.send([await card_messages(ctx, me, *shown.value)], now)
    elif press.verb == "pub":
        public = press.int_arg(1)
        if public not in (0, 1):
            await say(ctx, me, "contacts.stale")
            return
        changed = await contacts.change(
            ctx.services,
            uid,
            by=me.user_id,
            at=now,
            public=public == 1,
            messages=lambda s, c: [person_card(ctx, me, s, c, in_config=False)],
        )
        if isinstance(changed, Refused):
            await refused(ctx, me, changed)
    else:
        await ask(ctx, me, uid, press.args[1] if len(press.args) > 1 else "")


async def ask(ctx: GridContext, me: Person, uid: int, field: str) -> None:
    """Asks for FIELD of UID's published contact (checked first: a forged press changes nothing)."""
    shown = await contacts.card_of(
        ctx.services, uid, by=me.user_id, at=ctx.now(), attempted="contact:edit"
    )
    if isinstance(shown, Refused):
        await refused(ctx, me, shown)
        return
    if field not in FIELDS:
        await say(ctx, me, "contacts.stale")
        return
    if await ctx.people.source_of(uid) == "config":
        await say(ctx, me, "contacts.in_config")
        return
    target = shown.value[0]
    prompt = ctx.texts(f"contacts.ask_{field}", me.lang, name=target.name)
    draft = Draft(me.user_id, FLOW, "text", {"uid": uid, "field": field})
    await ctx.drafts.put(draft, ctx.now(), [outgoing.message(me.user_id, prompt)])


async def receive_text(update: Update, ctx: GridContext, draft: Draft) -> None:
    """Takes the new value ("-" clears it); a bad one is explained and the step stays."""
    me, message = await person_of(update, ctx), update.effective_message
    assert message is not None
    if message.text is None:
        await say(ctx, me, "contacts.text_only")
        return
    field = str(draft.data["field"])
    changed = await contacts.change(
        ctx.services,
        int(draft.data["uid"]),
        by=me.user_id,
        at=ctx.now(),
        field=field,
        text=message.text,
        clear_draft=True,
        messages=lambda s, c: [
            outgoing.message(me.user_id, ctx.texts("contacts.saved", me.lang, name=s.name)),
            person_card(ctx, me, s, c, in_config=False),
        ],
    )
    if isinstance(changed, Refused):
        end = changed.key not in ("contacts.bad_text", "contacts.bad_phone")
        await refused(ctx, me, changed, end_flow=end)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("contact", command, filters=NEW_PRIVATE))
    app.add_handler(CallbackQueryHandler(on_press, pattern=rf"^{NOUN}:"))


# (flow, step) → what receives a message there (handlers/kit/flows.py dispatches by it)
STEPS: dict[tuple[str, str], StepCallback] = {(FLOW, "text"): receive_text}
