"""End to end: a volunteer the wish was never offered to forges a claim press with the wish's id
(ids are sequential). The real bot process refuses it politely, sends nobody the resident's
contact, leaves the wish open for the offered volunteer, and records the refusal for /audit."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import Griddesk
from tests.e2e.wishes import post_and_approve, seed, step
from tests.fakebotapi import FakeBotApi

RESIDENT, WORKER_G1, ADMIN = 5001, 101, 901
OFFERED, FORGER = 6001, 6003
PHONE = "13700001111"
WISH_TEXT = "家里水龙头漏水，想请人帮忙修一下"


async def test_a_forged_claim_is_refused_and_the_resident_contact_goes_to_nobody(
    fake: FakeBotApi, tmp_path: Path
):
    resident, worker = fake.user(RESIDENT, "王奶奶"), fake.user(WORKER_G1, "李网格")
    offered, forger, admin = fake.user(OFFERED, "甲"), fake.user(FORGER, "丙"), fake.user(ADMIN)
    bot = Griddesk(fake, tmp_path, sweep_interval=5)
    try:
        await bot.start()
        for user in (resident, worker, offered, forger, admin):
            user.send_text("/start")
        await fake.wait_for(
            lambda: all(u.texts() for u in (resident, worker, offered, forger, admin)), what="hi"
        )
        assert await bot.stop() == 0
        await seed(
            bot.location, RESIDENT, PHONE, [(OFFERED, "B1", "repair"), (FORGER, "B3", "medical")]
        )
        await bot.start()
        await post_and_approve(
            fake,
            resident,
            worker,
            WISH_TEXT,
            lambda: any(d.startswith("wish:claim:") for d in offered.buttons()),
        )
        [wish] = bot.rows("SELECT id, status, claimer_id, version FROM wishes")
        assert not any(d.startswith("wish:") for d in forger.buttons())
        sent_before = len(fake.calls)

        # A modified client sends a claim press for the wish's id on an old message of its own.
        forger.press_on(forger.messages()[-1]["message_id"], f"wish:claim:{wish['id']}")
        await bot.wait_db(
            lambda g: (
                g.scalar("SELECT COUNT(*) FROM refusals") == 1
                and g.scalar("SELECT COUNT(*) FROM inbox WHERE state != 'done'") == 0
            ),
            what="the forged press refused and recorded",
        )
        # deny() answers the press before it records the refusal.
        [answer] = [c for c in fake.calls[sent_before:] if c.method == "answerCallbackQuery"]
        assert str(answer.params.get("text", "")).startswith("这个心愿没有推送给您")
        later = json.dumps([c.params for c in fake.calls[sent_before:]], ensure_ascii=False)
        for private in (PHONE, "王奶奶", "1栋", WISH_TEXT):
            assert private not in later
        assert not any(PHONE in text for text in forger.texts())
        assert [
            tuple(r) for r in bot.rows("SELECT id, status, claimer_id, version FROM wishes")
        ] == [tuple(wish)]
        assert wish["status"] == "open"
        assert [
            tuple(r) for r in bot.rows("SELECT user_id, action, rule, target FROM refusals")
        ] == [(FORGER, "wish:claim", "wish_claim", f"wish:{wish['id']}")]

        # The offered volunteer still claims it and alone sees the contact; the admin sees the
        # refusal with /audit.
        await step(
            fake,
            lambda: offered.press("wish:claim:"),
            lambda: any(PHONE in text for text in offered.texts()),
            "the real claim",
        )
        await step(
            fake,
            lambda: admin.send_text("/audit"),
            lambda: f"用户 {FORGER} · wish:claim · wish_claim" in admin.last_text(),
            "the audit",
        )
        assert not any(PHONE in text for text in forger.texts())
        assert await bot.stop() == 0
    finally:
        await bot.close()
