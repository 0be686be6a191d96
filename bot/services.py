"""Everything a handler or a job needs, opened once in post_init and closed in post_shutdown.

`store` (storage/uow.py) holds every repository and opens units of work; the repository fields
below are the same objects as store's, kept so existing code reads `services.reports`. The
database itself is the store's own: nothing outside storage/ reaches a connection through it."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.metrics import Metrics
from bot.settings import Settings
from bot.texts import Texts
from storage.drafts import Drafts
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.people import People
from storage.privacy import Privacy
from storage.reports import Reports
from storage.units import Units
from storage.uow import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    texts: Texts
    clock: Clock
    tz: ZoneInfo
    # counters for /metrics; a no-op unless the web app is on (bot/runner.py sets it)
    metrics: Metrics = field(default_factory=Metrics)
    reports: Reports = field(init=False)
    people: People = field(init=False)
    units: Units = field(init=False)
    drafts: Drafts = field(init=False)
    outbox: Outbox = field(init=False)
    inbox: Inbox = field(init=False)
    privacy: Privacy = field(init=False)

    def __post_init__(self) -> None:
        self.reports = self.store.reports
        self.people = self.store.people
        self.units = self.store.units
        self.drafts = self.store.drafts
        self.outbox = self.store.outbox
        self.inbox = self.store.inbox
        self.privacy = self.store.privacy
