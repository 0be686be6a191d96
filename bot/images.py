"""Re-encodes an image sent as a file: upright, at most 2560 px, JPEG, with no EXIF/GPS left.

A file keeps what the camera wrote (GPS position, time, device); Telegram's own photo compression
drops it, a document does not. Pillow decodes and re-encodes the pixels only, so nothing of the
original's metadata (EXIF, XMP, ICC, comments) can survive.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 20 * 1024 * 1024  # Telegram's getFile limit for bots
MAX_PIXELS = 50_000_000  # more is a decompression bomb, not a phone photo (a 200 MP camera aside)
MAX_SIDE = 2560  # Telegram shows photos at most this large
QUALITY = 90
# What phones and scanners send. Not EPS/PS (Pillow would run Ghostscript on them), nor the
# dozens of other formats Pillow reads. (A phone's multi-picture JPEG, MPO, opens as JPEG.)
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can decode, or they decode to too many pixels."""


def strip_image(data: bytes) -> bytes:
    """Returns DATA as a fresh JPEG without metadata; raises NotAnImage."""
    # Imported here: Pillow is ~3 MB resident and only a file sent as a document needs it.
    from PIL import Image, ImageOps

    if len(data) > MAX_BYTES:
        raise NotAnImage("too large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise NotAnImage("too many pixels")
            image.load()
    except NotAnImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NotAnImage("too many pixels") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise NotAnImage(type(exc).__name__) from None
    upright = ImageOps.exif_transpose(image)  # the orientation tag goes with the rest
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    pixels = as_rgb(upright)
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def as_rgb(image: Image.Image) -> Image.Image:
    """Returns IMAGE as plain RGB pixels; transparency becomes white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
