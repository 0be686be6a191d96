"""build_application(): the only place that wires everything together, in order."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, system_clock
from bot.context import GridContext
from bot.domain.categories import Category
from bot.domain.people import Role, Staff
from bot.domain.units import UnitTree
from bot.jobs import Sweep, backup, summaries
from bot.jobs import appraisal as appraisal_jobs
from bot.jobs import bookings as booking_jobs
from bot.jobs import broadcasts as broadcast_jobs
from bot.jobs import cadres as cadre_jobs
from bot.jobs import callins as callin_jobs
from bot.jobs import care as care_jobs
from bot.jobs import dualreport as dualreport_jobs
from bot.jobs import echo as echo_jobs
from bot.jobs import ledger as ledger_jobs
from bot.jobs import merchants as merchant_jobs
from bot.jobs import privacy as privacy_jobs
from bot.jobs import reports as report_jobs
from bot.jobs import revisit as revisit_jobs
from bot.jobs import staff as staff_jobs
from bot.jobs import teams as team_jobs
from bot.jobs import volunteers as volunteer_jobs
from bot.metrics import Prometheus
from bot.notices.staff import COMMANDS
from bot.services import Services
from bot.settings import Settings
from bot.texts import Texts
from bot.usecases import cadres, contacts
from handlers.appraisal import wiring as appraisal_wiring
from handlers.bookings import wiring as booking_wiring
from handlers.broadcasts import compose as broadcast_compose
from handlers.broadcasts import mute as broadcast_mute
from handlers.broadcasts import wiring as broadcast_wiring
from handlers.cadres import wiring as cadre_wiring
from handlers.callins import wiring as callin_wiring
from handlers.care import households, monthly, patrols, visits
from handlers.care import wiring as care_wiring
from handlers.contacts import grid as contact_grid
from handlers.contacts import manage as contact_manage
from handlers.contacts import wiring as contact_wiring
from handlers.dualreport import wiring as dualreport_wiring
from handlers.groups import bindings
from handlers.groups import wiring as group_wiring
from handlers.kit import flows, limits, picker
from handlers.ledger import wiring as ledger_wiring
from handlers.merchants import wiring as merchant_wiring
from handlers.polls import create as poll_create
from handlers.polls import vote as poll_vote
from handlers.polls import wiring as poll_wiring
from handlers.reports import checks as report_checks
from handlers.reports import (
    extension,
    followers,
    merge,
    reject_approval,
    relay,
    submit_flow,
    tasks,
    verify,
    worker,
)
from handlers.reports import wiring as report_wiring
from handlers.residents import basics, place, privacy, profile
from handlers.residents import wiring as resident_wiring
from handlers.revisit import wiring as revisit_wiring
from handlers.staff import audit, invite_command, invite_links, manage, web_link
from handlers.staff import wiring as staff_wiring
from handlers.teams import wiring as team_wiring
from handlers.volunteers import wiring as volunteer_wiring
from handlers.web import dashboard as web_dashboard
from handlers.web import figures as web_figures
from handlers.web import health as web_health
from handlers.web import home as web_home
from handlers.web import login as web_login
from handlers.web import metrics as web_metrics
from handlers.web import open311 as web_open311
from handlers.web import pages as web_pages
from handlers.web import server as web_server
from handlers.web import webhook as web_webhook
from handlers.web.context import Web, Webhook
from storage import groups as group_rows
from storage import points as point_rows
from storage.outbox import ChatMoved
from storage.uow import Store, open_store

if TYPE_CHECKING:
    from bot.faults import Faults

log = logging.getLogger(__name__)


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


# Every handler, in order: commands, then buttons, then free messages. Where the order matters it
# is said why.
HANDLERS: tuple[Callable[[Application], None], ...] = (
    basics.register,
    limits.register,  # its own early group: a resident's flood stops before any handler
    bindings.register,  # before any handler that takes group messages (migration notices)
    invite_links.register,
    profile.register,
    place.register,  # place:(yes|tree|gps): a located building, before the picker's place:
    picker.register,  # place:… the one unit-tree picker of every flow
    submit_flow.register,
    verify.register,  # report:(solved|unsolved|stars|nocomment) before worker's report:
    worker.register,
    extension.register,  # ext:… buttons: 申请延期 and its approval
    report_checks.register,  # check:… / review:… buttons: 核实 and 复查
    merge.register,  # /merge and merge:… buttons: 并单 by staff
    followers.register,  # follow:… buttons: a follower's answer once resolved
    reject_approval.register,  # rejreq:… buttons: 退单 that needs the tier above
    relay.register,  # report:reply:… the anonymous reporter answers through the bot
    tasks.register,
    callin_wiring.register,  # /callin, callin:… buttons (吹哨报到)
    households.register,  # /household /households, household:… buttons; care commands in groups
    visits.register,
    patrols.register,
    monthly.register,
    volunteer_wiring.register,  # /volunteer /wish /activities /points and their buttons
    manage.register,  # /staff and staff:… buttons (old staffmv:… walk buttons: stale)
    invite_command.register,  # /invite ROLE UNIT
    audit.register,  # /audit: refused presses and commands, for admins
    web_link.register,  # /web: a login link to the web dashboard, for staff
    appraisal_wiring.register,  # /appraisal: a unit's 考核 figures, in private
    dualreport_wiring.register,  # /dualreport and its dualrep:… pages (双报告 preview)
    ledger_wiring.register,  # /export: a unit's 台账 as XLSX, ledger:… buttons
    contact_grid.register,  # /grid: who serves the resident's grid (公示)
    contact_manage.register,  # /contact and contact:… buttons: what /grid publishes
    team_wiring.register,  # /building /teamreport /teamreports, bldg:… teamrep:… (1+1+1+N)
    privacy.register,  # /privacy /delete_my_data, privacy: consent: hherase: buttons
    broadcast_compose.register,  # /broadcast and its bcast:… buttons
    broadcast_mute.register,  # /mute /unmute
    poll_create.register,  # /poll and its pollnew:… buttons
    poll_vote.register,  # poll:vote / poll:notify on residents' cards; Telegram's poll updates
    cadre_wiring.register,  # /cadres /duty and cadre:… buttons (下沉干部)
    merchant_wiring.register,  # /merchant /merchants, mreg: mchk: merchs: merch: (码上安全)
    revisit_wiring.register,  # /revisits and revisit:… presses (回访)
    booking_wiring.register,  # /book /bookings, bknew:… and book:… buttons (预约办理)
    flows.register,  # last: any other private message goes to the user's current step
)

# Every conversation step, idle callback and place-picker outcome (handlers/kit/flows.py);
# a (flow, step) listed twice fails here, at start-up.
FLOWS = flows.Table.merge(
    resident_wiring.FLOWS,
    report_wiring.FLOWS,
    care_wiring.FLOWS,
    volunteer_wiring.FLOWS,
    staff_wiring.FLOWS,
    group_wiring.FLOWS,
    ledger_wiring.FLOWS,
    callin_wiring.FLOWS,
    broadcast_wiring.FLOWS,
    poll_wiring.FLOWS,
    contact_wiring.FLOWS,
    cadre_wiring.FLOWS,
    team_wiring.FLOWS,
    merchant_wiring.FLOWS,
    revisit_wiring.FLOWS,
    booking_wiring.FLOWS,
)

# The sweeps of one pass, in order (bot/jobs/__init__.py runs them).
SWEEPS: tuple[tuple[str, Sweep], ...] = (
    ("care_visits", care_jobs.visits_due),
    ("retention", privacy_jobs.retention),
    ("report_deadlines", report_jobs.report_deadlines),
    ("callin_deadlines", callin_jobs.callin_deadlines),
    ("staff_departed", staff_jobs.staff_departed),
    ("staff_menus", staff_jobs.staff_menus),
    ("summaries", summaries.send_weekly_summaries),
    ("appraisal", appraisal_jobs.monthly_posts),  # the monthly 通报 and 红黄榜
    ("wish_nags", volunteer_jobs.nag_wishes),
    ("activity_reminders", volunteer_jobs.remind_activities),
    ("volunteer_leaderboard", volunteer_jobs.post_leaderboards),
    ("team_reports", team_jobs.team_reports),  # 工作月汇报 reminders, missing lists to grid heads
    ("dual_reports", dualreport_jobs.monthly_reports),  # 双报告 to the work units, monthly
    ("broadcast_progress", broadcast_jobs.broadcast_progress),
    ("poll_close", broadcast_jobs.poll_close),
    ("echo", echo_jobs.post_echoes),  # 回音壁: closed, verified cases to the channel
    ("cadres", cadre_jobs.weekly_reminders),  # 下沉干部: weekly reminders and heads' lists
    ("revisits", revisit_jobs.revisits),  # 回访: cards, reminders, the street told
    ("booking_reminders", booking_jobs.remind_bookings),
    ("booking_purposes", booking_jobs.forget_purposes),  # retention of what residents typed
    ("ledger", ledger_jobs.exports),  # 台账 exports asked in chat, built in a worker thread
    ("merchant_checks", merchant_jobs.merchant_checks),  # 码上安全 checklists, reminders, misses
    ("backup", backup.daily_backup),  # last: never delays the other sweeps of a pass
)

# The web app's route groups, in order (handlers/web/server.py builds the app from them).
WEB_ROUTES: tuple[web_server.RouteGroup, ...] = (
    web_health.routes,  # /healthz /readyz
    web_metrics.routes,  # /metrics
    web_webhook.routes,  # /telegram/<secret path>, in webhook mode only
    web_open311.routes,  # /open311/v2/… (GeoReport v2)
    web_pages.routes,  # /static/… (the dashboard's scripts, styles and vendored libraries)
    web_login.routes,  # /login /logout /app /login/telegram: staff sessions (and the Mini App)
    web_home.routes,  # / (open cases by tier, the map or list) and /cases.geojson
    web_figures.routes,  # /figures (unit figures with charts) and /figures.xlsx
    web_dashboard.routes,  # /cases, /cases/{number} (+ photos, actions): the case pages
)

# Tables that hold chat ids and follow a group that became a supergroup, in the outbox's
# migration transaction (storage/outbox.py Outbox.migrate_chat).
MIGRATION_HOOKS: tuple[ChatMoved, ...] = (group_rows.follow_migration, point_rows.follow_migration)


def register_handlers(app: Application) -> None:
    """Registers every handler (HANDLERS), the flow table (FLOWS) and the sweeps (SWEEPS)."""
    app.bot_data["flows"] = FLOWS
    app.bot_data["sweeps"] = SWEEPS
    for register in HANDLERS:
        register(app)


async def open_services(settings: Settings, clock: Clock) -> Services:
    """Opens the database, loads the configured tree, staff and categories into it.

    Closes the database again if any of it fails (or is cancelled), so a retry after a storage
    fault (bot/faults.py) starts afresh and leaves no connection behind.
    """
    store = await open_store(settings.database_location(), chat_moved=MIGRATION_HOOKS)
    try:
        return await _load_config(settings, clock, store)
    except BaseException:
        await store.close()
        raise


async def _load_config(settings: Settings, clock: Clock, store: Store) -> Services:
    """Returns the services on the open STORE, with the config file's tree, categories and staff."""
    services = Services(
        settings=settings,
        store=store,
        texts=Texts(settings.default_language),
        clock=clock,
        tz=ZoneInfo(settings.timezone),
    )
    tree = UnitTree.from_configs(settings.units)
    await services.units.replace_from_config(
        list(tree),
        [
            Category(
                c.code,
                c.zh,
                c.en,
                c.route_level,
                c.urgent,
                merge_radius_m=c.merge_radius_m,
                reject_needs_approval=c.reject_needs_approval,
                anonymous=c.anonymous,
                verify=c.verify,
                review=c.review,
                revisit=c.revisit,
            )
            for c in settings.categories
        ],
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
    await contacts.sync_config(services, now)  # 公示: what the file publishes about its staff
    await cadres.sync_config(services, now)  # 下沉干部 the file sends down ([[cadres.members]])
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
        await services.store.close()
    await app.shutdown()


async def webhook_secrets(services: Services) -> Webhook:
    """Returns the webhook's secret path and token: the configured token, else ones generated
    once and kept in the database (so a restart keeps the URL Telegram knows)."""
    web = services.store.web
    path = await web.secret("webhook_path", lambda: secrets.token_urlsafe(24))
    token = services.settings.web.webhook_secret or await web.secret(
        "webhook_secret", lambda: secrets.token_urlsafe(32)
    )
    return Webhook(path, token)


def build_web(
    app: Application,
    services: Services,
    metrics: Prometheus,
    *,
    started: datetime,
    webhook: Webhook | None,
    wake: Callable[[], None],
) -> Starlette:
    """Returns the web app (WEB_ROUTES) on SERVICES; bot/runner.py serves it with uvicorn."""
    web = Web(services, app, metrics, started, webhook=webhook, wake=wake)
    return web_server.build(web, WEB_ROUTES)
