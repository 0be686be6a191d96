"""What staff changes tell Telegram: the command menu of each staff member's private chat.

Residents see the default menu (published at start-up, bot/app.py set_commands). A staff member
gets a menu of their own in their private chat (BotCommandScopeChat) listing the staff commands
too, in their language. It goes out as an outbox row like every other Bot API call, queued in the
transaction of the change (invite redeemed, moved, deactivated, /lang), so it is durable and paced;
the collapse key keeps only the newest pending menu per chat.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.outbox import Outgoing

# (command, text key, staff only) — the order is the menu's order.
COMMANDS = [
    ("start", "commands.start", False),
    ("report", "commands.report", False),
    ("my", "commands.my", False),
    ("me", "commands.me", False),
    ("tasks", "commands.tasks", True),
    ("visits", "care.command_visits", True),
    ("household", "care.command_household", True),
    ("households", "care.command_households", True),
    ("patrol", "care.command_patrol", True),
    ("monthly", "care.command_monthly", True),
    ("appraisal", "appraisal.command", True),
    ("export", "ledger.command", True),
    ("volunteer", "volunteer.command_volunteer", False),
    ("wish", "wish.command_wish", False),
    ("wishes", "wish.command_wishes", False),
    ("activities", "activity.command_activities", False),
    ("points", "points.command_points", False),
    ("volunteers", "volunteer.command_volunteers", True),
    ("activity_new", "activity.command_new", True),
    ("staff", "staff.command_staff", True),
    ("invite", "staff.command_invite", True),
    ("audit", "audit.command", True),
    ("privacy", "privacy.command_privacy", False),
    ("delete_my_data", "privacy.command_delete", False),
    ("lang", "commands.lang", False),
    ("cancel", "commands.cancel", False),
    ("help", "commands.help", False),
]


def commands(texts: Callable[..., str], lang: str, *, staff: bool) -> list[dict[str, str]]:
    """Returns the BotCommand list a resident (or, with STAFF, a staff member) sees, in LANG."""
    return [
        {"command": name, "description": texts(key, lang)}
        for name, key, for_staff in COMMANDS
        if staff or not for_staff
    ]


def command_menu(texts: Callable[..., str], user_id: int, lang: str, *, staff: bool) -> Outgoing:
    """Returns the setMyCommands call that gives USER_ID's private chat its menu in LANG.

    Someone who stops being staff gets the resident list in their chat scope (which is what the
    default menu shows), so no staff command lingers there.
    """
    params = {
        "commands": commands(texts, lang, staff=staff),
        "scope": {"type": "chat", "chat_id": user_id},
    }
    return Outgoing(user_id, "setMyCommands", params, collapse_key=f"menu:{user_id}")
