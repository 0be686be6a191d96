"""公示 use cases: who serves a resident's grid (/grid), and what the office publishes (/contact).

Every change is re-authorised against the database (bot/domain/access.publish_contact) and
written with the messages it causes in one commit. Staff listed in the config file are published
from the file (`public`, `public_name`, `title`, `office_hours`, `public_phone`): a change in
chat would be undone at the next start, so it is refused with a pointer to the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import access
from bot.domain import contacts as domain
from bot.domain.contacts import Contact, Listing
from bot.domain.people import Staff
from bot.domain.staffing import RANK
from bot.domain.teams import BUILDING, at_level
from bot.services import Services
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing


@dataclass(frozen=True, slots=True)
class Serving:
    """The resident's place (the grid or the nearest wider unit) and who serves it, as published."""

    place: str
    people: list[Listing]
    party_member: str | None = None  # the building's (一名党员一幢楼), if [teams] publishes it


async def serving(services: Services, user_id: int) -> Done[Serving] | Refused:
    """Returns who serves USER_ID's registered place; Refused("contacts.no_place") without one."""
    person = await services.people.get(user_id)
    tree = await services.units.tree()
    if person is None or person.unit is None or person.unit not in tree:
        return Refused("contacts.no_place")
    return Done(await serving_at(services, person.unit))


async def serving_at(services: Services, unit: str) -> Serving:
    """Returns who serves UNIT (a registered place), as published."""
    tree = await services.units.tree()
    grid, community = domain.serving_units(tree, unit)
    units = [u for u in (grid, community) if u is not None]
    staff = await services.people.staff_at(units)  # active staff only
    published = await services.store.contacts.public_at(units)
    place = grid or community or unit
    member = None
    building = at_level(unit, tree, BUILDING)
    if services.settings.teams.public_party_member and building is not None:
        link = await services.store.teams.link_of(building)
        member = link.name if link is not None and link.name else None
    listed = domain.listing(staff, published, tree, place)
    return Serving(tree.place_name(place), listed, member)


async def publishable(services: Services, *, by: int, at: datetime) -> Done[list[Staff]] | Refused:
    """Returns the active staff BY may publish, by unit and role (Refused if BY is no supervisor
    of anyone)."""
    actor = await services.people.staff(by)
    tree = await services.units.tree()
    if (rule := access.staff_only(actor)) is not None:
        return await refuse(services, by, rule, None, "/contact", at=at)
    people = [
        s
        for s in await services.people.all_staff()
        if access.publish_contact(actor, s, tree) is None
    ]
    if not people:
        return Refused("contacts.nobody")
    people.sort(key=lambda s: (tree.path_name(s.unit) if s.unit in tree else s.unit, -RANK[s.role]))
    return Done(people)


async def card_of(
    services: Services, target_id: int, *, by: int, at: datetime, attempted: str
) -> Done[tuple[Staff, Contact]] | Refused:
    """Returns TARGET_ID and what is published about them, if BY may publish it."""
    actor = await services.people.staff(by)
    target = await services.people.staff(target_id)  # a member who left is no target
    tree = await services.units.tree()
    if (rule := access.publish_contact(actor, target, tree)) is not None:
        return await refuse(services, by, rule, f"staff:{target_id}", attempted, at=at)
    assert target is not None
    return Done((target, await services.store.contacts.get(target_id)))


async def change(
    services: Services,
    target_id: int,
    *,
    by: int,
    at: datetime,
    public: bool | None = None,
    field: str | None = None,
    text: str | None = None,
    messages: Callable[[Staff, Contact], Sequence[Outgoing]] = lambda s, c: (),
    clear_draft: bool = False,
) -> Done[tuple[Staff, Contact]] | Refused:
    """Publishes or withdraws TARGET_ID (PUBLIC), or sets FIELD to TEXT (None or "-" clears it),
    with MESSAGES (rendered from the result) in the same commit."""
    attempted = "contact:pub" if public is not None else "contact:edit"
    found = await card_of(services, target_id, by=by, at=at, attempted=attempted)
    if isinstance(found, Refused):
        return found
    target = found.value[0]
    if await services.people.source_of(target_id) == "config":
        return Refused("contacts.in_config")
    changes: dict[str, object] = {}
    if public is not None:
        changes["public"] = public
    if field is not None:
        if field not in domain.FIELDS:
            return Refused("contacts.stale")
        value = None if text is None or text.strip() in ("", "-") else text.strip()
        if value is not None and (why := domain.check(field, value)) is not None:
            return Refused(why, {"limit": domain.LIMITS[field]})
        changes[field] = value
    async with services.store.transaction() as tx:
        contact = await tx.contacts.update(target_id, by=by, at=at, **changes)
        await tx.outbox.send(list(messages(target, contact)), at)
        if clear_draft:
            await tx.drafts.clear(by, at)
    return Done((target, contact))


async def sync_config(services: Services, at: datetime) -> None:
    """Writes the config file's 公示 fields of its staff into the database (at every start)."""
    await services.store.contacts.sync_config(
        [
            Contact(
                s.telegram_id,
                public=s.public,
                public_name=s.public_name,
                title=s.title,
                office_hours=s.office_hours,
                public_phone=s.public_phone,
                source="config",
            )
            for s in services.settings.staff
        ],
        at,
    )
