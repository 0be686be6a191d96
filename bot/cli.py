"""The `griddesk` command: run the bot, check the configuration, import data, invite staff."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import settings as settings_module
from bot.clock import Clock
from bot.domain.people import Role, Staff
from bot.domain.routing import route
from bot.domain.summary import IsoWeek
from bot.domain.units import Unit, UnitTree
from bot.importer import ImportRefused
from bot.settings import ConfigError, Settings

# Exit codes: 0 done, 1 the input was refused (a CSV row), 2 configuration or usage problem.
REFUSED = 1
CONFIG = 2


def _ttl_hours(text: str) -> int:
    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of hours") from None
    if not 1 <= hours <= 720:
        raise argparse.ArgumentTypeError("must be between 1 and 720 hours (30 days)")
    return hours


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="griddesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot (long polling)")
    run.add_argument("--config", required=True, help="TOML configuration file")
    run.add_argument("--api-url", help="Bot API server, e.g. http://127.0.0.1:8081 (self-hosted)")
    run.add_argument("--log-level", default="INFO")

    check = commands.add_parser(
        "check-config", help="validate the configuration and print the unit tree"
    )
    check.add_argument("--config", required=True, help="TOML configuration file")

    load = commands.add_parser(
        "import", help="load units or staff from a CSV file (all rows or none)"
    )
    load.add_argument("what", choices=("units", "staff"))
    load.add_argument("file", type=Path, help="CSV file, UTF-8 with a header line")
    load.add_argument("--config", required=True, help="TOML configuration file")

    invite = commands.add_parser(
        "invite", help="print a single-use, expiring link that enrols a staff member"
    )
    invite.add_argument("--config", required=True, help="TOML configuration file")
    invite.add_argument("--role", required=True, choices=[role.value for role in Role])
    invite.add_argument("--unit", required=True, help="code of the unit they work at")
    invite.add_argument("--name", default="", help="their name (default: their Telegram name)")
    invite.add_argument("--ttl-hours", type=_ttl_hours, default=72, help="valid for (default 72)")
    invite.add_argument("--api-url", help="Bot API server used to look up the bot's username")

    summary = commands.add_parser(
        "summary", help="print a unit's weekly summary (as groups get it)"
    )
    summary.add_argument("--config", required=True, help="TOML configuration file")
    summary.add_argument("--unit", required=True, help="unit code; its subtree is summarised")
    summary.add_argument("--week", type=_iso_week, help="ISO week, e.g. 2026-W47 (default: last)")
    summary.add_argument("--png", help="also write the chart to this PNG file")
    summary.add_argument("--lang", choices=("zh", "en"), help="default: default_language")
    return parser


def _iso_week(text: str) -> IsoWeek:
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler = COMMANDS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return CONFIG
    except ImportRefused as exc:
        shown = exc.problems[:50]
        for problem in shown:
            print(problem, file=sys.stderr)
        if len(exc.problems) > len(shown):
            print(f"… and {len(exc.problems) - len(shown)} more", file=sys.stderr)
        print(f"griddesk: {exc.path}: nothing was imported", file=sys.stderr)
        return REFUSED


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import build_application
    from bot.clock import clock_from_env
    from bot.runner import run

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = settings_module.load(args.config)
    token = settings_module.require_token(settings)
    clock = clock_from_env()
    app = build_application(settings, token=token, api_url=args.api_url, clock=clock)
    return asyncio.run(run(app, clock))


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = settings_module.load(args.config)
    print("\n".join(describe(settings)))
    return 0


def describe(settings: Settings) -> list[str]:
    """Returns the configured tree with each unit's staff, the categories, and what to look at."""
    tree = UnitTree.from_configs(settings.units)
    staff = [
        Staff(s.telegram_id, s.name, Role(s.role), s.unit, tuple(s.categories))
        for s in settings.staff
    ]
    names = {c.code: c.zh for c in settings.categories}
    staff_at: dict[str, list[Staff]] = {}
    for person in staff:
        staff_at.setdefault(person.unit, []).append(person)

    lines = [
        f"{settings.source}: OK: {len(tree)} units, {len(staff)} staff,"
        f" {len(settings.categories)} categories",
        "",
        "Units ([level] code name, coordinates) with their staff (name, role, telegram id):",
    ]

    def walk(unit: Unit, depth: int) -> None:
        pad = "  " * depth
        where = f"  ({unit.lat:.4f}, {unit.lon:.4f})" if unit.lat is not None else ""
        lines.append(f"{pad}[{unit.level}] {unit.code} {unit.name}{where}")
        for person in staff_at.get(unit.code, []):
            handles = ", ".join(f"{code} {names[code]}" for code in person.categories)
            extra = f"; handles {handles}" if handles else ""
            role = person.role.value
            lines.append(f"{pad}  - {person.name} ({role}, id {person.user_id}){extra}")
        for child in tree.children(unit.code):
            walk(child, depth + 1)

    for root in tree.roots():
        walk(root, 1)

    lines += [
        "",
        "Categories (at each unit from the report's place upwards: the staff member who handles",
        "the category there, else the unit's grid worker):",
    ]
    width = max((len(c.code) for c in settings.categories), default=0)
    for category in settings.categories:
        hints = []
        if category.urgent:
            hints.append("urgent")
        if category.route_level:
            hints.append(f"starts at the {category.route_level} level")
        handlers = [
            f"{p.name} ({p.role.value}, {p.unit})" for p in staff if p.handles(category.code)
        ]
        if handlers:
            hints.append("handled by " + ", ".join(handlers))
        hint = f"  [{'; '.join(hints)}]" if hints else ""
        lines.append(f"  {category.code:<{width}}  {category.zh} / {category.en}{hint}")

    lines += ["", *privacy_policy(settings)]
    notes = _notes(tree, staff)
    if notes:
        lines += ["", "Notes (the file is valid; these may still be worth a look):"]
        lines += [f"  - {note}" for note in notes]
    return lines


def privacy_policy(settings: Settings) -> list[str]:
    """Returns the retention policy in force ([privacy]), as the retention sweep applies it."""
    p = settings.privacy
    return [
        "Privacy (retention sweep, daily thresholds, at most"
        f" {p.batch} rows of each kind per pass):",
        f"  - raw Telegram updates (inbox) and sent messages (outbox): {p.raw_days} days",
        f"  - abandoned conversations (drafts): {p.draft_days} days",
        f"  - closed reports keep reporter, contact, text, location, photos: {p.case_years} years,"
        " then de-identified (figures kept)",
        f"  - 五必访 visit notes: {p.care_note_days} days",
        "  - a resident erases everything with /delete_my_data; staff erase a household"
        " with a reason",
    ]


def _notes(tree: UnitTree, staff: list[Staff]) -> list[str]:
    notes = []
    for unit in tree:
        if unit.level != "grid":
            continue
        if any(p.unit == unit.code and p.role is Role.GRID_WORKER for p in staff):
            continue
        target = route(unit.code, "", tree, staff)
        held = tree.get(target.unit)
        who = (
            f"go to {target.assignee.name} at {held.code} {held.name}"
            if target.assignee
            else f"wait unassigned at {held.code} {held.name}"
        )
        notes.append(f"grid {unit.code} {unit.name} has no grid worker: its reports {who}")
    for person in staff:
        if person.role is Role.PARTNER and not person.categories:
            notes.append(f"partner {person.name} handles no categories, so no report reaches them")
    return notes


def cmd_import(args: argparse.Namespace) -> int:
    from bot import importer

    settings = settings_module.load(args.config)
    load = importer.import_units if args.what == "units" else importer.import_staff

    async def go() -> importer.ImportResult:
        from bot.app import open_services
        from bot.clock import clock_from_env

        # Opening the services also loads the config's units and staff into the database,
        # as `griddesk run` does, so CSV rows may refer to them.
        services = await open_services(settings, clock_from_env())
        try:
            return await load(services, args.file)
        finally:
            await services.db.close()

    result = asyncio.run(go())
    print(result.summary(args.file))
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    settings = settings_module.load(args.config)
    link, expires, where = asyncio.run(
        create_invite_link(
            settings,
            Role(args.role),
            args.unit,
            name=args.name.strip(),
            ttl=timedelta(hours=args.ttl_hours),
            api_url=args.api_url,
        )
    )
    print(link)
    local = expires.astimezone(ZoneInfo(settings.timezone))
    print(
        f"Single use, for a {args.role} at {where}; valid until"
        f" {local:%Y-%m-%d %H:%M} ({settings.timezone}).",
        file=sys.stderr,
    )
    return 0


async def create_invite_link(
    settings: Settings,
    role: Role,
    unit: str,
    *,
    name: str = "",
    ttl: timedelta = timedelta(hours=72),
    api_url: str | None = None,
    clock: Clock | None = None,
) -> tuple[str, datetime, str]:
    """Stores a new invite and returns (its https://t.me link, when it expires, the unit's name)."""
    from bot.app import open_services
    from bot.clock import clock_from_env

    if len(name) > 64:
        raise ConfigError("--name: at most 64 characters")
    clock = clock or clock_from_env()
    services = await open_services(settings, clock)
    try:
        tree = await services.units.tree()
        if unit not in tree:
            raise ConfigError(
                f"--unit: unknown unit {unit!r} (neither in {settings.source} nor imported)"
            )
        username = await bot_username(settings, api_url)
        now = clock()
        token = await services.people.create_invite(role, unit, name, now, ttl)
    finally:
        await services.db.close()
    where = f"{unit} {tree.path_name(unit) or tree.get(unit).name}"
    return f"https://t.me/{username}?start={token}", now + ttl, where


async def bot_username(settings: Settings, api_url: str | None = None) -> str:
    """Returns telegram.bot_username, or asks the Bot API (getMe) with the token."""
    if settings.telegram.bot_username:
        return settings.telegram.bot_username
    if not settings.telegram.token:
        raise ConfigError(
            f"{settings.source}: telegram.bot_username is not set and telegram.token is empty"
            " (set either; the token may also come from GRIDDESK_TOKEN)"
        )
    from telegram import Bot
    from telegram.error import TelegramError
    from telegram.request import HTTPXRequest

    from bot.app import api_urls

    base_url, _ = api_urls(api_url or settings.telegram.api_url, None)
    request = HTTPXRequest(proxy=settings.telegram.proxy, connect_timeout=10, read_timeout=15)
    bot = Bot(
        settings.telegram.token,
        base_url=base_url or "https://api.telegram.org/bot",
        request=request,
        get_updates_request=request,
    )
    try:
        try:
            await bot.initialize()  # getMe
            username = bot.username
        finally:
            # Bot.shutdown() does nothing when initialize() failed; close the client either way.
            await request.shutdown()
    except TelegramError as exc:
        raise ConfigError(
            f"{settings.source}: telegram.token: getMe failed ({exc}); set telegram.bot_username"
            " to make invites without asking Telegram"
        ) from None
    return username


def cmd_summary(args: argparse.Namespace) -> int:
    from bot.summaries import summary_command

    return summary_command(args.config, args.unit, args.week, args.png, args.lang)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "check-config": cmd_check_config,
    "import": cmd_import,
    "invite": cmd_invite,
    "summary": cmd_summary,
}
