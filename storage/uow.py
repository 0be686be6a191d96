"""The store: every repository on one database, and the unit of work that writes with them.

What bot/ sees of storage. Reads go through the repositories (each read is one snapshot);
writes go inside `async with store.transaction() as tx:` where every repository method joins
that one transaction (storage/db.py), so a use case's writes, its outbox rows and the draft it
clears commit together or not at all. A PostgreSQL backend would implement the same interface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from storage import outbox_files
from storage.activities import Activities
from storage.appraisal import Appraisals
from storage.bookings import Bookings
from storage.broadcasts import Broadcasts
from storage.cadres import Cadres
from storage.callins import CallIns
from storage.care import Households
from storage.contacts import Contacts
from storage.dashboard import Dashboard
from storage.db import Batch, Database
from storage.deadlines import Deadlines
from storage.drafts import Drafts
from storage.dualreport import DualReports
from storage.echo import Echo
from storage.followers import Followers
from storage.groups import Groups
from storage.inbox import Inbox
from storage.ledger import Ledgers
from storage.merchants import Merchants
from storage.monthly import ReportFigures
from storage.outbox import ChatMoved, Outbox
from storage.overview import Overview
from storage.patrols import Patrols
from storage.people import People
from storage.points import Points
from storage.polls import Polls
from storage.privacy import Privacy
from storage.refusals import Refusals
from storage.reports import Reports
from storage.revisit import Revisits
from storage.summaries import Summaries
from storage.teams import Teams
from storage.units import Units
from storage.volunteers import Volunteers
from storage.web import WebState
from storage.weblogin import WebLogins
from storage.wishes import Wishes

__all__ = ["ChatMoved", "Store", "UnitOfWork", "open_store"]


class UnitOfWork:
    """One write transaction; every repository on it writes and reads inside that transaction."""

    reports: Reports
    people: People
    units: Units
    drafts: Drafts
    outbox: Outbox
    inbox: Inbox
    privacy: Privacy
    households: Households
    patrols: Patrols
    volunteers: Volunteers
    wishes: Wishes
    activities: Activities
    points: Points
    groups: Groups
    summaries: Summaries
    figures: ReportFigures
    refusals: Refusals
    deadlines: Deadlines
    appraisals: Appraisals
    ledgers: Ledgers
    callins: CallIns
    broadcasts: Broadcasts
    polls: Polls
    echo: Echo
    contacts: Contacts
    followers: Followers
    web: WebState
    weblogin: WebLogins
    overview: Overview
    dashboard: Dashboard
    cadres: Cadres

    teams: Teams

    merchants: Merchants

    revisits: Revisits

    bookings: Bookings

    dualreports: DualReports


class Store(UnitOfWork):
    """Repositories for reads (each one snapshot) and transaction() for writes."""

    def __init__(self, db: Database, *, chat_moved: Sequence[ChatMoved] = ()) -> None:
        self.db = db
        self.reports = Reports(db)
        self.people = People(db)
        self.units = Units(db)
        self.drafts = Drafts(db)
        self.outbox = Outbox(db, chat_moved=chat_moved)
        self.inbox = Inbox(db)
        self.privacy = Privacy(db)
        self.households = Households(db)
        self.patrols = Patrols(db)
        self.volunteers = Volunteers(db)
        self.wishes = Wishes(db)
        self.activities = Activities(db)
        self.points = Points(db)
        self.groups = Groups(db)
        self.summaries = Summaries(db)
        self.figures = ReportFigures(db)
        self.refusals = Refusals(db)
        self.deadlines = Deadlines(db)
        self.appraisals = Appraisals(db)
        self.ledgers = Ledgers(db)
        self.callins = CallIns(db)
        self.broadcasts = Broadcasts(db)
        self.polls = Polls(db)
        self.echo = Echo(db)
        self.contacts = Contacts(db)
        self.followers = Followers(db)
        self.web = WebState(db)
        self.weblogin = WebLogins(db)
        self.overview = Overview(db)
        self.dashboard = Dashboard(db, self.reports)
        self.cadres = Cadres(db)

        self.teams = Teams(db)

        self.merchants = Merchants(db)

        self.revisits = Revisits(db)

        self.bookings = Bookings(db)

        self.dualreports = DualReports(db)

    @asynccontextmanager
    async def transaction(self, *, completes_update: bool = True) -> AsyncIterator[UnitOfWork]:
        """Yields the unit of work: commits when the block ends, rolls everything back if it
        raises. Never await the network inside. COMPLETES_UPDATE: see Database.transaction."""
        async with self.db.transaction(completes_update=completes_update):
            yield self  # the same repositories: their writes join this transaction

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """Group commit (the poller): several updates in one write transaction, each in a
        savepoint of its own; see Database.batch."""
        async with self.db.batch() as batch:
            yield batch

    @property
    def on_commit(self) -> list[Callable[[], None]]:
        """Callables told after each commit (the sender's wake-up, the fault watch)."""
        callbacks: list[Callable[[], None]] = self.db.on_commit
        return callbacks

    async def load_file(self, ref: int) -> tuple[str, bytes]:
        """Returns (filename, bytes) of an outbox file; raises outbox_files.MissingFile."""
        return await outbox_files.load_file(self.db, ref)

    async def forget_old_files(self, now: datetime, keep: timedelta) -> int:
        """Deletes outbox files older than KEEP whose chat has nothing left to send."""
        return await outbox_files.forget_old_files(self.db, now, keep)

    async def close(self) -> None:
        await self.db.close()


async def open_store(location: str | Path, *, chat_moved: Sequence[ChatMoved] = ()) -> Store:
    """Opens (and migrates) the database at LOCATION: an SQLite file's path or a PostgreSQL URL."""
    return Store(await Database(location).open(), chat_moved=chat_moved)
