"""An image sent as a file becomes a photo of our own: downloaded, stripped of EXIF/GPS, uploaded.

The upload is a sendPhoto to the sender's own chat, made here, before the draft is stored: it
answers with the Telegram file_id that the report keeps and forwards, so the original file's id is
never stored or sent anywhere. If the process dies between the upload and the draft's commit, the
update is processed again and the resident gets the stripped copy twice; nothing leaks, and the
file_id a report keeps always exists before the report does.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import Document, InputFile, Message
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.context import GridContext
from bot.domain.people import Person
from bot.images import MAX_BYTES, NotAnImage, strip_image
from handlers.kit.reply import say

log = logging.getLogger(__name__)
MAX_WAIT = 5.0  # seconds worth waiting out a 429 while the resident waits for the answer


async def photo_from_file(ctx: GridContext, me: Person, document: Document) -> str | None:
    """Returns the file_id of DOCUMENT re-encoded without metadata; None after saying why not."""
    if (document.file_size or 0) > MAX_BYTES:
        await say(ctx, me, "images.too_big")
        return None
    try:
        file = await ctx.bot.get_file(document.file_id)
        if (file.file_size or 0) > MAX_BYTES:
            await say(ctx, me, "images.too_big")
            return None
        data = bytes(await file.download_as_bytearray())
    except BadRequest as exc:  # "file is too big" is the usual one
        log.info("image file refused by getFile: %s", type(exc).__name__)
        await say(ctx, me, "images.too_big" if "big" in exc.message else "images.failed")
        return None
    except TelegramError as exc:
        log.warning("image file download failed: %s", type(exc).__name__)
        await say(ctx, me, "images.failed")
        return None
    try:
        clean = await asyncio.to_thread(strip_image, data)
    except NotAnImage as exc:
        key = (
            "images.too_big"
            if str(exc) in ("too large", "too many pixels")
            else "images.unreadable"
        )
        await say(ctx, me, key)
        return None
    return await upload(ctx, me, clean)


async def upload(ctx: GridContext, me: Person, jpeg: bytes) -> str | None:
    """Sends JPEG to ME as a photo confirming receipt; returns its file_id (None: said why not)."""
    caption = ctx.texts("images.received", me.lang)
    await _take_turn(ctx, me.user_id)
    try:
        try:
            sent = await _send_photo(ctx, me, jpeg, caption)
        except RetryAfter as flood:  # an album of files: several uploads to one chat at once
            if _seconds(flood.retry_after) > MAX_WAIT:
                raise
            await asyncio.sleep(_seconds(flood.retry_after))
            sent = await _send_photo(ctx, me, jpeg, caption)
    except TelegramError as exc:
        log.warning("stripped image upload failed: %s", type(exc).__name__)
        await say(ctx, me, "images.failed")
        return None
    if not sent.photo:
        await say(ctx, me, "images.failed")
        return None
    return sent.photo[-1].file_id


async def _take_turn(ctx: GridContext, chat_id: int) -> None:
    """Waits for this upload's turn in the sender's pacing of CHAT_ID and counts it there, so the
    upload and the outbox's messages to that chat stay a second apart (Telegram's limit)."""
    sender = ctx.application.bot_data.get("sender")
    if sender is None:  # no sender in this process (tests of the handlers)
        return
    now = sender.monotonic()
    wait = min(sender.pacer.delay(chat_id, 1, now), MAX_WAIT)
    sender.pacer.record(chat_id, 1, now + wait)
    if wait > 0:
        await asyncio.sleep(wait)


async def _send_photo(ctx: GridContext, me: Person, jpeg: bytes, caption: str) -> Message:
    photo = InputFile(jpeg, filename="photo.jpg")
    return await ctx.bot.send_photo(me.user_id, photo, caption=caption, parse_mode="HTML")


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_image_file(message: Message) -> bool:
    """Tells whether MESSAGE is an image sent as a file (a GIF animation is not)."""
    document = message.document
    if document is None or message.animation is not None:
        return False
    return (document.mime_type or "").startswith("image/")


def offers_photo(message: Message) -> bool:
    return bool(message.photo) or is_image_file(message)


async def photo_in(ctx: GridContext, me: Person, message: Message) -> str | None:
    """Returns the file_id of the photo MESSAGE offers: a photo as sent, an image file as a
    re-encoded copy; None if it offers none, or after telling ME why the file cannot be used."""
    if message.photo:
        return message.photo[-1].file_id
    if is_image_file(message):
        assert message.document is not None
        return await photo_from_file(ctx, me, message.document)
    return None
