"""处理前 / 处理后: one picture with a report's photos before (left) and after (right) it was
resolved, for the resident's completion notice and the 回音壁 post.

Each side is a column of its photos, upright, scaled to one width and stacked, under a label.
Pillow decodes and re-encodes the pixels only (no metadata survives, as in bot/images.py). The
labels need a font with Chinese glyphs for Chinese: the configured [summaries] font, else one of
the installed CJK fonts bot/chart.py knows; without one, a label that needs it is left out (the
bands' colours still tell the sides apart: grey before, green after).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import warnings
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from telegram import InputFile
from telegram.error import BadRequest

from bot.chart import CJK_FONT_FILES
from bot.images import FORMATS, MAX_BYTES, MAX_PIXELS, NotAnImage, as_rgb
from bot.notices.outgoing import BEFORE_AFTER, DOCUMENT

if TYPE_CHECKING:
    from PIL import Image, ImageDraw
    from telegram import Bot

    from bot.services import Services

log = logging.getLogger(__name__)

COLUMN = 640  # each side's width in pixels
GAP = 12  # between the sides, between photos and around the edge
HEADER = 64  # the label band
MAX_PER_SIDE = 5  # the report's own limit on photos
QUALITY = 85
BACKGROUND = (255, 255, 255)
BEFORE_COLOUR = (120, 120, 120)  # the label band: grey before, green after
AFTER_COLOUR = (46, 139, 87)


def font_file(configured: str | None = None) -> str | None:
    """Returns a font file with Chinese glyphs: CONFIGURED if it is a file, else the first
    installed one of bot/chart.CJK_FONT_FILES, else None."""
    for path in (configured, *CJK_FONT_FILES):
        if path and os.path.isfile(path):
            return path
    return None


def compose(
    before: list[bytes], after: list[bytes], labels: tuple[str, str], font: str | None = None
) -> bytes:
    """Returns a JPEG: BEFORE's photos on the left under LABELS[0], AFTER's on the right under
    LABELS[1]. Photos that cannot be decoded are left out; raises NotAnImage when no after-photo
    is left (there is nothing to show)."""
    from PIL import Image, ImageDraw

    left = [image for data in before[:MAX_PER_SIDE] if (image := _decoded(data)) is not None]
    right = [image for data in after[:MAX_PER_SIDE] if (image := _decoded(data)) is not None]
    if not right:
        raise NotAnImage("no after-photo could be decoded")
    columns = [_column(left), _column(right)] if left else [_column(right)]
    bands = (BEFORE_COLOUR, AFTER_COLOUR) if left else (AFTER_COLOUR,)
    names = labels if left else labels[1:]
    width = GAP + len(columns) * (COLUMN + GAP)
    height = HEADER + GAP + max(column.height for column in columns) + GAP
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for i, (column, band, name) in enumerate(zip(columns, bands, names, strict=True)):
        x = GAP + i * (COLUMN + GAP)
        draw.rectangle((x, GAP, x + COLUMN - 1, HEADER - 1), fill=band)
        _label(draw, name, x, font)
        canvas.paste(column, (x, HEADER + GAP))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _decoded(data: bytes) -> Image.Image | None:
    """Returns DATA's pixels upright and COLUMN wide, or None if they cannot be decoded."""
    from PIL import Image, ImageOps

    if len(data) > MAX_BYTES:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                return None
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    except (OSError, ValueError, SyntaxError):
        return None
    upright = as_rgb(ImageOps.exif_transpose(image))
    height = max(1, round(upright.height * COLUMN / upright.width))
    return upright.resize((COLUMN, height), Image.Resampling.LANCZOS)


def _column(images: list[Image.Image]) -> Image.Image:
    from PIL import Image

    height = sum(image.height for image in images) + GAP * (len(images) - 1)
    column = Image.new("RGB", (COLUMN, height), BACKGROUND)
    y = 0
    for image in images:
        column.paste(image, (0, y))
        y += image.height + GAP
    return column


def _label(draw: ImageDraw.ImageDraw, text: str, x: int, font: str | None) -> None:
    """Writes TEXT centred in the band at X, in white; left out when no font can draw it."""
    from PIL import ImageFont

    size = HEADER // 2
    if font is not None:
        face: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(font, size)
    elif text.isascii():
        face = ImageFont.load_default(size=size)
    else:
        return
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    tx = x + (COLUMN - (right - left)) // 2 - left
    ty = GAP + (HEADER - GAP - (bottom - top)) // 2 - top
    draw.text((tx, ty), text, fill=(255, 255, 255), font=face)


class Pictures:
    """Makes the sender's before/after pictures (bot/notices/outgoing.before_after): reads the
    report, downloads its photos through the Bot API, composes them in a worker thread, and
    remembers the file id Telegram gave each picture, so the same picture sent again (to the
    followers, the 回音壁) is neither downloaded nor composed twice."""

    def __init__(self, bot: Bot, services: Services, remember: int = 256):
        self.bot = bot
        self.services = services
        self._sent: OrderedDict[str, str] = OrderedDict()
        self._remember = remember

    async def prepare(self, params: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """Returns PARAMS with a before/after reference made into a photo to upload (or a file
        id), and the key to remember the sent picture by; PARAMS unchanged without one.
        Raises BadRequest if the report has no after-photo (nothing to show, never will);
        a network failure while downloading propagates (the sender retries the row)."""
        ref = params.get("photo")
        if not (isinstance(ref, dict) and isinstance(ref.get(BEFORE_AFTER), dict)):
            return params, None
        spec = ref[BEFORE_AFTER]
        report = await self.services.reports.get(int(spec.get("report", 0)))
        if report is None or not report.after_photos:
            raise BadRequest("the report has no after-photo to show")
        before = [] if report.extra.get("erased") else _photos(report.photos)
        after = _photos(report.after_photos)
        if not after or (not before and len(after) == 1):
            return {**params, "photo": report.resolution_photo}, None  # nothing to compose
        labels = (str(spec["labels"][0]), str(spec["labels"][1]))
        key = json.dumps([before, after, labels], ensure_ascii=False)
        if key in self._sent:
            self._sent.move_to_end(key)
            return {**params, "photo": self._sent[key]}, key
        font = font_file(self.services.settings.summaries.font)
        before_data, after_data = await self._download(before), await self._download(after)
        if not before_data and len(after_data) <= 1:  # nothing left to put beside it
            return {**params, "photo": report.resolution_photo}, None
        try:
            picture = await asyncio.to_thread(compose, before_data, after_data, labels, font)
        except NotAnImage:
            log.warning("report %s: before/after photos could not be composed", report.id)
            return {**params, "photo": report.resolution_photo}, None
        return {**params, "photo": InputFile(picture, filename="before-after.jpg")}, key

    def remember(self, key: str | None, result: Any) -> None:
        """Keeps the file id of the picture sent for KEY (the largest size Telegram made)."""
        sizes = result.get("photo") if isinstance(result, dict) else None
        if key is None or not sizes or not isinstance(sizes[-1], dict):
            return
        self._sent[key] = str(sizes[-1]["file_id"])
        while len(self._sent) > self._remember:
            self._sent.popitem(last=False)

    async def _download(self, file_ids: list[str]) -> list[bytes]:
        """Returns the bytes of each file; one Telegram no longer has is left out."""
        found: list[bytes] = []
        for file_id in file_ids:
            try:
                file = await self.bot.get_file(file_id)
                found.append(bytes(await file.download_as_bytearray()))
            except BadRequest:
                log.info("a photo could not be fetched for a before/after picture")
        return found


def _photos(file_ids: tuple[str, ...]) -> list[str]:
    """The photos among FILE_IDS (image files kept as documents are never shown)."""
    return [f for f in file_ids if f and not f.startswith(DOCUMENT)][:MAX_PER_SIDE]
