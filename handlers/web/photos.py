"""The case photos the dashboard serves: downloaded by the server through the Bot API (a Telegram
file URL carries the bot token, so the browser never sees one) and kept briefly in memory."""

from __future__ import annotations

from collections import OrderedDict

PHOTO_CACHE_BYTES = 32 * 1024 * 1024  # photos kept in memory, least recently used out first


class PhotoCache:
    """A bounded in-memory cache of downloaded photos by file id (least recently used out)."""

    def __init__(self, limit: int = PHOTO_CACHE_BYTES):
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, file_id: str) -> bytes | None:
        found = self.items.get(file_id)
        if found is not None:
            self.items.move_to_end(file_id)
        return found

    def put(self, file_id: str, content: bytes) -> None:
        if len(content) > self.limit or file_id in self.items:
            return
        self.items[file_id] = content
        self.size += len(content)
        while self.size > self.limit:
            _, dropped = self.items.popitem(last=False)
            self.size -= len(dropped)


def content_type(content: bytes) -> str:
    """The image type of CONTENT by its first bytes (Telegram's photos are JPEG)."""
    if content.startswith(b"\xff\xd8"):  # the JPEG start-of-image marker
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
