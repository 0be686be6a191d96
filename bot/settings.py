"""Configuration: pydantic models loaded from a TOML file, with environment overrides."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

STAFF_ROLES = ("grid_worker", "grid_head", "community", "street", "district", "partner", "admin")


class ConfigError(Exception):
    """A configuration problem, phrased as one line naming the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(_Strict):
    token: str = ""
    api_url: str | None = None  # e.g. http://127.0.0.1:8081/bot for a self-hosted Bot API server
    file_url: str | None = None
    proxy: str | None = (
        None  # http://, https:// or socks5:// — Telegram is blocked on mainland networks
    )
    admin_chat_id: int | None = None  # errors and parked updates are reported here
    poll_timeout: int = Field(default=30, ge=0, le=50)


class StorageSettings(_Strict):
    path: str = "griddesk.sqlite3"


class ReportSettings(_Strict):
    max_photos: int = Field(default=5, ge=1, le=10)
    max_description: int = Field(default=1000, ge=50, le=3500)
    min_description: int = Field(default=4, ge=1)


class UnitConfig(_Strict):
    code: str
    name: str
    level: str
    parent: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class StaffConfig(_Strict):
    telegram_id: int
    name: str
    role: Literal["grid_worker", "grid_head", "community", "street", "district", "partner", "admin"]
    unit: str
    categories: list[str] = []


class CategoryConfig(_Strict):
    code: str
    zh: str
    en: str
    # Routing hint: the level at which this category is handled (e.g. "community" for disputes).
    route_level: str | None = None
    urgent: bool = False

    @field_validator("code")
    @classmethod
    def _code_is_short(cls, value: str) -> str:
        if not value or len(value.encode()) > 24 or ":" in value:
            raise ValueError("category code must be 1-24 bytes without ':'")
        return value


class Settings(_Strict):
    timezone: str = "Asia/Shanghai"
    sweep_interval: int = Field(default=30, ge=1, le=600)  # seconds between deadline sweeps
    default_language: Literal["zh", "en"] = "zh"
    telegram: TelegramSettings = TelegramSettings()
    storage: StorageSettings = StorageSettings()
    reports: ReportSettings = ReportSettings()
    units: list[UnitConfig] = []
    staff: list[StaffConfig] = []
    categories: list[CategoryConfig] = []

    source: str = Field(default="", exclude=True)

    def database_path(self) -> Path:
        """Returns the database path, relative paths taken from the config file's folder."""
        path = Path(self.storage.path)
        if not path.is_absolute() and self.source:
            path = Path(self.source).resolve().parent / path
        return path


def load(path: str | Path) -> Settings:
    """Reads and validates FILE; raises ConfigError with one line naming the file and key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    _apply_env(raw)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {key}: {first['msg']}") from None
    settings.source = str(path)
    from bot.domain.units import UnitError, UnitTree

    try:
        UnitTree.from_configs(settings.units)
    except UnitError as exc:
        raise ConfigError(f"{path}: units: {exc}") from None
    _check_references(path, settings)
    return settings


def require_token(settings: Settings) -> str:
    """Returns the bot token or raises ConfigError naming where it should be."""
    if not settings.telegram.token:
        raise ConfigError(
            f"{settings.source}: telegram.token is empty (set it there or in GRIDDESK_TOKEN)"
        )
    return settings.telegram.token


def _apply_env(raw: dict) -> None:
    telegram = raw.setdefault("telegram", {})
    if token := os.environ.get("GRIDDESK_TOKEN"):
        telegram["token"] = token
    if proxy := os.environ.get("GRIDDESK_PROXY"):
        telegram["proxy"] = proxy
    if db := os.environ.get("GRIDDESK_DB"):
        raw.setdefault("storage", {})["path"] = db


def _check_references(path: Path, settings: Settings) -> None:
    codes = {unit.code for unit in settings.units}
    categories = {category.code for category in settings.categories}
    seen_categories: set[str] = set()
    for i, category in enumerate(settings.categories):
        if category.code in seen_categories:
            raise ConfigError(f"{path}: categories.{i}.code: duplicate code {category.code!r}")
        seen_categories.add(category.code)
    seen_ids: set[int] = set()
    for i, staff in enumerate(settings.staff):
        if staff.unit not in codes:
            raise ConfigError(f"{path}: staff.{i}.unit: unknown unit {staff.unit!r}")
        if staff.telegram_id in seen_ids:
            raise ConfigError(f"{path}: staff.{i}.telegram_id: {staff.telegram_id} listed twice")
        seen_ids.add(staff.telegram_id)
        for code in staff.categories:
            if code not in categories:
                raise ConfigError(f"{path}: staff.{i}.categories: unknown category {code!r}")
