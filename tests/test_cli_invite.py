"""`griddesk invite` prints a single-use t.me deep link; pressing it enrols the staff member."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bot import cli
from bot.domain.people import Role
from tests import updates

LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]{1,64})")
NEWCOMER = 6101


def _with_username(config_path: Path, username: str = "griddesk_test_bot") -> Path:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace("[telegram]\n", f'[telegram]\nbot_username = "{username}"\n'),
        encoding="utf-8",
    )
    return config_path


def _invites(config_path: Path) -> list[sqlite3.Row]:
    path = config_path.parent / "griddesk.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM invites"))


def test_invite_prints_only_the_link_and_stores_a_single_use_expiring_token(config_path, capsys):
    config = _with_username(config_path)

    code = cli.main(
        [
            "invite",
            "--config",
            str(config),
            "--role",
            "grid_worker",
            "--unit",
            "G2",
            "--name",
            "刘洋",
            "--ttl-hours",
            "48",
        ]
    )

    captured = capsys.readouterr()
    assert code == 0
    link = captured.out.strip()
    assert captured.out == link + "\n"
    match = LINK.fullmatch(link)
    assert match is not None, link
    assert match.group(1) == "griddesk_test_bot"
    assert "grid_worker at G2 青山街道 / 春晖社区 / 第二网格" in captured.err
    [row] = _invites(config)
    assert (row["token"], row["role"], row["unit"], row["name"]) == (
        match.group(2),
        "grid_worker",
        "G2",
        "刘洋",
    )
    created = datetime.fromisoformat(row["created_at"])
    assert datetime.fromisoformat(row["expires_at"]) - created == timedelta(hours=48)
    assert row["used_by"] is None


def test_two_invites_get_different_tokens(config_path, capsys):
    config = _with_username(config_path)
    for _ in range(2):
        cli.main(["invite", "--config", str(config), "--role", "street", "--unit", "S1"])
    links = capsys.readouterr().out.split()
    assert len(set(links)) == 2


def test_invite_to_an_unknown_unit_exits_2_and_stores_nothing(config_path, capsys):
    config = _with_username(config_path)

    code = cli.main(["invite", "--config", str(config), "--role", "grid_worker", "--unit", "G9"])

    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--unit: unknown unit 'G9'" in captured.err
    assert _invites(config) == []


def test_invite_with_a_bad_role_is_a_usage_error(config_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["invite", "--config", str(config_path), "--role", "mayor", "--unit", "G1"])
    assert stopped.value.code == 2
    assert "invalid choice: 'mayor'" in capsys.readouterr().err


def test_invite_without_username_or_token_names_both_keys(config_path, capsys, monkeypatch):
    monkeypatch.delenv("GRIDDESK_TOKEN", raising=False)
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text.replace('token = "123456:TEST-TOKEN"', 'token = ""'), "utf-8")

    code = cli.main(["invite", "--config", str(config_path), "--role", "admin", "--unit", "D1"])

    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "telegram.bot_username is not set and telegram.token is empty" in err
    assert _invites(config_path) == []


class _FakeBotApi(BaseHTTPRequestHandler):
    """Answers getMe like the Bot API (or with 401 when the token is 'bad')."""

    paths: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.paths.append(self.path)
        if "/botbad:" in self.path:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            me = {"id": 42, "is_bot": True, "first_name": "Desk", "username": "xincun_desk_bot"}
            status, body = 200, {"ok": True, "result": me}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def bot_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeBotApi)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _FakeBotApi.paths = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_invite_asks_the_bot_api_named_by_api_url_for_the_username(config_path, bot_api, capsys):
    code = cli.main(
        [
            "invite",
            "--config",
            str(config_path),
            "--role",
            "grid_worker",
            "--unit",
            "G1",
            "--api-url",
            bot_api,
        ]
    )

    assert code == 0
    assert capsys.readouterr().out.startswith("https://t.me/xincun_desk_bot?start=")
    assert _FakeBotApi.paths == ["/bot123456:TEST-TOKEN/getMe"]


def test_a_failed_getme_exits_2_and_leaves_no_invite(config_path, bot_api, capsys, monkeypatch):
    monkeypatch.setenv("GRIDDESK_TOKEN", "bad:TOKEN")

    code = cli.main(
        [
            "invite",
            "--config",
            str(config_path),
            "--role",
            "grid_worker",
            "--unit",
            "G1",
            "--api-url",
            bot_api,
        ]
    )

    assert code == 2
    err = capsys.readouterr().err
    assert "telegram.token: getMe failed" in err and "telegram.bot_username" in err
    assert _invites(config_path) == []


def test_ttl_hours_must_be_a_sensible_whole_number(config_path, capsys):
    for bad in ("0", "721", "two"):
        with pytest.raises(SystemExit):
            cli.main(
                [
                    "invite",
                    "--config",
                    str(config_path),
                    "--role",
                    "admin",
                    "--unit",
                    "D1",
                    "--ttl-hours",
                    bad,
                ]
            )
    assert capsys.readouterr().err.count("error: argument --ttl-hours") == 3


async def test_the_printed_link_enrols_whoever_presses_it_first(harness, settings):
    settings.telegram.bot_username = "griddesk_test_bot"
    link, expires, _ = await cli.create_invite_link(
        settings, Role.GRID_HEAD, "G2", clock=harness.clock
    )
    match = LINK.fullmatch(link)
    assert match is not None
    token = match.group(2)
    assert expires == harness.clock() + timedelta(hours=72)

    await harness.send(updates.text(NEWCOMER, f"/start {token}"))
    await harness.send(updates.text(NEWCOMER + 1, f"/start {token}"))

    staff = await harness.services.people.staff(NEWCOMER)
    assert staff is not None and (staff.role, staff.unit) == (Role.GRID_HEAD, "G2")
    assert await harness.services.people.staff(NEWCOMER + 1) is None
    assert "已经被使用过" in harness.last_text(NEWCOMER + 1)
