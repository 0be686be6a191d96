"""Who is told what about a broadcast: one delivery per recipient, the sender's progress line and
the end report (outbox rows; the catalog is bot/locales/*/broadcasts.toml)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.broadcasts import Broadcast, Kind, Progress
from bot.domain.units import UnitTree
from bot.notices import outgoing
from bot.texts import Texts
from storage.broadcasts import Recipient, batch_of
from storage.outbox import Outgoing

LOW = -1  # outbox priority of deliveries: every case notice goes first

METHODS = {Kind.TEXT: "sendMessage", Kind.PHOTO: "sendPhoto", Kind.DOCUMENT: "sendDocument"}


def body_params(
    texts: Texts, tree: UnitTree, broadcast: Broadcast, lang: str, *, resident: bool
) -> dict[str, Any]:
    """Returns the Bot API parameters that show BROADCAST in LANG: a text, or the file (by
    Telegram's file_id: uploaded once by the staff member, never again) with a caption."""
    content = broadcast.content
    unit = tree.get(broadcast.unit).name if broadcast.unit in tree else broadcast.unit
    key = "broadcast.message_resident" if resident else "broadcast.message_group"
    text = texts(key, lang, unit=unit, body=content.text)
    if content.kind is Kind.TEXT:
        return {"text": text, "parse_mode": "HTML"}
    field = "photo" if content.kind is Kind.PHOTO else "document"
    return {field: content.file_id, "caption": text, "parse_mode": "HTML"}


def deliveries(
    texts: Texts,
    tree: UnitTree,
    broadcast: Broadcast,
    residents: Sequence[Recipient],
    groups: Sequence[Recipient],
) -> list[Outgoing]:
    """Returns one outbox row per recipient, tagged with the broadcast and at low priority."""
    assert broadcast.id is not None
    method, batch = METHODS[broadcast.content.kind], batch_of(broadcast.id)
    rows = []
    for recipients, resident in ((residents, True), (groups, False)):
        by_lang: dict[str, dict[str, Any]] = {}
        for recipient in recipients:
            params = by_lang.get(recipient.lang)
            if params is None:
                params = body_params(texts, tree, broadcast, recipient.lang, resident=resident)
                by_lang[recipient.lang] = params
            rows.append(Outgoing(recipient.chat_id, method, params, priority=LOW, batch=batch))
    return rows


def preview(texts: Texts, tree: UnitTree, broadcast: Broadcast, chat_id: int) -> Outgoing:
    """Returns the broadcast as a resident will see it, to the staff member composing it."""
    params = body_params(texts, tree, broadcast, broadcast.lang, resident=True)
    return Outgoing(chat_id, METHODS[broadcast.content.kind], params)


def progress_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:progress"


def progress_line(texts: Texts, broadcast: Broadcast, progress: Progress) -> Outgoing:
    """Returns the sender's progress line (one message, edited in place as delivery goes on)."""
    assert broadcast.id is not None
    key = "broadcast.progress_done" if progress.finished else "broadcast.progress"
    text = texts(
        key,
        broadcast.lang,
        id=broadcast.id,
        delivered=progress.delivered,
        blocked=progress.blocked,
        failed=progress.failed,
        pending=progress.pending,
        total=progress.total,
    )
    return outgoing.card(broadcast.created_by, progress_key(broadcast.id), text)


def end_report(texts: Texts, broadcast: Broadcast, progress: Progress) -> Outgoing:
    """Returns the end report: delivered, blocked (403) and failed."""
    assert broadcast.id is not None
    text = texts(
        "broadcast.report",
        broadcast.lang,
        id=broadcast.id,
        delivered=progress.delivered,
        blocked=progress.blocked,
        failed=progress.failed,
        total=progress.total,
    )
    return outgoing.message(broadcast.created_by, text)
