"""What volunteer notices share: names of options, skills and teams, areas, who matches, which
groups hear of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.groups import Binding, Purpose
from bot.domain.units import UnitTree
from bot.domain.volunteers import Volunteer, rank_nearby, reach_units
from bot.services import Services
from bot.settings import VolunteerOption
from storage.groups import nearest

GROUP_LEVELS = ("grid", "community", "street", "district")


def option_name(options: Iterable[VolunteerOption], code: str | None, lang: str) -> str:
    for option in options:
        if option.code == code:
            return option.en if lang == "en" else option.zh
    return code or ""


def skill_names(services: Services, codes: Iterable[str], lang: str) -> str:
    """Returns the skills' names joined for LANG, or a dash for none."""
    skills = services.settings.volunteers.skills
    names = [option_name(skills, code, lang) for code in codes]
    return ("、" if lang == "zh" else ", ").join(names) if names else "—"


def team_name(services: Services, code: str | None, lang: str) -> str:
    if not code:
        return "—"
    return option_name(services.settings.volunteers.teams, code, lang)


def availability_names(services: Services, codes: Iterable[str], lang: str) -> str:
    names = [services.texts(f"volunteer.avail_{code}", lang) for code in codes]
    return ("、" if lang == "zh" else ", ").join(names) if names else "—"


def profile_fields(services: Services, v: Volunteer, lang: str, tree: UnitTree) -> dict:
    """Returns the catalog parameters of a volunteer's profile as the volunteer and staff see it:
    name, phone, skills (with the free-text note), team, availability and place."""
    skills = skill_names(services, v.skills, lang)
    if v.skills_note:
        skills += f" · {v.skills_note}"
    return {
        "name": v.name,
        "phone": v.phone or services.texts("volunteer.no_phone", lang),
        "skills": skills,
        "team": team_name(services, v.team, lang),
        "availability": availability_names(services, v.availability, lang),
        "place": tree.place_name(v.unit),
    }


def when(services: Services, at: datetime | None) -> str:
    """Returns AT in the office's timezone, as staff and residents read it."""
    if at is None:
        return "—"
    return at.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")


def area(tree: UnitTree, unit: str) -> str:
    """Returns the grid (or higher) a unit lies in: fit for a group, no building or address."""
    if unit not in tree:
        return unit
    for candidate in tree.chain(unit):
        if candidate.level in GROUP_LEVELS:
            return candidate.name
    return tree.chain(unit)[-1].name


async def volunteer_groups(services: Services, unit: str) -> list[Binding]:
    """Returns the volunteer group(s) of UNIT: those bound to the nearest unit at or above it."""
    return nearest(await services.store.groups.groups_for(unit, Purpose.VOLUNTEERS))


async def matching_volunteers(
    services: Services, unit: str, skills: Iterable[str], *, exclude: Iterable[int] = ()
) -> list[Volunteer]:
    """Returns approved volunteers with one of SKILLS near UNIT, nearest first, capped."""
    config = services.settings.volunteers
    tree = await services.units.tree()
    if unit not in tree:
        return []
    candidates = await services.store.volunteers.approved_in(
        reach_units(unit, tree, config.match_levels_up)
    )
    return rank_nearby(
        candidates,
        unit,
        tree,
        skills=skills,
        levels_up=config.match_levels_up,
        limit=config.match_limit,
        exclude=exclude,
    )


async def lang_of(services: Services, user_ids: Iterable[int]) -> dict[int, str]:
    """Returns each user's language (the office default for those never seen)."""
    ids = list(user_ids)
    known = await services.people.languages(ids)
    default = services.settings.default_language
    return {user_id: known.get(user_id, default) for user_id in ids}
