"""check-config prints the retention policy in force ([privacy])."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot import cli

DATA = Path(__file__).parent / "data"


def test_check_config_prints_the_default_retention_policy(capsys):
    assert cli.main(["check-config", "--config", str(DATA / "config.toml")]) == 0
    out = capsys.readouterr().out
    assert "Privacy (retention sweep" in out and "at most 500 rows" in out
    assert "outbox): 7 days" in out and "(drafts): 7 days" in out
    assert ": 3 years" in out and "visit notes: 730 days" in out
    assert "refused presses and commands (/audit): 180 days" in out


def test_check_config_prints_the_offices_own_retention(tmp_path, capsys):
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    with path.open("a", encoding="utf-8") as file:
        file.write("\n[privacy]\nraw_days = 3\ncase_years = 5\naudit_days = 90\n")
    assert cli.main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "outbox): 3 days" in out and ": 5 years" in out and "(/audit): 90 days" in out


def test_a_retention_of_zero_days_is_refused_naming_the_key(tmp_path, capsys):
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    with path.open("a", encoding="utf-8") as file:
        file.write("\n[privacy]\nraw_days = 0\n")
    assert cli.main(["check-config", "--config", str(path)]) == 2
    assert "privacy.raw_days" in capsys.readouterr().err


def test_an_audit_log_kept_under_a_week_is_refused_naming_the_key(tmp_path, capsys):
    path = tmp_path / "config.toml"
    shutil.copy(DATA / "config.toml", path)
    with path.open("a", encoding="utf-8") as file:
        file.write("\n[privacy]\naudit_days = 6\n")
    assert cli.main(["check-config", "--config", str(path)]) == 2
    assert "privacy.audit_days" in capsys.readouterr().err
