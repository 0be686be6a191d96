"""Group chats bound to a unit: /bind and /unbind (for weekly summaries, or as the unit's
volunteer group), and following a group that became a supergroup.

Only staff of the unit or above may bind a group to it (access.bind_group), and replacing or
removing a binding needs the same right over the unit it was bound to. What is said goes to the
group itself, in the language of the staff member who wrote there (LANG).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import access
from bot.domain.groups import Binding, Purpose
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse


class _Gone(Exception):
    """Rolls back an unbinding that found nothing to remove."""


def _name(tree: UnitTree, code: str) -> str:
    return tree.get(code).name if code in tree else code


def _spelled(tree: UnitTree, code: str) -> str | None:
    """Returns CODE as the tree spells it (case-insensitive), or None if unknown."""
    if code in tree:
        return code
    matches = [unit.code for unit in tree if unit.code.lower() == code.lower()]
    return matches[0] if len(matches) == 1 else None


def _bound_text(services: Services, tree: UnitTree, purpose: Purpose, code: str, lang: str) -> str:
    if purpose is Purpose.VOLUNTEERS:
        return services.texts("group.bound_volunteers", lang, unit=_name(tree, code))
    config = services.settings.summaries
    return services.texts(
        "group.bound_summary",
        lang,
        unit=_name(tree, code),
        weekday=services.texts(f"group.weekday_{config.weekday}", lang),
        time=config.time,
    )


async def bind_group(
    services: Services,
    chat_id: int,
    purpose: Purpose,
    unit: str | None,
    *,
    by: int,
    at: datetime,
    lang: str,
) -> Done[Binding] | Refused:
    """Binds group CHAT_ID to UNIT (default: BY's own unit) for PURPOSE and says so in the
    group, in one commit; a binding the group had for PURPOSE is replaced (and named).

    Refused: "group.not_staff", "group.unknown_unit" ({code}), "group.not_allowed" ({unit}:
    BY's own; recorded), "group.not_allowed_existing" ({unit}: the one bound now; recorded).
    """
    staff = await services.people.staff(by)
    if staff is None:
        return Refused("group.not_staff")
    tree = await services.units.tree()
    code = _spelled(tree, unit or staff.unit)
    if code is None:
        return Refused("group.unknown_unit", {"code": unit})
    if (rule := access.bind_group(staff, code, tree)) is not None:
        unit_name = _name(tree, staff.unit)
        return await refuse(
            services,
            by,
            rule,
            f"unit:{code}",
            "/bind",
            at=at,
            key="group.not_allowed",
            unit=unit_name,
        )
    existing = await services.store.groups.binding(chat_id, purpose)
    if existing is not None and (rule := access.bind_group(staff, existing.unit, tree)):
        return await refuse(
            services,
            by,
            rule,
            f"unit:{existing.unit}",
            "/bind",
            at=at,
            key="group.not_allowed_existing",
            unit=_name(tree, existing.unit),
        )
    text = _bound_text(services, tree, purpose, code, lang)
    if existing is not None and existing.unit != code:
        text += " " + services.texts("group.rebound", lang, unit=_name(tree, existing.unit))
    binding = Binding(chat_id, code, purpose, by, at, lang)
    async with services.store.transaction() as tx:
        await tx.groups.bind(binding, [outgoing.message(chat_id, text)])
    return Done(binding)


async def unbind_group(
    services: Services, chat_id: int, purpose: Purpose, *, by: int, at: datetime, lang: str
) -> Done[Binding] | Refused:
    """Removes group CHAT_ID's binding for PURPOSE and says so in the group, in one commit;
    returns the binding removed.

    Refused: "group.not_staff", "group.not_bound_summary" / "group.not_bound_volunteers",
    "group.not_allowed_existing" ({unit}; recorded).
    """
    staff = await services.people.staff(by)
    if staff is None:
        return Refused("group.not_staff")
    existing = await services.store.groups.binding(chat_id, purpose)
    if existing is None:
        return Refused(f"group.not_bound_{purpose.value}")
    tree = await services.units.tree()
    unit = _name(tree, existing.unit)
    if (rule := access.bind_group(staff, existing.unit, tree)) is not None:
        return await refuse(
            services,
            by,
            rule,
            f"unit:{existing.unit}",
            "/unbind",
            at=at,
            key="group.not_allowed_existing",
            unit=unit,
        )
    text = services.texts(f"group.unbound_{purpose.value}", lang, unit=unit)
    try:
        async with services.store.transaction() as tx:
            if not await tx.groups.unbind(chat_id, purpose, at, [outgoing.message(chat_id, text)]):
                raise _Gone
    except _Gone:  # removed by someone else meanwhile: the message is rolled back with it
        return Refused(f"group.not_bound_{purpose.value}")
    return Done(existing)


async def follow_migration(services: Services, old: int, new: int) -> None:
    """Moves group OLD's bindings to NEW (Telegram said it became a supergroup)."""
    async with services.store.transaction() as tx:
        await tx.groups.migrate(old, new)
