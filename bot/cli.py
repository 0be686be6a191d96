"""The `griddesk` command: run the bot, check the configuration, import data, invite staff."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot import settings as settings_module
from bot.clock import Clock
from bot.domain.people import Role, Staff
from bot.domain.routing import route
from bot.domain.summary import IsoWeek
from bot.domain.units import Unit, UnitTree
from bot.importer import ImportRefused
from bot.settings import ConfigError, Settings
from storage.backup import BackupError
from storage.db import DatabaseBusy
from storage.migrate_db import MigrateRefused

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
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook at [web] public_url (needs [web] listen), not polling",
    )

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

    save = commands.add_parser(
        "backup", help="copy the database to a file, consistent while the bot runs"
    )
    save.add_argument("--config", required=True, help="TOML configuration file")
    save.add_argument("--to", required=True, type=Path, help="the backup file to write")

    export = commands.add_parser(
        "export", help="write a unit subtree's 台账 (cases, visits, …) to an XLSX file"
    )
    export.add_argument("--config", required=True, help="TOML configuration file")
    export.add_argument("--unit", required=True, help="unit code; its subtree is exported")
    export.add_argument(
        "--from", dest="first", required=True, type=_day, help="first day, YYYY-MM-DD (included)"
    )
    export.add_argument(
        "--to", dest="last", required=True, type=_day, help="last day, YYYY-MM-DD (included)"
    )
    export.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    export.add_argument("--lang", choices=("zh", "en"), help="headers; default: default_language")

    back = commands.add_parser(
        "restore", help="replace the database with a backup (the bot must be stopped)"
    )
    back.add_argument("--config", required=True, help="TOML configuration file")
    back.add_argument("--from", dest="source", required=True, type=Path, help="a backup file")

    move = commands.add_parser(
        "migrate-db",
        help="copy the SQLite database into an empty PostgreSQL database (the bot stopped)",
    )
    move.add_argument("--config", required=True, help="TOML configuration file")
    move.add_argument(
        "--to", dest="target", required=True, help="postgresql://… of an empty database"
    )
    return parser


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


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
    except (BackupError, DatabaseBusy, MigrateRefused) as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return REFUSED


def cmd_run(args: argparse.Namespace) -> int:
    from bot import logredact
    from bot.app import build_application
    from bot.clock import clock_from_env
    from bot.runner import run

    settings = settings_module.load(args.config)  # logs nothing; a bad file exits here
    token = settings_module.require_token(settings)
    if args.webhook and not (settings.web.listen and settings.web.public_url):
        print(
            f"griddesk: --webhook needs [web] listen and public_url in {args.config}",
            file=sys.stderr,
        )
        return CONFIG
    secrets = [token]
    if settings.telegram.proxy:  # a proxy URL may carry a password
        secrets.append(urlsplit(settings.telegram.proxy).password or "")
    level = args.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logredact.install(secrets)  # before the first record: every one is redacted, DEBUG included
    if level != "DEBUG":
        # httpx logs every request at INFO: noise unless DEBUG was asked for (redacted either way).
        logging.getLogger("httpx").setLevel(logging.WARNING)
    clock = clock_from_env()
    app = build_application(settings, token=token, api_url=args.api_url, clock=clock)
    return asyncio.run(run(app, clock, webhook=args.webhook))


def cmd_check_config(args: argparse.Namespace) -> int:
    from bot.clock import clock_from_env

    settings = settings_module.load(args.config)
    today = clock_from_env()().astimezone(ZoneInfo(settings.timezone)).date()
    print("\n".join(describe(settings, today)))
    return 0


def describe(settings: Settings, today: date | None = None) -> list[str]:
    """Returns the configured tree with each unit's staff, the categories, and what to look at.

    With TODAY, the notes also name this year (and from October the next) if its working days
    are provisional.
    """
    tree = UnitTree.from_configs(settings.units)
    staff = [
        Staff(s.telegram_id, s.name, Role(s.role), s.unit, tuple(s.categories))
        for s in settings.staff
    ]
    names = {c.code: c.zh for c in settings.categories}
    published = {s.telegram_id for s in settings.staff if s.public}  # 公示: listed on /grid
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
            extra += "; public on /grid" if person.user_id in published else ""
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
    channel = settings.echo.channel
    lines += [
        "",
        f"回音壁 (results channel): {channel} (the bot must be an administrator allowed to post)"
        if channel is not None
        else "回音壁 (results channel): off ([echo] channel is not set)",
    ]
    notes = _notes(tree, staff) + _check_notes(settings, tree, staff)
    if settings.backup_dir() is None:
        notes.append(
            "no daily backup: [backup] dir is not set (`griddesk backup` still works by hand)"
        )
    if today is not None:
        notes += _calendar_notes(settings, today)
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
        f"  - refused presses and commands (/audit): {p.audit_days} days",
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


def _check_notes(settings: Settings, tree: UnitTree, staff: list[Staff]) -> list[str]:
    """Names the grids where a 核实 category's reports find nobody to check them on site (they
    are dispatched at once there: bot/domain/checks.py)."""
    from bot.domain.checks import VERIFIER_ROLES

    checked = [c.code for c in settings.categories if c.verify]
    if not checked:
        return []
    verifiers = [p for p in staff if p.role in VERIFIER_ROLES and p.unit in tree]
    bare = [
        f"{unit.code} {unit.name}"
        for unit in tree
        if unit.level == "grid" and not any(tree.is_within(p.unit, unit.code) for p in verifiers)
    ]
    if not bare:
        return []
    return [
        f"核实 ({', '.join(checked)}): no grid worker, building or entrance head in grid"
        f" {', '.join(bare)}, so such reports placed there are dispatched without a check"
    ]


def _calendar_notes(settings: Settings, today: date) -> list[str]:
    from bot import calendar_sources

    # The State Council announces next year's holidays and 调休 days around November.
    years = [today.year, today.year + 1] if today.month >= 10 else [today.year]
    office_days = [*settings.calendar.holidays, *settings.calendar.workdays]
    return [
        f"calendar: the working days of {year} are provisional (statutory holidays estimated by"
        " rule, no 调休 make-up workdays known); once the State Council announces them, list"
        " them in [calendar] holidays and workdays"
        for year in calendar_sources.provisional_years(years, office_days)
    ]


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
            await services.store.close()

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
    from bot.domain.staffing import ROLE_LEVELS, fits_level
    from bot.usecases.staff import create_link

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
        if not fits_level(role, unit, tree):
            raise ConfigError(
                f"--unit: a {role.value} sits on a unit of level {ROLE_LEVELS[role]!r};"
                f" {unit!r} is a {tree.get(unit).level!r}"
            )
        username = await bot_username(settings, api_url)
        link, expires = await create_link(
            services, role, unit, name=name, ttl=ttl, username=username
        )
    finally:
        await services.store.close()
    where = f"{unit} {tree.path_name(unit) or tree.get(unit).name}"
    return link, expires, where


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
    from bot.jobs.summaries import summary_command

    return summary_command(args.config, args.unit, args.week, args.png, args.lang)


_PG_BACKUP = (
    "{config}: storage.url is a PostgreSQL server: griddesk backup and restore copy the SQLite"
    " file; use PostgreSQL's own pg_dump / pg_restore (or its base backups) there"
)


def cmd_backup(args: argparse.Namespace) -> int:
    from storage import backup

    settings = settings_module.load(args.config)
    if settings.uses_postgres():
        raise ConfigError(_PG_BACKUP.format(config=args.config))
    result = backup.backup(settings.database_path(), args.to)
    print(
        f"{result.path}: {result.reports} reports, schema {result.version},"
        f" {result.size / 1e6:.1f} MB in {result.seconds:.1f} s; integrity check ok."
        " Mode 0600: it holds personal data."
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot.domain.ledger import PeriodError, checked

    settings = settings_module.load(args.config)
    try:
        span = checked(args.first, args.last)
    except PeriodError as exc:
        problem = {"ledger.reversed": "--to is before --from"}.get(exc.key, "period too long")
        print(f"griddesk: {problem} (at most three years)", file=sys.stderr)
        return CONFIG
    lang = args.lang or settings.default_language

    async def go() -> tuple[object, dict[str, int] | None]:
        from bot.app import open_services
        from bot.clock import clock_from_env
        from bot.usecases import ledger

        services = await open_services(settings, clock_from_env())
        try:
            tree = await services.units.tree()
            if args.unit not in tree:
                return "unknown", None
            built = await ledger.build(services, args.unit, span, lang, at=services.clock())
            if built is None:
                return "empty", None
            _write_private(args.out, built.data)
            return "done", built.counts
        finally:
            await services.store.close()

    outcome, counts = asyncio.run(go())
    if outcome == "unknown":
        print(f"griddesk: no unit with the code {args.unit!r}", file=sys.stderr)
        return CONFIG
    if counts is None:
        print(
            f"griddesk: nothing to export at {args.unit} from {span.first} to {span.last};"
            " no file written",
            file=sys.stderr,
        )
        return REFUSED
    shown = ", ".join(f"{sheet} {n}" for sheet, n in counts.items())
    print(f"{args.out}: {args.unit} {span.first} to {span.last} (both included): {shown}")
    return 0


def _write_private(path: Path, data: bytes) -> None:
    """Writes DATA to PATH through a temporary file (no half-written ledger), mode 0600."""
    import os

    temporary = path.with_name(path.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def cmd_restore(args: argparse.Namespace) -> int:
    from storage import backup

    settings = settings_module.load(args.config)
    if settings.uses_postgres():
        raise ConfigError(_PG_BACKUP.format(config=args.config))
    result = backup.restore(settings.database_path(), args.source, datetime.now())
    print(
        f"{result.path}: restored from {args.source} ({result.reports} reports, schema"
        f" {result.version}; newer migrations run at the next start)."
    )
    if result.kept_aside is not None:
        print(f"The database it replaced is kept as {result.kept_aside}.")
    for line in undone_warning(result.undone):
        print(line)
    return 0


def cmd_migrate_db(args: argparse.Namespace) -> int:
    """Copies [storage] path's SQLite file into the PostgreSQL database --to (all or nothing)."""
    from storage.migrate_db import migrate_db

    settings = settings_module.load(args.config)
    source = settings.database_path()
    result = asyncio.run(migrate_db(source, args.target))
    width = max(len(table) for table in result.counts)
    for table, rows in result.counts.items():
        print(f"{table:<{width}}  {rows:>9} rows")
    total = sum(result.counts.values())
    print(
        f"{source} → PostgreSQL: {len(result.counts)} tables, {total} rows, schema"
        f" {result.version}, row counts equal on both sides ({result.seconds:.1f} s). Set"
        " [storage] url (or GRIDDESK_DB_URL) to that database and start the bot."
    )
    return 0


def undone_warning(undone: tuple[tuple[str, str], ...] | None) -> list[str]:
    """Returns the warning that a restore brought back data erased after the backup was taken."""
    if undone is None:
        return [
            "Warning: the replaced database could not be read, so it is unknown whether"
            " erasures made after this backup are undone; ask the office's data protection"
            " officer (README: Backup and restore)."
        ]
    if not undone:
        return []
    lines = [
        f"Warning: {len(undone)} erasure(s) made after this backup was taken are undone by this"
        " restore: the data they removed is back. griddesk records when, not whom, so they"
        " cannot be re-run; the office's data protection officer decides what to do"
        " (README: Backup and restore). Erased at (UTC):"
    ]
    lines += [f"  - {at[:19].replace('T', ' ')} ({kind})" for kind, at in undone]
    return lines


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "check-config": cmd_check_config,
    "import": cmd_import,
    "invite": cmd_invite,
    "summary": cmd_summary,
    "backup": cmd_backup,
    "export": cmd_export,
    "restore": cmd_restore,
    "migrate-db": cmd_migrate_db,
}
