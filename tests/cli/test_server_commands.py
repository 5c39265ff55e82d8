"""A dealer group's server from a shell, on a real PostgreSQL server: a showroom's file moved in with
`carcrm copy-to` (every row, the same answers, ids and sequences, the source untouched), and `check`,
`backup` (pg_dump) and `restore` on a postgresql:// database."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from carcrm_tui.cli import main
from carcrm_tui.store import migrations
from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import board, search, today, walkins
from carcrm_tui.services.session import open_session
from carcrm_tui.services.views import WalkInInput
from carcrm_tui.store import copying
from carcrm_tui.store import db as store_db
from carcrm_tui.services.session import fixed_clock
from carcrm_tui.store.models import AuditLog, Customer
from tests.conftest import NOW

MANAGER, MANAGER_PIN = "王建国", "860517"
INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"


def carcrm(*args, env=None, cwd=None):
    """The CLI in its own process, asserting it never loads Textual (a headless command)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CARCRM_")}
    full.update(CARCRM_CONFIG=os.devnull + ".none", CARCRM_LANG="en", **(env or {}))
    code = ("import sys; from carcrm_tui.cli import main; rc = main(sys.argv[1:]); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual imported'; "
            "raise SystemExit(rc)")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full,
                          timeout=300, cwd=cwd)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def answers(consultant: str) -> dict:
    """What terminals ask most, for a consultant and the manager, on whatever the models are bound to."""
    out = {}
    for name in (consultant, MANAGER):
        s = open_session(name, Policy(), clock=fixed_clock(NOW))
        out[name, "today"] = today.today(s)
        out[name, "board"] = board.summary(s)
        out[name, "pages"] = [board.page(s, stage) for stage in s.policy.stages]
        # days in a stage: julianday arithmetic on a file, epochs on the server — equal to the second
        out[name, "health"] = {k: h._replace(days_in_stage=round(h.days_in_stage, 4))
                               for k, h in board.health(s).items()}
        for query in ("张", "万", "王芳", "138", "5678", "zhang", "wan", "试驾", "汉"):
            out[name, "search", query] = search.search(s, query)
    return out


@pytest.fixture
def moved(demo_path, pg_database, pg_url):
    """The demo showroom's file moved into the (empty) server database by the command itself."""
    before = sha256(demo_path)
    indexes = pg_database.execute_sql(INDEXES).fetchall()
    r = carcrm("--db", str(demo_path), "copy-to", pg_url, "--user", MANAGER, env={"CARCRM_PIN": MANAGER_PIN})
    assert r.returncode == 0, r.stderr
    assert sha256(demo_path) == before, "the source file changed"
    assert pg_database.execute_sql(INDEXES).fetchall() == indexes  # dropped for the copy, every one built again
    return r


def test_a_showrooms_file_moves_in_whole_and_answers_the_same(moved, demo_path, pg_url):
    assert "Traceback" not in moved.stderr + moved.stdout
    source = store_db.open_read_only(demo_path)
    target = store_db.open_read_only(pg_url)
    try:
        for model in copying.ordered_models():
            table = model._meta.table_name
            n = source.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            assert f"{table}" in moved.stdout
            copied = target.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            assert copied == n + (1 if table == "audit_log" else 0), table  # + the record of the move itself
        assert source.execute_sql("SELECT COUNT(*) FROM audit_log").fetchone()[0] > 0
        moves = target.execute_sql("SELECT action, new FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        assert moves == ("copy_in", str(demo_path.resolve()))
        referred = "SELECT id, referred_by_id FROM customer WHERE referred_by_id IS NOT NULL ORDER BY id"
        assert source.execute_sql(referred).fetchall() == target.execute_sql(referred).fetchall()
    finally:
        source.close()
        target.close()
    assert "same" in moved.stdout and "DIFFERENT" not in moved.stdout

    store_db.close()
    store_db.connect(demo_path)
    on_file = answers("李娜")
    store_db.close()
    store_db.connect(pg_url)
    on_server = answers("李娜")
    assert on_file.keys() == on_server.keys()
    for key in on_file:
        assert on_server[key] == on_file[key], key
    # there was something to compare
    assert on_file["李娜", "today"].groups and any(v for k, v in on_file.items() if k[0] == MANAGER and k[1] == "search")


def test_ids_go_on_from_the_copied_ones(moved, pg_url):
    store_db.close()
    store_db.connect(pg_url)
    highest = Customer.select(Customer.id).order_by(Customer.id.desc()).scalar()
    audit_highest = AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc()).scalar()
    s = open_session("李娜", Policy(), clock=fixed_clock(NOW))
    created = walkins.register_walkin(s, WalkInInput(phone="13912345670", name="新来的"))
    assert created.customer_id > highest
    assert AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc()).scalar() > audit_highest


def test_a_database_that_is_not_empty_is_refused(moved, demo_path, pg_url):
    r = carcrm("--db", str(demo_path), "copy-to", pg_url, "--user", MANAGER, env={"CARCRM_PIN": MANAGER_PIN})
    assert r.returncode == 2 and "is not empty" in r.stderr and "nothing was copied" in r.stderr
    assert "carcrm_test:carcrm_test" not in r.stderr and "***" in r.stderr  # the password blanked


def test_other_tables_count_too(demo_path, pg_database, pg_url, monkeypatch, capsys):
    pg_database.execute_sql("CREATE TABLE their_own (x INTEGER)")
    pg_database.execute_sql("INSERT INTO their_own VALUES (1)")
    try:
        monkeypatch.setenv("CARCRM_PIN", MANAGER_PIN)
        rc = main(["--lang", "en", "--db", str(demo_path), "copy-to", pg_url, "--user", MANAGER])
        assert rc == 2 and "their_own" in capsys.readouterr().err
    finally:
        pg_database.execute_sql("DROP TABLE their_own")
    assert not store_db.open_read_only(pg_url).execute_sql("SELECT COUNT(*) FROM customer").fetchone()[0]


@pytest.mark.parametrize("url, said", [
    ("postgresql://carcrm:s3cret-pw@localhost:1/nowhere", "cannot reach postgresql://carcrm:***@localhost:1/nowhere"),
    ("postgresql://carcrm:s3cret-pw@localhost:port/x", "is not a database address"),
    ("mysql://carcrm:s3cret-pw@localhost/x", "copies into a PostgreSQL database"),
    ("/tmp/another.sqlite", "copies into a PostgreSQL database"),
])
def test_a_bad_address_is_a_sentence_without_its_password(demo_path, url, said, monkeypatch, capsys):
    monkeypatch.setenv("CARCRM_PIN", MANAGER_PIN)
    rc = main(["--lang", "en", "--db", str(demo_path), "copy-to", url, "--user", MANAGER])
    err = capsys.readouterr().err
    assert rc in (2, 4) and said in err and "s3cret-pw" not in err and "Traceback" not in err


def test_only_a_manager_or_an_admin_of_the_source_may_copy_it(demo_path, pg_database, pg_url, monkeypatch, capsys):
    before = sha256(demo_path)
    monkeypatch.setenv("CARCRM_PIN", "4831")
    assert main(["--lang", "en", "--db", str(demo_path), "copy-to", pg_url, "--user", "李娜"]) == 3
    monkeypatch.setenv("CARCRM_PIN", "000000")
    assert main(["--lang", "en", "--db", str(demo_path), "copy-to", pg_url, "--user", MANAGER]) == 3
    err = capsys.readouterr().err
    assert "not allowed" in err and "Wrong PIN" in err
    assert sha256(demo_path) == before  # a wrong PIN is not even counted there: the source is only read
    assert not store_db.open_read_only(pg_url).execute_sql("SELECT COUNT(*) FROM account").fetchone()[0]


def test_a_server_database_moves_into_another(moved, pg_server, pg_url):
    """copy-to from a dealer group's database too (a server moving house), the source only read."""
    name = f"{pg_url.rsplit('/', 1)[1]}_copy"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        other = pg_server.rsplit("/", 1)[0] + "/" + name
        r = carcrm("--db", pg_url, "copy-to", other, "--user", MANAGER, env={"CARCRM_PIN": MANAGER_PIN})
        assert r.returncode == 0, r.stderr
        a, b = store_db.open_read_only(pg_url), store_db.open_read_only(other)
        try:
            for table in ("customer", "follow_up", "audit_log"):
                q = f'SELECT COUNT(*), MAX(id) FROM "{table}"'
                n, top = a.execute_sql(q).fetchone()
                assert b.execute_sql(q).fetchone() == ((n + 1, top + 1) if table == "audit_log" else (n, top))
        finally:
            a.close()
            b.close()
    finally:
        store_db.close()
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- check, backup, restore on PostgreSQL ------------------------------------------------------

def test_check_reads_the_schema_orphans_and_rows_of_a_server_database(moved, pg_url, capsys):
    rc = main(["--lang", "en", "--db", pg_url, "check"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"schema version: {migrations.LATEST}" in out and "all good" in out
    assert "customer" in out and "follow_up" in out and "160" in out  # rows per table
    store_db.close()
    db = store_db.connect(pg_url)
    db.execute_sql("ALTER TABLE follow_up DROP CONSTRAINT follow_up_lead_id_fkey")
    db.execute_sql("DELETE FROM lead WHERE id IN (SELECT lead_id FROM follow_up LIMIT 1)")
    rc = main(["--lang", "en", "--db", pg_url, "check"])
    out = capsys.readouterr().out
    assert rc == 1 and "follow-ups without a lead" in out and "problems found" in out


def test_check_of_an_unreachable_server_is_a_sentence(capsys):
    rc = main(["--lang", "en", "--db", "postgresql://carcrm:s3cret-pw@localhost:1/x", "check"])
    err = capsys.readouterr().err
    assert rc == 4 and "cannot reach" in err and "s3cret-pw" not in err


def test_backup_is_a_pg_dump_that_restores(moved, pg_server, pg_url, tmp_path):
    r = carcrm("--db", pg_url, "backup", str(tmp_path / "dumps") + "/", "--user", MANAGER,
               env={"CARCRM_PIN": MANAGER_PIN})
    assert r.returncode == 0, r.stderr
    dump = next((tmp_path / "dumps").glob("*.dump"))
    assert "written and read back" in r.stdout and str(dump) in r.stdout
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    assert "carcrm_test:carcrm_test" not in r.stdout + r.stderr
    name = f"{pg_url.rsplit('/', 1)[1]}_restored"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        restored = pg_server.rsplit("/", 1)[0] + "/" + name
        from carcrm_tui.services.server_maintenance import find_tool, server_environment

        done = subprocess.run([find_tool("pg_restore"), "--no-owner", "--dbname", name, str(dump)],
                              env=server_environment(restored), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        a, b = store_db.open_read_only(pg_url), store_db.open_read_only(restored)
        try:
            for table in ("customer", "lead", "follow_up"):
                q = f'SELECT COUNT(*) FROM "{table}"'
                assert a.execute_sql(q).fetchone() == b.execute_sql(q).fetchone()
            last = a.execute_sql("SELECT action, new FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            assert last == ("backup", str(dump))  # audited like a file's backup
        finally:
            a.close()
            b.close()
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_without_pg_dump_says_what_to_install(moved, pg_url, tmp_path, monkeypatch, capsys):
    from carcrm_tui.services import server_maintenance

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(server_maintenance, "PG_BIN_DIRS", str(tmp_path / "none" / "*" / "bin"))
    monkeypatch.setenv("CARCRM_PIN", MANAGER_PIN)
    rc = main(["--lang", "en", "--db", pg_url, "backup", str(tmp_path / "x.dump"), "--user", MANAGER])
    err = capsys.readouterr().err
    assert rc == 4 and "pg_dump is not installed" in err and "postgresql-client" in err
    assert not list(tmp_path.glob("*.dump")) and not list(tmp_path.glob(".*part"))


def test_backup_is_for_managers_and_admins(moved, pg_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CARCRM_PIN", "4831")
    assert main(["--lang", "en", "--db", pg_url, "backup", str(tmp_path / "x.dump"), "--user", "李娜"]) == 3
    assert not (tmp_path / "x.dump").exists()


def test_restore_on_a_server_points_to_pg_restore(pg_url, capsys):
    rc = main(["--lang", "zh", "--db", pg_url, "restore", "x.dump", "--yes"])
    err = capsys.readouterr().err
    assert rc == 2 and "pg_restore" in err and "carcrm_test:carcrm_test" not in err


def test_a_row_the_server_refuses_stops_the_copy_and_leaves_the_target_empty(demo_path, pg_database, pg_url,
                                                                            monkeypatch, capsys):
    import sqlite3

    with sqlite3.connect(demo_path) as con:  # SQLite keeps text in an integer column; the server will not
        con.execute("UPDATE lead SET score = 'high' WHERE id = (SELECT MAX(id) FROM lead)")
    indexes = pg_database.execute_sql(INDEXES).fetchall()
    monkeypatch.setenv("CARCRM_PIN", MANAGER_PIN)
    rc = main(["--lang", "en", "--db", str(demo_path), "copy-to", pg_url, "--user", MANAGER])
    err = capsys.readouterr().err
    assert rc == 4 and "stopped at table lead" in err and "left empty" in err and "Traceback" not in err
    store_db.close()
    db = store_db.connect(pg_url)
    assert db.execute_sql("SELECT COUNT(*) FROM account").fetchone()[0] == 0
    assert db.execute_sql(INDEXES).fetchall() == indexes


def test_init_on_a_server_never_prints_its_password(pg_database, pg_url, monkeypatch, capsys):
    monkeypatch.setenv("CARCRM_PIN", "271828")
    args = ["--lang", "en", "--db", pg_url, "init", "--name", "星辰汽车集团", "--timezone", "Asia/Shanghai",
            "--language", "zh", "--admin", "系统管理员"]
    assert main(args) == 0
    assert main(args) == 2  # set up already: nothing changed
    said = capsys.readouterr()
    assert "is set up in" in said.out and "already set up" in said.err
    assert "carcrm_test:carcrm_test" not in said.out + said.err and "carcrm_test:***@" in said.out


def test_browser_tabs_get_a_servers_address_from_the_environment_not_their_command_line(tmp_path):
    from carcrm_tui.web import app_command

    command = app_command("postgresql://carcrm:s3cret-pw@db.example/group", tmp_path / "c.toml", "zh", None)
    assert "s3cret-pw" not in command and "--db" not in command and "--served" in command
    assert "--db" in app_command(str(tmp_path / "shop.sqlite"), tmp_path / "c.toml", None, None)
