"""Everything a handler or a job needs, opened once in post_init and closed in post_shutdown."""

from __future__ import annotations

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


@dataclass
class Services:
    settings: Settings
    db: Database
    texts: Texts
    clock: Clock
    tz: ZoneInfo
    reports: Reports = field(init=False)
    people: People = field(init=False)
    units: Units = field(init=False)
    drafts: Drafts = field(init=False)
    outbox: Outbox = field(init=False)
    inbox: Inbox = field(init=False)
    privacy: Privacy = field(init=False)

    def __post_init__(self) -> None:
        self.reports = Reports(self.db)
        self.people = People(self.db)
        self.units = Units(self.db)
        self.drafts = Drafts(self.db)
        self.outbox = Outbox(self.db)
        self.inbox = Inbox(self.db)
        self.privacy = Privacy(self.db)
