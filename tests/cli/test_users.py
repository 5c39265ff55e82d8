"""`carcrm user …` from a shell: first account, acting with a PIN, wrong PINs, no Textual."""

import os
import subprocess
import sys


def carcrm(db, *args, pin=None, user=None, stdin=""):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARCRM_")}
    env.update(CARCRM_DB=str(db), CARCRM_CONFIG=str(db) + ".none.toml", CARCRM_LANG="en")
    if pin is not None:
        env["CARCRM_PIN"] = pin
    if user is not None:
        env["CARCRM_USER"] = user
    code = ("import sys; from carcrm_tui.cli import main; rc = main(sys.argv[1:]); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual imported'; "
            "raise SystemExit(rc)")
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)


def test_first_account_then_managed_by_an_admin(tmp_path):
    db = tmp_path / "shop.sqlite"
    r = carcrm(db, "user", "add", "管理员", "--role", "admin", stdin="240613\n")
    assert r.returncode == 0, r.stderr
    assert "管理员" in r.stdout

    r = carcrm(db, "user", "add", "李娜", "--role", "consultant", stdin="4831\n")
    assert r.returncode == 3 and "--user" in r.stderr  # the second account needs someone in charge

    r = carcrm(db, "user", "add", "李娜", "--role", "consultant", user="管理员", pin="9999", stdin="4831\n")
    assert r.returncode == 3 and "Wrong PIN" in r.stderr

    r = carcrm(db, "user", "add", "李娜", "--role", "consultant", user="管理员", pin="240613", stdin="4831\n")
    assert r.returncode == 0, r.stderr

    r = carcrm(db, "user", "list", user="管理员", pin="240613")
    assert r.returncode == 0 and "李娜" in r.stdout and "Consultant" in r.stdout

    r = carcrm(db, "user", "list", user="李娜", pin="4831")
    assert r.returncode == 3  # consultants do not manage accounts

    r = carcrm(db, "user", "set-pin", "李娜", user="李娜", pin="4831", stdin="5294\n")
    assert r.returncode == 0, r.stderr
    r = carcrm(db, "user", "disable", "李娜", user="管理员", pin="240613")
    assert r.returncode == 0
    r = carcrm(db, "user", "list", user="李娜", pin="5294")
    assert r.returncode == 2  # disabled: no such active account


def test_bad_new_pin_is_refused_with_a_reason(tmp_path):
    db = tmp_path / "shop.sqlite"
    r = carcrm(db, "user", "add", "管理员", "--role", "admin", stdin="1234\n")
    assert r.returncode == 2 and "6 to 12 digits" in r.stderr  # an admin's PIN is longer
    r = carcrm(db, "user", "add", "管理员", "--role", "admin", stdin="123456\n")
    assert r.returncode == 2 and "first anyone would try" in r.stderr


def test_app_on_an_empty_database_says_how_to_start(tmp_path):
    r = carcrm(tmp_path / "empty.sqlite")
    assert r.returncode == 2 and "carcrm user add" in r.stderr


def test_import_export_check_backup_from_a_shell(tmp_path):
    from pathlib import Path

    sheets = Path(__file__).parents[2] / "fixtures" / "import"
    db = tmp_path / "shop.sqlite"
    assert carcrm(db, "demo", "--build-only", "--customers", "20", "--db", str(db)).returncode == 0
    r = carcrm(db, "import", str(sheets / "customers_en.xlsx"), "--dry-run", user="王建国", pin="860517")
    assert r.returncode == 1 and "dry run" in r.stdout and "0000" in r.stdout  # the bad phone row is named
    r = carcrm(db, "import", str(sheets / "customers_zh_gbk.csv"), "--errors", str(tmp_path / "e.csv"),
               user="王建国", pin="860517")
    assert r.returncode == 0 and "4 created" in r.stdout, r.stdout + r.stderr
    r = carcrm(db, "export", str(tmp_path / "out.xlsx"), user="王建国", pin="860517")
    assert r.returncode == 0 and "exported 24 rows" in r.stdout
    r = carcrm(db, "export", str(tmp_path / "mine.csv"), user="李娜", pin="4831")
    assert r.returncode == 0 and "exported 24 rows" not in r.stdout  # a consultant exports only their own
    r = carcrm(db, "check")
    assert r.returncode == 0 and "all good" in r.stdout
    r = carcrm(db, "backup", str(tmp_path / "b.sqlite"), user="李娜", pin="4831")
    assert r.returncode == 3  # backups hold everyone's customers: managers and admins only
    r = carcrm(db, "backup", str(tmp_path / "b.sqlite"), user="王建国", pin="860517")
    assert r.returncode == 0 and (tmp_path / "b.sqlite").exists()
    r = carcrm(db, "restore", str(tmp_path / "b.sqlite"), user="王建国", pin="860517")
    assert r.returncode == 2 and "--yes" in r.stderr
    r = carcrm(db, "restore", str(tmp_path / "b.sqlite"), "--yes", user="王建国", pin="860517")
    assert r.returncode == 0, r.stderr


def test_reports_from_a_shell_in_both_languages(tmp_path):
    db = tmp_path / "shop.sqlite"
    assert carcrm(db, "demo", "--build-only", "--customers", "60", "--db", str(db)).returncode == 0
    r = carcrm(db, "--lang", "zh", "report", "daily", "--markdown", user="王建国", pin="860517")
    assert r.returncode == 0 and r.stdout.startswith("# 夕会") and "明日待跟进" in r.stdout
    r = carcrm(db, "--lang", "en", "report", "lost", "--month", "2026-13", user="王建国", pin="860517")
    assert r.returncode == 2 and "YYYY-MM" in r.stderr
    r = carcrm(db, "report", "daily", user="李娜", pin="4831")
    assert r.returncode == 3  # managers only
    r = carcrm(db, "--lang", "zh", "report", "metrics", user="王建国", pin="860517")
    assert r.returncode == 0 and r.stdout.startswith("经营指标") and "销售预测" in r.stdout and "顾问排行" in r.stdout
    total = next(line.split() for line in r.stdout.splitlines() if line.strip().startswith("合计"))
    assert len(total) >= 6 and all(cell.startswith("¥") for cell in total[1:]), total  # the forecast's money
    r = carcrm(db, "report", "metrics", "--month", "2026-3x", user="王建国", pin="860517")
    assert r.returncode == 2 and "2026-3x" in r.stderr
    r = carcrm(db, "report", "metrics", "--from", "2026-03-02", "--to", "2026-03-08", "--markdown",
               user="王建国", pin="860517")
    assert r.returncode == 0 and r.stdout.startswith("# Metrics 2026-03-02 – 2026-03-08 (against 2026-02-23 – 2026-03-01)")
    r = carcrm(db, "report", "metrics", "--from", "2026-03-02", user="王建国", pin="860517")
    assert r.returncode == 2 and "--to wants YYYY-MM-DD" in r.stderr
