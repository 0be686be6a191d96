"""build_application(): the only place that wires everything together, in order."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, system_clock
from bot.context import GridContext
from bot.domain.categories import Category
from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree
from bot.services import Services
from bot.settings import Settings
from bot.texts import Texts
from storage.db import Database

if TYPE_CHECKING:
    from bot.faults import Faults

log = logging.getLogger(__name__)

# (command, catalog key of its description, shown to staff only)
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


def api_urls(api_url: str | None, file_url: str | None) -> tuple[str | None, str | None]:
    """Returns PTB's base_url and base_file_url for a self-hosted Bot API server at API_URL."""
    if not api_url:
        return None, file_url
    root = api_url.rstrip("/")
    if root.endswith("/bot"):
        root = root[: -len("/bot")]
    return f"{root}/bot", file_url or f"{root}/file/bot"


def build_application(
    settings: Settings,
    *,
    token: str,
    api_url: str | None = None,
    request: BaseRequest | None = None,
    clock: Clock = system_clock,
) -> Application:
    """Returns the configured Application; `initialize` / `shutdown` below open and close it."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .updater(None)  # the inbox poller (bot/poller.py) confirms updates only after storing them
        .context_types(ContextTypes(context=GridContext))
    )
    base_url, base_file_url = api_urls(
        api_url or settings.telegram.api_url, settings.telegram.file_url
    )
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        proxy = settings.telegram.proxy
        timeout = settings.telegram.poll_timeout + 15
        builder = builder.request(
            HTTPXRequest(connection_pool_size=16, proxy=proxy, read_timeout=15, write_timeout=30)
        ).get_updates_request(HTTPXRequest(proxy=proxy, read_timeout=timeout))
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["clock"] = clock
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:
    """Registers every handler, in order: commands, then buttons, then free messages."""
    # Importing a sweep module registers its sweeps with bot/jobs.py: deadlines (nags,
    # escalation), weekly summaries, 五必访 visits, wish nags, activity reminders, leaderboards,
    # retention.
    import bot.care_sweeps
    import bot.privacy_sweeps
    import bot.report_sweeps
    import bot.staff_sweeps
    import bot.summaries
    import bot.volunteer_sweeps  # noqa: F401
    from handlers import (
        audit,
        care,
        common,
        extension,
        flows,
        group,
        invites,
        limits,
        monthly,
        patrol,
        privacy,
        report_flow,
        resident,
        staff_admin,
        staff_invite,
        verify,
        visit,
        volunteer_features,
        worker,
        worker_tasks,
    )
    from handlers import register as registration

    common.register(app)
    limits.register(app)  # its own early group: a resident's flood stops before any handler
    group.register(app)  # before any handler that takes group messages (migration notices)
    invites.register(app)
    resident.register(app)
    registration.register(app)
    report_flow.register(app)
    verify.register(app)  # report:(solved|unsolved|stars|nocomment) before worker's report:
    worker.register(app)
    extension.register(app)  # ext:… buttons: 申请延期 and its approval
    worker_tasks.register(app)
    care.register(app)  # /household /households, household:… buttons; care commands in groups
    visit.register(app)
    patrol.register(app)
    monthly.register(app)
    volunteer_features.register(app)  # /volunteer /wish /activities /points and their buttons
    staff_admin.register(app)  # /staff, staff:… and staffmv:… buttons
    staff_invite.register(app)  # /invite ROLE UNIT
    audit.register(app)  # /audit: refused presses and commands, for admins
    privacy.register(app)  # /privacy /delete_my_data, privacy: consent: hherase: buttons
    # Last: any other private message goes to the user's current step (handlers/flows.py).
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND,
            flows.dispatch,
        )
    )
    # Last, so the daily backup (a copy of the whole database) never delays the other sweeps
    # of a pass.
    from bot import backup_sweep

    backup_sweep.register()


async def open_services(settings: Settings, clock: Clock) -> Services:
    """Opens the database, loads the configured tree, staff and categories into it.

    Closes the database again if any of it fails (or is cancelled), so a retry after a storage
    fault (bot/faults.py) starts afresh and leaves no connection behind.
    """
    db = await Database(settings.database_path()).open()
    try:
        return await _load_config(settings, clock, db)
    except BaseException:
        await db.close()
        raise


async def _load_config(settings: Settings, clock: Clock, db: Database) -> Services:
    """Returns the services on the open DB, with the config file's tree, categories and staff."""
    services = Services(
        settings=settings,
        db=db,
        texts=Texts(settings.default_language),
        clock=clock,
        tz=ZoneInfo(settings.timezone),
    )
    tree = UnitTree.from_configs(settings.units)
    await services.units.replace_from_config(
        list(tree),
        [Category(c.code, c.zh, c.en, c.route_level, c.urgent) for c in settings.categories],
    )
    now = clock()
    await services.people.sync_staff(
        [
            Staff(s.telegram_id, s.name, Role(s.role), s.unit, tuple(s.categories))
            for s in settings.staff
        ],
        "config",
        now,
    )
    # Staff removed from the file leave: the staff_departed sweep re-routes what they held.
    gone = await services.people.retire_config_staff((s.telegram_id for s in settings.staff), now)
    if gone:
        log.info("deactivated %d staff no longer in the config file", len(gone))
    kept_out = await services.people.kept_out(s.telegram_id for s in settings.staff)
    if kept_out:  # ids only: names are personal data
        log.warning(
            "staff %s are listed in %s but were deactivated in chat; they stay inactive"
            " (remove them from the file, or send them an invite to bring them back)",
            ", ".join(str(user_id) for user_id in kept_out),
            settings.source,
        )
    return services


async def initialize(app: Application, faults: Faults | None = None) -> Services:
    """Initialises the bot (getMe), opens the services and publishes the command menu.

    PTB runs post_init hooks only inside run_polling/run_webhook, which griddesk does not use
    (bot/runner.py polls through the inbox), so start-up is spelled out here. With FAULTS, a
    storage fault while opening (a locked database, a full disk) is waited out and the admin
    chat told; without, it is raised.
    """
    await app.initialize()  # getMe first: the admin chat can be told about a fault below
    settings: Settings = app.bot_data["settings"]
    clock: Clock = app.bot_data["clock"]
    if faults is None:
        services = await open_services(settings, clock)
    else:
        services = await faults.wait_out(lambda: open_services(settings, clock), "start-up")
        faults.attach(services)
    app.bot_data["services"] = services
    await set_commands(app, services)
    return services


async def set_commands(app: Application, services: Services) -> None:
    """Publishes the command menu in zh (the default) and en."""
    for lang in ("zh", "en"):
        commands = [
            BotCommand(name, services.texts(key, lang))
            for name, key, staff in COMMANDS
            if not staff
        ]
        kwargs: dict[str, Any] = {} if lang == "zh" else {"language_code": "en"}
        try:
            await app.bot.set_my_commands(commands, **kwargs)
        except Exception as exc:  # the menu is a convenience; never block start-up on it
            log.warning("setMyCommands (%s) failed: %s", lang, exc)


async def shutdown(app: Application) -> None:
    """Closes the services (an unclosed aiosqlite connection keeps the process alive)."""
    services: Services | None = app.bot_data.pop("services", None)
    if services is not None:
        await services.db.close()
    await app.shutdown()
