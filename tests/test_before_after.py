"""The before/after picture (bot/before_after.compose) opened as an image: which side shows what,
what is left out, and that nothing of the photos' metadata survives."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.before_after import (
    AFTER_COLOUR,
    BEFORE_COLOUR,
    COLUMN,
    GAP,
    HEADER,
    compose,
    font_file,
)
from bot.images import NotAnImage
from tests.images import colour_at, metadata, near, solid_jpeg

RED, GREEN, BLUE = (200, 30, 30), (30, 160, 60), (40, 60, 200)
LABELS = ("处理前", "处理后")


def size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


def photo_top(column: int) -> tuple[int, int]:
    """A point inside the first photo of COLUMN (0: left)."""
    return GAP + column * (COLUMN + GAP) + COLUMN // 2, HEADER + GAP + 20


def test_before_on_the_left_after_on_the_right_without_metadata():
    picture = compose([solid_jpeg(RED)], [solid_jpeg(GREEN)], LABELS, font_file())
    width, height = size(picture)
    assert width == GAP + 2 * (COLUMN + GAP)
    assert height == HEADER + GAP + COLUMN * 300 // 400 + GAP  # 400×300 scaled to COLUMN wide
    assert near(colour_at(picture, *photo_top(0)), RED)
    assert near(colour_at(picture, *photo_top(1)), GREEN)
    assert metadata(picture) == {}  # the photos' GPS positions are gone


def test_several_photos_stack_and_the_taller_side_sets_the_height():
    picture = compose([solid_jpeg(RED)], [solid_jpeg(GREEN), solid_jpeg(BLUE)], LABELS)
    one = COLUMN * 300 // 400
    _, height = size(picture)
    assert height == HEADER + GAP + 2 * one + GAP + GAP
    second = 2 * GAP + COLUMN + COLUMN // 2, HEADER + GAP + one + GAP + 20
    assert near(colour_at(picture, *second), BLUE)
    below_before = GAP + COLUMN // 2, HEADER + GAP + one + GAP + 20
    assert near(colour_at(picture, *below_before), (255, 255, 255))  # the shorter side: blank


def test_photos_that_cannot_be_decoded_are_left_out():
    picture = compose([b"not an image"], [solid_jpeg(GREEN), b"\xff\xd8broken"], LABELS)
    width, _ = size(picture)
    assert width == GAP + COLUMN + GAP  # no before left: the after side alone
    assert near(colour_at(picture, *photo_top(0)), GREEN)
    with pytest.raises(NotAnImage):
        compose([solid_jpeg(RED)], [b"nothing to show"], LABELS)


def test_the_labels_are_written_on_their_bands():
    font = font_file()
    if font is None:
        pytest.skip("no font with Chinese glyphs installed (.ci/run installs one)")
    picture = compose([solid_jpeg(RED)], [solid_jpeg(GREEN)], LABELS, font)
    with Image.open(io.BytesIO(picture)) as image:
        rgb = image.convert("RGB")
        for column, band in ((0, BEFORE_COLOUR), (1, AFTER_COLOUR)):
            x0 = GAP + column * (COLUMN + GAP)
            band_pixels = [
                rgb.getpixel((x, y)) for x in range(x0, x0 + COLUMN, 4) for y in range(GAP, HEADER)
            ]
            white = [p for p in band_pixels if isinstance(p, tuple) and min(p) > 200]
            banded = [p for p in band_pixels if isinstance(p, tuple) and near(p, band)]
            assert white and len(banded) > len(white)  # white letters on the band's colour


def test_without_a_font_chinese_labels_are_left_out_and_english_ones_written():
    chinese = compose([solid_jpeg(RED)], [solid_jpeg(GREEN)], LABELS, None)
    english = compose([solid_jpeg(RED)], [solid_jpeg(GREEN)], ("Before", "After"), None)
    middle = GAP + COLUMN // 2, (GAP + HEADER) // 2
    with Image.open(io.BytesIO(chinese)) as a, Image.open(io.BytesIO(english)) as b:
        band_a = [a.getpixel((x, middle[1])) for x in range(GAP, GAP + COLUMN, 2)]
        band_b = [b.getpixel((x, middle[1])) for x in range(GAP, GAP + COLUMN, 2)]
    assert all(near(p, BEFORE_COLOUR) for p in band_a)  # nothing drawn: no boxes for glyphs
    assert any(min(p) > 200 for p in band_b)
