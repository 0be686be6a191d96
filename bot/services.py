"""Everything a handler or a job needs, opened once in post_init and closed in post_shutdown.

`store` (storage/uow.py) holds every repository and opens units of work; the repository fields
below are the same objects as store's, kept so existing code reads `services.reports`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.settings import Settings
from bot.texts import Texts
from storage.db import Database
from storage.drafts import Drafts
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.people import People
from storage.privacy import Privacy
from storage.reports import Reports
from storage.units import Units
from storage.uow import ChatMoved, Store


@dataclass
class Services:
    settings: Settings
    db: Database
    texts: Texts
    clock: Clock
    tz: ZoneInfo
    chat_moved: Sequence[ChatMoved] = ()
    store: Store = field(init=False)
    reports: Reports = field(init=False)
    people: People = field(init=False)
    units: Units = field(init=False)
    drafts: Drafts = field(init=False)
    outbox: Outbox = field(init=False)
    inbox: Inbox = field(init=False)
    privacy: Privacy = field(init=False)

    def __post_init__(self) -> None:
        self.store = Store(self.db, chat_moved=self.chat_moved)
        self.reports = self.store.reports
        self.people = self.store.people
        self.units = self.store.units
        self.drafts = self.store.drafts
        self.outbox = self.store.outbox
        self.inbox = self.store.inbox
        self.privacy = self.store.privacy
