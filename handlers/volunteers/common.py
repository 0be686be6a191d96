"""What the volunteer, wish, activity and points handlers share: skill toggles, rendering a use
case's result on a press, typed text, and the unit-tree walk."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from telegram import InlineKeyboardButton, Update

from bot.context import GridContext
from bot.domain.people import Person, Role, Staff
from bot.domain.units import UnitTree
from bot.notices import buttons, outgoing
from bot.notices.buttons import Press
from bot.usecases.results import Done, Refused
from handlers.kit.flows import text_of
from handlers.kit.presses import answer
from handlers.kit.reply import say_refused, tell
from storage.outbox import Outgoing


def skill_rows(
    ctx: GridContext, lang: str, noun: str, chosen: Collection[str]
) -> list[list[InlineKeyboardButton]]:
    """Returns the skill toggles (✅ on the CHOSEN ones), two a row, then 下一步 ("skills_done")."""
    toggles = [
        buttons.button(
            ("✅ " if o.code in chosen else "") + (o.en if lang == "en" else o.zh),
            noun,
            "skill",
            o.code,
        )
        for o in ctx.services.settings.volunteers.skills
    ]
    rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    rows.append([buttons.button(ctx.texts("volunteer.next", lang), noun, "skills_done")])
    return rows


async def render(
    update: Update,
    ctx: GridContext,
    me: Person,
    result: Done[Any] | Refused,
    *,
    in_chat: Collection[str] = (),
) -> bool:
    """Answers the press with a use case's RESULT: bare when done; a refusal as a short notice,
    or, for the keys IN_CHAT (a press that lost a race), in the chat where it stays. Returns
    whether it was done."""
    if isinstance(result, Done):
        await answer(update)
        return True
    if result.key in in_chat:
        await answer(update)
        await say_refused(ctx, me, result)
    else:
        await tell(update, ctx, me, result.key, **result.params)
    return False


def typed(update: Update) -> str | None:
    """Returns the text the user typed, or None for anything that is not plain text."""
    message = update.effective_message
    return text_of(message) if message is not None else None


def walk_keyboard(
    ctx: GridContext,
    lang: str,
    tree: UnitTree,
    noun: str,
    at: str | None,
    *,
    top: str | None = None,
    home: str | None = None,
    pickable: Callable[[str], bool] | None = None,
) -> dict:
    """Returns buttons to walk the unit tree: open a child, choose this unit, go up, or home.

    TOP (a staff member's unit) bounds the walk; HOME offers the user's registered place;
    PICKABLE, when given, says which units may be chosen (no "choose here" where a pick would
    be refused).
    """
    t = ctx.texts
    rows = []
    if home is not None and home in tree and (top is None or tree.is_within(home, top)):
        rows.append(
            [
                buttons.button(
                    t("volunteer.use_home", lang, place=tree.get(home).name), noun, "pick", home
                )
            ]
        )
    if at is None:
        children = [tree.get(top)] if top is not None else tree.roots()
    else:
        children = tree.children(at)
    if at is not None and (pickable is None or pickable(at)):
        rows.append(
            [
                buttons.button(
                    t("volunteer.choose_here", lang, name=tree.get(at).name), noun, "pick", at
                )
            ]
        )
    pairs = [buttons.button("📂 " + child.name, noun, "walk", child.code) for child in children]
    rows.extend(pairs[i : i + 2] for i in range(0, min(len(pairs), 60), 2))
    if at is not None and at != top:
        parent = tree.get(at).parent
        rows.append([buttons.button(t("volunteer.go_up", lang), noun, "walk", parent or "-")])
    return buttons.keyboard(rows)


def walk_allowed(tree: UnitTree, code: str | None, top: str | None) -> bool:
    """Tells whether a walk may stand at CODE (None: the top) without leaving TOP's subtree."""
    if code is None:
        return True
    return code in tree and (top is None or tree.is_within(code, top))


def walk_top(staff: Staff | None) -> str | None:
    """Returns the unit a staff member's walk is bounded by (admins and others: none)."""
    return staff.unit if staff is not None and staff.role is not Role.ADMIN else None


def walk_target(tree: UnitTree, press: Press, top: str | None) -> tuple[bool, str | None]:
    """Returns whether a "walk"/"pick" PRESS fits the walk bounded by TOP (a pick must name a
    unit) and the unit it names (None: the top of the walk)."""
    arg = press.args[0] if press.args else ""
    code = None if arg == "-" else arg
    fits = walk_allowed(tree, code, top) and not (press.verb == "pick" and code is None)
    return fits, code


def unit_card(
    ctx: GridContext,
    me: Person,
    tree: UnitTree,
    noun: str,
    data: dict,
    key: str,
    *,
    top: str | None = None,
    home: str | None = None,
) -> Outgoing:
    """Returns the DATA["card"] card asking (catalog KEY) for a unit, walking from DATA["at"]."""
    where = tree.place_name(data["at"]) if data.get("at") else "—"
    markup = walk_keyboard(ctx, me.lang, tree, noun, data.get("at"), top=top, home=home)
    return outgoing.card(me.user_id, data["card"], ctx.texts(key, me.lang, at=where), markup=markup)
