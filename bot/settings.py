"""Configuration: pydantic models loaded from a TOML file, with environment overrides."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import UTC, date, time
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)

STAFF_ROLES = (
    "grid_worker",
    "grid_head",
    "community",
    "street",
    "district",
    "partner",
    "admin",
    "part_time_worker",
    "building_head",
    "entrance_head",
)


class ConfigError(Exception):
    """A configuration problem, phrased as one line naming the file and the key."""


def button_code(value: str, what: str = "unit", *, limit: int = 24) -> str:
    """Returns VALUE if it can be WHAT's code, which travels in callback data: 1–LIMIT bytes,
    no ':' and no spaces; else raises ValueError naming WHAT."""
    if not value or len(value.encode()) > limit or ":" in value or any(c.isspace() for c in value):
        raise ValueError(f"{what} code must be 1-{limit} bytes without ':' or spaces")
    return value


def check_unit_code(value: str) -> str:
    """Returns VALUE if it can be a unit code (it travels in callback data), else raises."""
    return button_code(value)


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
    # The bot's @username for invite links (`griddesk invite`); if unset, asked from getMe.
    bot_username: str | None = None
    poll_timeout: int = Field(default=30, ge=0, le=50)

    @field_validator("bot_username")
    @classmethod
    def _username_is_telegrams(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.removeprefix("@")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", value) or not value.lower().endswith(
            "bot"
        ):
            raise ValueError("a bot username is 5-32 letters, digits or _ and ends in 'bot'")
        return value


class StorageSettings(_Strict):
    path: str = "griddesk.sqlite3"
    # A PostgreSQL server instead of the SQLite file (storage/pg.py), e.g.
    # "postgresql://griddesk@db.example/griddesk"; empty: the file at `path`.
    url: str = ""

    @field_validator("url")
    @classmethod
    def _postgresql_url(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (or be empty for the SQLite file)")
        return value


class ReportSettings(_Strict):
    max_photos: int = Field(default=5, ge=1, le=10)
    max_description: int = Field(default=1000, ge=50, le=3500)
    min_description: int = Field(default=4, ge=1)


class UnitConfig(_Strict):
    code: str
    name: str = Field(min_length=1, max_length=64)
    level: str = Field(min_length=1, max_length=32)
    parent: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("code")
    @classmethod
    def _code_fits_buttons(cls, value: str) -> str:
        return check_unit_code(value)

    @field_validator("parent")
    @classmethod
    def _empty_parent_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _lat_and_lon_together(self) -> UnitConfig:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


# A phone the office publishes (a desk line or a duty mobile): digits, spaces, dashes, brackets.
PUBLIC_PHONE = r"^\+?[0-9][0-9 ()\-]{4,22}[0-9]$"


class StaffConfig(_Strict):
    telegram_id: int
    name: str
    role: Literal[
        "grid_worker",
        "grid_head",
        "community",
        "street",
        "district",
        "partner",
        "admin",
        "part_time_worker",  # 兼职网格员
        "building_head",  # 楼栋长: on a unit of level "building"
        "entrance_head",  # 单元长: on a unit of level "entrance"
    ]
    unit: str
    categories: list[str] = []
    # 公示 (/grid): shown to the residents of the grids this person serves only when public.
    public: bool = False
    public_name: str | None = Field(default=None, min_length=1, max_length=32)
    title: str | None = Field(default=None, min_length=1, max_length=40)
    office_hours: str | None = Field(default=None, min_length=1, max_length=80)
    public_phone: str | None = Field(default=None, pattern=PUBLIC_PHONE)


class CategoryConfig(_Strict):
    code: str
    zh: str
    en: str
    # Routing hint: the level at which this category is handled (e.g. "community" for disputes).
    route_level: str | None = None
    urgent: bool = False
    # 并单: open reports of this category this close (metres), or in the same building, are
    # offered to a resident before they submit ("me too"); 0 turns the offer off.
    merge_radius_m: int = Field(default=100, ge=0, le=5000)
    # 退单 of this category needs the approval of the tier above the holder.
    reject_needs_approval: bool = False
    # A resident may report it anonymously (the handler sees "anonymous resident"; the bot
    # relays their questions and answers); false where the handler must know who reported.
    anonymous: bool = True
    # 核实: a new report waits for the grid worker of its place to confirm it on site.
    verify: bool = False
    # 复查: a resolved report waits for someone other than the resolver to check it on site.
    review: bool = False

    # 回访: a closed case of this category gets a follow-up call by community staff ([revisit]).
    revisit: bool = False

    @field_validator("code")
    @classmethod
    def _code_is_short(cls, value: str) -> str:
        if not value or len(value.encode()) > 24 or ":" in value:
            raise ValueError("category code must be 1-24 bytes without ':'")
        return value


class CareKindConfig(_Strict):
    """[[care.kinds]]: a kind of household visited on a cadence (五必访, 四进四访 …)."""

    code: str  # stored with each household; never change it once households use it
    zh: str = Field(min_length=1, max_length=24)
    en: str = Field(min_length=1, max_length=48)
    cadence: Literal["weekly", "fortnightly", "monthly", "quarterly"] = "monthly"  # proposed
    group: str = Field(default="", max_length=24)  # e.g. 五必访 / 四进四访 (shown with the kinds)

    @field_validator("code")
    @classmethod
    def _code_fits_callback(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]{1,24}", value):
            raise ValueError("kind code must be 1-24 of a-z, 0-9 and _")
        return value


def _kinds(*items: tuple[str, str, str, str, str]) -> list[CareKindConfig]:
    return [
        CareKindConfig(code=c, zh=zh, en=en, cadence=cad, group=g)  # type: ignore[arg-type]
        for c, zh, en, cad, g in items
    ]


def default_care_kinds() -> list[CareKindConfig]:
    """Returns the shipped kinds: 五必访 (today's five codes) and 四进四访."""
    return _kinds(
        ("illness", "重病", "Serious illness", "weekly", "五必访"),
        ("disability", "残疾", "Disability", "fortnightly", "五必访"),
        ("empty_nest", "空巢", "Empty nest", "weekly", "五必访"),
        ("hardship", "困难", "Hardship", "monthly", "五必访"),
        ("bereaved", "失独", "Lost only child", "fortnightly", "五必访"),
        ("poor_family", "困难家庭", "Family in hardship", "monthly", "四进四访"),
        ("retiree", "离退休人员", "Retiree", "quarterly", "四进四访"),
        ("lone_elder", "孤寡老人", "Elder living alone", "weekly", "四进四访"),
        ("petitioner", "信访人员", "Petitioner", "monthly", "四进四访"),
    )


class CareSettings(_Strict):
    """五必访 visit timings: reminders ahead of the due date, grace, nags and escalation."""

    reminder_lead_days: int = Field(default=1, ge=0, le=14)  # 0: remind only on the due date
    notify_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # local time
    grace_days: int = Field(default=2, ge=0, le=30)  # after the due date a visit counts as missed
    nag_every_days: int = Field(default=1, ge=1, le=14)  # the visitor is nagged again
    escalate_after_days: int = Field(default=2, ge=0, le=30)  # missed this long: tell community
    not_home_retry_days: int = Field(default=3, ge=1, le=30)  # nobody home: try again sooner
    # Quiet hours are the office's one setting, [deadlines] quiet_hours.
    # The kinds /household offers, in order; a kind removed here keeps its households.
    kinds: list[CareKindConfig] = Field(default_factory=default_care_kinds, min_length=1)

    @field_validator("kinds")
    @classmethod
    def _unique_kinds(cls, value: list[CareKindConfig]) -> list[CareKindConfig]:
        codes = [kind.code for kind in value]
        if len(codes) != len(set(codes)):
            raise ValueError("kind codes must be unique")
        return value


class VolunteerOption(_Strict):
    """A configurable choice (a skill or a team) with its names in both languages."""

    code: str
    zh: str
    en: str

    @field_validator("code")
    @classmethod
    def _code_fits_callback(cls, value: str) -> str:
        if not value or len(value.encode()) > 16 or ":" in value:
            raise ValueError("code must be 1-16 bytes without ':'")
        return value


def _options(*items: tuple[str, str, str]) -> list[VolunteerOption]:
    return [VolunteerOption(code=c, zh=zh, en=en) for c, zh, en in items]


class PointValues(_Strict):
    wish: int = Field(default=10, ge=0)  # a 微心愿 confirmed by the resident
    checkin: int = Field(default=5, ge=0)  # checked in at an activity by its organiser
    visit: int = Field(default=5, ge=0)  # a confirmed 五必访 visit
    report: int = Field(default=3, ge=0)  # a 流动网格员's report that staff resolved


class VolunteerSettings(_Strict):
    skills: list[VolunteerOption] = Field(
        default_factory=lambda: _options(
            ("repair", "家电维修", "Repairs"),
            ("cleaning", "清洁保洁", "Cleaning"),
            ("medical", "医疗护理", "Health care"),
            ("companion", "陪伴聊天", "Companionship"),
            ("tutoring", "学习辅导", "Tutoring"),
            ("errands", "跑腿代办", "Errands"),
            ("legal", "法律咨询", "Legal advice"),
            ("digital", "手机电脑", "Phones and computers"),
        )
    )
    teams: list[VolunteerOption] = Field(
        default_factory=lambda: _options(
            ("red", "红色先锋", "Red Vanguard"),
            ("blue", "蓝色网格", "Blue Grid"),
            ("green", "绿色老兵", "Green Veterans"),
            ("orange", "橙色老年", "Orange Seniors"),
            ("white", "白色医疗", "White Medics"),
        )
    )
    # Report category → skills a worker's "find volunteers" looks for (unlisted: any skill).
    report_skills: dict[str, list[str]] = {}
    points: PointValues = PointValues()
    match_limit: int = Field(default=20, ge=1, le=200)  # volunteers told privately, nearest first
    match_levels_up: int = Field(default=3, ge=0, le=10)  # how far up the tree "near" reaches
    wish_unclaimed_hours: float = Field(default=48, gt=0)  # staff are nagged after this
    wish_stalled_days: float = Field(default=5, gt=0)  # claimed but not done
    wish_max_nags: int = Field(default=3, ge=1, le=20)
    leaderboard_day: int = Field(default=1, ge=1, le=28)  # of the month, for the month before
    leaderboard_hour: int = Field(default=9, ge=0, le=23)
    leaderboard_size: int = Field(default=10, ge=1, le=50)
    # 流动网格员 (delivery riders, couriers …): the team whose approved members are mobile grid
    # members: a report of theirs that staff resolve earns `points.report`, and they have a
    # leaderboard of their own. Unset: nobody is.
    mobile_team: str | None = None

    @field_validator("skills", "teams")
    @classmethod
    def _unique_codes(cls, value: list[VolunteerOption]) -> list[VolunteerOption]:
        codes = [option.code for option in value]
        if len(codes) != len(set(codes)):
            raise ValueError("codes must be unique")
        return value

    @model_validator(mode="after")
    def _mobile_team_is_a_team(self) -> VolunteerSettings:
        if self.mobile_team is not None and self.mobile_team not in {t.code for t in self.teams}:
            raise ValueError(f"mobile_team {self.mobile_team!r} is not one of the teams")
        return self


def _check_span(value: str) -> str:
    from bot.domain.deadlines import Span

    Span.parse(value)
    return value


class TierWindowConfig(_Strict):
    """How long one tier has: '90m' or '2h' of working hours, '3d' working days."""

    accept: str
    resolve: str

    @field_validator("accept", "resolve")
    @classmethod
    def _is_span(cls, value: str) -> str:
        return _check_span(value)


TierName = Literal["grid", "community", "street", "district"]


class DeadlineSettings(_Strict):
    """[deadlines]: each tier's windows, the reminder, nags, escalation and verification.

    Windows count working time ([calendar]); categories marked urgent count wall-clock time.
    """

    grid: TierWindowConfig = TierWindowConfig(accept="2h", resolve="3d")
    community: TierWindowConfig = TierWindowConfig(accept="4h", resolve="5d")
    street: TierWindowConfig = TierWindowConfig(accept="1d", resolve="7d")
    district: TierWindowConfig = TierWindowConfig(accept="1d", resolve="10d")
    # Per category code, the tiers whose windows differ from the above.
    categories: dict[str, dict[TierName, TierWindowConfig]] = {}
    reminder_at: float = Field(default=0.75, gt=0, lt=1)  # fraction of the window
    escalate_after: float = Field(default=0.25, ge=0, le=10)  # fraction, past the deadline
    nag_every: str = "2h"
    daily_nags: int = Field(default=3, ge=0, le=48)  # reminders and nags per report per day
    quiet_hours: str = "22:00-07:30"  # no nags (urgent categories excepted)
    verify_hours: float = Field(default=72, gt=0, le=24 * 60)  # then closed as unverified
    # 核实 (categories marked verify): on site before dispatch, then dispatched unverified.
    check_within: str = "4h"
    # 复查 (categories marked review): on site after resolve, then to the reviewers above.
    review_within: str = "1d"

    @field_validator("nag_every", "check_within", "review_within")
    @classmethod
    def _nag_every_is_span(cls, value: str) -> str:
        return _check_span(value)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_are_two_times(cls, value: str) -> str:
        quiet_hours(value)
        return value


def quiet_hours(value: str) -> tuple[time, time]:
    """Returns (start, end) of 'HH:MM-HH:MM'; the end may be the next morning."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"{value!r} is not like '22:00-07:30'") from None
    if start == end:
        raise ValueError("quiet hours start and end at the same time")
    return start, end


class CalendarSettings(_Strict):
    """[calendar]: working hours, and the office's holidays and 调休 make-up workdays.

    The office's days override the libraries (bot/calendar_sources.py: chinese-calendar, then
    holidays); a year whose 调休 days neither knows is provisional (logged once, noted by
    check-config), so list next year's days once the State Council announces them.
    """

    working_hours: list[str] = ["08:30-12:00", "13:30-17:30"]
    holidays: list[date] = []
    workdays: list[date] = []

    @field_validator("working_hours")
    @classmethod
    def _periods_are_valid(cls, value: list[str]) -> list[str]:
        from bot.domain.calendar import Period, WorkCalendar

        WorkCalendar(UTC, [Period.parse(text) for text in value])  # raises on overlap or none
        return value

    @model_validator(mode="after")
    def _no_day_both_off_and_on(self) -> CalendarSettings:
        both = set(self.holidays) & set(self.workdays)
        if both:
            raise ValueError(f"{min(both)} is listed both as a holiday and as a workday")
        return self


class SummarySettings(_Strict):
    """[summaries]: weekly summaries to bound group chats."""

    enabled: bool = True
    # ISO weekday the summary of the week just ended goes out: 1 = Monday … 7 = Sunday.
    # (Not PTB's run_daily numbering, where 0 = Sunday.)
    weekday: int = Field(default=1, ge=1, le=7)
    time: str = "09:00"  # HH:MM in the configured timezone
    chart_weeks: int = Field(default=8, ge=2, le=26)
    top_categories: int = Field(default=3, ge=1, le=10)
    # A font file with Chinese glyphs for chart labels; by default one is looked for among the
    # installed fonts (fonts-wqy-microhei, fonts-noto-cjk …), else the chart is labelled in English.
    font: str | None = None

    @field_validator("time")
    @classmethod
    def _is_clock_time(cls, value: str) -> str:
        from datetime import time

        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError("time must be HH:MM, e.g. 09:00") from None
        return value


class BackupSettings(_Strict):
    """[backup]: a daily copy of the database (off unless `dir` is set)."""

    # Folder for the daily backups, relative to the config file; None: no daily backup.
    dir: str | None = None
    hour: int = Field(default=3, ge=0, le=23)  # local hour from which the day's backup is made
    keep: int = Field(default=7, ge=1, le=3650)  # daily backups kept; older ones are deleted


class LimitSettings(_Strict):
    """Flood limits for residents (staff are exempt); 0 is not allowed: every limit holds."""

    reports_per_hour: int = Field(default=10, ge=1, le=1000)
    reports_per_day: int = Field(default=30, ge=1, le=10000)
    messages_per_minute: int = Field(default=30, ge=1, le=1000)
    presses_per_second: int = Field(default=3, ge=1, le=100)


class PrivacySettings(_Strict):
    """[privacy]: how long raw and personal data is kept (the retention sweep prunes the rest)."""

    raw_days: int = Field(default=7, ge=1, le=365)  # processed inbox updates, sent outbox rows
    draft_days: int = Field(default=7, ge=1, le=365)  # abandoned conversations
    case_years: int = Field(default=3, ge=1, le=30)  # closed reports keep their reporter this long
    care_note_days: int = Field(default=730, ge=30, le=3650)  # 五必访 visit notes
    # refused presses (/audit): long enough to investigate abuse, then gone
    audit_days: int = Field(default=180, ge=7, le=3650)
    batch: int = Field(default=500, ge=10, le=10000)  # rows per kind per sweep pass


class AppraisalSettings(_Strict):
    """[appraisal]: 量化积分, 五星, 红黄榜 and the monthly 通报 (README "考核 (appraisal)")."""

    enabled: bool = True  # post last month's 通报 and 红黄榜 to bound summary groups and staff
    day: int = Field(
        default=1, ge=1, le=28
    )  # local day of the month they go out, for the month before
    hour: int = Field(default=9, ge=0, le=23)  # local hour they go out
    # Points each rate gives at 100 %; rates with no cases are left out and the rest scaled up.
    weights: dict[
        Literal["response", "resolution", "satisfaction", "on_time", "completion"], float
    ] = {
        "response": 20.0,
        "resolution": 20.0,
        "satisfaction": 20.0,
        "on_time": 20.0,
        "completion": 20.0,
    }
    overdue_penalty: float = Field(
        default=1.0, ge=0
    )  # points off per report that breached a deadline
    satisfied_bonus: float = Field(default=0.0, ge=0)  # points per report rated 4 or 5 stars
    stars: list[float] = [60.0, 70.0, 80.0, 90.0, 95.0]  # score for 1 … 5 stars, ascending
    league_size: int = Field(default=3, ge=1, le=10)  # units on each of 红榜 and 黄榜
    top_categories: int = Field(default=3, ge=1, le=10)
    hotspot_reports: int = Field(
        default=3, ge=2, le=100
    )  # 每月一题: reports of one category at one grid …
    hotspot_days: int = Field(default=2, ge=1, le=31)  # … on at least this many different days
    hotspots: int = Field(default=5, ge=1, le=20)  # hot spots listed

    @field_validator("stars")
    @classmethod
    def _five_ascending(cls, value: list[float]) -> list[float]:
        if len(value) != 5 or value != sorted(value):
            raise ValueError("stars must be five ascending scores, e.g. [60, 70, 80, 90, 95]")
        return value


class CallinSettings(_Strict):
    """[callins]: the clocks of a called-in party (吹哨报到), in working time like deadlines."""

    ack: str = "4h"  # to 报到 (acknowledge) after being called in
    done: str = "3d"  # to report its part done after 报到
    escalate_every: str = "4h"  # overdue: the party is nagged, then one level up per interval

    @field_validator("ack", "done", "escalate_every")
    @classmethod
    def _is_span(cls, value: str) -> str:
        return _check_span(value)


class PartyConfig(_Strict):
    """[[parties]]: a department or partner the holder of a report can call in (吹哨)."""

    code: str
    zh: str = Field(min_length=1, max_length=32)
    en: str = Field(min_length=1, max_length=64)
    kind: Literal["department", "property", "residents_committee", "owners_committee"]
    categories: list[str] = []  # the categories it takes; empty: every category
    units: list[str] = Field(min_length=1)  # it covers these units and all below them
    members: list[int] = Field(min_length=1)  # telegram ids of the staff who get its cards

    @field_validator("code")
    @classmethod
    def _code_fits_callback(cls, value: str) -> str:
        return button_code(value, "party", limit=16)


class BroadcastSettings(_Strict):
    """[broadcasts]: 政策宣传 to a unit's residents and groups (/broadcast, /mute)."""

    # seconds between two edits of the sender's progress line (the sweep edits it, at most once
    # a pass: sweep_interval is the floor)
    progress_seconds: int = Field(default=5, ge=1, le=600)


class PollSettings(_Strict):
    """[polls]: 议事会 polls of a unit's residents (/poll)."""

    # seconds a closing poll waits for the groups' native polls to be stopped (their final
    # counts) before the results are posted without them
    stop_grace_seconds: int = Field(default=120, ge=0, le=3600)


class EchoSettings(_Strict):
    """回音壁: the channel that gets each closed, verified case, de-identified (off when unset)."""

    channel: int | None = Field(default=None, lt=0)  # e.g. -1001234567890; the bot posts there
    batch: int = Field(default=20, ge=1, le=200)  # cases posted per sweep pass


class WebSettings(_Strict):
    """[web]: the web app in the bot's process (handlers/web): health, metrics, webhook mode.

    Off unless `listen` is set. Secrets it needs (the webhook's path and secret token) are
    generated once and kept in the database unless configured here.
    """

    listen: str | None = Field(default=None, pattern=r"^[^\s:]+:[0-9]{1,5}$")  # "127.0.0.1:8080"
    # the URL Telegram reaches the app at (webhook mode), e.g. https://bot.example.gov.cn;
    # http://127.0.0.1:… is accepted for local use
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    # the webhook's X-Telegram-Bot-Api-Secret-Token; generated and kept in the database if unset
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    # /readyz answers 503 when the oldest unprocessed update waited longer than this (seconds)
    ready_inbox_age: int = Field(default=120, ge=1)
    # … or the oldest unsent message waited longer than this (seconds)
    ready_outbox_age: int = Field(default=900, ge=1)
    # … or the last sweep pass ended longer ago than this (seconds; 0: the sweep age is not checked)
    ready_sweep_age: int = Field(default=600, ge=0)
    # the staff dashboard's map tiles, e.g. Tianditu or the office's own tile server
    # ("https://t{s}.tianditu.gov.cn/…"); unset: the dashboard shows a plain list, no map
    tiles_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    tiles_attribution: str = Field(default="", max_length=200)  # shown in the map's corner
    tiles_subdomains: str = Field(default="", max_length=20)  # what {s} takes, e.g. "01234567"
    # a login link sent by /web works once, for this many minutes
    login_link_minutes: int = Field(default=10, ge=1, le=60)
    # a dashboard session ends after this many hours without a request …
    session_idle_hours: float = Field(default=8, gt=0, le=24 * 7)
    # … and this many hours after login whatever happens
    session_max_hours: float = Field(default=24, gt=0, le=24 * 30)
    # web requests that may use the database at once (handlers/web/guard.py); 0: no bound. The
    # webhook, /healthz and /static are never held back.
    busy_limit: int = Field(default=2, ge=0, le=64)
    # … requests waiting for one of those places; one more is answered 503 with Retry-After
    busy_queue: int = Field(default=16, ge=0, le=10_000)
    # the Retry-After (seconds) of that 503
    busy_retry_after: int = Field(default=2, ge=1, le=3600)
    # public requests (Open311 GETs, /metrics) per second per client address, on average; 0: no
    # limit. More is answered 429 with Retry-After in the route's own format.
    public_rate: float = Field(default=2.0, ge=0, le=10_000)
    # … and how many a client may send at once above that average (a page-through, a refresh)
    public_burst: int = Field(default=30, ge=1, le=100_000)
    # reverse proxies in front of the app (addresses or networks, "10.0.0.0/8"): only a request
    # from one of these has its client taken from X-Forwarded-For (else anyone picks an address)
    trusted_proxies: list[IPvAnyNetwork] = []
    # web reads on their own SQLite connection (WAL: readers beside the writer), so a long web
    # query never queues the bot's reads behind it
    own_reader: bool = True


class Open311Key(_Strict):
    """One client of the Open311 API (a 12345 hotline): may file reports in UNIT's subtree."""

    key: str = Field(min_length=16, max_length=200)  # the secret the client sends as api_key
    name: str = Field(min_length=1, max_length=100)  # who holds it (recorded on each report)
    unit: str  # the top of the subtree its reports may be placed in


class Open311Settings(_Strict):
    """Open311 GeoReport v2 under /open311/v2/ (handlers/web/open311.py); reads are public,
    filing needs one of KEYS (none: nobody may file)."""

    keys: list[Open311Key] = []
    public_description: bool = False  # False: requests show the category name, not the text
    page_size: int = Field(default=100, ge=1, le=1000)  # the cap on page_size (more: a 400)
    days: int = Field(default=90, ge=1, le=3660)  # requests.json without dates: the last DAYS
    description_max: int = Field(default=1000, ge=10, le=4000)  # characters in a POSTed description
    far_m: int = Field(default=2000, ge=50, le=50_000)  # farther from every building: out of area


class CadreDuty(_Strict):
    """[[cadres.duties]]: a duty of the cadres sent down to grids, and its quota."""

    code: str  # short and unique: it travels in buttons and is named by [[cadres.members]]
    zh: str = Field(min_length=1, max_length=32)
    en: str = Field(min_length=1, max_length=64)
    kind: Literal["patrol", "doorknock", "safety"]  # the /patrol kind that counts toward it
    count: int = Field(ge=1, le=100)  # patrols of that kind needed …
    per: Literal["week", "month"] = "week"  # … each local week (from Monday) or month

    @field_validator("code")
    @classmethod
    def _code_fits_callback(cls, value: str) -> str:
        return button_code(value, "duty", limit=16)


class CadreMember(_Strict):
    """[[cadres.members]]: a member of staff sent down to a grid by the config file."""

    telegram_id: int
    grid: str  # the code of a unit of level "grid"
    duties: list[str] = []  # duty codes; empty: every duty


class CadreSettings(_Strict):
    """[cadres]: 下沉干部 — staff sent down to grids with duties and quotas (/cadres, /duty)."""

    remind: bool = True  # the weekly sweep reminds cadres behind and lists them to grid heads
    weekday: int = Field(default=5, ge=1, le=7)  # local weekday it runs: 1 Monday … 7 Sunday
    hour: int = Field(default=9, ge=0, le=23)  # local hour it runs
    duties: list[CadreDuty] = []
    members: list[CadreMember] = []

    @model_validator(mode="after")
    def _known_duties(self) -> CadreSettings:
        codes = [duty.code for duty in self.duties]
        if len(set(codes)) != len(codes):
            raise ValueError("cadres.duties: a duty code is listed twice")
        seen: set[tuple[int, str]] = set()
        for member in self.members:
            for code in member.duties:
                if code not in codes:
                    raise ValueError(
                        f"cadres.members: {member.telegram_id} has unknown duty {code!r}"
                    )
            if (member.telegram_id, member.grid) in seen:
                raise ValueError(
                    f"cadres.members: {member.telegram_id} is listed twice for {member.grid!r}"
                )
            seen.add((member.telegram_id, member.grid))
        return self


class TeamPrompt(_Strict):
    """One question of the 工作月汇报 (monthly report) the grid team's helpers answer in chat."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    zh: str = Field(min_length=1, max_length=80)
    en: str = Field(min_length=1, max_length=120)
    kind: Literal["number", "text"] = "text"  # number: a whole number 0–100000


def _default_prompts() -> list[TeamPrompt]:
    return [
        TeamPrompt(code="visits", zh="本月走访户数", en="Households visited", kind="number"),
        TeamPrompt(code="problems", zh="发现的问题", en="Problems found"),
        TeamPrompt(code="disputes", zh="调解纠纷（件）", en="Disputes mediated", kind="number"),
        TeamPrompt(code="other", zh="其他情况", en="Anything else"),
    ]


class TeamSettings(_Strict):
    """1+1+1+N grid teams (bot/domain/teams.py): building heads' cards, 一名党员一幢楼 and the
    helpers' 工作月汇报 (monthly report)."""

    building_cards: bool = True  # 楼栋长 / 单元长 get a card of each new report in their building
    public_party_member: bool = False  # /grid (公示) names the building's linked party member
    monthly_reports: bool = True  # helpers are reminded to send the 工作月汇报
    report_day: int = Field(default=25, ge=1, le=28)  # local day of the month of the reminder
    report_hour: int = Field(default=9, ge=0, le=23)  # local hour of the reminder
    grace_days: int = Field(default=3, ge=0, le=27)  # then the missing go to the grid head
    prompts: list[TeamPrompt] = Field(default_factory=_default_prompts, min_length=1, max_length=8)

    @model_validator(mode="after")
    def _fits_the_month(self) -> TeamSettings:
        if self.report_day + self.grace_days > 28:
            raise ValueError("report_day + grace_days must be at most 28 (every month has them)")
        codes = [prompt.code for prompt in self.prompts]
        if len(set(codes)) != len(codes):
            raise ValueError("prompts: each code once")
        return self


class MerchantKind(_Strict):
    """A kind of shop (餐饮, 商超, 五金 …) with its names in both languages."""

    code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    zh: str = Field(min_length=1, max_length=16)
    en: str = Field(min_length=1, max_length=32)


class MerchantCheck(_Strict):
    """One item of the 码上安全 checklist; a failed answer becomes a report of CATEGORY."""

    code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    zh: str = Field(min_length=1, max_length=100)
    en: str = Field(min_length=1, max_length=200)
    category: str  # the report category a problem with this item becomes
    photo: bool = False  # the merchant must send a photo with the answer
    kinds: list[str] = []  # the kinds of shop it applies to; empty: every kind


class MerchantSettings(_Strict):
    """码上安全: merchants' self-checks on a cadence; off until enabled with checks."""

    enabled: bool = False
    kinds: list[MerchantKind] = Field(
        default_factory=lambda: [
            MerchantKind(code="food", zh="餐饮", en="Restaurant"),
            MerchantKind(code="retail", zh="商超", en="Shop / supermarket"),
            MerchantKind(code="hardware", zh="五金", en="Hardware"),
        ]
    )
    checks: list[MerchantCheck] = []
    cadence: Literal["weekly", "monthly"] = "weekly"
    weekday: int = Field(default=1, ge=1, le=7)  # weekly: 1 = Monday … 7 = Sunday
    day: int = Field(default=1, ge=1, le=28)  # monthly: the day of the month
    hour: int = Field(default=9, ge=0, le=23)  # local hour the checklist goes out
    reminders: int = Field(default=2, ge=0, le=10)  # reminders while the check is not done
    remind_every_hours: int = Field(default=24, ge=1, le=24 * 7)
    grace_hours: int = Field(default=72, ge=1, le=24 * 27)  # then the grid worker is told
    max_distance_m: int = Field(default=500, ge=10, le=20_000)  # a shared location this near

    @model_validator(mode="after")
    def _fits_the_cadence(self) -> MerchantSettings:
        if self.cadence == "weekly" and self.grace_hours >= 24 * 7:
            raise ValueError("grace_hours must be shorter than a week with a weekly cadence")
        if self.reminders * self.remind_every_hours >= self.grace_hours:
            raise ValueError("reminders × remind_every_hours must end before grace_hours")
        codes = [kind.code for kind in self.kinds]
        if len(set(codes)) != len(codes):
            raise ValueError("kinds: a code is listed twice")
        if len({check.code for check in self.checks}) != len(self.checks):
            raise ValueError("checks: a code is listed twice")
        for check in self.checks:
            unknown = set(check.kinds) - set(codes)
            if unknown:
                raise ValueError(f"checks {check.code!r}: unknown kind {sorted(unknown)[0]!r}")
        if self.enabled:
            for kind in self.kinds:
                if not any(not c.kinds or kind.code in c.kinds for c in self.checks):
                    raise ValueError(f"kind {kind.code!r} has no check")
        return self


class RevisitSettings(_Strict):
    """回访 (follow-up calls) for categories marked `revisit`: who calls, the clock, the rule."""

    # The level of the unit over the case whose staff call (the case's handlers never do); if
    # nobody else is there, the staff of the unit above.
    caller_level: Literal["grid", "community", "street", "district"] = "community"
    # Days from the case's closing to the call (calendar days).
    within_days: int = Field(default=3, ge=1, le=60)
    # After the clock passes, the callers are reminded; this many days later the street (the
    # unit above the callers') is told once.
    street_after_days: int = Field(default=2, ge=1, le=60)
    # "Not satisfied": "reopen" sends the case one tier up as the reporter's 👎 does; "count"
    # only counts the answer (满意率).
    unsatisfied: Literal["reopen", "count"] = "reopen"


class ResourceConfig(_Strict):
    """[[resources]]: a community venue (场馆) or an in-person service (预约办理) residents book.

    HOURS lists when slots start, per weekday: "mon-fri 09:00-12:00,14:00-17:30", "sat 09:00-12:00"
    (days mon tue wed thu fri sat sun, a range or one day; periods as [calendar] working_hours).
    The office's holidays ([calendar], then the holiday libraries) close every resource.
    """

    code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    zh: str = Field(min_length=1, max_length=32)
    en: str = Field(min_length=1, max_length=64)
    kind: Literal["venue", "service"] = "venue"
    unit: str  # the community (or any unit) that owns it; its staff confirm by default
    capacity: int = Field(default=1, ge=1, le=500)  # people (or parties) per slot
    slot_minutes: int = Field(default=60, ge=10, le=480)
    hours: list[str] = Field(default=["mon-fri 09:00-12:00,14:00-17:30"], min_length=1)
    days_ahead: int = Field(default=14, ge=1, le=90)  # how far ahead one may book
    confirm: bool = True  # False: a booking is confirmed at once
    staff: list[int] = []  # telegram ids of who confirm; empty: the staff of `unit`

    @field_validator("hours")
    @classmethod
    def _hours_are_valid(cls, value: list[str]) -> list[str]:
        from bot.domain.bookings import parse_hours

        parse_hours(value)  # raises ValueError naming the bad entry
        return value


class BookingSettings(_Strict):
    """[bookings]: how residents book [[resources]] (预约办理 / 找场馆)."""

    days_shown: int = Field(default=7, ge=1, le=14)  # day buttons: the next N open days
    purpose_max: int = Field(default=60, ge=10, le=200)  # characters of the stated purpose
    purpose_days: int = Field(default=180, ge=7, le=3650)  # the purpose is wiped after the slot


class WorkUnitConfig(_Strict):
    """[[work_units]]: an employer whose in-service party members 双报到 here; its contact gets
    their verified service each month (双报告)."""

    code: str
    name: str = Field(min_length=1, max_length=60)  # as members see it when they register
    contact_chat: int | None = None  # a chat of the work unit (e.g. its Party branch group)
    contact_user: int | None = None  # a person's telegram id (they must have pressed Start)

    @field_validator("code")
    @classmethod
    def _code_fits_callback(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", value):
            raise ValueError("work unit code must be 1-16 of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _has_contact(self) -> WorkUnitConfig:
        if self.contact_chat is None and self.contact_user is None:
            raise ValueError("give contact_chat or contact_user (or both)")
        return self


class DualReportSettings(_Strict):
    """[dualreport]: when the monthly 双报告 goes to each [[work_units]] contact."""

    enabled: bool = True  # inert without [[work_units]]
    day: int = Field(default=1, ge=1, le=28)  # of the month, for the month before
    hour: int = Field(default=9, ge=0, le=23)  # local hour from which it goes out


class Settings(_Strict):
    timezone: str = "Asia/Shanghai"
    sweep_interval: int = Field(default=30, ge=1, le=600)  # seconds between deadline sweeps
    default_language: Literal["zh", "en"] = "zh"
    telegram: TelegramSettings = TelegramSettings()
    storage: StorageSettings = StorageSettings()
    reports: ReportSettings = ReportSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    calendar: CalendarSettings = CalendarSettings()
    units: list[UnitConfig] = []
    staff: list[StaffConfig] = []
    categories: list[CategoryConfig] = []
    volunteers: VolunteerSettings = VolunteerSettings()
    care: CareSettings = CareSettings()
    summaries: SummarySettings = SummarySettings()
    backup: BackupSettings = BackupSettings()
    limits: LimitSettings = LimitSettings()
    privacy: PrivacySettings = PrivacySettings()
    appraisal: AppraisalSettings = AppraisalSettings()
    callins: CallinSettings = CallinSettings()
    parties: list[PartyConfig] = []
    broadcasts: BroadcastSettings = BroadcastSettings()
    polls: PollSettings = PollSettings()
    echo: EchoSettings = EchoSettings()
    web: WebSettings = WebSettings()
    open311: Open311Settings = Open311Settings()
    cadres: CadreSettings = CadreSettings()
    teams: TeamSettings = TeamSettings()
    merchants: MerchantSettings = MerchantSettings()
    revisit: RevisitSettings = RevisitSettings()
    bookings: BookingSettings = BookingSettings()
    resources: list[ResourceConfig] = []
    work_units: list[WorkUnitConfig] = []
    dualreport: DualReportSettings = DualReportSettings()

    @field_validator("work_units")
    @classmethod
    def _unique_work_units(cls, value: list[WorkUnitConfig]) -> list[WorkUnitConfig]:
        codes = [unit.code for unit in value]
        if len(codes) != len(set(codes)):
            raise ValueError("work unit codes must be unique")
        return value

    source: str = Field(default="", exclude=True)

    def database_path(self) -> Path:
        """Returns the database path, relative paths taken from the config file's folder."""
        path = Path(self.storage.path)
        if not path.is_absolute() and self.source:
            path = Path(self.source).resolve().parent / path
        return path

    def database_location(self) -> str | Path:
        """Returns the PostgreSQL URL when one is configured, else the SQLite file's path."""
        return self.storage.url or self.database_path()

    def uses_postgres(self) -> bool:
        return bool(self.storage.url)

    def backup_dir(self) -> Path | None:
        """Returns the daily backups' folder (relative to the config file's), or None if off."""
        if not self.backup.dir:
            return None
        path = Path(self.backup.dir)
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
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    _apply_env(raw)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        message = " ".join(str(first["msg"]).split()).removeprefix("Value error, ")
        raise ConfigError(f"{path}: {key}: {message}{_entry(raw, first['loc'])}") from None
    settings.source = str(path)
    _check_units(path, settings)
    _check_references(path, settings)
    _check_deadlines(path, settings)
    _check_parties(path, settings)
    _check_cadres(path, settings)

    _check_merchants(path, settings)

    _check_resources(path, settings)
    if settings.storage.url and settings.backup.dir:
        raise ConfigError(
            f"{path}: backup.dir: the daily backup copies the SQLite file; with storage.url"
            " (PostgreSQL) back up with pg_dump or the server's base backups instead"
        )
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
    if url := os.environ.get("GRIDDESK_DB_URL"):
        raw.setdefault("storage", {})["url"] = url


def _entry(raw: dict, loc: tuple) -> str:
    """Returns " (unit 'X')" naming the list entry at LOC, so units.7 is easy to find."""
    if (
        len(loc) < 2
        or loc[0] not in ("units", "staff", "categories")
        or not isinstance(loc[1], int)
    ):
        return ""
    try:
        entry = raw[loc[0]][loc[1]]
    except (KeyError, IndexError, TypeError):
        return ""
    name = "telegram_id" if loc[0] == "staff" else "code"
    if not isinstance(entry, dict) or name not in entry or loc[2:] == (name,):
        return ""
    return f" ({loc[0].removesuffix('s')} {entry[name]!r})"


def _check_units(path: Path, settings: Settings) -> None:
    """Raises ConfigError naming units.N.KEY for a duplicate code, unknown parent or cycle."""
    index: dict[str, int] = {}
    for i, unit in enumerate(settings.units):
        if unit.code in index:
            raise ConfigError(
                f"{path}: units.{i}.code: duplicate code {unit.code!r}"
                f" (also units.{index[unit.code]})"
            )
        index[unit.code] = i
    for i, unit in enumerate(settings.units):
        if unit.parent is not None and unit.parent not in index:
            raise ConfigError(
                f"{path}: units.{i}.parent: unit {unit.code!r} has unknown parent {unit.parent!r}"
            )
    parents = {unit.code: unit.parent for unit in settings.units}
    for i, unit in enumerate(settings.units):
        chain = [unit.code]
        parent = unit.parent
        while parent is not None:
            if parent in chain:
                loop = " → ".join([*chain[chain.index(parent) :], parent])
                raise ConfigError(f"{path}: units.{i}.parent: cycle {loop}")
            chain.append(parent)
            parent = parents[parent]


def _check_deadlines(path: Path, settings: Settings) -> None:
    categories = {category.code for category in settings.categories}
    for code in settings.deadlines.categories:
        if code not in categories:
            raise ConfigError(f"{path}: deadlines.categories: unknown category {code!r}")


def _check_references(path: Path, settings: Settings) -> None:
    codes = {unit.code for unit in settings.units}
    levels = {unit.level for unit in settings.units}
    for i, category in enumerate(settings.categories):
        level = category.route_level
        if level is not None and level not in levels:
            raise ConfigError(
                f"{path}: categories.{i}.route_level: no unit has level {level!r}"
                f" (levels in use: {', '.join(sorted(levels)) or 'none'})"
            )
    categories = {category.code for category in settings.categories}
    seen_categories: set[str] = set()
    for i, category in enumerate(settings.categories):
        if category.code in seen_categories:
            raise ConfigError(f"{path}: categories.{i}.code: duplicate code {category.code!r}")
        seen_categories.add(category.code)
    skills = {skill.code for skill in settings.volunteers.skills}
    for wanted_for, wanted in settings.volunteers.report_skills.items():
        if wanted_for not in categories:
            raise ConfigError(f"{path}: volunteers.report_skills: unknown category {wanted_for!r}")
        for code in wanted:
            if code not in skills:
                raise ConfigError(
                    f"{path}: volunteers.report_skills.{wanted_for}: unknown skill {code!r}"
                )
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
        level_of_role = {"building_head": "building", "entrance_head": "entrance"}.get(staff.role)
        level = next((u.level for u in settings.units if u.code == staff.unit), None)
        if level_of_role is not None and level != level_of_role:
            raise ConfigError(
                f"{path}: staff.{i}.unit: a {staff.role} sits on a unit of level {level_of_role!r};"
                f" {staff.unit!r} is a {level!r}"
            )


def _check_parties(path: Path, settings: Settings) -> None:
    """Raises ConfigError naming parties.N.KEY for a duplicate code, an unknown unit or category,
    or a member who is not partner staff or belongs to two parties."""
    units = {unit.code for unit in settings.units}
    categories = {category.code for category in settings.categories}
    roles = {staff.telegram_id: staff.role for staff in settings.staff}
    codes: dict[str, int] = {}
    member_of: dict[int, str] = {}
    for i, party in enumerate(settings.parties):
        if party.code in codes:
            raise ConfigError(
                f"{path}: parties.{i}.code: duplicate code {party.code!r}"
                f" (also parties.{codes[party.code]})"
            )
        codes[party.code] = i
        for code in party.units:
            if code not in units:
                raise ConfigError(f"{path}: parties.{i}.units: unknown unit {code!r}")
        for code in party.categories:
            if code not in categories:
                raise ConfigError(f"{path}: parties.{i}.categories: unknown category {code!r}")
        for member in party.members:
            role = roles.get(member)
            if role is not None and role != "partner":
                raise ConfigError(
                    f"{path}: parties.{i}.members: {member} is listed in [[staff]] as {role!r};"
                    " a party's members are partner staff"
                )
            if member in member_of:
                raise ConfigError(
                    f"{path}: parties.{i}.members: {member} is already a member of"
                    f" party {member_of[member]!r}"
                )
            member_of[member] = party.code


def _check_cadres(path: Path, settings: Settings) -> None:
    """Raises ConfigError naming cadres.members.N.grid for a unit that is no grid."""
    levels = {unit.code: unit.level for unit in settings.units}
    for i, member in enumerate(settings.cadres.members):
        if levels.get(member.grid) != "grid":
            raise ConfigError(
                f"{path}: cadres.members.{i}.grid: {member.grid!r} is not a unit of level 'grid'"
            )


def _check_merchants(path: Path, settings: Settings) -> None:
    """Raises ConfigError naming merchants.checks.N.category for an unknown category."""
    categories = {category.code for category in settings.categories}
    for i, check in enumerate(settings.merchants.checks):
        if check.category not in categories:
            raise ConfigError(
                f"{path}: merchants.checks.{i}.category: unknown category {check.category!r}"
            )


def _check_resources(path: Path, settings: Settings) -> None:
    """Raises ConfigError naming resources.N.KEY for a duplicate code or an unknown unit."""
    units = {unit.code for unit in settings.units}
    seen: dict[str, int] = {}
    for i, resource in enumerate(settings.resources):
        if resource.code in seen:
            raise ConfigError(
                f"{path}: resources.{i}.code: duplicate code {resource.code!r}"
                f" (also resources.{seen[resource.code]})"
            )
        seen[resource.code] = i
        if resource.unit not in units:
            raise ConfigError(f"{path}: resources.{i}.unit: unknown unit {resource.unit!r}")
