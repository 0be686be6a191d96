"""What staff changes tell Telegram: the command menu of each staff member's private chat.

Residents see the default menu (published at start-up, bot/app.py set_commands). A staff member
gets a menu of their own in their private chat (BotCommandScopeChat) listing the staff commands
too, in their language. It goes out as an outbox row like every other Bot API call, queued in the
transaction of the change (invite redeemed, moved, deactivated, /lang), so it is durable and paced;
the collapse key keeps only the newest pending menu per chat.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from storage.outbox import Outgoing

# (command, text key, staff only) — the order is the menu's order.
COMMANDS = [
    ("start", "commands.start", False),
    ("report", "commands.report", False),
    ("my", "commands.my", False),
    ("me", "commands.me", False),
    ("tasks", "commands.tasks", True),
    ("callin", "callin.command", True),
    ("merge", "merge.command", True),
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
    ("broadcast", "broadcast.command", True),
    ("poll", "poll.command", True),
    ("mute", "broadcast.command_mute", False),
    ("unmute", "broadcast.command_unmute", False),
    ("grid", "contacts.command_grid", False),
    ("contact", "contacts.command_contact", True),
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


def admin_card_key(user_id: int) -> str:
    """Returns the key of the /staff card in USER_ID's chat (edited in place as they go)."""
    return f"staff-admin:{user_id}"


def role_name(texts: Callable[..., str], role: Role, lang: str) -> str:
    return texts(f"invite.roles.{role.value}", lang)


def unit_label(tree: UnitTree, unit: str) -> str:
    """Returns UNIT's full name with its code, as /staff shows it."""
    return f"{tree.path_name(unit) or tree.get(unit).name} ({unit})" if unit in tree else unit


def changed_messages(
    texts: Callable[..., str],
    tree: UnitTree,
    *,
    by: int,
    by_lang: str,
    after: Staff,
    lang: str,
) -> list[Outgoing]:
    """Returns what a move or a new role tells: the manager's card, and the person moved."""
    params = {"role": role_name(texts, after.role, lang), "unit": unit_label(tree, after.unit)}
    mine = {"role": role_name(texts, after.role, by_lang), "unit": unit_label(tree, after.unit)}
    return [
        outgoing.card(
            by, admin_card_key(by), texts("staff.changed", by_lang, name=after.name, **mine)
        ),
        outgoing.message(after.user_id, texts("staff.changed_you", lang, **params)),
    ]


def deactivated_messages(
    texts: Callable[..., str], *, by: int, by_lang: str, target: Staff, lang: str
) -> list[Outgoing]:
    """Returns what a deactivation tells: the manager's card, and the person who leaves."""
    done = texts("staff.off_done", by_lang, name=target.name)
    return [
        outgoing.card(by, admin_card_key(by), done),
        outgoing.message(target.user_id, texts("staff.off_you", lang)),
    ]
