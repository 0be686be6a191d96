"""Typed CallbackContext: handlers reach services as ctx.reports, ctx.texts, ctx.now() …"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.services import Services
from bot.texts import Texts
from storage.drafts import Drafts
from storage.outbox import Outbox
from storage.people import People
from storage.reports import Reports
from storage.units import Units
from storage.uow import Store


class GridContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data["services"]
        return services

    @property
    def store(self) -> Store:
        """Every repository, and transaction() for a unit of work (storage/uow.py)."""
        return self.services.store

    @property
    def reports(self) -> Reports:
        return self.services.reports

    @property
    def people(self) -> People:
        return self.services.people

    @property
    def units(self) -> Units:
        return self.services.units

    @property
    def drafts(self) -> Drafts:
        return self.services.drafts

    @property
    def outbox(self) -> Outbox:
        return self.services.outbox

    @property
    def texts(self) -> Texts:
        return self.services.texts

    def now(self) -> datetime:
        return self.services.clock()
