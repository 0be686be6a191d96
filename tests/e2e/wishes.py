"""What the wish end-to-end tests share: approved volunteers seeded into the database, and a
resident's 微心愿 posted through the chat and approved by the grid worker."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.volunteers import Volunteer, VolunteerStatus
from storage.db import Database
from storage.people import People
from storage.volunteers import Volunteers
from tests.fakebotapi import FakeBotApi, FakeUser


async def seed(
    path: Path | str, resident: int, phone: str, volunteers: Iterable[tuple[int, str, str]]
) -> None:
    """Gives RESIDENT a place and PHONE, and approves each (user id, unit, skill) volunteer."""
    db = await Database(path).open()
    try:
        now = datetime.now(UTC)
        await People(db).update(resident, now, unit="B1", phone=phone)
        repository = Volunteers(db)
        for user_id, unit, skill in volunteers:
            v = Volunteer(user_id, f"志愿者{user_id}", unit, skills=(skill,), phone="139")
            await repository.register(v, now, [])
            await repository.decide(replace(v, status=VolunteerStatus.APPROVED), now, [])
    finally:
        await db.close()


async def post_and_approve(
    fake: FakeBotApi,
    resident: FakeUser,
    worker: FakeUser,
    text: str,
    offered: Callable[[], bool],
) -> None:
    """The resident posts a repair wish with TEXT, the worker approves it, until OFFERED holds."""

    await step(fake, lambda: resident.send_text("/wish"), lambda: "微心愿" in resident.last_text())
    await step(fake, lambda: resident.send_text(text), lambda: "照片" in resident.last_text())
    await step(
        fake,
        lambda: resident.send_text("跳过"),
        lambda: "wishnew:kind:repair" in resident.buttons(),
        "the kinds",
    )
    await step(
        fake,
        lambda: resident.press("wishnew:kind:repair"),
        lambda: "wishnew:post" in resident.buttons(),
        "the summary",
    )
    await step(
        fake,
        lambda: resident.press("wishnew:post"),
        lambda: any(d.startswith("wish:ok:") for d in worker.buttons()),
        "the review",
    )
    await step(fake, lambda: worker.press("wish:ok:"), offered, "the offers")


async def step(
    fake: FakeBotApi, action: Callable[[], object], until: Callable[[], bool], what: str = ""
) -> None:
    """Does ACTION, then waits (bounded) until UNTIL holds."""
    action()
    await fake.wait_for(until, timeout=60, what=what)
