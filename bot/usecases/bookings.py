"""Booking use cases (预约办理 / 找场馆): a resident books a slot of a configured resource; its
staff confirm, move (the resident accepts or cancels) or decline it; the booker cancels; after
the start staff record who came; the sweep reminds a day and an hour before. Each is one
commit; a place is taken with compare-and-set (storage/bookings.py), so a slot is never
overbooked, and a refused write leaves nothing behind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from bot import calendar_sources
from bot.domain import access
from bot.domain import bookings as domain
from bot.domain.bookings import (
    Attendance,
    Booking,
    BookingStatus,
    Closed,
    InvalidBooking,
    Quiet,
    Reminder,
    Resource,
    Slot,
)
from bot.domain.calendar import Period, WorkCalendar
from bot.notices import bookings as notices
from bot.notices.volunteers import lang_of
from bot.services import Services
from bot.settings import ResourceConfig, quiet_hours
from bot.usecases.results import Done, Refused, refuse
from storage.outbox import Outgoing


def resource_from(config: ResourceConfig) -> Resource:
    return Resource(
        code=config.code,
        zh=config.zh,
        en=config.en,
        kind=config.kind,
        unit=config.unit,
        capacity=config.capacity,
        slot_minutes=config.slot_minutes,
        hours=domain.parse_hours(config.hours),
        days_ahead=config.days_ahead,
        confirm=config.confirm,
        staff=tuple(config.staff),
    )


def resources(services: Services) -> list[Resource]:
    """Returns the configured resources, in the file's order."""
    return [resource_from(c) for c in services.settings.resources]


def resource_of(services: Services, code: str) -> Resource | None:
    return next((r for r in resources(services) if r.code == code), None)


def closed_days(services: Services) -> Closed:
    """Returns the lookup of days closed for bookings: the office's holidays ([calendar]
    holidays), and a Monday-to-Friday the holiday calendar says is off (a statutory holiday);
    a 调休 workday listed in [calendar] workdays stays open."""
    c = services.settings.calendar
    calendar = WorkCalendar(
        services.tz,
        [Period.parse(text) for text in c.working_hours],
        holidays=c.holidays,
        workdays=c.workdays,
        library=calendar_sources.is_workday,
        provisional=calendar_sources.is_provisional,
    )
    holidays = frozenset(c.holidays)

    def closed(day: date) -> bool:
        return day in holidays or (day.weekday() < 5 and not calendar.is_workday(day))

    return closed


def quiet(services: Services) -> Quiet:
    start, end = quiet_hours(services.settings.deadlines.quiet_hours)
    return Quiet(start, end)


def open_days(services: Services, resource: Resource, at: datetime) -> list[date]:
    """Returns the next open days of RESOURCE with a slot still ahead ([bookings] days_shown)."""
    count = services.settings.bookings.days_shown
    return domain.open_days(resource, at, services.tz, closed_days(services), count)


async def free_slots(services: Services, resource: Resource, day: date, at: datetime) -> list[Slot]:
    """Returns DAY's slots of RESOURCE still ahead with places left (read, not held)."""
    starts = domain.slot_starts(resource, day, services.tz)
    if not starts or closed_days(services)(day):
        return []
    taken = await services.store.bookings.taken(
        resource.code, starts[0], starts[-1] + timedelta(seconds=1)
    )
    return domain.free_slots(resource, day, at, services.tz, taken)


async def _name(services: Services, user_id: int) -> str:
    person = await services.people.get(user_id)
    return person.name if person is not None and person.name else str(user_id)


async def _staff_cards(
    services: Services,
    booking: Booking,
    resource: Resource | None,
    *,
    decided_by: int | None = None,
    note: str | None = None,
    at: datetime,
) -> list[Outgoing]:
    """Returns the deciding staff's cards of BOOKING as it will be (and NOTE, a catalog key
    with {number}, as a message to each)."""
    if resource is None:
        return []
    tree = await services.units.tree()
    staff = [
        s
        for s in domain.deciders(resource, await services.people.all_staff())
        if domain.may_decide(s, resource, tree)
    ]
    langs = await lang_of(services, [s.user_id for s in staff])
    name = await _name(services, booking.user_id)
    no_shows = await services.store.bookings.no_shows(
        booking.user_id, domain.year_start(at, services.tz)
    )
    decider = await _name(services, decided_by) if decided_by is not None else None
    out: list[Outgoing] = []
    for s in staff:
        lang = langs[s.user_id]
        out.append(
            notices.staff_card(
                services,
                booking,
                resource,
                s.user_id,
                lang,
                name=name,
                no_shows=no_shows,
                decided_by=decider,
            )
        )
        if note is not None and s.user_id != decided_by:
            out.append(notices.message(services, s.user_id, lang, note, number=booking.number))
    return out


async def book(
    services: Services,
    resource_code: str,
    starts_at: datetime,
    purpose: str,
    *,
    by: int,
    at: datetime,
) -> Done[Booking] | Refused:
    """BY books the slot of RESOURCE_CODE starting at STARTS_AT for PURPOSE: a place is taken
    (compare-and-set on the slot's count), the booking is pending (or confirmed at once where
    the resource needs no confirmation), BY gets its card and the deciding staff theirs, and
    BY's draft ends, in one commit.

    Refused (nothing written): "booking.unknown_resource", "booking.bad_purpose",
    "booking.past", "booking.too_far", "booking.holiday", "booking.outside_hours",
    "booking.already" (BY holds this slot), "booking.full".
    """
    resource = resource_of(services, resource_code)
    if resource is None:
        return Refused("booking.unknown_resource")
    limit = services.settings.bookings.purpose_max
    try:
        purpose = domain.clean_purpose(purpose, limit)
    except InvalidBooking as bad:
        return Refused(bad.key, {"limit": limit})
    try:
        domain.check_slot(resource, starts_at, at, services.tz, closed_days(services))
    except InvalidBooking as bad:
        return Refused(bad.key)
    status = BookingStatus.PENDING if resource.confirm else BookingStatus.CONFIRMED
    booking = Booking(
        resource=resource.code,
        unit=resource.unit,
        user_id=by,
        starts_at=starts_at,
        ends_at=starts_at + resource.slot,
        purpose=purpose,
        status=status,
        created_at=at,
    )
    if status is BookingStatus.CONFIRMED:
        booking = domain.schedule_reminders(booking, at, quiet(services), services.tz)
    lang = (await lang_of(services, [by]))[by]
    note = "booking.new_for_staff" if resource.confirm else "booking.new_confirmed_for_staff"
    try:
        async with services.store.transaction() as tx:
            stored = await tx.bookings.create(booking, resource.capacity)
            said = "booking.booked_" + status.value
            await tx.outbox.send(
                [
                    notices.resident_card(services, stored, resource, lang),
                    notices.message(services, by, lang, said, number=stored.number),
                    *await _staff_cards(services, stored, resource, note=note, at=at),
                ],
                at,
            )
            await tx.drafts.clear(by, at)
    except InvalidBooking as bad:
        return Refused(bad.key)
    return Done(stored)


async def _load(services: Services, booking_id: int) -> tuple[Booking, Resource | None] | Refused:
    booking = await services.store.bookings.get(booking_id)
    if booking is None:
        return Refused("common.stale_button")
    return booking, resource_of(services, booking.resource)


async def as_staff(
    services: Services, booking_id: int, *, by: int, at: datetime, action: str
) -> Done[tuple[Booking, Resource]] | Refused:
    """Returns the booking and its resource if BY may decide about it (access.decide_booking).
    Nothing is written but a refusal (recorded)."""
    loaded = await _load(services, booking_id)
    if isinstance(loaded, Refused):
        return loaded
    booking, resource = loaded
    if resource is None:
        return Refused("booking.unknown_resource")
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    if (rule := access.decide_booking(staff, resource, tree)) is not None:
        return await refuse(services, by, rule, f"booking:{booking_id}", f"book:{action}", at=at)
    return Done((booking, resource))


async def _save(
    services: Services,
    old: Booking,
    new: Booking,
    resource: Resource | None,
    *,
    at: datetime,
    resident: Sequence[str | tuple[str, dict[str, object]]] = (),
    by: int | None = None,
    note: str | None = None,
    clear_draft_of: int | None = None,
) -> Done[Booking] | Refused:
    """Writes NEW over OLD (compare-and-set, places moved) with the resident's card and
    RESIDENT messages (catalog keys, with params) and the staff's cards, in one commit."""
    lang = (await lang_of(services, [new.user_id]))[new.user_id]
    capacity = resource.capacity if resource is not None else 0
    try:
        async with services.store.transaction() as tx:
            to_resident = [notices.resident_card(services, new, resource, lang)]
            for item in resident:
                key, params = item if isinstance(item, tuple) else (item, {})
                to_resident.append(
                    notices.message(services, new.user_id, lang, key, number=new.number, **params)
                )
            staff_cards = await _staff_cards(
                services, new, resource, decided_by=by, note=note, at=at
            )
            saved = await tx.bookings.save(old, new, at, capacity, [*to_resident, *staff_cards])
            if clear_draft_of is not None:
                await tx.drafts.clear(clear_draft_of, at)
    except InvalidBooking as bad:
        return Refused(bad.key)
    return Done(saved)


async def confirm(
    services: Services, booking_id: int, *, by: int, at: datetime
) -> Done[Booking] | Refused:
    """Staff BY confirm a pending booking; the resident is told and reminders are set.

    Refused: "common.stale_button", "common.not_allowed" (recorded), "booking.not_pending",
    "booking.started", "booking.stale"."""
    got = await as_staff(services, booking_id, by=by, at=at, action="confirm")
    if isinstance(got, Refused):
        return got
    booking, resource = got.value
    try:
        status = domain.next_status(booking, "confirm", at)
    except InvalidBooking as bad:
        return Refused(bad.key)
    new = domain.schedule_reminders(
        replace(booking, status=status, decided_by=by), at, quiet(services), services.tz
    )
    return await _save(
        services, booking, new, resource, at=at, by=by, resident=["booking.confirmed"]
    )


async def decline(
    services: Services, booking_id: int, reason: str, *, by: int, at: datetime
) -> Done[Booking] | Refused:
    """Staff BY decline a booking with REASON; its place is freed, the resident is told why,
    BY's draft ends. Refused: as confirm, and "booking.bad_reason", "booking.not_open"."""
    got = await as_staff(services, booking_id, by=by, at=at, action="decline")
    if isinstance(got, Refused):
        return got
    booking, resource = got.value
    try:
        reason = domain.clean_reason(reason)
        status = domain.next_status(booking, "decline", at)
    except InvalidBooking as bad:
        return Refused(bad.key)
    new = domain.unscheduled(replace(booking, status=status, decided_by=by, reason=reason))
    return await _save(
        services,
        booking,
        new,
        resource,
        at=at,
        by=by,
        resident=[("booking.declined", {"reason": reason})],
        clear_draft_of=by,
    )


async def move(
    services: Services, booking_id: int, starts_at: datetime, *, by: int, at: datetime
) -> Done[Booking] | Refused:
    """Staff BY move a booking to another free slot STARTS_AT of its resource: the new place is
    taken and the old one freed in one commit, and the resident is asked to accept or cancel.

    Refused: as confirm, and the slot's own refusals (see book), "booking.same_slot"."""
    got = await as_staff(services, booking_id, by=by, at=at, action="mvto")
    if isinstance(got, Refused):
        return got
    booking, resource = got.value
    if starts_at == booking.starts_at:
        return Refused("booking.same_slot")
    try:
        status = domain.next_status(booking, "move", at)
        domain.check_slot(resource, starts_at, at, services.tz, closed_days(services))
    except InvalidBooking as bad:
        return Refused(bad.key)
    new = domain.unscheduled(
        replace(
            booking,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + resource.slot,
            decided_by=by,
        )
    )
    return await _save(
        services,
        booking,
        new,
        resource,
        at=at,
        by=by,
        resident=[("booking.moved", {"when": notices.when(services, starts_at)})],
    )


async def _as_booker(
    services: Services, booking_id: int, *, by: int, at: datetime, action: str
) -> tuple[Booking, Resource | None] | Refused:
    loaded = await _load(services, booking_id)
    if isinstance(loaded, Refused):
        return loaded
    booking, _ = loaded
    if (rule := access.own_booking(by, booking)) is not None:
        return await refuse(services, by, rule, f"booking:{booking_id}", f"book:{action}", at=at)
    return loaded


async def accept(
    services: Services, booking_id: int, *, by: int, at: datetime
) -> Done[Booking] | Refused:
    """The booker BY accepts the slot staff moved the booking to: confirmed, reminders set.

    Refused: "common.stale_button", "common.not_allowed" (not theirs: recorded),
    "booking.not_open", "booking.started", "booking.stale"."""
    loaded = await _as_booker(services, booking_id, by=by, at=at, action="accept")
    if isinstance(loaded, Refused):
        return loaded
    booking, resource = loaded
    try:
        status = domain.next_status(booking, "accept", at)
    except InvalidBooking as bad:
        return Refused(bad.key)
    new = domain.schedule_reminders(
        replace(booking, status=status), at, quiet(services), services.tz
    )
    return await _save(
        services,
        booking,
        new,
        resource,
        at=at,
        resident=["booking.accepted"],
        note="booking.accepted_for_staff",
    )


async def cancel(
    services: Services, booking_id: int, *, by: int, at: datetime
) -> Done[Booking] | Refused:
    """The booker BY cancels a booking that has not started; its place is freed and the
    deciding staff are told. Refused: as accept."""
    loaded = await _as_booker(services, booking_id, by=by, at=at, action="cancel")
    if isinstance(loaded, Refused):
        return loaded
    booking, resource = loaded
    try:
        status = domain.next_status(booking, "cancel", at)
    except InvalidBooking as bad:
        return Refused(bad.key)
    new = domain.unscheduled(replace(booking, status=status))
    return await _save(
        services,
        booking,
        new,
        resource,
        at=at,
        resident=["booking.cancelled"],
        note="booking.cancelled_for_staff",
    )


async def mark(
    services: Services, booking_id: int, came: bool, *, by: int, at: datetime
) -> Done[Booking] | Refused:
    """Staff BY record whether the booker came, once the slot has started; once only.

    Refused: as confirm, "booking.not_open" (not confirmed), "booking.not_started" (too
    early), "booking.marked" (recorded already)."""
    got = await as_staff(services, booking_id, by=by, at=at, action="came" if came else "noshow")
    if isinstance(got, Refused):
        return got
    booking, resource = got.value
    if booking.attendance is not None:
        return Refused("booking.marked", {"number": booking.number})
    if booking.status is not BookingStatus.CONFIRMED:
        return Refused("booking.not_open")
    if not domain.may_mark(booking, at):
        return Refused("booking.not_started")
    new = replace(booking, attendance=Attendance.CAME if came else Attendance.NO_SHOW)
    lang = (await lang_of(services, [by]))[by]
    key = "booking.marked_came" if came else "booking.marked_no_show"
    try:
        async with services.store.transaction() as tx:
            saved = await tx.bookings.save(
                booking,
                new,
                at,
                resource.capacity,
                [notices.message(services, by, lang, key, number=booking.number)],
            )
    except InvalidBooking as bad:
        return Refused(bad.key)
    return Done(saved)


async def day_page(
    services: Services, day: date, page: int, *, by: int, at: datetime
) -> Done[Outgoing] | Refused:
    """Returns the list of DAY's bookings of the resources staff BY decide about (a page).

    Refused: "booking.no_resources" (BY decides about none)."""
    staff = await services.people.staff(by)
    tree = await services.units.tree()
    mine = {r.code: r for r in resources(services) if domain.may_decide(staff, r, tree)}
    if not mine:
        return Refused("booking.no_resources")
    start = datetime.combine(day, datetime.min.time(), tzinfo=services.tz)
    page = max(0, page)
    found, total = await services.store.bookings.of_day(
        list(mine), start, start + timedelta(days=1), page * notices.PAGE, notices.PAGE
    )
    names = {b.user_id: await _name(services, b.user_id) for b in found}
    lang = (await lang_of(services, [by]))[by]
    return Done(notices.day_list(services, by, lang, day, found, total, page, names, mine, at))


async def my_bookings(services: Services, *, by: int, at: datetime) -> Outgoing:
    """Returns BY's list of their coming bookings (nothing is written)."""
    found = await services.store.bookings.mine(by, at)
    lang = (await lang_of(services, [by]))[by]
    return notices.my_list(services, by, lang, found, {r.code: r for r in resources(services)})


async def remind(services: Services, booking: Booking, *, at: datetime) -> Done[Reminder] | Refused:
    """The sweep's work on one BOOKING with a reminder due: the booker gets the day-before or
    hour-before reminder (after downtime only the latest), and it is cleared with
    compare-and-set, in one commit. Nothing goes out during quiet hours (it waits); a booking
    that started or is no longer confirmed is only cleared.

    Refused("booking.quiet") during quiet hours, Refused("common.stale_button") if done."""
    which = domain.reminder_due(booking, at)
    if which is not None and quiet(services).covers(at, services.tz):
        return Refused("booking.quiet")
    resource = resource_of(services, booking.resource)
    messages: list[Outgoing] = []
    if which is not None:
        lang = (await lang_of(services, [booking.user_id]))[booking.user_id]
        messages = [notices.reminder(services, booking, resource, lang, which)]
    async with services.store.transaction(completes_update=False) as tx:
        cleared = await tx.bookings.mark_reminded(booking, which, at, messages)
    if not cleared or which is None:
        return Refused("common.stale_button")
    return Done(which)


async def forget_purposes(services: Services, *, at: datetime) -> int:
    """Wipes the purposes of bookings that ended [bookings] purpose_days ago (retention)."""
    days = services.settings.bookings.purpose_days
    return await services.store.bookings.wipe_purposes(
        at - timedelta(days=days), services.settings.privacy.batch
    )
