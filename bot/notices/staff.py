"""What staff changes tell Telegram: the command menu of each staff member's private chat.

Residents see the default menu (published at start-up, bot/app.py set_commands). A staff member
gets a menu of their own in their private chat (BotCommandScopeChat) listing the staff commands
their role may use, in their language. It goes out as an outbox row like every other Bot API
call, queued in the transaction of the change (invite redeemed, moved, deactivated, /lang), so
it is durable and paced; the collapse key keeps only the newest pending menu per chat.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree
from bot.notices import outgoing
from storage.outbox import Outgoing

# Who sees a command in their menu: EVERYONE (residents and staff: the default menu), or the staff
# roles that may use it (bot/domain/access.py is the rule; the menu only leaves out what a role
# would be refused). EVERYONE is empty, so `not who` reads "not a staff command".
EVERYONE: frozenset[Role] = frozenset()
STAFF = frozenset(Role)
# The grid team's helpers (兼职网格员, 楼栋长, 单元长): their own cases and monthly report only
HELPERS = frozenset(role for role in Role if role.is_helper)
BUILDING_TEAM = frozenset(role for role in Role if role.is_building_team)
CASE_STAFF = STAFF - BUILDING_TEAM  # hold and act on reports
# care, figures, volunteers, activities, broadcasts, polls, the dashboard
NOT_PARTNERS = STAFF - {Role.PARTNER} - HELPERS
# /building: the grid's staff and above see a building's team; community and above link its 党员
GRID_STAFF = frozenset({Role.GRID_WORKER, Role.GRID_HEAD, Role.COMMUNITY, Role.STREET})
GRID_STAFF |= {Role.DISTRICT, Role.ADMIN}
TEAM_LEADS = frozenset({Role.GRID_HEAD, Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN})
SUPERVISORS = frozenset(role for role in Role if role.is_supervisor)  # 公示 /contact
MANAGERS = frozenset({Role.ADMIN, Role.STREET, Role.DISTRICT})  # /staff, /invite
ADMINS = frozenset({Role.ADMIN})
# 下沉干部: who arranges them (/cadres) and who can be one (/duty)
CADRE_MANAGERS = frozenset({Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN})
CADRES = frozenset({Role.PARTNER, Role.COMMUNITY, Role.STREET, Role.DISTRICT})

CALLERS = frozenset({Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN})  # /revisits

DUAL_REPORT = frozenset({Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.ADMIN})  # /dualreport

# (command, text key, who) — the order is the menu's order.
COMMANDS: list[tuple[str, str, frozenset[Role]]] = [
    ("start", "commands.start", EVERYONE),
    ("report", "commands.report", EVERYONE),
    ("my", "commands.my", EVERYONE),
    ("me", "commands.me", EVERYONE),
    ("tasks", "commands.tasks", CASE_STAFF),
    ("callin", "callin.command", CASE_STAFF),
    ("merge", "merge.command", CASE_STAFF),
    ("visits", "care.command_visits", NOT_PARTNERS),
    ("household", "care.command_household", NOT_PARTNERS),
    ("households", "care.command_households", NOT_PARTNERS),
    ("patrol", "care.command_patrol", NOT_PARTNERS),
    ("monthly", "care.command_monthly", NOT_PARTNERS),
    ("revisits", "revisit.command", CALLERS),
    ("appraisal", "appraisal.command", NOT_PARTNERS),
    ("export", "ledger.command", NOT_PARTNERS),
    ("volunteer", "volunteer.command_volunteer", EVERYONE),
    ("wish", "wish.command_wish", EVERYONE),
    ("wishes", "wish.command_wishes", EVERYONE),
    ("activities", "activity.command_activities", EVERYONE),
    ("points", "points.command_points", EVERYONE),
    ("volunteers", "volunteer.command_volunteers", NOT_PARTNERS),
    ("dualreport", "dualreport.command", DUAL_REPORT),
    ("activity_new", "activity.command_new", NOT_PARTNERS),
    ("staff", "staff.command_staff", MANAGERS),
    ("invite", "staff.command_invite", MANAGERS),
    ("audit", "audit.command", ADMINS),
    ("web", "weblogin.command", STAFF - HELPERS),
    ("broadcast", "broadcast.command", NOT_PARTNERS),
    ("poll", "poll.command", NOT_PARTNERS),
    ("mute", "broadcast.command_mute", EVERYONE),
    ("unmute", "broadcast.command_unmute", EVERYONE),
    ("book", "booking.command_book", EVERYONE),
    ("bookings", "booking.command_bookings", EVERYONE),
    ("grid", "contacts.command_grid", EVERYONE),
    ("contact", "contacts.command_contact", SUPERVISORS),
    ("cadres", "cadres.command_cadres", CADRE_MANAGERS),
    ("duty", "cadres.command_duty", CADRES),
    ("building", "teams.command_building", GRID_STAFF),
    ("teamreport", "teams.command_teamreport", HELPERS),
    ("teamreports", "teams.command_teamreports", TEAM_LEADS),
    ("privacy", "privacy.command_privacy", EVERYONE),
    ("delete_my_data", "privacy.command_delete", EVERYONE),
    ("merchant", "merchant.command_merchant", EVERYONE),
    ("merchants", "merchant.command_merchants", NOT_PARTNERS),
    ("lang", "commands.lang", EVERYONE),
    ("cancel", "commands.cancel", EVERYONE),
    ("help", "commands.help", EVERYONE),
]


def commands(texts: Callable[..., str], lang: str, *, role: Role | None) -> list[dict[str, str]]:
    """Returns the BotCommand list a resident (ROLE None) or a staff member with ROLE sees, in
    LANG: the residents' commands and those of the staff commands ROLE may use."""
    return [
        {"command": name, "description": texts(key, lang)}
        for name, key, who in COMMANDS
        if not who or (role is not None and role in who)
    ]


def help_key(staff: Staff | None) -> str:
    """Returns the /help text for STAFF: a partner's or a helper's own, other staff's, or a
    resident's."""
    if staff is None:
        return "common.help_resident"
    if staff.role.is_helper:
        return "teams.help_helper"
    return "common.help_partner" if staff.role is Role.PARTNER else "common.help_staff"


def command_menu(
    texts: Callable[..., str], user_id: int, lang: str, *, role: Role | None
) -> Outgoing:
    """Returns the setMyCommands call that gives USER_ID's private chat its menu in LANG: that of
    ROLE (None: no longer staff).

    Someone who stops being staff gets the resident list in their chat scope (which is what the
    default menu shows), so no staff command lingers there.
    """
    params = {
        "commands": commands(texts, lang, role=role),
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
