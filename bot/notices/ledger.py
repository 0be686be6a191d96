"""Who is told what about a 台账 export: the period prompt, "preparing…", the document and why
there is none, rendered from the catalogs (bot/locales/*/ledger.toml). All to the private chat
of the staff member who asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.ledger import PERIODS, Period
from bot.notices.buttons import button, keyboard
from bot.services import Services
from bot.texts import Raw
from storage.outbox import Outgoing

if TYPE_CHECKING:
    from bot.usecases.ledger import Built

CAPTION_LIMIT = 1024


def text(services: Services, chat_id: int, lang: str, key: str, **params: object) -> Outgoing:
    body = services.texts(key, lang, **params)
    return Outgoing(chat_id, "sendMessage", {"text": body, "parse_mode": "HTML"})


def period_prompt(
    services: Services,
    chat_id: int,
    lang: str,
    unit_name: str,
    nonce: str,
    *,
    other_units: bool = False,
) -> Outgoing:
    """Returns the question "which period?" with a button per offered period (and "other
    unit…" with OTHER_UNITS)."""
    t = services.texts
    rows = [
        [button(t(f"ledger.period_{key}", lang), "ledger", "period", nonce, key)] for key in PERIODS
    ]
    if other_units:
        rows.append([button(t("ledger.other_unit", lang), "ledger", "unit", nonce)])
    params: dict[str, object] = {
        "text": t("ledger.ask_period", lang, unit=unit_name),
        "parse_mode": "HTML",
        "reply_markup": keyboard(rows),
    }
    return Outgoing(chat_id, "sendMessage", params)


def preparing(
    services: Services, chat_id: int, lang: str, unit_name: str, span: Period
) -> Outgoing:
    return text(
        services, chat_id, lang, "ledger.preparing", unit=unit_name, first=span.first,
        last=span.last,
    )  # fmt: skip


def empty(services: Services, chat_id: int, lang: str, span: Period) -> Outgoing:
    return text(services, chat_id, lang, "ledger.empty", first=span.first, last=span.last)


def filename(unit: str, span: Period, lang: str) -> str:
    stem = "台账" if lang == "zh" else "ledger"
    return f"{stem}-{unit}-{span.first:%Y%m%d}-{span.last:%Y%m%d}.xlsx"


def counts_line(services: Services, lang: str, counts: dict[str, int]) -> str:
    t = services.texts
    parts = [
        t("ledger.count", lang, sheet=t(f"ledger.sheet_{key}", lang), count=n)
        for key, n in counts.items()
    ]
    return t("ledger.separator", lang).join(parts)


def document(
    services: Services,
    chat_id: int,
    lang: str,
    ref: dict[str, int],
    unit_name: str,
    span: Period,
    built: Built,
) -> Outgoing:
    """Returns the export's document, its caption naming the unit, the period and the counts."""
    caption = services.texts(
        "ledger.caption", lang, unit=unit_name, first=span.first, last=span.last,
        counts=Raw(counts_line(services, lang, built.counts)),
    )[:CAPTION_LIMIT]  # fmt: skip
    return Outgoing(
        chat_id, "sendDocument", {"document": ref, "caption": caption, "parse_mode": "HTML"}
    )
