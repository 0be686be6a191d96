"""Test images: a JPEG as a phone camera writes it, GPS position and orientation included."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
# 天安门, as a phone would record it
GPS = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)}


def jpeg_with_gps(width: int = 400, height: int = 300, *, orientation: int = 1) -> bytes:
    """Returns a JPEG whose EXIF holds a GPS position, a camera model and ORIENTATION."""
    image = Image.new("RGB", (width, height), (180, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x0110] = "PhoneCam 12"  # Model
    exif[GPS_IFD] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the fixture must carry GPS"
    return data


def metadata(data: bytes) -> dict[str, object]:
    """Returns what DATA carries besides pixels: EXIF tags, GPS tags and other info blocks."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    found: dict[str, object] = {}
    if dict(exif):
        found["exif"] = dict(exif)
    if exif.get_ifd(GPS_IFD):
        found["gps"] = exif.get_ifd(GPS_IFD)
    for key in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"):
        if image.info.get(key):
            found[f"info.{key}"] = True
    return found


def solid_jpeg(colour: tuple[int, int, int], width: int = 400, height: int = 300) -> bytes:
    """Returns a plain JPEG of one COLOUR (with a GPS position, as a phone's photo of a home)."""
    image = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[GPS_IFD] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def colour_at(data: bytes, x: int, y: int) -> tuple[int, int, int]:
    """Returns the colour of DATA's pixel at (X, Y)."""
    with Image.open(io.BytesIO(data)) as image:
        pixel = image.convert("RGB").getpixel((x, y))
    assert isinstance(pixel, tuple)
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


def near(colour: tuple[int, int, int], wanted: tuple[int, int, int], slack: int = 24) -> bool:
    """Tells whether COLOUR is WANTED give or take JPEG's rounding."""
    return all(abs(a - b) <= slack for a, b in zip(colour, wanted, strict=True))
