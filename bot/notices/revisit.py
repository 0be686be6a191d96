"""回访 notices: the task's card to the callers (with the resident's phone: they must call), the
card once recorded, the reminder, the word to the street, the caller's own replies and the
/revisits list. Rendered from bot/locales/*/revisit.toml."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.categories import Category
from bot.domain.people import Person
from bot.domain.reports import Report, Status
from bot.domain.revisit import Revisit
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.notices.buttons import key, keyboard
from bot.services import Services
from storage.outbox import Outgoing

DESCRIPTION_SHOWN = 300  # characters of the report's text on the card
PAGE = 8  # tasks per /revisits page


def card_key(task: Revisit) -> str:
    return f"revisit:{task.id}"


@dataclass(frozen=True, slots=True)
class About:
    """What a card shows of a task: its report, the resident, and the names to print."""

    task: Revisit
    report: Report
    resident: Person | None
    tree: UnitTree
    categories: dict[str, Category]

    def category(self, lang: str) -> str:
        found = self.categories.get(self.report.category)
        return found.name(lang) if found else self.report.category

    def place(self) -> str:
        return self.tree.place_name(self.report.unit)


def when(services: Services, at: datetime | None) -> str:
    if at is None:
        return "—"
    return at.astimezone(services.tz).strftime("%Y-%m-%d %H:%M")


def answer_label(services: Services, lang: str, satisfied: bool | None) -> str:
    return services.texts("revisit.answer_yes" if satisfied else "revisit.answer_no", lang)


def _open_text(services: Services, about: About, lang: str) -> str:
    report, t = about.report, services.texts
    if report.status is Status.CLOSED_UNVERIFIED:
        closed = t("revisit.closed_unverified", lang)
    else:
        closed = t("revisit.closed_stars", lang, stars="★" * (report.stars or 0) or "—")
    resident = about.resident
    phone = (resident.phone if resident else None) or report.contact
    name = resident.name if resident and resident.name else t("revisit.resident", lang)
    if report.anonymous:  # 匿名上报: the caller never learns who it was
        name, phone = t("anonymous.reporter", lang), t("anonymous.no_call", lang)
    text = report.description
    if len(text) > DESCRIPTION_SHOWN:
        text = text[:DESCRIPTION_SHOWN] + "…"
    return t(
        "revisit.card",
        lang,
        number=report.number,
        category=about.category(lang),
        place=about.place(),
        description=text,
        resolution=report.resolution_note or "—",
        closed=closed,
        name=name,
        phone=phone or t("revisit.no_phone", lang),
        due=when(services, about.task.due_at),
    )


def buttons(services: Services, lang: str, task: Revisit) -> dict:
    return keyboard(
        [
            [
                key(services.texts("revisit.button_yes", lang), "revisit", "yes", task.id),
                key(services.texts("revisit.button_no", lang), "revisit", "no", task.id),
            ]
        ]
    )


def cards(services: Services, about: About, chats: Sequence[tuple[int, str]]) -> list[Outgoing]:
    """The open task's card to each of CHATS (chat id, language), edited in place later."""
    return [
        outgoing.card(
            chat,
            card_key(about.task),
            _open_text(services, about, lang),
            markup=buttons(services, lang, about.task),
        )
        for chat, lang in chats
    ]


def card_again(services: Services, about: About, chat: int, lang: str) -> Outgoing:
    """The open task's card once more, as a new message (from /revisits or a reminder)."""
    return outgoing.message(
        chat, _open_text(services, about, lang), markup=buttons(services, lang, about.task)
    )


def answered_cards(
    services: Services, about: About, by_name: str, chats: Sequence[tuple[int, str]]
) -> list[Outgoing]:
    """Every copy of the card turned into the recorded answer, without buttons."""
    task = about.task
    out = []
    for chat, lang in chats:
        text = services.texts(
            "revisit.card_answered",
            lang,
            number=about.report.number,
            category=about.category(lang),
            place=about.place(),
            answer=answer_label(services, lang, task.satisfied),
            note=task.note or services.texts("revisit.no_note", lang),
            by=by_name,
            at=when(services, task.answered_at),
        )
        out.append(outgoing.card(chat, card_key(task), text))
    return out


def reminders(services: Services, about: About, chats: Sequence[tuple[int, str]]) -> list[Outgoing]:
    """The clock passed: each caller is reminded, with a button that shows the card again."""
    out = []
    for chat, lang in chats:
        text = services.texts(
            "revisit.remind",
            lang,
            number=about.report.number,
            category=about.category(lang),
            due=when(services, about.task.due_at),
        )
        show = key(
            services.texts("revisit.button_card", lang, number=about.report.number),
            "revisit",
            "card",
            about.task.id,
        )
        out.append(outgoing.message(chat, text, markup=keyboard([[show]])))
    return out


def street_notices(
    services: Services, about: About, unit_name: str, chats: Sequence[tuple[int, str]]
) -> list[Outgoing]:
    """To the unit above the callers: the call is overdue (no resident's name or phone)."""
    return [
        outgoing.message(
            chat,
            services.texts(
                "revisit.street",
                lang,
                unit=unit_name,
                number=about.report.number,
                category=about.category(lang),
                closed_at=when(services, about.task.closed_at),
                due=when(services, about.task.due_at),
            ),
        )
        for chat, lang in chats
    ]


def ask_note(
    services: Services,
    lang: str,
    chat: int,
    number: str,
    task: Revisit,
    satisfied: bool,
    limit: int,
) -> Outgoing:
    """The question after satisfied / not satisfied: the resident's words, or skip."""
    skip = key(services.texts("revisit.button_skip", lang), "revisit", "skip", task.id)
    return outgoing.message(
        chat,
        services.texts(
            "revisit.ask_note",
            lang,
            number=number,
            answer=answer_label(services, lang, satisfied),
            limit=limit,
        ),
        markup=keyboard([[skip]]),
    )


def recorded(
    services: Services, lang: str, chat: int, number: str, satisfied: bool, reopened: bool
) -> Outgoing:
    return outgoing.message(
        chat,
        services.texts(
            "revisit.recorded_reopened" if reopened else "revisit.recorded",
            lang,
            number=number,
            answer=answer_label(services, lang, satisfied),
        ),
    )


def page_message(
    services: Services,
    lang: str,
    chat: int,
    items: Sequence[About],
    *,
    page: int,
    total: int,
    now: datetime,
) -> Outgoing:
    """One page of /revisits: a line and a button per task, and the page buttons."""
    t = services.texts
    if total == 0:
        return outgoing.message(chat, t("revisit.list_empty", lang))
    pages = (total + PAGE - 1) // PAGE
    lines = [t("revisit.list_title", lang, count=total, page=page + 1, pages=pages)]
    rows: list[list[dict[str, str]]] = []
    for about in items:
        due = about.task.due_at
        lines.append(
            t(
                "revisit.list_line",
                lang,
                number=about.report.number,
                category=about.category(lang),
                place=about.place(),
                due=when(services, due),
                late=t("revisit.late", lang) if due is not None and due <= now else "",
            )
        )
        label = t("revisit.button_card", lang, number=about.report.number)
        rows.append([key(label, "revisit", "card", about.task.id)])
    turn = []
    if page > 0:
        turn.append(key(t("revisit.list_prev", lang), "revisit", "page", page - 1))
    if page + 1 < pages:
        turn.append(key(t("revisit.list_next", lang), "revisit", "page", page + 1))
    rows.append(turn)
    return outgoing.message(chat, "\n".join(lines), markup=keyboard(rows))
