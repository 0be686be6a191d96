"""The `griddesk` command: check-config prints the tree, broken configs exit 2 with one line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bot import cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
GRIDDESK = Path(sys.executable).parent / "griddesk"


def test_check_config_prints_the_tree_with_staff_and_categories(capsys):
    code = cli.main(["check-config", "--config", str(DATA / "config.toml")])

    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("config.toml: OK: 8 units, 7 staff, 5 categories")
    tree = lines[
        lines.index(
            "Units ([level] code name, coordinates) with their staff (name, role, telegram id):"
        )
        + 1 :
    ]
    assert tree[:14] == [
        "  [district] D1 江岸区",
        "    - 管理员 (admin, id 901)",
        "    [street] S1 青山街道",
        "      - 周街道 (street, id 301)",
        "      [community] C1 春晖社区",
        "        - 陈社区 (community, id 201)",
        "        - 春晖物业 (partner, id 401); handles property 物业问题",
        "        [grid] G1 第一网格",
        "          - 李网格 (grid_worker, id 101)",
        "          - 赵网格长 (grid_head, id 103)",
        "          [building] B1 1栋  (30.6000, 114.3000)",
        "          [building] B2 2栋  (30.6010, 114.3010)",
        "        [grid] G2 第二网格",
        "          - 王网格 (grid_worker, id 102)",
    ]
    assert (
        "  property  物业问题 / Property management  [handled by 春晖物业 (partner, C1)]" in lines
    )
    assert "  dispute   邻里纠纷 / Neighbour dispute  [starts at the community level]" in lines
    assert "  safety    安全隐患 / Safety hazard  [urgent]" in lines
    # Every grid of the test tree has a grid worker (a calendar note depends on today's date).
    assert "has no grid worker" not in out


def test_check_config_notes_a_grid_without_a_worker_and_where_its_reports_go(tmp_path, capsys):
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(
        text.replace(
            'telegram_id = 102\nname = "王网格"\nrole = "grid_worker"',
            'telegram_id = 102\nname = "王网格"\nrole = "grid_head"',
        ),
        encoding="utf-8",
    )

    assert cli.main(["check-config", "--config", str(path)]) == 0

    out = capsys.readouterr().out
    assert (
        "  - grid G2 第二网格 has no grid worker: its reports wait unassigned at G2 第二网格" in out
    )


def test_check_config_names_the_grids_where_a_checked_category_finds_no_verifier(tmp_path, capsys):
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    text = text.replace('en = "Safety hazard"\n', 'en = "Safety hazard"\nverify = true\n', 1)
    path = tmp_path / "c.toml"
    path.write_text(
        text.replace(
            'telegram_id = 102\nname = "王网格"\nrole = "grid_worker"',
            'telegram_id = 102\nname = "王网格"\nrole = "grid_head"',
        ),
        encoding="utf-8",
    )

    assert cli.main(["check-config", "--config", str(path)]) == 0

    out = capsys.readouterr().out
    note = [line for line in out.splitlines() if line.startswith("  - 核实 (safety)")]
    assert len(note) == 1 and "G2 第二网格" in note[0] and "G1" not in note[0]
    assert cli.main(["check-config", "--config", str(DATA / "config.toml")]) == 0
    assert "核实" not in capsys.readouterr().out  # no checked category: no such note


def test_check_config_of_a_broken_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "broken.toml"
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('unit = "G2"', 'unit = "G7"'), encoding="utf-8")

    assert cli.main(["check-config", "--config", str(path)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"griddesk: {path}: staff.1.unit: unknown unit 'G7'\n"


def test_run_without_a_token_exits_2_naming_the_file_and_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GRIDDESK_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('token = "123456:TEST-TOKEN"', 'token = ""'), encoding="utf-8")

    assert cli.main(["run", "--config", str(path)]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"griddesk: {path}: telegram.token is empty")
    assert not (tmp_path / "griddesk.sqlite3").exists()  # refused before opening anything


def test_the_installed_command_checks_the_example_config():
    example = ROOT / "config.example.toml"
    done = subprocess.run(
        [str(GRIDDESK), "check-config", "--config", str(example)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "  [district] JA 江岸区" in done.stdout
    assert "[building] CH-G1-B1 春晖苑1栋  (30.6142, 114.3051)" in done.stdout
    assert "- 春晖物业服务中心 (partner, id 800000007); handles property 物业服务" in done.stdout


def test_the_installed_command_refuses_a_broken_config_with_exit_2(tmp_path):
    path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.example.toml", path)
    path.write_text(path.read_text(encoding="utf-8") + "\n[telegram.extra]\n", encoding="utf-8")

    done = subprocess.run(
        [str(GRIDDESK), "check-config", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"griddesk: {path}: telegram.extra: Extra inputs are not permitted"
    ]


def test_commands_are_a_table_of_name_to_function():
    assert set(cli.COMMANDS) >= {"run", "check-config", "import", "invite"}
    assert all(callable(command) for command in cli.COMMANDS.values())


def test_check_config_names_published_staff_and_the_results_channel(tmp_path, capsys):
    text = (DATA / "config.toml").read_text(encoding="utf-8")
    worker = 'telegram_id = 101\nname = "李网格"\nrole = "grid_worker"\nunit = "G1"\n'
    text = text.replace(worker, worker + "public = true\n") + "\n[echo]\nchannel = -1001234567890\n"
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["check-config", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "          - 李网格 (grid_worker, id 101); public on /grid" in lines
    assert "          - 赵网格长 (grid_head, id 103)" in lines
    assert any(line.startswith("回音壁 (results channel): -1001234567890") for line in lines)
