"""bot/images.py: what comes out carries no metadata; what is not a photo is refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.images import MAX_SIDE, NotAnImage, strip_image
from tests.images import jpeg_with_gps, metadata


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_gps_and_every_other_exif_tag_are_gone():
    original = jpeg_with_gps()
    assert metadata(original)
    assert metadata(strip_image(original)) == {}


@pytest.mark.parametrize(
    ("orientation", "size"),
    [(1, (400, 300)), (3, (400, 300)), (6, (300, 400)), (8, (300, 400))],
)
def test_the_exif_orientation_is_applied_before_it_is_dropped(orientation, size):
    clean = Image.open(io.BytesIO(strip_image(jpeg_with_gps(orientation=orientation))))
    assert (clean.format, clean.size) == ("JPEG", size)


def test_a_png_with_transparency_and_text_chunks_becomes_a_plain_jpeg():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "家住3号楼")
    png = encoded(Image.new("RGBA", (50, 40), (0, 0, 0, 0)), "PNG", pnginfo=info)
    clean = Image.open(io.BytesIO(strip_image(png)))
    assert (clean.format, clean.mode, dict(clean.info).get("Comment")) == ("JPEG", "RGB", None)
    assert clean.getpixel((0, 0)) == (255, 255, 255)


def test_a_big_photo_is_scaled_down_to_what_telegram_shows():
    big = encoded(Image.new("RGB", (6000, 3000), (1, 2, 3)), "JPEG")
    assert Image.open(io.BytesIO(strip_image(big))).size == (MAX_SIDE, MAX_SIDE // 2)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.4 not an image",
        b"\x89PNG\r\n\x1a\n truncated",
        jpeg_with_gps()[:200],  # a header and no pixels
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # Pillow would run Ghostscript
    ],
)
def test_what_is_not_a_decodable_image_is_refused(data):
    with pytest.raises(NotAnImage):
        strip_image(data)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # 20000 x 20000 pixels of one colour compress to a few kB of PNG
    bomb = encoded(Image.new("1", (20_000, 20_000)), "PNG")
    assert len(bomb) < 200_000
    with pytest.raises(NotAnImage, match="pixels"):
        strip_image(bomb)


def test_more_than_twenty_megabytes_is_refused():
    with pytest.raises(NotAnImage, match="too large"):
        strip_image(b"\xff" * (20 * 1024 * 1024 + 1))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_the_formats_phones_and_scanners_send_are_taken(fmt):
    data = encoded(Image.new("RGB", (40, 30), (9, 9, 9)), fmt)
    assert Image.open(io.BytesIO(strip_image(data))).format == "JPEG"
