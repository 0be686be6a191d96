"""What volunteer notices share (names of options, skills and teams, areas, who matches, which
groups hear of it) and what a registration tells whom: the deciders' cards and the verdict."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.groups import Binding, Purpose
from bot.domain.people import Role, Staff
from bot.domain.points import Standing
from bot.domain.reports import Report
from bot.domain.units import UnitTree
from bot.domain.volunteers import Volunteer, nearest_staff, rank_nearby, reach_units
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.services import Services
from bot.settings import VolunteerOption
from bot.texts import Raw
from storage.groups import nearest
from storage.outbox import Outgoing
from storage.volunteers import Invite

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


# A registration: the deciders' cards, the verdict ------------------------------------------


def decide_key(user_id: int) -> str:
    return f"volunteer:{user_id}:decide"


def summary(services: Services, lang: str, v: Volunteer, tree: UnitTree) -> str:
    """Returns a registration as the volunteer reads it back (name, phone, skills, party)."""
    party = (
        services.texts("volunteer.party_yes_line", lang, work_unit=v.work_unit or "—")
        if v.party_member
        else services.texts("volunteer.party_no_line", lang)
    )
    fields = profile_fields(services, v, lang, tree)
    return services.texts("volunteer.summary", lang, **fields, party=Raw(party))


def describe(services: Services, v: Volunteer, lang: str, tree: UnitTree) -> str:
    """Returns a volunteer's details as staff see them (name and phone included)."""
    party = (
        Raw(services.texts("volunteer.party_mark", lang, work_unit=v.work_unit or "—"))
        if v.party_member
        else ""
    )
    fields = profile_fields(services, v, lang, tree)
    return services.texts("volunteer.staff_line", lang, **fields, party=party)


async def deciders(services: Services, volunteer: Volunteer) -> list[Staff]:
    """Returns who decides on VOLUNTEER: staff of the nearest unit from their community up."""
    tree = await services.units.tree()
    staff = await services.people.all_staff()
    found = nearest_staff(volunteer.unit, tree, staff, deciders_only=True)
    return found or [s for s in staff if s.role is Role.ADMIN]


async def decision_messages(services: Services, volunteer: Volunteer) -> list[Outgoing]:
    """Returns the approve/decline cards for the staff who decide on VOLUNTEER."""
    tree = await services.units.tree()
    staff = await deciders(services, volunteer)
    langs = await lang_of(services, [s.user_id for s in staff])
    out = []
    for person in staff:
        lang = langs[person.user_id]
        text = services.texts(
            "volunteer.decide", lang, details=Raw(describe(services, volunteer, lang, tree))
        )
        markup = buttons.keyboard(
            [
                [
                    button(
                        services.texts("volunteer.approve", lang), "vol", "ok", volunteer.user_id
                    ),
                    button(
                        services.texts("volunteer.decline", lang), "vol", "no", volunteer.user_id
                    ),
                ]
            ]
        )
        out.append(
            outgoing.card(person.user_id, decide_key(volunteer.user_id), text, markup=markup)
        )
    return out


async def decided_messages(services: Services, after: Volunteer, by: Staff) -> list[Outgoing]:
    """Returns the volunteer's notice and every decider's card, closed with who decided."""
    tree = await services.units.tree()
    holders = await services.outbox.card_chats(decide_key(after.user_id))
    langs = await lang_of(services, [after.user_id, *holders])
    verdict = "approved" if after.is_approved else "declined"
    out: list[Outgoing] = [
        outgoing.message(
            after.user_id, services.texts(f"volunteer.you_{verdict}", langs[after.user_id])
        )
    ]
    for chat_id in holders:
        lang = langs[chat_id]
        text = services.texts(
            f"volunteer.decided_{verdict}",
            lang,
            details=Raw(describe(services, after, lang, tree)),
            by=by.name,
        )
        out.append(outgoing.card(chat_id, decide_key(after.user_id), text))
    return out


# A worker's invitation to help on a report -------------------------------------------------


async def invitation_messages(
    services: Services, made: Invite, report: Report, volunteer: Volunteer, worker: Staff
) -> list[Outgoing]:
    """Returns the volunteer's invitation (the case and its area, never the reporter) with
    accept / decline, and the worker's note that they were invited."""
    tree = await services.units.tree()
    langs = await lang_of(services, [volunteer.user_id, worker.user_id])
    lang = langs[volunteer.user_id]
    category = await services.units.category(report.category)
    text = services.texts(
        "volunteer.invitation",
        lang,
        worker=worker.name,
        number=report.number,
        category=category.name(lang) if category else report.category,
        area=area(tree, report.unit),
        description=services.texts("privacy.erased_marker", lang)
        if report.extra.get("erased")
        else report.description,
    )
    markup = buttons.keyboard(
        [
            [
                button(services.texts("volunteer.accept", lang), "vfind", "yes", made.id),
                button(services.texts("volunteer.decline", lang), "vfind", "no", made.id),
            ]
        ]
    )
    told = services.texts("volunteer.invited", langs[worker.user_id], name=volunteer.name)
    return [
        outgoing.card(volunteer.user_id, invite_key(made), text, markup=markup),
        outgoing.message(worker.user_id, told),
    ]


def invite_key(made: Invite) -> str:
    return f"invite:{made.id}"


async def invite_answer_messages(
    services: Services, made: Invite, report: Report, volunteer: Volunteer, accept: bool
) -> list[Outgoing]:
    """Returns the volunteer's closed invitation card and, if the worker who invited them is
    still staff, the worker's notice with the volunteer's phone."""
    tree = await services.units.tree()
    worker = await services.people.staff(made.invited_by)
    langs = await lang_of(services, [volunteer.user_id, made.invited_by])
    lang, wlang = langs[volunteer.user_id], langs[made.invited_by]
    verdict = "accepted" if accept else "declined"
    mine = services.texts(
        f"volunteer.you_{verdict}_invite",
        lang,
        number=report.number,
        place=tree.place_name(report.unit),
        worker=worker.name if worker else "",
    )
    messages = [outgoing.card(volunteer.user_id, invite_key(made), mine)]
    if worker is not None:  # a worker who has left since gets no volunteer's phone number
        to_worker = services.texts(
            f"volunteer.invite_answer_{verdict}",
            wlang,
            name=volunteer.name,
            phone=volunteer.phone or services.texts("volunteer.no_phone", wlang),
            number=report.number,
        )
        messages.append(outgoing.message(made.invited_by, to_worker))
    return messages


# Points ------------------------------------------------------------------------------------


def leaderboard_message(
    services: Services,
    binding: Binding,
    month: str,
    table: list[Standing],
    tree: UnitTree,
    *,
    key: str = "points.board",
) -> Outgoing:
    """Returns the month's standings for a group (names masked), under the heading KEY."""
    lines = [
        services.texts("points.board_line", binding.lang, rank=s.rank, name=s.name, points=s.points)
        for s in table
    ]
    text = services.texts(
        key,
        binding.lang,
        month=month,
        area=tree.get(binding.unit).name,
        lines=Raw("\n".join(lines)),
    )
    return outgoing.message(binding.chat_id, text)
