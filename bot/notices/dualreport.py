"""双报告 texts: the monthly report to a work unit's contact, the staff preview's lines, and the
line a party member's registration card shows about it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.dualreport import Service, WorkUnit, nothing_done, ordered, pages
from bot.domain.volunteers import Volunteer
from bot.notices import outgoing
from bot.services import Services
from bot.settings import Settings
from bot.texts import Raw, Texts
from storage.outbox import Outgoing


def work_units(settings: Settings) -> list[WorkUnit]:
    """Returns the configured work units ([[work_units]]), in order."""
    return [WorkUnit(w.code, w.name, w.contact_chat, w.contact_user) for w in settings.work_units]


def work_unit_of(settings: Settings, code: str | None) -> WorkUnit | None:
    return next((w for w in work_units(settings) if w.code == code), None)


def work_unit_named(settings: Settings, name: str | None) -> WorkUnit | None:
    """Returns the configured work unit called exactly NAME (a member may type it)."""
    return next((w for w in work_units(settings) if w.name == name), None)


def member_line(texts: Texts, lang: str, service: Service) -> str:
    if service.empty:
        return texts("dualreport.member_none", lang, name=service.name)
    return texts(
        "dualreport.member_line",
        lang,
        name=service.name,
        wishes=service.wishes,
        checkins=service.checkins,
        visits=service.visits,
        points=service.points,
    )


def report_texts(
    texts: Texts, lang: str, unit: WorkUnit, month: str, found: Sequence[Service]
) -> list[str]:
    """Returns the report of UNIT's members for MONTH in LANG: one message, or more only when
    it would pass Telegram's length limit. A month with nothing is one line."""
    header = texts("dualreport.header", lang, month=month, work_unit=unit.name)
    footer = texts("dualreport.footer", lang)
    if nothing_done(found):
        return [f"{header}\n{texts('dualreport.nothing', lang)}"]
    parts = pages([member_line(texts, lang, s) for s in ordered(found)])
    out = []
    for i, lines in enumerate(parts):
        top = (
            header
            if i == 0
            else texts("dualreport.continued", lang, month=month, work_unit=unit.name, part=i + 1)
        )
        tail = f"\n\n{footer}" if i == len(parts) - 1 else ""
        out.append(top + "\n" + "\n".join(lines) + tail)
    return out


def report_messages(
    services: Services,
    unit: WorkUnit,
    month: str,
    found: Sequence[Service],
    langs: Mapping[int, str],
) -> list[Outgoing]:
    """Returns the report to each of UNIT's contacts (a person in their language, a chat in
    the office's)."""
    default = services.settings.default_language
    out: list[Outgoing] = []
    for chat in unit.contacts():
        lang = langs.get(chat, default)
        out.extend(
            outgoing.message(chat, text)
            for text in report_texts(services.texts, lang, unit, month, found)
        )
    return out


def registration_note(services: Services, volunteer: Volunteer, lang: str) -> str:
    """Returns what a party member's card says about the 双报告 ('' when none is configured or
    they are not a party member)."""
    if not volunteer.party_member or not services.settings.work_units:
        return ""
    unit = work_unit_of(services.settings, volunteer.work_unit_code)
    if unit is None and volunteer.work_unit_code is None:
        unit = work_unit_named(services.settings, volunteer.work_unit)
    if unit is None:
        return services.texts("dualreport.reg_unreported", lang)
    return services.texts("dualreport.reg_reported", lang, work_unit=unit.name)


def preview_text(
    services: Services,
    lang: str,
    month: str,
    place: str,
    rows: Sequence[tuple[WorkUnit, Service]],
    page: int,
    pages_total: int,
) -> str:
    """Returns one page of the preview: members grouped under their work unit."""
    t = services.texts
    lines: list[str] = []
    current = None
    for unit, service in rows:
        if unit.code != current:
            if lines:
                lines.append("")
            lines.append(t("dualreport.preview_unit", lang, work_unit=unit.name))
            current = unit.code
        lines.append(member_line(t, lang, service))
    return t(
        "dualreport.preview",
        lang,
        month=month,
        place=place,
        page=page + 1,
        pages=pages_total,
        lines=Raw("\n".join(lines) or t("dualreport.preview_empty", lang)),
        footer=Raw(t("dualreport.footer", lang)),
    )
