"""The `griddesk` command: run the bot, check the configuration, import data, invite staff."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import settings as settings_module
from bot.settings import ConfigError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="griddesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (long polling)")
    run.add_argument("--config", required=True, help="TOML configuration file")
    run.add_argument("--api-url", help="Bot API server, e.g. http://127.0.0.1:8081 (self-hosted)")
    run.add_argument("--log-level", default="INFO")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler = COMMANDS[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return 2


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
    asyncio.run(run(app, clock))
    return 0


COMMANDS = {"run": cmd_run}
