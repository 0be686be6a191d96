"""What the volunteer, wish, activity and points handlers share: skill toggles, rendering a use
case's result on a press, typed text, and the unit-tree walk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from telegram import InlineKeyboardButton, Update

from bot.context import GridContext
from bot.domain.people import Person, Role, Staff
from bot.domain.units import UnitTree
from bot.notices import buttons
from bot.usecases.results import Done, Refused
from handlers.kit import picker
from handlers.kit.flows import Place, PlaceReach, text_of
from handlers.kit.presses import answer
from handlers.kit.reply import say_refused, tell
from storage.drafts import Draft
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


# The unit step of the volunteer flows (handlers/kit/picker.py) -------------------------------


def walk_top(staff: Staff | None) -> str | None:
    """Returns the unit a staff member's walk is bounded by (admins and others: none)."""
    return staff.unit if staff is not None and staff.role is not Role.ADMIN else None


# What the flow does next with the unit chosen (in DRAFT.data["unit"])
Then = Callable[[GridContext, Person, Draft], Awaitable[None]]


def unit_place(
    key: str, then: Then, *, reach: PlaceReach | None = None, home: bool = False
) -> Place:
    """Returns how a volunteer flow asks for its unit on its own card (catalog KEY with {at}):
    "choose here" at every unit, HOME offers the registered place; THEN goes on."""

    async def ask(
        ctx: GridContext, me: Person, draft: Draft, tree: UnitTree, node: str | None
    ) -> str:
        return ctx.texts(key, me.lang, at=tree.place_name(node) if node else "—")

    async def done(
        ctx: GridContext, me: Person, draft: Draft, code: str, messages: list[Outgoing]
    ) -> None:
        draft.data["unit"] = code  # the flow's card turns into its next step: MESSAGES unneeded
        await then(ctx, me, draft)

    return Place(
        done=done,
        ask=ask,
        here="volunteer.choose_here",
        up="volunteer.go_up",
        reach=reach,
        home="volunteer.use_home" if home else None,
    )


async def unit_card(ctx: GridContext, me: Person, draft: Draft) -> Outgoing:
    """Puts DRAFT on its unit step (the walk, on the flow's card DATA["card"]) and returns it."""
    [card] = await picker.begin(ctx, me, draft, card_key=draft.data["card"])
    return card
