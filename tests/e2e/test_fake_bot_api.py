"""The fake Bot API answers python-telegram-bot's real HTTP client as Telegram documents it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import SECRET_HEADER, FakeBotApi, Fault


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    bot = Bot(
        "123456:TEST-TOKEN",
        base_url=f"{fake.api_url}/bot",
        base_file_url=f"{fake.api_url}/file/bot",
        request=HTTPXRequest(read_timeout=2.0, connect_timeout=1.0),
        get_updates_request=HTTPXRequest(read_timeout=5.0, connect_timeout=1.0),
    )
    async with bot:
        yield bot


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("按钮", callback_data=data)]])


async def test_get_updates_forgets_only_what_an_offset_confirmed(fake, bot):
    resident = fake.user(5001)
    for word in ("一", "二", "三"):
        resident.send_text(word)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["一", "二"]
    again = await bot.get_updates()  # no offset: nothing was confirmed yet
    assert [u.message.text for u in again] == ["一", "二", "三"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["三"]
    assert [u["message"]["text"] for u in fake.pending_updates()] == ["三"]


async def test_a_negative_offset_keeps_only_the_last_updates(fake, bot):
    resident = fake.user(5001)
    for word in ("一", "二", "三"):
        resident.send_text(word)
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last] == ["三"]
    assert len(fake.pending_updates()) == 1


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(fake, bot):
    resident = fake.user(5001)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.1)
    resident.send_text("你好")
    updates = await poll
    assert [u.message.text for u in updates] == ["你好"]
    assert time.monotonic() - started < 2.0


async def test_a_second_get_updates_ends_the_first_with_409(fake, bot):
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(Conflict):
        await first
    assert await second == ()


async def test_send_message_checks_html_length_and_button_data(fake, bot):
    fake.user(5001).send_text("/start")
    sent = await bot.send_message(5001, "<b>案件</b> &lt;1&gt;", parse_mode="HTML")
    assert sent.text == "案件 <1>"
    assert sent.entities[0].type == "bold"
    with pytest.raises(BadRequest, match=r"(?i)end tag"):
        await bot.send_message(5001, "<b>未闭合", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag"):
        await bot.send_message(5001, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(5001, "字" * 4097)
    await bot.send_message(5001, "<b>" + "字" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(5001, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(5001, "x", reply_markup=keyboard("x" * 65))


async def test_a_web_app_button_must_open_an_https_url(fake, bot):
    fake.user(5001).send_text("/start")

    def web_app(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("打开", web_app=WebAppInfo(url))]])

    with pytest.raises(
        BadRequest, match=r"(?i)Web App URL 'http://127\.0\.0\.1:8080/app' is invalid"
    ):
        await bot.send_message(5001, "x", reply_markup=web_app("http://127.0.0.1:8080/app"))
    sent = await bot.send_message(5001, "y", reply_markup=web_app("https://desk.example.cn/app"))
    assert sent.reply_markup.inline_keyboard[0][0].web_app.url == "https://desk.example.cn/app"
    assert fake.texts(5001) == ["y"]  # the refused one was never sent


async def test_a_bot_cannot_write_first_or_to_a_user_who_blocked_it(fake, bot):
    resident = fake.user(5001)
    with pytest.raises(Forbidden, match=r"(?i)initiate"):
        await bot.send_message(5001, "x")
    resident.send_text("/start")
    await bot.send_message(5001, "x")
    resident.block()
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(5001, "x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "x")


async def test_photos_albums_and_captions_follow_telegram_limits(fake, bot):
    resident = fake.user(5001)
    update = resident.send_photo("坏了")
    file_id = update["message"]["photo"][-1]["file_id"]
    photo = await bot.send_photo(5001, file_id, caption="修好了")
    assert photo.caption == "修好了"
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(5001, file_id, caption="字" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(5001, "no-such-file")
    album = await bot.send_media_group(5001, [InputMediaPhoto(file_id)] * 2)
    assert len({m.media_group_id for m in album}) == 1
    with pytest.raises(BadRequest, match=r"(?i)2-10"):
        await bot.send_media_group(5001, [InputMediaPhoto(file_id)] * 11)


async def test_a_document_is_kept_with_its_name_and_bytes_and_can_be_sent_again(fake, bot):
    fake.user(5001).send_text("/start")
    sent = await bot.send_document(
        5001, InputFile(b"PK\x03\x04xlsx", filename="通报-C1.xlsx"), caption="月度通报"
    )
    document = sent.document
    assert document is not None and sent.caption == "月度通报"
    assert document.file_name == "通报-C1.xlsx"
    assert document.mime_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert fake.files[document.file_id].content == b"PK\x03\x04xlsx"
    again = await bot.send_document(5001, document.file_id)
    assert again.document is not None and again.document.file_name == "通报-C1.xlsx"
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(5001, document.file_id, caption="字" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(5001, "no-such-file")


async def test_a_channel_takes_posts_from_an_administrator_with_the_right_to_post(fake, bot):
    resident = fake.user(5001)
    file_id = resident.send_photo("坏了")["message"]["photo"][-1]["file_id"]
    channel = fake.channel(-1001234567890)
    post = await bot.send_message(channel.id, "<b>回音壁</b>", parse_mode="HTML")
    assert post.chat.type == "channel" and post.sender_chat is not None
    assert post.sender_chat.id == channel.id and post.from_user is None
    album = await bot.send_media_group(
        channel.id, [InputMediaPhoto(file_id, caption="前"), InputMediaPhoto(file_id)]
    )
    assert [m.caption for m in album] == ["前", None] and album[0].sender_chat is not None
    assert fake.texts(channel.id) == ["回音壁", "前"]
    channel.can_post = False
    with pytest.raises(BadRequest, match=r"(?i)administrator rights"):
        await bot.send_message(channel.id, "x")
    channel.member = False
    with pytest.raises(Forbidden, match=r"(?i)not a member of the channel"):
        await bot.send_message(channel.id, "x")
    with pytest.raises(ValueError):
        fake.channel(-42)


async def test_edits_report_not_modified_and_not_found(fake, bot):
    fake.user(5001).send_text("/start")
    sent = await bot.send_message(5001, "状态：待接单", reply_markup=keyboard("a:b"))
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text(
            "状态：待接单", chat_id=5001, message_id=sent.message_id, reply_markup=keyboard("a:b")
        )
    edited = await bot.edit_message_text("状态：处置中", chat_id=5001, message_id=sent.message_id)
    assert edited.reply_markup is None  # an edit without markup removes the buttons
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=5001, message_id=999)
    with pytest.raises(BadRequest, match=r"(?i)no caption"):
        await bot.edit_message_caption(chat_id=5001, message_id=sent.message_id, caption="x")
    await bot.edit_message_reply_markup(5001, sent.message_id, reply_markup=keyboard("c:d"))
    assert fake.bot_messages(5001)[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert await bot.delete_message(5001, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not found"):
        await bot.delete_message(5001, sent.message_id)


async def test_a_button_press_arrives_and_is_answered_once(fake, bot):
    resident = fake.user(5001)
    resident.send_text("/start")
    await bot.send_message(5001, "选择", reply_markup=keyboard("cat:pick:litter"))
    resident.press("cat:pick:")
    update = (await bot.get_updates())[-1]
    assert update.callback_query.data == "cat:pick:litter"
    assert await bot.answer_callback_query(update.callback_query.id, "好")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_get_file_refuses_files_over_20_mb_and_serves_the_others(fake, bot):
    resident = fake.user(5001)
    small = resident.send_photo()["message"]["photo"][-1]["file_id"]
    big = resident.send_photo(size=21 * 1024 * 1024)["message"]["photo"][-1]["file_id"]
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big)
    file = await bot.get_file(small)
    assert bytes(await file.download_as_bytearray()).startswith(b"\xff\xd8")


async def test_commands_and_chat_actions_are_kept_and_unknown_methods_are_404(fake, bot):
    fake.user(5001).send_text("/start")
    await bot.set_my_commands([("report", "随手拍")])
    assert [c.command for c in await bot.get_my_commands()] == ["report"]
    assert await bot.send_chat_action(5001, "typing")
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendDice", api_kwargs={"chat_id": 5001})
    assert fake.calls_of("sendDice")[0].status == 404


async def test_injected_faults_reach_the_client_as_telegram_errors(fake, bot):
    fake.user(5001).send_text("/start")
    fake.group(-100).send_text(5001, "hi")
    fake.inject(Fault.too_many_requests(7), method="sendMessage", chat_id=5001, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(5001, "x")
        assert flood.value.retry_after in (7, __import__("datetime").timedelta(seconds=7))
    await bot.send_message(5001, "x")
    fake.inject(Fault.server_error(502), method="sendMessage")
    with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
        await bot.send_message(5001, "x")
    fake.group(-100).migrate(-1001000)
    with pytest.raises(ChatMigrated) as moved:
        await bot.send_message(-100, "x")
    assert moved.value.new_chat_id == -1001000
    await bot.send_message(-1001000, "x")


async def test_a_slow_answer_times_out_and_the_message_is_not_sent(fake, bot):
    fake.user(5001).send_text("/start")
    fake.inject(Fault.slow(2.5), method="sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(5001, "慢", read_timeout=0.2)
    await asyncio.sleep(2.5)
    assert fake.texts(5001) == []


async def test_a_server_that_is_down_refuses_connections_until_it_comes_back(fake, bot):
    fake.user(5001).send_text("/start")
    await fake.go_down()
    for _ in range(2):  # a kept-alive connection is cut, a new one is refused
        with pytest.raises(NetworkError):
            await bot.send_message(5001, "x")
    await fake.come_up()
    assert (await bot.send_message(5001, "回来了")).text == "回来了"


async def test_the_fake_counts_sends_that_break_telegrams_limits(fake, bot):
    fake.user(5001).send_text("/start")
    await bot.send_message(5001, "一")
    await bot.send_message(5001, "二")
    assert [kind for kind, _, _ in fake.violations] == ["1 per second per chat"]


async def test_a_group_poll_counts_votes_sends_poll_updates_and_stops_once(fake, bot):
    group = fake.group(-100777)
    sent = await bot.send_poll(group.id, "装不装电梯？", ["装", "不装"])
    assert sent.poll.is_anonymous and not sent.poll.is_closed
    group.vote(5001, sent.poll.id, [0])
    group.vote(5002, sent.poll.id, [0])
    group.vote(5002, sent.poll.id, [1])  # a member may change a vote in a regular poll
    updates = await bot.get_updates(allowed_updates=["poll"])
    latest = updates[-1].poll
    assert [o.voter_count for o in latest.options] == [1, 1] and latest.total_voter_count == 2
    stopped = await bot.stop_poll(group.id, sent.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [1, 1]
    final = (await bot.get_updates(offset=updates[-1].update_id + 1))[-1].poll
    assert final.is_closed
    assert group.vote(5003, sent.poll.id, [0]) is None  # a closed poll takes no votes
    with pytest.raises(BadRequest, match="already been closed"):
        await bot.stop_poll(group.id, sent.message_id)
    with pytest.raises(BadRequest, match="poll to stop not found"):
        await bot.stop_poll(group.id, 999)


async def test_send_poll_refuses_what_telegram_refuses(fake, bot):
    group = fake.group(-100778)
    with pytest.raises(BadRequest, match="at least 2 option"):
        await bot.send_poll(group.id, "问题", ["只有一个"])
    with pytest.raises(BadRequest, match="question length"):
        await bot.send_poll(group.id, "问" * 301, ["甲", "乙"])
    with pytest.raises(BadRequest, match="options length"):
        await bot.send_poll(group.id, "问题", ["甲" * 101, "乙"])
    assert group.polls() == []


async def test_send_document_reuses_a_file_id_without_an_upload(fake, bot):
    user = fake.user(5001)
    user.send_document("通知.pdf")
    file_id = fake.chat(5001).messages[1]["document"]["file_id"]
    sent = await bot.send_document(5001, file_id, caption="<b>通知</b>", parse_mode="HTML")
    assert sent.document.file_id == file_id and sent.caption == "通知"
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(5001, "no-such-file")


class Receiver:
    """A webhook endpoint that answers each delivery with the next status of STATUSES (then
    200) and records the update ids and secret headers it was sent."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.got: list[tuple[int, str | None, int]] = []  # (update_id, secret header, status)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        status = self.statuses.pop(0) if self.statuses else 200
        self.got.append((update["update_id"], request.headers.get(SECRET_HEADER), status))
        return web.Response(status=status)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_a_webhook_gets_each_update_with_the_secret_and_get_updates_is_409(fake, bot):
    async with Receiver([]) as receiver:
        assert await bot.set_webhook(receiver.url, secret_token="s3cr_t-OK")
        info = await bot.get_webhook_info()
        assert info.url == receiver.url and info.pending_update_count == 0
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        first = fake.user(5001).send_text("一")
        second = fake.user(5001).send_text("二")
        await fake.wait_for(lambda: len(receiver.got) == 2, timeout=5)
        assert receiver.got == [
            (first["update_id"], "s3cr_t-OK", 200),
            (second["update_id"], "s3cr_t-OK", 200),
        ]
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        fake.user(5001).send_text("三")
        assert [u.message.text for u in await bot.get_updates()] == ["三"]  # polling again
        assert len(receiver.got) == 2


async def test_a_webhook_that_fails_is_retried_with_the_error_shown(fake, bot):
    fake.webhook_retry = 0.05
    async with Receiver([500, 403]) as receiver:
        await bot.set_webhook(receiver.url)
        update = fake.user(5001).send_text("一")
        await fake.wait_for(lambda: len(receiver.got) == 3, timeout=5)
        assert [status for _, _, status in receiver.got] == [500, 403, 200]
        assert {update_id for update_id, _, _ in receiver.got} == {update["update_id"]}
        assert receiver.got[0][1] is None  # no secret_token set: no header
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
        assert info.last_error_date is not None


async def test_a_webhook_nobody_answers_keeps_its_updates_pending(fake, bot):
    fake.webhook_retry = 0.05
    async with Receiver([]) as receiver:
        url = receiver.url
    await bot.set_webhook(url)  # the receiver is gone: connections are refused
    fake.user(5001).send_text("一")
    await fake.wait_for(lambda: len(fake.webhook_attempts) >= 2, timeout=5)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"
    assert all(status == 0 for _, status in fake.webhook_attempts)
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_set_webhook_refuses_what_telegram_refuses(fake, bot):
    with pytest.raises(BadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:1/hook", secret_token="has space")
    with pytest.raises(BadRequest, match=r"(?i)invalid webhook url"):
        await bot.set_webhook("ftp://example.org/hook")
    with pytest.raises(BadRequest, match="max_connections"):
        await bot.set_webhook("http://127.0.0.1:1/hook", max_connections=101)
    assert (await bot.get_webhook_info()).url == ""
