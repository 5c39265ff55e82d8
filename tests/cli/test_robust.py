"""Headless commands on a bad day: damaged files, read-only files, full disks, closed pipes,
busy databases — a sentence and a listed exit code, never a traceback, never a leftover file.
Also: setting a site up, its policy, and who the OS login makes you (the real uid only)."""

import os
import pwd
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_users import carcrm


def run(db, *args, pin=None, user=None, stdin="", env=None, limit_file_size=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("CARCRM_")}
    base.update(CARCRM_DB=str(db), CARCRM_CONFIG=str(db) + ".none.toml", CARCRM_LANG="en",
                CARCRM_LOG_DIR=str(Path(db).parent / "logs"))
    if pin is not None:
        base["CARCRM_PIN"] = pin
    if user is not None:
        base["CARCRM_USER"] = user
    base.update(env or {})

    def limits():
        if limit_file_size is not None:  # a disk that fills up: writes past this many bytes fail
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run([sys.executable, "-m", "carcrm_tui", *args], input=stdin, capture_output=True,
                          text=True, env=base, timeout=120, preexec_fn=limits)


@pytest.fixture
def shop(tmp_path):
    db = tmp_path / "shop.sqlite"
    assert run(db, "demo", "--build-only", "--customers", "40", "--db", str(db)).returncode == 0
    return db


def no_traceback(result):
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_init_sets_a_site_up_and_says_what_comes_next(tmp_path):
    db = tmp_path / "new.sqlite"
    r = run(db, "init", "--name", "星辰汽车", "--timezone", "Asia/Shanghai", "--language", "zh", "--admin", "赵管理",
            env={"CARCRM_PIN": "271828"})
    assert r.returncode == 0, r.stderr
    assert "catalogue import" in r.stdout and "user add" in r.stdout and "import" in r.stdout
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    r = run(db, "policy", "show", user="赵管理", pin="271828")
    assert r.returncode == 0 and 'name = "星辰汽车"' in r.stdout and 'timezone = "Asia/Shanghai"' in r.stdout
    r = run(db, "init", "--name", "x", "--admin", "y", env={"CARCRM_PIN": "271828"})
    assert r.returncode == 2 and "already set up" in r.stderr
    r = run(tmp_path / "other.sqlite", "init", "--name", "x", "--admin", "y", env={"CARCRM_PIN": "123456"})
    assert r.returncode == 2 and "first anyone would try" in r.stderr  # an admin's PIN must hold


def test_init_for_a_group_of_os_logins_shares_the_files_with_that_group(tmp_path):
    """Several OS logins on one showroom host: the database is the group's (0660), the site policy
    names the group, later files follow it, and check takes 0660 as meant, not as loose."""
    import grp

    group = grp.getgrgid(os.getgid()).gr_name  # a group this login belongs to
    db = tmp_path / "shared.sqlite"
    r = run(db, "init", "--name", "星辰汽车", "--timezone", "Asia/Shanghai", "--language", "zh", "--admin", "赵管理",
            "--group", group, env={"CARCRM_PIN": "271828"})
    assert r.returncode == 0, r.stderr
    assert oct(db.stat().st_mode & 0o777) == "0o660" and db.stat().st_gid == os.getgid()
    r = run(db, "policy", "show", user="赵管理", pin="271828")
    assert r.returncode == 0 and f'file_group = "{group}"' in r.stdout, r.stdout
    backup = tmp_path / "b.sqlite"
    r = run(db, "backup", str(backup), user="赵管理", pin="271828")
    assert r.returncode == 0, r.stderr
    assert oct(backup.stat().st_mode & 0o777) == "0o660"  # the group's, like the database
    r = run(db, "check", user="赵管理", pin="271828")
    assert r.returncode == 0 and "chmod" not in r.stdout + r.stderr, r.stdout + r.stderr
    r = run(tmp_path / "x.sqlite", "init", "--name", "x", "--admin", "y", "--group", "no-such-group-here",
            env={"CARCRM_PIN": "271828"})
    assert r.returncode != 0 and "no-such-group-here" in r.stderr


def test_only_an_admin_sets_the_site_policy_and_bad_values_are_named(shop, tmp_path):
    policy = tmp_path / "site.toml"
    policy.write_text("[security]\nmax_failed_pins = 100000000\n", encoding="utf-8")
    r = run(shop, "policy", "set", str(policy), user="王建国", pin="860517")
    assert r.returncode == 3  # a manager may not
    r = run(shop, "policy", "set", str(policy), user="系统管理员", pin="240613")
    assert r.returncode == 2 and "security.max_failed_pins" in r.stderr and "at most 10" in r.stderr
    policy.write_text("[security]\nmax_failed_pins = 3\n[grades.H]\ncadence_days = 1\n", encoding="utf-8")
    r = run(shop, "policy", "set", str(policy), user="系统管理员", pin="240613")
    assert r.returncode == 0, r.stderr
    for _ in range(2):
        assert run(shop, "user", "list", user="李娜", pin="0001").returncode == 3
    r = run(shop, "user", "list", user="李娜", pin="0001")
    assert r.returncode == 3 and "locked" in r.stderr  # the site's 3 tries, not the default 5
    with sqlite3.connect(shop) as con:
        rows = con.execute("SELECT field, old, new FROM audit_log WHERE action = 'policy'").fetchall()
    assert ("security.max_failed_pins", "", "3") in rows  # audited


def test_logname_cannot_make_you_someone_else(shop, tmp_path):
    real = pwd.getpwuid(os.getuid()).pw_name
    policy = tmp_path / "site.toml"
    policy.write_text(f'[security]\nos_users = {{ wang = "王建国", {real} = "李娜" }}\n', encoding="utf-8")
    assert run(shop, "policy", "set", str(policy), user="系统管理员", pin="240613").returncode == 0
    spoofed = {"LOGNAME": "wang", "USER": "wang"}
    r = run(shop, "backup", str(tmp_path / "b.sqlite"), env=spoofed)
    assert r.returncode == 3 and not (tmp_path / "b.sqlite").exists()  # trusted as 李娜 (real uid), not 王建国
    r = run(shop, "user", "set-pin", "系统管理员", env=spoofed, stdin="975310\n")
    assert r.returncode == 3


def test_check_on_a_damaged_file_is_a_finding_not_a_crash(tmp_path):
    db = tmp_path / "bad.sqlite"
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    r = run(db, "check")
    no_traceback(r)
    assert r.returncode == 1 and "problems found" in r.stdout
    db.write_bytes(b"not a database at all" * 100)
    r = run(db, "check")
    no_traceback(r)
    assert r.returncode == 1


def test_opening_a_damaged_file_is_a_sentence(tmp_path):
    db = tmp_path / "bad.sqlite"
    db.write_bytes(b"not a database at all" * 100)
    r = run(db, "report", "daily", user="王建国", pin="860517")
    no_traceback(r)
    assert r.returncode == 4 and "damaged" in r.stderr and "carcrm check" in r.stderr


def _immutable(path: Path) -> bool:
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def test_a_read_only_database_is_said_and_nothing_is_half_done(shop, tmp_path):
    for p in (shop, Path(f"{shop}-wal"), Path(f"{shop}-shm")):
        if p.exists() and not _immutable(p):
            pytest.skip("this machine cannot make a file read-only for root (chattr +i)")
    try:
        r = run(shop, "user", "add", "新人", "--role", "consultant", user="系统管理员", pin="240613",
                stdin="6172\n")
        no_traceback(r)
        assert r.returncode == 4 and ("read" in r.stderr or "reached" in r.stderr), r.stderr
    finally:
        for p in (shop, Path(f"{shop}-wal"), Path(f"{shop}-shm")):
            if p.exists():
                subprocess.run(["chattr", "-i", str(p)], capture_output=True)


@pytest.mark.parametrize("what", ["export", "backup"])
def test_a_full_disk_leaves_no_part_file_and_no_truncated_file(shop, tmp_path, what):
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("customers.csv" if what == "export" else "copy.sqlite")
    r = run(shop, what, str(target), user="王建国", pin="860517", limit_file_size=4096)
    no_traceback(r)
    assert r.returncode == 4 and "disk is full" in r.stderr
    assert list(out.iterdir()) == []  # neither the file nor a .part of it


def test_a_closed_pipe_ends_quietly(shop):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARCRM_")}
    env.update(CARCRM_DB=str(shop), CARCRM_CONFIG=str(shop) + ".none.toml", CARCRM_USER="王建国",
               CARCRM_PIN="860517", CARCRM_LOG_DIR=str(shop.parent / "logs"))
    proc = subprocess.Popen([sys.executable, "-m", "carcrm_tui", "--lang", "en", "export", "/dev/stdout"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.read(10)
    proc.stdout.close()  # `| head -c 10`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 141) and "Traceback" not in err and "BrokenPipe" not in err


def test_exit_codes_are_listed_in_help():
    r = subprocess.run([sys.executable, "-m", "carcrm_tui", "--lang", "en", "--help"], capture_output=True, text=True)
    for code in ("0    done", "2    a wrong command", "3    not signed in", "4    the database", "5    an unexpected", "141  output"):
        assert code in r.stdout


def test_everything_carcrm_creates_is_private(shop, tmp_path):
    modes = {}
    for p in (shop, Path(f"{shop}-wal"), Path(f"{shop}-shm")):
        if p.exists():
            modes[p.name] = p.stat().st_mode & 0o777
    assert run(shop, "backup", str(tmp_path / "b.sqlite"), user="王建国", pin="860517").returncode == 0
    assert run(shop, "export", str(tmp_path / "x.xlsx"), user="王建国", pin="860517").returncode == 0
    assert run(shop, "export", str(tmp_path / "x.csv"), user="王建国", pin="860517").returncode == 0
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("姓名,手机\n好客户,13811112299\n坏号码,12345\n", encoding="utf-8")
    os.chmod(sheet, 0o644)  # a sheet anyone may read: its errors file must not take after it
    r = run(shop, "import", str(sheet), user="王建国", pin="860517")
    assert r.returncode == 1 and "1 created" in r.stdout, r.stdout + r.stderr  # one row refused: errors.csv
    r = run(shop, "restore", str(tmp_path / "b.sqlite"), "--yes", user="王建国", pin="860517")
    assert r.returncode == 0, r.stderr
    for name in ("b.sqlite", "x.xlsx", "x.csv", "sheet.errors.csv", "shop.sqlite.before-restore", "shop.sqlite"):
        modes[name] = (tmp_path / name).stat().st_mode & 0o777
    for log in (tmp_path / "logs").glob("*.log"):
        modes[log.name] = log.stat().st_mode & 0o777
    assert modes and all(mode == 0o600 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}
    assert sheet.stat().st_mode & 0o777 == 0o644  # the user's own file is left as it was


def _read(db, sql: str, *params) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _audit_after(db, top: int) -> list[tuple]:
    return _read(db, "SELECT actor_id, action, entity, entity_id, field, old, new, at FROM audit_log "
                           "WHERE id > ? ORDER BY id", top)


def _account_id(db, name: str) -> int:
    return _read(db, "SELECT id FROM account WHERE name = ?", name)[0][0]


def _top(db) -> int:
    return _read(db, "SELECT MAX(id) FROM audit_log")[0][0]


def test_a_backup_and_a_restore_of_a_file_are_in_the_audit_trail(shop, tmp_path):
    """Who copied the whole showroom, when, to where — and who put a copy back (PostgreSQL's
    backup: tests/cli/test_server_commands.py)."""
    import pendulum

    manager, admin = _account_id(shop, "王建国"), _account_id(shop, "系统管理员")
    top = _top(shop)
    started = pendulum.now("UTC").subtract(seconds=1)
    backup = tmp_path / "copies" / "b.sqlite"
    r = run(shop, "backup", str(backup), user="王建国", pin="860517")
    assert r.returncode == 0, r.stderr
    rows = [row for row in _audit_after(shop, top) if row[1] != "sign_in"]
    assert [row[:7] for row in rows] == [(manager, "backup", "file", None, "file", "", str(backup))]
    at = pendulum.parse(rows[0][7], tz="UTC")
    assert started <= at <= pendulum.now("UTC")  # stored in UTC, when it happened
    assert [row[1] for row in _audit_after(backup, top)] == ["sign_in"]  # taken before its own record

    r = run(shop, "user", "set-pin", "李娜", user="系统管理员", pin="240613", stdin="7053\n")
    assert r.returncode == 0, r.stderr  # a change after the backup, which the restore takes back
    before = _audit_after(shop, top)
    r = run(shop, "restore", str(backup), "--yes", user="系统管理员", pin="240613")
    assert r.returncode == 0, r.stderr
    after = [row for row in _audit_after(shop, _top(backup)) if row[1] != "sign_in"]
    assert [row[:7] for row in after] == [(admin, "restore", "file", None, "file", "", str(backup))]
    assert "set_pin" not in [row[1] for row in _audit_after(shop, top)]  # the database is the backup's again
    kept = _audit_after(shop.with_name("shop.sqlite.before-restore"), top)
    assert [row[1] for row in kept if row[1] != "sign_in"] == ["backup", "set_pin"]  # kept aside, not lost
    assert [row[:7] for row in kept if row[1] == "backup"] == [row[:7] for row in before if row[1] == "backup"]


def test_check_reports_loose_modes(shop):
    os.chmod(shop, 0o644)
    r = run(shop, "check")
    assert r.returncode == 1 and "can be read by other logins" in r.stdout and f"chmod 600 {shop}" in r.stdout
    for p in shop.parent.glob("shop.sqlite*"):  # what it said to do (SQLite gives -wal/-shm the file's mode)
        os.chmod(p, 0o600)
    assert run(shop, "check").returncode == 0


def test_a_busy_database_is_said_not_waited_on_forever(shop):
    con = sqlite3.connect(shop, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")  # another terminal's long save
    try:
        r = run(shop, "user", "set-pin", "李娜", user="系统管理员", pin="240613", stdin="7053\n",
                env={"CARCRM_BEGIN_PATIENCE": "0.5"})
        no_traceback(r)
        assert r.returncode == 4 and "busy" in r.stderr
    finally:
        con.execute("ROLLBACK")
        con.close()


def test_debug_sends_every_statement_to_the_private_log_and_nothing_else_to_the_screen(shop):
    logs = shop.parent / "logs"
    r = run(shop, "--debug", "user", "list", user="系统管理员", pin="240613")
    assert r.returncode == 0, r.stderr
    assert "--debug" in r.stderr and str(logs) in r.stderr  # where to look
    assert "SELECT" not in r.stdout + r.stderr and "240613" not in r.stdout + r.stderr
    text = (logs / "carcrm.log").read_text(encoding="utf-8")
    assert "SELECT" in text and "DEBUG" in text  # peewee's statements
    assert oct((logs / "carcrm.log").stat().st_mode & 0o777) == "0o600"
    r = run(shop, "user", "list", user="系统管理员", pin="240613")
    assert r.returncode == 0 and "--debug" not in r.stderr
