"""Shared fixtures: a real SQLite file, the real Application, a recording Bot API, a fake clock."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot import settings as settings_module
from bot.app import build_application, initialize, open_services, shutdown
from bot.sender import Sender
from bot.services import Services
from bot.settings import Settings
from storage.db import Database, current_update
from storage.uow import Store
from tests import pgserver
from tests.fakes import FakeClock, RecordingRequest

DATA = Path(__file__).parent / "data"
E2E = Path(__file__).parent / "e2e"
BROWSER = Path(__file__).parent / "browser"  # real process + chromium: slow like e2e


# Workers for a whole-suite run (`pytest`, `pytest -m "not e2e"`: no paths given, so testpaths).
# The e2e tests mostly wait on the bot process, so two workers per core keep the cores busy.
WORKERS_PER_CPU = 2


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Runs the whole suite on pytest-xdist workers unless told otherwise.

    Only when no test paths are given: `pytest tests/x.py::test_y` stays one process, so it
    starts at once and `--pdb` works. `-n N` (`-n 0`: one process) or `-p no:xdist` decide
    explicitly; a worker never starts workers itself.
    """
    if not config.pluginmanager.has_plugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.option.numprocesses is not None or config.getoption("usepdb", False):
        return
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return
    config.option.numprocesses = WORKERS_PER_CPU * (os.cpu_count() or 1)
    if config.option.maxschedchunk is None:
        # One test at a time to whichever worker is free (each keeps one queued): the slow e2e
        # tests, collected first under xdist, spread over the workers from the start.
        config.option.maxschedchunk = 1


def pytest_configure(config: pytest.Config) -> None:
    """Names the folder of the run's PostgreSQL cluster (tests/pgserver.py), made by the first
    test that needs one; workers inherit the name from the environment."""
    if "GRIDDESK_TEST_PG_DIR" not in os.environ:
        os.environ["GRIDDESK_TEST_PG_DIR"] = tempfile.mkdtemp(prefix="griddesk-pg-")
        config.stash[_OWNS_PG] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_OWNS_PG, False):
        pgserver.stop(Path(os.environ.pop("GRIDDESK_TEST_PG_DIR")))


_OWNS_PG = pytest.StashKey[bool]()


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Names a set parameter by its sorted members: str() of a set of strings changes with the
    hash seed, and pytest-xdist refuses workers that collected different test names."""
    if isinstance(val, set | frozenset):
        return repr(sorted(val, key=repr))
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks every test under tests/e2e/ `e2e` (the real process: slow), in this one place.

    On pytest-xdist workers the tests of a real process come first (marked e2e, or under
    tests/browser; every worker sorts the same way), so the longest tests start at once and the
    quick ones fill the gaps at the end.
    """
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)
    if os.environ.get("GRIDDESK_TEST_BACKEND") == "postgresql":
        # A test about SQLite's file or plans has nothing to say on PostgreSQL.
        dropped = [item for item in items if item.get_closest_marker("sqlite_only")]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if not item.get_closest_marker("sqlite_only")]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(
            key=lambda item: (
                not (item.get_closest_marker("e2e") is not None or BROWSER in item.path.parents)
            )
        )


# Staff in tests/data/config.toml
WORKER_G1 = 101
WORKER_G2 = 102
HEAD_G1 = 103
COMMUNITY = 201
STREET = 301
PROPERTY = 401
ADMIN = 901
RESIDENT = 5001
RESIDENT_2 = 5002


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """The URL of the run's PostgreSQL server (its `postgres` database), started once."""
    return pgserver.ensure(Path(os.environ["GRIDDESK_TEST_PG_DIR"]))


@pytest.fixture(scope="session")
def pg_template(pg_admin: str) -> Iterator[str]:
    """A PostgreSQL database migrated once per worker; each test gets a copy (`pg_url`)."""
    url = pgserver.create_database(pg_admin)

    async def migrate() -> None:
        await (await Database(url).open()).close()

    import asyncio

    asyncio.run(migrate())
    name = url.partition("?")[0].rsplit("/", 1)[1]
    yield name
    pgserver.drop_database(pg_admin, url)


@pytest.fixture
def pg_url(pg_admin: str, pg_template: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own, dropped after it."""
    url = pgserver.create_database(pg_admin, template=pg_template)
    yield url
    pgserver.drop_database(pg_admin, url)


@pytest.fixture
def backend() -> str:
    """Which database the `db`, `settings` and `services` fixtures use: "sqlite" (a file in
    tmp_path) unless GRIDDESK_TEST_BACKEND says "postgresql"; tests/storage runs on both."""
    return os.environ.get("GRIDDESK_TEST_BACKEND", "sqlite")


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """A fresh PostgreSQL database's URL when the backend is PostgreSQL, else ""."""
    if backend != "postgresql":
        return ""
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    return path


@pytest.fixture
def settings(config_path: Path, database_url: str) -> Settings:
    loaded = settings_module.load(config_path)
    if database_url:
        loaded.storage.url = database_url
    return loaded


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where a database migrated once per session (per xdist worker) is kept; see `seeded`."""
    return tmp_path_factory.mktemp("template") / "migrated.sqlite3"


async def seeded(template: Path, path: Path) -> Path:
    """Copies the migrated TEMPLATE to PATH (unless PATH exists) and returns PATH.

    Migrating costs ~20 ms of CPU and a commit per migration; a copy of a file migrated once by
    the real code (Database.open) is the same database, so Database.open at PATH finds nothing to
    migrate. A PATH whose folder is missing is left alone: the code under test says why.
    """
    if not template.exists():
        database = await Database(template).open()
        await database.close()
    if not path.exists() and path.parent.is_dir():
        shutil.copyfile(template, path)
    return path


@pytest.fixture
async def db(tmp_path: Path, migrated_template: Path, database_url: str) -> AsyncIterator[Database]:
    location = database_url or await seeded(migrated_template, tmp_path / "test.sqlite3")
    database = await Database(location).open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(
    settings: Settings, clock: FakeClock, migrated_template: Path
) -> AsyncIterator[Services]:
    """The services on a migrated SQLite file in tmp_path, with tests/data/config.toml's units,
    categories and staff loaded, and no Application: for use cases (tests/usecases/)."""
    await seeded(migrated_template, settings.database_path())
    opened = await open_services(settings, clock)
    try:
        yield opened
    finally:
        await opened.store.close()


@pytest.fixture
def store(services: Services) -> Store:
    """The store (storage/uow.py) of the `services` fixture."""
    return services.store


class Harness:
    """Feeds updates through the real Application and delivers the outbox to the recorder."""

    def __init__(self, app: Application, request: RecordingRequest, clock: FakeClock):
        self.app = app
        self.request = request
        self.clock = clock
        self.services: Services = app.bot_data["services"]
        self.sender = Sender(app.bot, self.services)

    async def send(self, payload: dict[str, Any], *, deliver: bool = True) -> None:
        """Processes one update as the inbox processor does, then sends what it queued."""
        update_id = payload["update_id"]
        await self.services.inbox.store([payload], self.clock())
        token = current_update.set(update_id)
        try:
            await self.app.process_update(Update.de_json(payload, self.app.bot))
        finally:
            current_update.reset(token)
        failed = self.app.bot_data.get("failed_updates", set())
        assert update_id not in failed, self.app.bot_data.get("failed_errors", {}).get(update_id)
        await self.services.inbox.mark_done(update_id, self.clock())
        if deliver:
            await self.deliver()

    async def deliver(self) -> None:
        await self.sender.drain_all()

    def texts_to(self, chat_id: int) -> list[str]:
        return self.request.texts_to(chat_id)

    def last_text(self, chat_id: int) -> str:
        texts = self.texts_to(chat_id)
        assert texts, f"nothing was sent to {chat_id}"
        return texts[-1]

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """Returns (label, callback_data) of the last inline keyboard sent to CHAT_ID."""
        markup = self.request.last_markup(chat_id) or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, chat_id: int, prefix: str) -> str:
        """Returns the callback data of the last button to CHAT_ID whose data starts with PREFIX."""
        for _, data in self.buttons(chat_id):
            if data.startswith(prefix):
                return data
        raise AssertionError(f"no button {prefix!r} in {self.buttons(chat_id)}")


@pytest.fixture
async def harness(
    settings: Settings, clock: FakeClock, migrated_template: Path
) -> AsyncIterator[Harness]:
    await seeded(migrated_template, settings.database_path())
    request = RecordingRequest()
    app = build_application(settings, token=settings.telegram.token, request=request, clock=clock)
    await initialize(app)
    request.clear()  # setMyCommands at start-up
    try:
        yield Harness(app, request, clock)
        assert not request.unexpected, f"unexpected Bot API calls: {request.unexpected}"
    finally:
        await shutdown(app)
