"""What care notices share: a day, a household in brief, a visitor's name."""

from __future__ import annotations

from bot.domain.care import (
    Household,
    VisitorKind,
)
from bot.domain.units import UnitTree
from bot.services import Services
from bot.texts import Texts


def day(value: object) -> str:
    return str(value) if value else "—"


def brief(texts: Texts, tree: UnitTree, household: Household, lang: str) -> str:
    """Returns what a visitor needs: kind, place, label, due date (never the notes)."""
    return texts(
        "care.brief",
        lang,
        id=household.id,
        kind=texts(f"care.kind_{household.kind.value}", lang),
        place=tree.place_name(household.unit),
        label=household.label,
        due=day(household.due_on),
    )


async def visitor_name_of(services: Services, user_id: int, kind: VisitorKind) -> str:
    """Returns the visitor's name as staff know it (staff list, volunteer register, Telegram)."""
    if kind is VisitorKind.STAFF:
        staff = await services.people.staff(user_id) or await services.people.former(user_id)
        if staff is not None:  # a visit logged by someone who left keeps their name
            return staff.name
    else:
        volunteer = await services.store.volunteers.get(user_id)
        if volunteer is not None:
            return volunteer.name
    person = await services.people.get(user_id)
    return person.name if person and person.name else str(user_id)
