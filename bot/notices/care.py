"""What care notices share: a day, a household in brief, a visitor's name."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import care
from bot.domain.care import (
    Cadence,
    CareAction,
    Decision,
    Household,
    Kind,
    Kinds,
    Visit,
    VisitorKind,
)
from bot.domain.patrols import Patrol
from bot.domain.people import Person, Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import button, keyboard
from bot.services import Services
from bot.settings import Settings
from bot.texts import Raw, Texts
from storage.outbox import Outgoing

_VISITOR_KEYS = {
    CareAction.REMIND: "visit.remind",
    CareAction.DUE: "visit.due_today",
    CareAction.MISS: "visit.missed",
    CareAction.NAG: "visit.nag",
    CareAction.ESCALATE: "visit.escalated_visitor",
}


def day(value: object) -> str:
    return str(value) if value else "—"


def kind_book(settings: Settings) -> Kinds:
    """Returns the configured household kinds ([[care.kinds]])."""
    return Kinds(
        tuple(Kind(k.code, k.zh, k.en, Cadence(k.cadence), k.group) for k in settings.care.kinds)
    )


def brief(texts: Texts, tree: UnitTree, household: Household, lang: str, kinds: Kinds) -> str:
    """Returns what a visitor needs: kind, place, label, due date (never the notes)."""
    return texts(
        "care.brief",
        lang,
        id=household.id,
        kind=kinds.name(household.kind, lang),
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


async def visit_messages(
    services: Services, me: Person, household: Household, after: Household
) -> Callable[[Visit], list[Outgoing]]:
    """Returns a function giving, for the stored visit, the confirmation to the visitor ME and,
    for a volunteer's visit, the request (with a `visit:confirm:<id>` button) to the staff who
    may confirm it. Reads everything first: the function itself runs inside the commit."""
    texts = services.texts
    tree, staff = await services.units.tree(), await services.people.all_staff()
    confirmers = care.confirmers(household.unit, tree, staff)
    langs = await services.people.languages([s.user_id for s in confirmers])
    default = services.settings.default_language
    done = texts("visit.logged", me.lang, id=household.id, due=str(after.due_on))

    def messages(visit: Visit) -> list[Outgoing]:
        out = [outgoing.message(me.user_id, done)]
        if not care.needs_confirmation(visit):
            return out
        for person in confirmers:
            lang = langs.get(person.user_id, default)
            text = texts(
                "visit.confirm_request",
                lang,
                brief=Raw(brief(texts, tree, household, lang, kind_book(services.settings))),
                visitor=me.name,
                outcome=texts(f"visit.outcome_{visit.outcome.value}", lang),
                wellbeing=visit.wellbeing or "—",
                note=visit.note or "—",
            )
            markup = keyboard(
                [[button(texts("visit.button_confirm", lang), "visit", "confirm", visit.id)]]
            )
            out.append(outgoing.message(person.user_id, text, markup=markup))
        return out

    return messages


async def reminder_messages(
    services: Services,
    tree: UnitTree,
    staff: list[Staff],
    household: Household,
    decision: Decision,
) -> list[Outgoing]:
    """Returns what DECISION tells whom: the visitor, and on escalation the community's staff."""
    if decision.action is None or decision.action is CareAction.DEFER:
        return []
    texts = services.texts
    targets = (
        care.escalation_targets(household.unit, tree, staff)
        if decision.action is CareAction.ESCALATE
        else []
    )
    langs = await services.people.languages([household.visitor_id, *(s.user_id for s in targets)])
    default = services.settings.default_language
    lang = langs.get(household.visitor_id, default)
    log_button = keyboard([[button(texts("visit.button_log", lang), "visit", "log", household.id)]])
    text = texts(
        _VISITOR_KEYS[decision.action],
        lang,
        brief=Raw(brief(texts, tree, household, lang, kind_book(services.settings))),
    )
    out = [outgoing.message(household.visitor_id, text, markup=log_button)]
    if targets:
        visitor = await visitor_name_of(services, household.visitor_id, household.visitor_kind)
        for target in targets:
            tlang = langs.get(target.user_id, default)
            show = keyboard(
                [[button(texts("care.button_show", tlang), "household", "show", household.id)]]
            )
            text = texts(
                "visit.escalated",
                tlang,
                brief=Raw(brief(texts, tree, household, tlang, kind_book(services.settings))),
                visitor=visitor,
            )
            out.append(outgoing.message(target.user_id, text, markup=show))
    return out


def patrol_summary(texts: Texts, me: Person, patrol: Patrol, place_name: str) -> Outgoing:
    """The logged round told to its worker ME, with a `patrol:find:<id>` button per finding."""
    lang = me.lang
    lines = "\n".join(f"{f.position + 1}. {f.text}" for f in patrol.findings)
    text = texts(
        "patrol.logged",
        lang,
        id=patrol.id,
        kind=texts(f"patrol.kind_{patrol.kind.value}", lang),
        place=place_name,
        photos=len(patrol.photos),
        findings=lines or texts("patrol.no_findings", lang),
    )
    rows = [
        [button(texts("patrol.button_report", lang, n=f.position + 1), "patrol", "find", f.id)]
        for f in patrol.findings
    ]
    return outgoing.message(me.user_id, text, markup=keyboard(rows) if rows else None)
