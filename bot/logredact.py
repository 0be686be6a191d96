"""One logging filter that keeps the token, phone numbers and people's words out of every log.

The rule, at every level, DEBUG included:
- griddesk's own loggers (bot, handlers, storage) never log personal data; their messages are
  still passed through the patterns below in case an exception text or a URL slips in;
- a library's record keeps its own words (the format string it wrote) but not its arguments:
  PTB logs every Bot API call's parameters and every Update at DEBUG, aiosqlite every SQL
  statement with its values, httpx every URL (the token is in it). Numbers, booleans, times,
  short identifier-like words (a method name) and APScheduler's jobs (whose names are
  griddesk's own) stay; anything else becomes "…";
- a library's message that arrives already formatted (httpcore) loses every non-ASCII run, and
  such transport loggers (httpcore, hpack) are held at INFO: they log connections, not content;
- then the whole line, traceback included, loses the bot token (exact, and any `bot<id>:<key>`
  in a URL) and phone-number-like digit runs.

It is installed on every handler of the root logger and as the log record factory, so a handler
added later (by a library or an operator) gets only redacted records too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

OWN = ("bot", "handlers", "storage", "griddesk", "__main__")
QUIET = ("httpcore", "hpack")  # transport chatter, formatted by the library itself
HIDDEN = "…"
TOKEN = "[token]"
PHONE = "[phone]"

_SAFE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,47}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_TOKEN_LIKE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{8,}")  # the shape of any bot token
_PHONES = [
    # mainland mobiles (11 digits from 1[3-9]), with +86/0086 and spaces or dashes in between
    re.compile(r"(?<![\d])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![\d])"),
    # landlines: 0 + area code + 7–8 digits
    re.compile(r"(?<![\d])0\d{2,3}[\s-]?\d{7,8}(?![\d])"),
    # anything written as an international number
    re.compile(r"\+\d[\d\s-]{6,}\d"),
]


def is_own(name: str) -> bool:
    return any(name == own or name.startswith(own + ".") for own in OWN)


def _safe_arg(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | datetime | date | timedelta):
        return value
    if type(value).__module__.startswith("apscheduler."):
        return value  # a job and its trigger: the job names are griddesk's own ("sweeps")
    if isinstance(value, str) and _SAFE_WORD.fullmatch(value):
        return value
    return HIDDEN


class Redactor(logging.Filter):
    """Rewrites each record in place: library arguments hidden, token and phones replaced."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def add_secret(self, secret: str) -> None:
        if len(secret) >= 4 and secret not in self.secrets:  # shorter would eat words
            self.secrets.append(secret)

    def redact(self, text: str) -> str:
        """Returns TEXT without the token or anything that looks like a phone number."""
        for secret in self.secrets:
            text = text.replace(secret, TOKEN)
            key = secret.partition(":")[2]
            if len(key) >= 8:
                text = text.replace(key, TOKEN)
        text = _TOKEN_LIKE.sub(TOKEN, text)
        for pattern in _PHONES:
            text = pattern.sub(PHONE, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        if not is_own(record.name) and record.args:
            if isinstance(record.args, dict):
                record.args = {k: _safe_arg(v) for k, v in record.args.items()}
            else:
                record.args = tuple(_safe_arg(v) for v in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the template only
            message = str(record.msg)
        if not is_own(record.name):
            # A library that formats its message itself (httpcore) has no template to keep; no
            # library writes Chinese, so any non-ASCII run there is someone's text.
            message = _NON_ASCII.sub(HIDDEN, message)
        record.msg, record.args = self.redact(message), None
        # An exception's message may quote what it choked on: no non-ASCII run survives there.
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(_NON_ASCII.sub(HIDDEN, formatted))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(_NON_ASCII.sub(HIDDEN, record.exc_text))
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        record._redacted = True
        return True


_installed: Redactor | None = None


def install(secrets: Iterable[str] = ()) -> Redactor:
    """Puts one Redactor on every root handler and behind every new log record; returns it."""
    global _installed
    redactor = _installed or Redactor()
    for secret in secrets:
        redactor.add_secret(secret)
    for handler in logging.getLogger().handlers:
        if redactor not in handler.filters:
            handler.addFilter(redactor)
    for name in QUIET:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    if _installed is None:
        make_record: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            redactor.filter(record)
            return record

        logging.setLogRecordFactory(redacted_record)
        _installed = redactor
    return redactor
