"""[web]: off by default, its keys checked, and --webhook refused without listen and public_url."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot import settings as settings_module
from bot.settings import ConfigError

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "config.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, web: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(GOOD + "\n[web]\n" + web, encoding="utf-8")
    return path


def test_the_web_is_off_without_a_web_section(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    web = settings_module.load(path).web
    assert web.listen is None and web.public_url is None and web.webhook_secret is None


def test_listen_and_a_local_http_public_url_are_accepted(tmp_path):
    path = _write(tmp_path, 'listen = "127.0.0.1:8080"\npublic_url = "http://127.0.0.1:8080"\n')
    web = settings_module.load(path).web
    assert (web.listen, web.public_url) == ("127.0.0.1:8080", "http://127.0.0.1:8080")
    assert (web.ready_inbox_age, web.ready_outbox_age, web.ready_sweep_age) == (120, 900, 600)


@pytest.mark.parametrize(
    ("web", "key"),
    [
        ('listen = "8080"\n', "web.listen"),
        ('listen = "127.0.0.1:http"\n', "web.listen"),
        ('public_url = "bot.example.org"\n', "web.public_url"),
        ('webhook_secret = "has spaces"\n', "web.webhook_secret"),
        ("ready_inbox_age = 0\n", "web.ready_inbox_age"),
        ('listen = "127.0.0.1:8080"\nport = 1\n', "web.port"),
    ],
    ids=["no port", "named port", "no scheme", "secret alphabet", "zero age", "unknown key"],
)
def test_a_bad_web_key_is_named(tmp_path, web, key):
    with pytest.raises(ConfigError) as caught:
        settings_module.load(_write(tmp_path, web))
    assert key in str(caught.value)


@pytest.mark.parametrize(
    "web",
    ["", 'listen = "127.0.0.1:8080"\n', 'public_url = "http://127.0.0.1:8080"\n'],
    ids=["neither", "no public_url", "no listen"],
)
def test_run_webhook_without_listen_and_public_url_exits_2(tmp_path, capsys, web):
    path = _write(tmp_path, web)
    assert cli.main(["run", "--config", str(path), "--webhook"]) == 2
    err = capsys.readouterr().err
    assert err == f"griddesk: --webhook needs [web] listen and public_url in {path}\n"
    assert not (tmp_path / "griddesk.sqlite3").exists()  # refused before opening anything
