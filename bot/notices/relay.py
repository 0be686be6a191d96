"""What the bot relays for an anonymous report (bot/usecases/relay.py): the holder's question to
the reporter, with a reply button, and the reporter's answer to the staff holding the case, with
an "ask again" button. Neither side sees who the other is beyond their role; the reporter's name,
phone and Telegram id never reach staff."""

from __future__ import annotations

from bot.domain.people import Staff
from bot.domain.reports import Report
from bot.notices import outgoing
from bot.notices.buttons import key, keyboard
from bot.services import Services
from storage.outbox import Outgoing


def question(services: Services, report: Report, lang: str, text: str) -> Outgoing:
    """The holder's question, to the anonymous reporter, with ↩️ reply."""
    assert report.reporter_id is not None and report.id is not None
    t = services.texts
    body = t("anonymous.question", lang, number=report.number, text=text)
    reply = key(t("anonymous.reply_button", lang), "report", "reply", report.id)
    return outgoing.message(report.reporter_id, body, markup=keyboard([[reply]]))


def answer(services: Services, report: Report, staff: Staff, lang: str, text: str) -> Outgoing:
    """The reporter's answer, to STAFF holding the case, with 💬 ask again."""
    assert report.id is not None
    t = services.texts
    body = t("anonymous.answer", lang, number=report.number, text=text)
    again = key(t("anonymous.ask_button", lang), "report", "ask", report.id)
    return outgoing.message(staff.user_id, body, markup=keyboard([[again]]))


def relayed(services: Services, chat_id: int, lang: str, number: str) -> Outgoing:
    """Tells whoever wrote that the bot passed it on."""
    return outgoing.message(chat_id, services.texts("anonymous.relayed", lang, number=number))
