"""What the report flow asks at each step: the prompt text and its buttons.

`next_step` picks the first thing the draft still lacks; `advance` moves there and returns the
prompt (for an album, one prompt that is sent once the album has settled).
"""

from __future__ import annotations

from datetime import timedelta

from bot.context import GridContext
from bot.domain.categories import Category
from bot.domain.people import Person
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.notices.reports import Cards
from handlers.kit.picker import renew
from handlers.reports import me_too
from handlers.residents.place import walk_messages
from storage.drafts import Draft
from storage.outbox import Outgoing

ALBUM_SETTLE = timedelta(seconds=1.5)  # an album's photos arrive as separate updates
CONTACT_LIMIT = 200


def next_step(data: dict) -> str:
    """Returns the step that asks for the first thing the report still lacks."""
    if data.get("for") is None:
        return "kind"
    if data["for"] == "resident" and "contact" not in data:
        return "contact"
    if not data["photos"] or not data.get("description"):
        return "photos"
    if not data.get("category"):
        return "category"
    if not data.get("unit"):
        return "place" if data.get("home") else "walk"
    if me_too.wants_offer(data):  # 并单: open reports like it are offered first
        return me_too.STEP
    return "confirm"


async def advance(
    ctx: GridContext,
    me: Person,
    draft: Draft,
    notes: list[str] | None = None,
    album: str | None = None,
) -> list[Outgoing]:
    """Moves DRAFT to its next step and returns that step's prompt (one per album)."""
    draft.step = next_step(draft.data)
    if draft.step == me_too.STEP and not await me_too.find(ctx, me, draft):
        draft.step = next_step(draft.data)
    if draft.step == "walk":
        return [outgoing.message(me.user_id, note) for note in notes or []] + (
            await walk_messages(ctx, me, draft)
        )
    text, markup = await PROMPTS[draft.step](ctx, me, draft, renew(draft))
    return [
        outgoing.message(
            me.user_id,
            "\n\n".join([*(notes or []), text]),
            markup=markup,
            collapse_key=f"album:{me.user_id}:{album}" if album else None,
            not_before=ctx.now() + ALBUM_SETTLE if album else None,
        )
    ]


# Prompts: (text, inline keyboard) for each step ------------------------------------------

Prompt = tuple[str, dict | None]


async def ask_kind(ctx: GridContext, me: Person, draft: Draft, n: str) -> Prompt:
    t = ctx.texts
    return t("proxy_report.ask_kind", me.lang), keyboard(
        [
            [button(t("proxy_report.for_resident", me.lang), "newreport", "for", n, "resident")],
            [button(t("proxy_report.for_self", me.lang), "newreport", "for", n, "self")],
        ]
    )


async def ask_contact(ctx: GridContext, me: Person, draft: Draft, n: str) -> Prompt:
    skip = button(ctx.texts("proxy_report.skip", me.lang), "newreport", "skip", n)
    text = ctx.texts("proxy_report.ask_contact", me.lang, limit=CONTACT_LIMIT)
    return text, keyboard([[skip]])


async def ask_photos(ctx: GridContext, me: Person, draft: Draft, n: str) -> Prompt:
    count, limit = len(draft.data["photos"]), ctx.services.settings.reports.max_photos
    if not count:
        return ctx.texts("report_flow.ask_photo", me.lang, limit=limit), None
    key = "report_flow.ask_description" if count < limit else "report_flow.ask_description_full"
    return ctx.texts(key, me.lang, count=count, more=limit - count), None


async def ask_category(ctx: GridContext, me: Person, draft: Draft, n: str) -> Prompt:
    picks = [
        button(c.name(me.lang), "newreport", "cat", n, c.code) for c in await ctx.units.categories()
    ]
    rows = [picks[i : i + 2] for i in range(0, len(picks), 2)]
    count = len(draft.data["photos"])
    return ctx.texts("report_flow.ask_category", me.lang, count=count), keyboard(rows)


async def ask_place(ctx: GridContext, me: Person, draft: Draft, n: str) -> Prompt:
    home = (await ctx.units.tree()).place_name(draft.data["home"])
    rows = [
        [button(ctx.texts("report_flow.here", me.lang), "newreport", "home", n)],
        [button(ctx.texts("report_flow.elsewhere", me.lang), "newreport", "else", n)],
    ]
    return ctx.texts("report_flow.ask_place", me.lang, place=home), keyboard(rows)


async def summary(ctx: GridContext, me: Person, draft: Draft, n: str) -> Prompt:
    t, data, cards = ctx.texts, draft.data, await Cards.load(ctx.services)
    text = t(
        "report_flow.summary",
        me.lang,
        count=len(data["photos"]),
        description=data["description"],
        category=cards.category_name(data["category"], me.lang),
        place=cards.tree.place_name(data["unit"]),
    )
    if data["for"] == "resident":
        contact = data.get("contact") or t("proxy_report.no_contact", me.lang)
        text += "\n" + t("proxy_report.summary_contact", me.lang, contact=contact)
    rows = [
        [button(t("report_flow.submit", me.lang), "newreport", "send", n)],
        [button(t("report_flow.cancel", me.lang), "newreport", "drop", n)],
    ]
    if may_be_anonymous(data, await ctx.units.category(data["category"])):
        anonymous = bool(data.get("anonymous"))
        text += "\n" + t("anonymous.summary_on" if anonymous else "anonymous.summary_off", me.lang)
        toggle = t("anonymous.turn_off" if anonymous else "anonymous.turn_on", me.lang)
        rows.insert(1, [button(toggle, "newreport", "anon", n)])
    return text, keyboard(rows)


def may_be_anonymous(data: dict, category: Category | None) -> bool:
    """Tells whether the report being composed may be anonymous: the resident's own (not 代报),
    of a category the office allows it for."""
    return data.get("for") == "self" and category is not None and category.anonymous


PROMPTS = {
    "kind": ask_kind,
    "contact": ask_contact,
    "photos": ask_photos,
    "category": ask_category,
    "place": ask_place,
    "confirm": summary,
    me_too.STEP: me_too.offer,
}
