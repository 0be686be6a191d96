"""handlers/web/photos.py: the photo cache stays within its bytes; types come from the bytes."""

from __future__ import annotations

import pytest

from handlers.web.photos import PhotoCache, content_type


def test_the_cache_drops_the_least_recently_used_photo_past_its_limit():
    cache = PhotoCache(limit=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recently used
    cache.put("c", b"1234")

    assert cache.get("b") is None
    assert cache.get("a") == b"1234" and cache.get("c") == b"1234"
    assert cache.size == 8


def test_a_photo_larger_than_the_whole_cache_is_not_kept():
    cache = PhotoCache(limit=10)
    cache.put("big", b"x" * 11)
    assert cache.get("big") is None and cache.size == 0


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBP", "image/webp"),
        (b"<html>", "application/octet-stream"),
    ],
)
def test_the_type_is_read_from_the_first_bytes(start: bytes, kind: str):
    assert content_type(start + b"\x00" * 8) == kind
