"""Leadership by role (storage/leader.py): one holder per role across processes on PostgreSQL,
taken over when the holder's lock connection goes; always the leader on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from storage.leader import KEYS, ROLES, Leadership


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return str(tmp_path / "leader.sqlite3")


@contextlib.asynccontextmanager
async def running(leadership: Leadership) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(leadership.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await leadership.close()


async def test_the_first_process_leads_every_role_and_a_second_leads_none(location, backend):
    first, second = Leadership(location, retry=0.05), Leadership(location, retry=0.05)
    async with running(first):
        for role in ROLES:
            await asyncio.wait_for(first.acquire(role), timeout=10)
        if backend == "sqlite":  # one process per file: nothing to contend for
            return
        async with running(second):
            await asyncio.sleep(0.5)  # ten rounds of trying
            assert not any(second.leads(role) for role in ROLES)
            assert all(first.leads(role) for role in ROLES)


async def test_a_leader_whose_connection_is_cut_steps_down_and_another_takes_over(pg_url):
    first, second = Leadership(pg_url, retry=0.05), Leadership(pg_url, retry=0.05)
    async with running(first):
        await asyncio.wait_for(first.acquire("sender"), timeout=10)
        async with running(second):
            await asyncio.sleep(0.2)
            assert not second.leads("sender")
            # The server ends the leader's session, as when its process dies. Only this test's
            # database: the run's other tests hold the same advisory keys in theirs.
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'griddesk leader' AND datname = current_database()"
                    " AND pid IN (SELECT pid FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objid = %s AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database()))",
                    (KEYS["sender"] & 0xFFFFFFFF,),
                )
            await asyncio.wait_for(first.lost("sender"), timeout=10)
            assert not first.leads("sender")
            await asyncio.wait_for(second.acquire("sender"), timeout=10)
            await asyncio.sleep(0.3)  # the first tries again, and must not get it back
            assert second.leads("sender") and not first.leads("sender")


async def test_closing_gives_the_roles_up_at_once(pg_url):
    first, second = Leadership(pg_url, retry=0.05), Leadership(pg_url, retry=0.05)
    async with running(first):
        await asyncio.wait_for(first.acquire("poller"), timeout=10)
    assert not first.leads("poller")
    async with running(second):
        await asyncio.wait_for(second.acquire("poller"), timeout=10)


async def test_an_unreachable_server_is_retried_without_raising(tmp_path):
    url = f"postgresql://nobody@/postgres?host={tmp_path}&port=1"
    leadership = Leadership(url, retry=0.05)
    async with running(leadership) as task:
        await asyncio.sleep(0.3)
        assert not task.done()
        assert not leadership.leads("sender")
