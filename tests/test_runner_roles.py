"""bot/runner.py's Role: work runs only while this process leads its role (storage/leader.py),
stops at once when the lock connection is lost, and starts again when the role comes back."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest

from bot.runner import Role
from storage.leader import Leadership


class Work:
    """A term of work that records when it runs and when it is stopped."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.starts = 0
        self.stops = 0
        self.running = asyncio.Event()

    def start(self) -> asyncio.Task[None]:
        self.starts += 1
        return asyncio.create_task(self._run())

    async def _run(self) -> None:
        self.running.set()
        if self.fail:
            raise RuntimeError("a bug in the work")
        await asyncio.Event().wait()

    async def stop(self, task: asyncio.Task[None]) -> None:
        self.stops += 1
        self.running.clear()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def cut_leader_connections(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'griddesk leader' AND datname = current_database()"
        )


async def test_work_stops_when_the_lock_connection_is_lost_and_resumes_with_the_role(pg_url):
    leadership = Leadership(pg_url, retry=0.05)
    work = Work()
    role = Role("send", "sender", leadership, work.start, work.stop)
    leading = asyncio.create_task(leadership.run())
    running = asyncio.create_task(role.run())
    try:
        await asyncio.wait_for(work.running.wait(), timeout=10)
        assert work.starts == 1
        cut_leader_connections(pg_url)
        await asyncio.wait_for(leadership.lost("sender"), timeout=10)
        # Nobody else holds it: this process takes the role again and the work starts afresh.
        await asyncio.wait_for(leadership.acquire("sender"), timeout=10)
        for _ in range(200):
            if work.starts == 2 and work.running.is_set():
                break
            await asyncio.sleep(0.05)
        assert (work.starts, work.stops) == (2, 1)
        await role.end()
        await asyncio.wait_for(running, timeout=10)  # ended gracefully: run() returns
        assert work.stops == 2
    finally:
        for task in (running, leading):
            task.cancel()
        await asyncio.gather(running, leading, return_exceptions=True)
        await leadership.close()


async def test_work_does_not_start_while_another_process_leads(pg_url):
    holder = Leadership(pg_url, retry=0.05)
    holding = asyncio.create_task(holder.run())
    await asyncio.wait_for(holder.acquire("sweeps"), timeout=10)
    leadership = Leadership(pg_url, retry=0.05)
    work = Work()
    role = Role("sweeps", "sweeps", leadership, work.start, work.stop)
    tasks = [asyncio.create_task(leadership.run()), asyncio.create_task(role.run())]
    try:
        await asyncio.sleep(0.5)
        assert work.starts == 0
        holding.cancel()  # the holder stops: its session, and lock, end
        await asyncio.gather(holding, return_exceptions=True)
        await asyncio.wait_for(work.running.wait(), timeout=10)
        assert work.starts == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await leadership.close()
        await holder.close()


async def test_a_term_that_raises_ends_the_role_with_its_error(tmp_path):
    leadership = Leadership(tmp_path / "one.sqlite3")  # SQLite: always the leader
    work = Work(fail=True)
    role = Role("fetch", "poller", leadership, work.start, work.stop)
    with pytest.raises(RuntimeError, match="a bug in the work"):
        await asyncio.wait_for(role.run(), timeout=10)
