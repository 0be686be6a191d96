"""Issue 7.5 end to end: a JPEG sent as a file, GPS in its EXIF, reaches the grid worker without
any EXIF or GPS — read back from what the fake Bot API holds for the photo the worker got."""

from __future__ import annotations

import io

from PIL import Image

from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi
from tests.images import jpeg_with_gps, metadata

RESIDENT = 5001
WORKER_G1 = 101  # 李网格, grid worker of 第一网格 (tests/data/config.toml)
DESCRIPTION = "小区门口路灯坏了一个星期"


async def test_a_jpeg_sent_as_a_file_reaches_the_worker_without_exif_or_gps(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    await register(resident)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT unit FROM people WHERE user_id = ?", (RESIDENT,)) == "B1",
        what="the resident registered at 1栋",
    )

    original = jpeg_with_gps(orientation=6)
    sent = resident.send(
        resident.user.send_document, "IMG_0001.jpg", "image/jpeg", content=original
    )
    original_id = sent["message"]["document"]["file_id"]
    await resident.wait_text("已去除")  # the stripped copy comes back as a photo
    resident.send(resident.user.send_text, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")

    def worker_photo() -> str | None:
        for message in fake.bot_messages(WORKER_G1):
            if message.get("photo"):
                return str(message["photo"][-1]["file_id"])
        return None

    file_id = await fake.wait_for(worker_photo, timeout=30, what="the photo at the worker")
    assert file_id != original_id
    received = fake.files[file_id].content
    assert metadata(received) == {}
    assert Image.open(io.BytesIO(received)).size == (300, 400)  # upright, then stripped
    stored = griddesk.rows("SELECT file_id FROM report_photos")
    assert [row["file_id"] for row in stored] == [file_id]
    assert all(original_id not in str(call.params) for call in fake.calls_of("sendPhoto"))
    assert fake.calls_of("sendDocument") == []


async def test_the_clean_copy_is_paced_with_the_messages_around_it(
    fake: FakeBotApi, griddesk: Griddesk
):
    """The upload is made by the handler, not the outbox: it must still keep a second from the
    answer just sent to the same chat and from the prompt queued after it."""
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    await griddesk.start()
    await register(resident)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT unit FROM people WHERE user_id = ?", (RESIDENT,)) == "B1",
        what="the resident registered at 1栋",
    )
    resident.send(resident.user.send_text, "/privacy")
    resident.user.send_document("IMG_0001.jpg", "image/jpeg", content=jpeg_with_gps())
    await resident.wait_text("已去除")
    await resident.wait_text("还可以再发")
    assert fake.violations == []
