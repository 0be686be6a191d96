"""`griddesk backup` and `griddesk restore`: what they print and their exit codes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import cli
from bot import settings as settings_module
from bot.settings import Settings
from storage.db import Database


async def make_database(settings: Settings) -> Database:
    """Opens the office's database (as a running bot would) with one inbox row."""
    db = await Database(settings.database_path()).open()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO inbox (update_id, payload, state, received_at)"
            " VALUES (1, '{}', 'done', '2026-12-06T03:00:00+00:00')"
        )
    return db


def inbox_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])
    finally:
        conn.close()


async def test_backup_while_the_bot_runs_then_restore_once_it_stopped(
    settings: Settings, config_path: Path, tmp_path: Path, capsys
):
    db = await make_database(settings)
    target = tmp_path / "backups" / "today.sqlite3"
    try:
        assert cli.main(["backup", "--config", str(config_path), "--to", str(target)]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"{target}: 0 reports, schema ")
        assert "integrity check ok" in out and "0600" in out

        # The bot is still running: restore refuses and changes nothing.
        code = cli.main(["restore", "--config", str(config_path), "--from", str(target)])
        err = capsys.readouterr().err
        assert code == cli.REFUSED
        assert "has this database open; stop it first" in err
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO inbox (update_id, payload, state, received_at)"
                " VALUES (2, '{}', 'done', '2026-12-06T03:01:00+00:00')"
            )
    finally:
        await db.close()

    assert cli.main(["restore", "--config", str(config_path), "--from", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"{settings.database_path()}: restored from {target} (0 reports, schema"
        f" {lines[0].split('schema ')[1].split(';')[0]}; newer migrations run at the next start)."
    )
    assert lines[1].startswith(f"The database it replaced is kept as {settings.database_path()}.")
    assert inbox_rows(settings.database_path()) == 1
    kept = Path(lines[1].removeprefix("The database it replaced is kept as ").rstrip("."))
    assert inbox_rows(kept) == 2


def test_restore_from_a_missing_file_exits_1_with_one_line(config_path: Path, capsys):
    code = cli.main(["restore", "--config", str(config_path), "--from", "/nonexistent/b.sqlite3"])
    assert code == cli.REFUSED
    assert capsys.readouterr().err == "griddesk: /nonexistent/b.sqlite3: no such file\n"


def test_backup_before_the_bot_ever_ran_exits_1(config_path: Path, tmp_path: Path, capsys):
    code = cli.main(["backup", "--config", str(config_path), "--to", str(tmp_path / "b")])
    assert code == cli.REFUSED
    assert "no database there" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_backup_with_a_broken_config_exits_2(tmp_path: Path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text("timezone = 3\n", encoding="utf-8")
    code = cli.main(["backup", "--config", str(broken), "--to", str(tmp_path / "b")])
    assert code == cli.CONFIG
    assert capsys.readouterr().err.startswith(f"griddesk: {broken}: timezone:")


def test_backup_without_a_target_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["backup", "--config", "x.toml"])
    assert exit_info.value.code == cli.CONFIG


@pytest.mark.parametrize(
    ("section", "key"),
    [("hour = 24", "backup.hour"), ("keep = 0", "backup.keep"), ("every = 2", "backup.every")],
)
def test_a_wrong_backup_setting_exits_2_naming_the_key(config_path: Path, capsys, section, key):
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + f"\n[backup]\n{section}\n", encoding="utf-8"
    )
    assert cli.main(["check-config", "--config", str(config_path)]) == cli.CONFIG
    assert capsys.readouterr().err.startswith(f"griddesk: {config_path}: {key}:")


def test_the_backup_folder_is_relative_to_the_config_file(config_path: Path):
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + '\n[backup]\ndir = "../offsite"\n',
        encoding="utf-8",
    )
    settings = settings_module.load(config_path)
    assert settings.backup_dir() == config_path.resolve().parent / "../offsite"
    assert (settings.backup.hour, settings.backup.keep) == (3, 7)


async def test_a_backup_below_a_file_exits_1_with_one_line(
    settings: Settings, config_path: Path, tmp_path: Path, capsys
):
    db = await make_database(settings)
    await db.close()
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x")
    target = not_a_folder / "b.sqlite3"
    code = cli.main(["backup", "--config", str(config_path), "--to", str(target)])
    assert code == cli.REFUSED
    err = capsys.readouterr().err
    assert err.startswith(f"griddesk: {target}: cannot write the backup:") and err.count("\n") == 1


async def test_a_backup_onto_a_folder_exits_1_and_leaves_no_temporary_file(
    settings: Settings, config_path: Path, tmp_path: Path, capsys
):
    db = await make_database(settings)
    await db.close()
    folder = tmp_path / "a-folder"
    folder.mkdir()
    code = cli.main(["backup", "--config", str(config_path), "--to", str(folder)])
    assert code == cli.REFUSED
    assert f"griddesk: {folder}: cannot write the backup:" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_check_config_notes_an_office_without_daily_backups(config_path: Path):
    note = "  - no daily backup: [backup] dir is not set (`griddesk backup` still works by hand)"
    assert note in cli.describe(settings_module.load(config_path))
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + '\n[backup]\ndir = "backups"\n',
        encoding="utf-8",
    )
    assert note not in cli.describe(settings_module.load(config_path))


async def test_a_restore_warns_that_erasures_made_after_the_backup_are_undone(
    settings: Settings, config_path: Path, tmp_path: Path, capsys
):
    db = await make_database(settings)
    target = tmp_path / "backups" / "old.sqlite3"
    try:
        assert cli.main(["backup", "--config", str(config_path), "--to", str(target)]) == 0
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO erasures (kind, at)"
                " VALUES ('person', '2026-12-06T03:05:00.000000+00:00')"
            )
    finally:
        await db.close()
    capsys.readouterr()

    assert cli.main(["restore", "--config", str(config_path), "--from", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("Warning: 1 erasure(s) made after this backup was taken are undone")
    assert "data protection officer" in lines[2]
    assert lines[3:] == ["  - 2026-12-06 03:05:00 (person)"]

    # Restoring the same backup again: the replaced database has no erasure it lacks.
    assert cli.main(["restore", "--config", str(config_path), "--from", str(target)]) == 0
    assert "Warning" not in capsys.readouterr().out
