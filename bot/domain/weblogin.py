"""Staff login to the web dashboard: link tokens, session lifetimes and the Mini App's initData.

Pure: the caller passes the time, the bot token and the random values in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

MAX_LINKS = 5  # live /web links per member: a sixth makes the oldest one die
SEEN_EVERY = timedelta(minutes=1)  # seen_at is written at most this often


class Via(StrEnum):
    LINK = "link"  # the single-use link /web sends
    MINIAPP = "miniapp"  # the Mini App's initData (its cookie must cross Telegram Web's iframe)


def digest(secret: str) -> str:
    """Returns the SHA-256 hex of SECRET: what is stored of a link token or a session cookie."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Lifetime:
    idle: timedelta  # without a request for this long, a session ends
    most: timedelta  # and this long after login whatever happens


def alive(lifetime: Lifetime, created: datetime, seen: datetime, now: datetime) -> bool:
    """Tells whether a session created at CREATED and last seen at SEEN still holds at NOW."""
    return now - seen < lifetime.idle and now - created < lifetime.most


def seen_due(seen: datetime, now: datetime) -> bool:
    """Tells whether a request at NOW should record itself (seen_at is kept only to the minute)."""
    return now - seen >= SEEN_EVERY


class InitDataError(StrEnum):
    """Why initData was not accepted (catalog keys weblogin.miniapp_<value>)."""

    FORGED = "forged"  # missing, malformed or a hash that does not match
    STALE = "stale"  # signed longer ago than the link lifetime


def check_init_data(
    raw: str, *, bot_token: str, now: datetime, max_age: timedelta
) -> int | InitDataError:
    """Returns the Telegram user id RAW (a Mini App's initData) vouches for, or why not.

    As Telegram documents it: secret = HMAC-SHA256(key "WebAppData", bot token); the hash is the
    hex HMAC-SHA256(secret, the sorted "key=value" lines of every field but hash), compared in
    constant time; auth_date must be recent.
    """
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return InitDataError.FORGED
    fields = dict(pairs)
    given = fields.pop("hash", None)
    if given is None or len(fields) + 1 != len(pairs) or not bot_token:
        return InitDataError.FORGED  # no hash, or a key given twice
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        return InitDataError.FORGED
    try:
        signed = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user_id = int(json.loads(fields["user"])["id"])
    except (KeyError, ValueError, TypeError, OverflowError):
        return InitDataError.FORGED
    if not timedelta(minutes=-1) <= now - signed <= max_age:
        return InitDataError.STALE
    return user_id


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """Returns FIELDS as initData signed with BOT_TOKEN, as Telegram makes it (tests, tools)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    digest_ = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest_})
