"""bot/logredact.py: no token, phone, message text or name survives a log record, DEBUG included."""

from __future__ import annotations

import functools
import io
import logging
import sqlite3

import pytest

from bot import logredact
from bot.logredact import Redactor

TOKEN = "7512345678:AAH3kXq-9zPc_Vb1TsW4nLr8EuYo2MdJ0fQ"
PHONE = "13912345678"
NAME = "王秀英"
TEXT = "3号楼东侧垃圾桶满了三天没人清理"


def record(name: str, msg: str, *args: object, level: int = logging.DEBUG) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args or None, None)


def line(redactor: Redactor, rec: logging.LogRecord) -> str:
    assert redactor.filter(rec)
    formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    return formatter.format(rec)


@pytest.mark.parametrize(
    ("name", "msg", "args"),
    [
        # PTB: every Bot API call's parameters
        ("telegram.Bot", "Calling Bot API endpoint `%s` with parameters `%s`",
         ("sendMessage", {"chat_id": 5001, "text": f"{NAME} {TEXT} {PHONE}"})),
        # PTB: every update, with the sender's name and text
        ("telegram.ext.Application", "Processing update %s",
         ({"message": {"from": {"first_name": NAME}, "text": TEXT}},)),
        # aiosqlite: every statement with its values
        ("aiosqlite", "executing %s",
         (functools.partial(sqlite3.connect, "INSERT INTO reports VALUES (?, ?)", (TEXT, PHONE)),)),
        # httpx: every URL, token inside
        ("httpx", 'HTTP Request: %s %s "%s %d %s"',
         ("POST", f"https://api.telegram.org/bot{TOKEN}/sendMessage", "HTTP/1.1", 200, "OK")),
        # a library that formats its message itself
        ("httpcore.http11", f"send_request_body.started body='{TEXT}' {PHONE} {TOKEN}", ()),
        ("py.warnings", f"UserWarning: {NAME} said {TEXT}", ()),
        # our own log, should a phone or the token ever slip into it
        ("bot.poller", "getUpdates failed: %s", (f"https://x/bot{TOKEN}/getUpdates {PHONE}",)),
    ],
)  # fmt: skip
def test_no_token_phone_name_or_text_survives(name, msg, args):
    out = line(Redactor([TOKEN]), record(name, msg, *args))
    for secret in (TOKEN, TOKEN.split(":")[1], PHONE, NAME, TEXT, "垃圾桶"):
        assert secret not in out, out


def test_a_library_keeps_its_own_words_and_plain_identifiers():
    out = line(Redactor(), record("telegram.Bot", "Calling `%s` with `%s`", "getMe", {"a": 1}))
    assert out == "DEBUG telegram.Bot: Calling `getMe` with `…`"


def test_griddesk_own_messages_keep_their_numbers_and_words():
    out = line(Redactor(), record("bot.sender", "outbox row %s refused: %s", 42, "chat not found"))
    assert out == "DEBUG bot.sender: outbox row 42 refused: chat not found"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13912345678 now", "call [phone] now"),
        ("call +86 139 1234 5678", "call [phone]"),
        ("电话：139-1234-5678。", "电话：[phone]。"),
        ("座机 010-62345678", "座机 [phone]"),
        ("tel +44 20 7946 0958", "tel [phone]"),
        # not phones: user ids, group ids, update ids, times, counts
        ("user 7000000001 in chat -1001234567890", "user 7000000001 in chat -1001234567890"),
        ("update 100023 at 2026-12-06 03:15:41,123", "update 100023 at 2026-12-06 03:15:41,123"),
    ],
)
def test_phone_like_digit_runs_and_only_those_are_replaced(text, expected):
    assert Redactor().redact(text) == expected


def test_any_bot_token_shape_is_replaced_even_if_not_configured():
    assert Redactor().redact(f"/bot{TOKEN}/getMe") == "/bot[token]/getMe"


def test_a_traceback_is_redacted_too():
    try:
        raise ValueError(f"bad phone {PHONE} for {TOKEN} in {TEXT}")
    except ValueError:
        rec = logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, "boom", None, None)
        import sys

        rec.exc_info = sys.exc_info()
    out = line(Redactor([TOKEN]), rec)
    assert "ValueError: bad phone [phone] for [token] in 3…" in out
    assert PHONE not in out and TOKEN not in out


@pytest.fixture
def clean_logging(monkeypatch):
    """Restores the record factory and the root handlers that install() changes."""
    factory, root = logging.getLogRecordFactory(), logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(logredact, "_installed", None)
    yield root
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_install_covers_root_handlers_and_handlers_added_later(clean_logging):
    root = clean_logging
    early, late = io.StringIO(), io.StringIO()
    root.addHandler(logging.StreamHandler(early))
    root.setLevel(logging.DEBUG)
    redactor = logredact.install([TOKEN])
    assert all(redactor in h.filters for h in root.handlers)
    root.addHandler(logging.StreamHandler(late))  # e.g. a library's or an operator's handler
    logging.getLogger("aiosqlite").debug("executing %s", (TEXT, PHONE, NAME))
    logging.getLogger("bot.poller").warning("getUpdates failed: bot%s %s", TOKEN, PHONE)
    for stream in (early, late):
        out = stream.getvalue()
        assert "executing …" in out and "getUpdates failed: bot[token] [phone]" in out
        assert not any(s in out for s in (TOKEN, PHONE, NAME, TEXT))


def test_scheduler_jobs_and_times_stay_readable():
    from datetime import UTC, datetime

    from apscheduler.job import Job
    from apscheduler.schedulers.base import BaseScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    class Scheduler(BaseScheduler):
        def shutdown(self, wait=True): ...
        def wakeup(self): ...

    job = Job(Scheduler(), id="j1", func=print, args=(), kwargs={}, name="sweeps",
              trigger=IntervalTrigger(seconds=30), executor="default", misfire_grace_time=1,
              coalesce=True, max_instances=1, next_run_time=None)  # fmt: skip
    at = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    rec = record("apscheduler.executors.default", 'Job "%s" at %s', job, at, level=logging.INFO)
    out = line(Redactor(), rec)
    assert out.startswith('INFO apscheduler.executors.default: Job "sweeps')
    assert "2026-12-06 03:00:00+00:00" in out
