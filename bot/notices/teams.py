"""What the grid team is told: building heads' cards of new reports, the monthly report's
reminder, its receipt and the missing list to the grid head (outbox rows, never sent directly)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.people import Staff
from bot.domain.reports import Report
from bot.domain.teams import informed
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import key, keyboard
from bot.services import Services
from storage.outbox import Outgoing

NOUN = "teamrep"
LIST_MAX = 60  # names in one missing list


def building_card_key(report: Report) -> str:
    return f"report:{report.id}:building"


async def building_cards(
    services: Services, report: Report, tree: UnitTree, staff: Sequence[Staff]
) -> list[Outgoing]:
    """Returns the information card of a new REPORT to the heads of its building and entrance
    among STAFF (those along its unit): category, place, description and photos, never the
    reporter's name or phone. Nothing when [teams] building_cards is off."""
    if not services.settings.teams.building_cards:
        return []
    heads = informed(report.unit, tree, staff)
    if not heads:
        return []
    languages = await services.people.languages([s.user_id for s in heads])
    category = await services.units.category(report.category)
    out: list[Outgoing] = []
    for head in heads:
        lang = languages.get(head.user_id) or services.settings.default_language
        if report.photos:
            out.extend(outgoing.media(head.user_id, report.photos))
        text = services.texts(
            "teams.building_card",
            lang,
            number=report.number,
            category=category.name(lang) if category else report.category,
            place=tree.place_name(report.unit),
            description=report.description,
        )
        out.append(outgoing.message(head.user_id, text))
    return out


def reminder(services: Services, helper: Staff, lang: str, month: str) -> Outgoing:
    """Returns the monthly report's reminder to HELPER, with a button that starts it."""
    text = services.texts("teams.remind", lang, month=month)
    markup = keyboard([[key(services.texts("teams.button_start", lang), NOUN, "start")]])
    return outgoing.message(helper.user_id, text, markup=markup)


def missing_list(
    services: Services,
    lead: Staff,
    lang: str,
    *,
    grid: str,
    month: str,
    missing: Sequence[Staff],
    tree: UnitTree,
) -> Outgoing:
    """Returns the list of GRID's helpers who have not sent MONTH's report, to LEAD."""
    lines = [
        services.texts(
            "teams.missing_line",
            lang,
            name=person.name,
            role=services.texts(f"invite.roles.{person.role.value}", lang),
            unit=tree.get(person.unit).name if person.unit in tree else person.unit,
        )
        for person in missing[:LIST_MAX]
    ]
    if len(missing) > LIST_MAX:  # a message holds 4096 characters
        lines.append(services.texts("teams.and_more", lang, count=len(missing) - LIST_MAX))
    text = services.texts(
        "teams.missing",
        lang,
        grid=tree.place_name(grid) if grid in tree else grid,
        month=month,
        count=len(missing),
        people="\n".join(lines),
    )
    return outgoing.message(lead.user_id, text)
