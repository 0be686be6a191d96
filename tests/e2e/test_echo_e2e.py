"""回音壁 and 公示 on the real process through chat: two cases verified with and without photo
consent reach the channel (with and without photos) and no channel call carries anything
personal; a resident asks /grid who serves their grid."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from bot.before_after import COLUMN, GAP, HEADER
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player, register
from tests.fakebotapi import FakeBotApi

CHANNEL = -1009876543210
RESIDENT = 5001
WORKER_G1 = 101
NAME = "欧阳晓雯"  # distinctive, so any leak is found
PHONE = "13987654321"
DESK_PHONE = "027-8288 1234"
WORKER_LINES = 'telegram_id = 101\nname = "李网格"\nrole = "grid_worker"\nunit = "G1"\n'
CASES = {
    "with photos": ("东门旁边绿化带里堆了一周的装修垃圾XQ17", True),
    "without photos": ("二单元楼道灯坏了好几天晚上很黑ZK42", False),
}


@pytest.fixture
async def griddesk(fake: FakeBotApi, tmp_path: Path):
    bot = Griddesk(fake, tmp_path, sweep_interval=1)
    text = bot.config.read_text(encoding="utf-8")
    published = (
        WORKER_LINES + 'public = true\ntitle = "第一网格网格员"\n'
        f'office_hours = "工作日 9:00-17:00"\npublic_phone = "{DESK_PHONE}"\n'
    )
    text = text.replace(WORKER_LINES, published) + f"\n[echo]\nchannel = {CHANNEL}\n"
    bot.config.write_text(text, encoding="utf-8")
    try:
        yield bot
    finally:
        await bot.close()
        print(bot.log_tail(200))


async def verified_case(
    fake: FakeBotApi,
    griddesk: Griddesk,
    resident: Player,
    worker: Player,
    description: str,
    *,
    photos: bool,
) -> tuple[int, list[str], str]:
    """Reports DESCRIPTION with an album of two, resolves it (the worker's note names the
    resident and their phone), verifies it with or without photo consent; returns the report id,
    its before-photos' file ids and the after-photo's."""
    resident.send(resident.user.send_album, 2)
    await resident.wait_text("2")
    resident.send(resident.user.send_text, description)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE description = ?", (description,)),
        what="the report stored",
    )
    await worker.tap(f"report:accept:{report_id}")
    await worker.tap(f"report:resolve:{report_id}")
    await worker.wait_text(f"R{report_id:06d}")
    worker.send(worker.user.send_photo, f"已联系{NAME}（{PHONE}）现场处理完毕")
    await resident.tap(f"report:solved:{report_id}")
    await resident.tap(f"report:photos:{report_id}:{1 if photos else 0}")
    await resident.tap(f"report:stars:{report_id}:5")
    before = [
        r["file_id"]
        for r in griddesk.rows(
            "SELECT file_id FROM report_photos WHERE report_id = ?", (report_id,)
        )
    ]
    after = griddesk.scalar("SELECT resolution_photo FROM reports WHERE id = ?", (report_id,))
    return report_id, before, after


async def test_verified_cases_reach_the_channel_de_identified_with_photos_only_if_allowed(
    fake: FakeBotApi, griddesk: Griddesk
):
    fake.channel(CHANNEL)
    resident = Player(fake, fake.user(RESIDENT, NAME))
    worker = Player(fake, fake.user(WORKER_G1, "李网格"))
    await griddesk.start()
    worker.send(worker.user.send_text, "/start")
    await register(resident)
    resident.send(resident.user.send_text, "/me")
    await resident.tap("me:phone")
    resident.send(resident.user.send_contact, PHONE)
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT phone FROM people WHERE user_id = ?", (RESIDENT,)),
        what="the resident's phone stored",
    )

    cases = {}
    for label, (description, photos) in CASES.items():
        cases[label] = await verified_case(
            fake, griddesk, resident, worker, description, photos=photos
        )
    await fake.wait_for(
        lambda: len(fake.calls_of(chat_id=CHANNEL, ok=True)) >= 2, what="two channel posts"
    )
    await griddesk.wait_db(
        lambda g: g.scalar("SELECT COUNT(*) FROM echo_posts WHERE posted_at IS NOT NULL") == 2,
        what="both cases marked posted",
    )

    calls = fake.calls_of(chat_id=CHANNEL)
    assert [c.ok for c in calls] == [True, True]
    with_photos, without_photos = calls
    assert with_photos.method == "sendPhoto" and without_photos.method == "sendMessage"
    id_yes, before_yes, after_yes = cases["with photos"]
    id_no, before_no, after_no = cases["without photos"]
    posts = fake.bot_messages(CHANNEL)
    [shown] = [p["photo"][-1]["file_id"] for p in posts if p.get("photo")]
    assert shown not in (*before_yes, after_yes)  # one picture the bot composed and uploaded
    with Image.open(io.BytesIO(fake.files[shown].content)) as picture:
        assert picture.width == GAP + 2 * (COLUMN + GAP)  # before | after, side by side
        before_column = picture.convert("RGB").getpixel((GAP + 5, HEADER + GAP + 5))
        after_column = picture.convert("RGB").getpixel((2 * GAP + COLUMN + 5, HEADER + GAP + 5))
    assert before_column != after_column
    assert f"R{id_yes:06d}" in posts[0]["caption"] and "第一网格" in posts[0]["caption"]
    assert f"R{id_no:06d}" in posts[-1]["text"] and "现场处理完毕" in posts[-1]["text"]

    everything = json.dumps([c.params for c in calls], ensure_ascii=False)
    everything += json.dumps(posts, ensure_ascii=False)
    personal = [NAME, PHONE, str(RESIDENT), "1栋", *before_no, after_no]
    personal += [description for description, _ in CASES.values()]
    for secret in personal:
        assert secret not in everything, secret

    # A restart posts nothing twice.
    await griddesk.stop()
    await griddesk.start()
    resident.send(resident.user.send_text, "/grid")
    await resident.wait_text("李网格")
    await griddesk.wait_db(
        lambda g: (
            g.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')") == 0
        ),
        what="the outbox drained (a post sent again would be out by now)",
    )
    assert len(fake.calls_of(chat_id=CHANNEL)) == 2


async def test_grid_through_chat_asks_for_the_place_then_shows_the_published_worker(
    fake: FakeBotApi, griddesk: Griddesk
):
    resident = Player(fake, fake.user(RESIDENT, NAME))
    await griddesk.start()
    resident.send(resident.user.send_text, "/grid")
    await resident.wait_text("请先登记住址")
    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")
    text = await resident.wait_text("李网格")
    assert "第一网格网格员" in text and DESK_PHONE in text and "工作日 9:00-17:00" in text
    for hidden in ("王网格", "赵网格长", "陈社区"):
        assert hidden not in text
    assert griddesk.scalar("SELECT unit FROM people WHERE user_id = ?", (RESIDENT,)) == "B1"
