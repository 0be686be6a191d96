"""What a booking tells whom: the resident's card, the deciding staff's cards, reminders, lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.domain.bookings import Booking, BookingStatus, Reminder, Resource, Slot, may_mark
from bot.notices import buttons, outgoing
from bot.notices.buttons import button
from bot.services import Services
from bot.texts import Raw
from storage.outbox import Outgoing

NOUN = "book"  # presses on a stored booking: book:<verb>:<id>[:<arg>]
PAGE = 8  # bookings per page of a staff member's day list


def when(services: Services, at: datetime) -> str:
    return at.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")


def day_label(services: Services, day: date, lang: str) -> str:
    weekday = services.texts(f"booking.weekday_{day.weekday()}", lang)
    return f"{day.strftime('%m-%d')} {weekday}"


def slot_label(services: Services, slot: Slot, lang: str) -> str:
    start = slot.starts_at.astimezone(services.tz).strftime("%H:%M")
    return services.texts("booking.slot_button", lang, start=start, left=slot.left)


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


def resident_key(booking: Booking) -> str:
    # The resident's id is one part of the key, so an erasure removes the card (storage/privacy).
    return f"booking:{booking.id}:{booking.user_id}"


def staff_key(booking: Booking) -> str:
    return f"booking:{booking.id}:staff"


def details(services: Services, booking: Booking, resource: Resource | None, lang: str) -> str:
    """Returns what a booking says to anyone it concerns (the resource, the slot, the purpose)."""
    end = booking.ends_at.astimezone(services.tz).strftime("%H:%M")
    return services.texts(
        "booking.details",
        lang,
        number=booking.number,
        resource=resource.name(lang) if resource else booking.resource,
        when=when(services, booking.starts_at),
        end=end,
        purpose=booking.purpose or "—",
        status=services.texts(f"booking.status_{booking.status.value}", lang),
    )


def resident_card(
    services: Services, booking: Booking, resource: Resource | None, lang: str
) -> Outgoing:
    """Returns the booker's card: the booking, and cancel (or accept / cancel for a move)."""
    text = details(services, booking, resource, lang)
    if booking.status is BookingStatus.DECLINED and booking.reason:
        text += "\n" + services.texts("booking.reason_line", lang, reason=booking.reason)
    row = []
    if booking.status is BookingStatus.MOVED:
        row.append(button(services.texts("booking.accept", lang), NOUN, "accept", booking.id))
    if booking.status.holds_place:
        row.append(button(services.texts("booking.cancel", lang), NOUN, "cancel", booking.id))
    return outgoing.card(
        booking.user_id, resident_key(booking), text, markup=buttons.keyboard([row])
    )


def staff_card(
    services: Services,
    booking: Booking,
    resource: Resource | None,
    chat_id: int,
    lang: str,
    *,
    name: str,
    no_shows: int,
    decided_by: str | None = None,
) -> Outgoing:
    """Returns a deciding staff member's card: who booked (with their no-shows this year) and,
    while it is open, confirm / move / decline."""
    text = services.texts(
        "booking.staff_card",
        lang,
        details=Raw(details(services, booking, resource, lang)),
        name=name,
        no_shows=no_shows,
    )
    if decided_by:
        text += "\n" + services.texts("booking.decided_by", lang, name=decided_by)
    if booking.reason:
        text += "\n" + services.texts("booking.reason_line", lang, reason=booking.reason)
    t = services.texts
    rows: list[list] = []
    if booking.status is BookingStatus.PENDING:
        rows.append([button(t("booking.confirm", lang), NOUN, "confirm", booking.id)])
    if booking.status in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        rows.append(
            [
                button(t("booking.move", lang), NOUN, "move", booking.id),
                button(t("booking.decline", lang), NOUN, "decline", booking.id),
            ]
        )
    return outgoing.card(chat_id, staff_key(booking), text, markup=buttons.keyboard(rows))


def message(services: Services, chat_id: int, lang: str, key: str, **params: object) -> Outgoing:
    return outgoing.message(chat_id, services.texts(key, lang, **params))


def reminder(
    services: Services, booking: Booking, resource: Resource | None, lang: str, which: Reminder
) -> Outgoing:
    return outgoing.message(
        booking.user_id,
        services.texts(
            f"booking.remind_{which.value}",
            lang,
            resource=resource.name(lang) if resource else booking.resource,
            when=when(services, booking.starts_at),
        ),
    )


def move_days(
    services: Services, booking: Booking, days: Sequence[date], chat_id: int, lang: str
) -> Outgoing:
    """Returns the staff member's question: which day to move BOOKING to."""
    rows = [
        [button(day_label(services, d, lang), NOUN, "mvday", booking.id, d.strftime("%Y%m%d"))]
        for d in days
    ]
    key = "booking.move_which_day" if days else "booking.move_no_days"
    text = services.texts(key, lang, number=booking.number)
    return outgoing.card(chat_id, f"booking:{booking.id}:move", text, markup=buttons.keyboard(rows))


def move_slots(
    services: Services,
    booking: Booking,
    day: date,
    slots: Sequence[Slot],
    chat_id: int,
    lang: str,
) -> Outgoing:
    """Returns the staff member's question: which free slot of DAY to move BOOKING to."""
    row_of = [
        button(
            slot_label(services, s, lang),
            NOUN,
            "mvto",
            booking.id,
            s.starts_at.astimezone(services.tz).strftime("%Y%m%d%H%M"),
        )
        for s in slots
        if s.starts_at != booking.starts_at
    ]
    rows = [row_of[i : i + 3] for i in range(0, len(row_of), 3)]
    rows.append([button(services.texts("booking.back", lang), NOUN, "move", booking.id)])
    key = "booking.move_which_slot" if row_of else "booking.day_full"
    text = services.texts(key, lang, number=booking.number, day=day_label(services, day, lang))
    return outgoing.card(chat_id, f"booking:{booking.id}:move", text, markup=buttons.keyboard(rows))


def day_list(
    services: Services,
    chat_id: int,
    lang: str,
    day: date,
    found: Sequence[Booking],
    total: int,
    page: int,
    names: dict[int, str],
    resources: dict[str, Resource],
    now: datetime,
) -> Outgoing:
    """Returns a staff member's list of DAY's bookings (a page of PAGE), with came / no-show
    buttons for confirmed bookings whose slot has started, and paging by day and page."""
    t = services.texts
    lines, rows = [], []
    for b in found:
        resource = resources.get(b.resource)
        attendance = t(f"booking.attendance_{b.attendance.value}", lang) if b.attendance else ""
        lines.append(
            t(
                "booking.list_line",
                lang,
                start=b.starts_at.astimezone(services.tz).strftime("%H:%M"),
                number=b.number,
                resource=resource.name(lang) if resource else b.resource,
                name=names.get(b.user_id, "—"),
                status=t(f"booking.status_{b.status.value}", lang),
                attendance=attendance,
            )
        )
        if may_mark(b, now) and b.attendance is None:
            rows.append(
                [
                    button(f"✅ {b.number}", NOUN, "came", b.id),
                    button(f"❌ {b.number}", NOUN, "noshow", b.id),
                ]
            )
    pages = max(1, -(-total // PAGE))
    stamp = day.strftime("%Y%m%d")
    nav = []
    if page > 0:
        nav.append(button("◀️", NOUN, "day", stamp, page - 1))
    if page + 1 < pages:
        nav.append(button("▶️", NOUN, "day", stamp, page + 1))
    rows.append(nav)
    rows.append(
        [
            button(t("booking.prev_day", lang), NOUN, "day", _stamp(day - timedelta(days=1)), 0),
            button(t("booking.next_day", lang), NOUN, "day", _stamp(day + timedelta(days=1)), 0),
        ]
    )
    text = t(
        "booking.day_list",
        lang,
        day=day_label(services, day, lang),
        total=total,
        page=page + 1,
        pages=pages,
        lines=Raw("\n".join(lines) or t("booking.day_empty", lang)),
    )
    return outgoing.card(chat_id, "bookings:day", text, markup=buttons.keyboard(rows))


def my_list(
    services: Services,
    chat_id: int,
    lang: str,
    found: Sequence[Booking],
    resources: dict[str, Resource],
) -> Outgoing:
    """Returns a resident's own coming bookings, each with its cancel (or accept) button."""
    t = services.texts
    lines = [details(services, b, resources.get(b.resource), lang) for b in found]
    rows = []
    for b in found:
        row = []
        if b.status is BookingStatus.MOVED:
            row.append(button(f"{t('booking.accept', lang)} {b.number}", NOUN, "accept", b.id))
        row.append(button(f"{t('booking.cancel', lang)} {b.number}", NOUN, "cancel", b.id))
        rows.append(row)
    text = t(
        "booking.my_list",
        lang,
        lines=Raw("\n\n".join(lines) or t("booking.my_none", lang)),
    )
    return outgoing.message(chat_id, text, markup=buttons.keyboard(rows))
