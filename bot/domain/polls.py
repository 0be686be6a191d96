"""议事会 polls: checking a question and its options, the closing time, and counting votes.

Pure: no Telegram, no database, no clock. One vote per person: a second one is refused (the
first stands), so a count per option is a count of people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_QUESTION = 500
MAX_OPTION = 100
# Telegram's sendPoll: a question of 1–300 characters, 2–10 options of 1–100 characters.
NATIVE_QUESTION, NATIVE_OPTION, NATIVE_OPTIONS = 300, 100, 10
PRESET_DAYS = (1, 3, 7)
MAX_DAYS = 90


class PollError(ValueError):
    """Input that cannot make a poll; KEY is the catalog key that says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class State(StrEnum):
    OPEN = "open"
    CLOSING = "closing"  # the groups' native polls are being stopped
    CLOSED = "closed"  # results posted


@dataclass(frozen=True, slots=True)
class Poll:
    created_by: int
    unit: str
    question: str
    options: tuple[str, ...]
    created_at: datetime
    closes_at: datetime
    lang: str = "zh"
    state: State = State.OPEN
    residents: int = 0
    groups: int = 0
    closed_at: datetime | None = None
    stop_by: datetime | None = None  # closing: when to stop waiting for the groups' counts
    id: int | None = None

    def is_open_at(self, at: datetime) -> bool:
        return self.state is State.OPEN and at < self.closes_at


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts of one poll: private votes (one per person) and, apart, the groups' native
    polls (anonymous: counted by Telegram, no person known)."""

    options: tuple[str, ...]
    private: tuple[int, ...]
    native: tuple[int, ...] = ()
    native_total: int = 0  # people who voted in the groups
    eligible: int = 0  # residents the poll went to
    groups: int = 0

    @property
    def voters(self) -> int:
        return sum(self.private)

    @property
    def turnout(self) -> int:
        """Per cent of the residents asked who voted (0 if none were asked)."""
        return round(100 * self.voters / self.eligible) if self.eligible else 0


def check_question(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise PollError("poll.question_empty")
    if len(text) > MAX_QUESTION:
        raise PollError("poll.question_too_long")
    return text


def check_option(text: str, options: Sequence[str]) -> str:
    """Returns the option to add to OPTIONS; raises PollError (empty, long, twice, too many)."""
    text = " ".join(text.split())
    if not text:
        raise PollError("poll.option_empty")
    if len(text) > MAX_OPTION:
        raise PollError("poll.option_too_long")
    if len(options) >= MAX_OPTIONS:
        raise PollError("poll.too_many_options")
    if text in options:
        raise PollError("poll.option_twice")
    return text


def check_options(options: Sequence[str]) -> tuple[str, ...]:
    if len(options) < MIN_OPTIONS:
        raise PollError("poll.too_few_options")
    if len(options) > MAX_OPTIONS:
        raise PollError("poll.too_many_options")
    return tuple(options)


def fits_native(question: str, options: Sequence[str]) -> bool:
    """Tells whether Telegram's sendPoll takes this poll as it is."""
    return (
        0 < len(question) <= NATIVE_QUESTION
        and MIN_OPTIONS <= len(options) <= NATIVE_OPTIONS
        and all(0 < len(o) <= NATIVE_OPTION for o in options)
    )


_DATE = re.compile(
    r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+(\d{1,2})[:：](\d{2}))?\s*$"
)


def parse_closing(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Returns when a poll closes for a typed date ("2026-12-20", "2026-12-20 18:00",
    "2026年12月20日"): the time given, or the end of that day, in TZ. Raises PollError if it
    is not a date, not in the future, or more than MAX_DAYS away."""
    match = _DATE.match(text)
    if match is None:
        raise PollError("poll.bad_date")
    year, month, day, hour, minute = match.groups()
    try:
        on = date(int(year), int(month), int(day))
        at = time(int(hour), int(minute)) if hour is not None else None
    except ValueError:
        raise PollError("poll.bad_date") from None
    if at is None:
        closes = datetime.combine(on + timedelta(days=1), time(0, 0), tzinfo=tz)
    else:
        closes = datetime.combine(on, at, tzinfo=tz)
    return check_closing(closes, now)


def check_closing(closes: datetime, now: datetime) -> datetime:
    if closes <= now + timedelta(minutes=5):
        raise PollError("poll.date_past")
    if closes > now + timedelta(days=MAX_DAYS):
        raise PollError("poll.date_far")
    return closes


def preset_closing(days: int, now: datetime) -> datetime:
    if days not in PRESET_DAYS:
        raise PollError("poll.bad_date")
    return now + timedelta(days=days)


def count(options: Sequence[str], votes: Iterable[int]) -> tuple[int, ...]:
    """Returns the votes per option; a vote naming no option is not counted."""
    counts = [0] * len(options)
    for option in votes:
        if 0 <= option < len(counts):
            counts[option] += 1
    return tuple(counts)


def add_native(counts: Iterable[Sequence[int]], size: int) -> tuple[int, ...]:
    """Returns the groups' native counts summed per option (SIZE options)."""
    total = [0] * size
    for one in counts:
        for i, n in enumerate(one[:size]):
            total[i] += int(n)
    return tuple(total)
