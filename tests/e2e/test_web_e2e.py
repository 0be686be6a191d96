"""The web app on the real `griddesk run` process: health, readiness, metrics and webhook mode."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from storage.outbox import Outgoing
from tests.e2e.harness import Griddesk
from tests.e2e.people import Player
from tests.e2e.web import web_on
from tests.fakebotapi import SECRET_HEADER, FakeBotApi

RESIDENT = 5001
DESCRIPTION = "3号楼东侧垃圾桶满了三天没人清理"


def metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def until_ready(web: httpx.AsyncClient, griddesk: Griddesk, status: int) -> tuple[int, Any]:
    """Asks /readyz until it answers STATUS (bounded); returns it with the body."""
    deadline = time.monotonic() + 60
    while True:
        response = await web.get("/readyz")
        if response.status_code == status:
            return status, response.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz never answered {status}: {response.text}")
        await asyncio.sleep(0.1)


async def file_report(fake: FakeBotApi, griddesk: Griddesk) -> int:
    """A resident registers at 1栋 and files a report with two photos; returns its id."""
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    resident.send(resident.user.send_text, "/start")
    await resident.tap("place:pick:", label="第一网格")
    await resident.tap("place:pick:", label="1栋")
    resident.send(resident.user.send_album, 2)
    await resident.wait_text("2")
    resident.send(resident.user.send_text, DESCRIPTION)
    await resident.tap("newreport:cat:", suffix=":litter")
    await resident.tap("newreport:home:")
    await resident.tap("newreport:send:")
    report_id: int = await griddesk.wait_db(
        lambda g: g.scalar("SELECT id FROM reports WHERE reporter_id = ?", (RESIDENT,)),
        what="the report stored",
    )
    await resident.wait_text(f"R{report_id:06d}")
    return report_id


async def test_health_readiness_and_metrics_on_the_running_bot(
    fake: FakeBotApi, griddesk: Griddesk
) -> None:
    base = web_on(griddesk, ready_outbox_age=2)
    await griddesk.start()
    async with httpx.AsyncClient(base_url=base, timeout=10) as web:
        assert (await web.get("/healthz")).json() == {"status": "alive"}
        ready = await web.get("/readyz")
        assert ready.status_code == 200, ready.text
        before = metrics((await web.get("/metrics")).text)

        await file_report(fake, griddesk)
        after = metrics((await web.get("/metrics")).text)
        received = ("griddesk_updates_received_total", ())
        processed = ("griddesk_updates_processed_total", ())
        assert after[received] >= before[received] + 7  # /start, 2 taps, 2 photos, text, 3 taps
        assert after[processed] >= before[processed] + 7
        assert after[("griddesk_reports", (("state", "open"), ("tier", "grid")))] == 1
        sent_ok = sum(
            value
            for (name, labels), value in after.items()
            if name == "griddesk_messages_sent_total" and ("outcome", "ok") in labels
        )
        assert sent_ok >= 3
        assert DESCRIPTION not in (await web.get("/metrics")).text

        # Telegram goes away: a queued message waits, and past ready_outbox_age /readyz says so.
        # The report's notices are out first (a loaded machine may still be sending them), so
        # the 503 is about this message and "ready" again means it was delivered.
        await griddesk.wait_db(
            lambda g: (
                g.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')") == 0
            ),
            what="the report's notices sent",
        )
        await fake.go_down()
        await griddesk.queue([Outgoing(RESIDENT, "sendMessage", {"text": "等待发送"})])

        _, body = await until_ready(web, griddesk, 503)
        assert body["failing"] == ["outbox"] and body["outbox"]["backlog"] == 1
        await fake.come_up()
        _, body = await until_ready(web, griddesk, 200)
        assert body["outbox"]["backlog"] == 0
        assert fake.texts(RESIDENT)[-1] == "等待发送"  # delivered once Telegram is back
    assert await griddesk.stop() == 0


async def test_webhook_mode_end_to_end_then_back_to_polling(
    fake: FakeBotApi, griddesk: Griddesk
) -> None:
    fake.webhook_retry = 0.1
    base = web_on(griddesk)
    griddesk.extra_args = ["--webhook"]
    await griddesk.start(wait=False)
    await fake.wait_for(lambda: fake.webhook is not None, what="setWebhook")
    assert fake.webhook is not None
    path = griddesk.scalar("SELECT value FROM web_state WHERE key = 'webhook_path'")
    secret = fake.webhook["secret_token"]
    assert fake.webhook["url"] == f"{base}/telegram/{path}" and secret
    assert secret == griddesk.scalar("SELECT value FROM web_state WHERE key = 'webhook_secret'")

    # A resident files a report; every update comes by webhook delivery, none by getUpdates.
    report_id = await file_report(fake, griddesk)
    assert fake.calls_of("getUpdates") == []
    assert fake.webhook_attempts and all(status == 200 for _, status in fake.webhook_attempts)
    stored = griddesk.scalar("SELECT COUNT(*) FROM inbox")
    assert stored == len({update_id for update_id, _ in fake.webhook_attempts})

    async with httpx.AsyncClient(base_url=base, timeout=10) as web:
        # A forged delivery: wrong or missing secret → 403, nothing stored.
        forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 1, "text": "x",
                  "chat": {"id": RESIDENT, "type": "private"}}}  # fmt: skip
        for headers in ({SECRET_HEADER: "guess"}, {}):
            response = await web.post(f"/telegram/{path}", json=forged, headers=headers)
            assert response.status_code == 403
        assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE update_id = 999999") == 0
        assert (await web.post("/telegram/guess", json=forged)).status_code == 404

    # A duplicate delivery (Telegram did not see the answer) is stored and processed once.
    resident = Player(fake, fake.user(RESIDENT, "张三"))
    update = resident.send(resident.user.send_text, "/my")
    await griddesk.wait_db(
        lambda g: g.scalar(
            "SELECT state FROM inbox WHERE update_id = ?", (update["update_id"],)
        ) == "done",
        what="the /my update processed",
    )  # fmt: skip
    await griddesk.wait_db(
        lambda g: (
            g.scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')") == 0
        ),
        what="the answer to /my sent",
    )
    answers = len(fake.texts(RESIDENT))
    fake.deliver_again(update)
    await fake.wait_for(
        lambda: [u for u, s in fake.webhook_attempts if u == update["update_id"]] == [
            update["update_id"], update["update_id"]
        ],
        what="the second delivery",
    )  # fmt: skip
    assert griddesk.scalar(
        "SELECT COUNT(*) FROM inbox WHERE update_id = ?", (update["update_id"],)
    ) == 1  # fmt: skip

    # The bot answers a delivery with a non-200 (here: Telegram's secret is not the bot's):
    # nothing is stored, the fake retries with backoff and the update arrives once it matches.
    fake.webhook["secret_token"] = "not-the-bots"
    late = resident.send(resident.user.send_text, "/start")
    await fake.wait_for(
        lambda: [s for u, s in fake.webhook_attempts if u == late["update_id"]].count(403) >= 2,
        what="two refused deliveries",
    )
    assert (
        griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE update_id = ?", (late["update_id"],)) == 0
    )
    assert fake.pending_updates() == [late]
    fake.webhook["secret_token"] = secret
    await griddesk.wait_db(
        lambda g: g.scalar(
            "SELECT state FROM inbox WHERE update_id = ?", (late["update_id"],)
        ) == "done",
        what="the retried update processed",
    )  # fmt: skip
    await fake.wait_for(lambda: len(fake.texts(RESIDENT)) > answers, what="/start answered")
    assert griddesk.scalar("SELECT COUNT(*) FROM inbox WHERE state = 'done'") == griddesk.scalar(
        "SELECT COUNT(*) FROM inbox"
    )
    assert griddesk.scalar("SELECT status FROM reports WHERE id = ?", (report_id,)) == "open"
    assert await griddesk.stop() == 0

    # Back to polling: the bot's getUpdates meets 409, deletes the webhook and polls.
    griddesk.extra_args = []
    await griddesk.start(wait=False)
    await fake.wait_for(lambda: fake.calls_of("deleteWebhook"), what="deleteWebhook")
    await fake.wait_for(lambda: fake.calls_of("getUpdates", ok=True), what="polling again")
    assert fake.webhook is None
    after = resident.send(resident.user.send_text, "/start")
    await griddesk.wait_db(
        lambda g: g.scalar(
            "SELECT state FROM inbox WHERE update_id = ?", (after["update_id"],)
        ) == "done",
        what="a polled update processed",
    )  # fmt: skip


async def test_a_taken_port_stops_the_bot_with_status_1_and_says_why(
    fake: FakeBotApi, griddesk: Griddesk
) -> None:
    base = web_on(griddesk)
    port = int(base.rsplit(":", 1)[1])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen(1)
        await griddesk.start(wait=False)
        assert griddesk.process is not None
        assert await asyncio.wait_for(griddesk.process.wait(), timeout=60) == 1
    assert f"the web app cannot listen on 127.0.0.1:{port}" in griddesk.log_tail()
    assert fake.calls_of("getUpdates") == []
