"""Storage on real SQLite files: schema version, pragmas, UTC instants, the hot indexes."""

import sqlite3

import pendulum
import pytest

from carcrm_tui.store import db as store_db
from carcrm_tui.store.migrations import LATEST, SchemaTooNew
from carcrm_tui.store.models import Account, FollowUp
from tests import factory


def test_new_file_gets_the_current_schema_version(tmp_path):
    path = tmp_path / "x.sqlite"
    db = store_db.connect(path)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    factory.account("李娜")
    store_db.close()
    # reopening keeps the data and does not rebuild anything
    store_db.connect(path)
    assert Account.select().count() == 1
    store_db.close()


def test_a_file_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {LATEST + 1}")
    con.close()
    with pytest.raises(SchemaTooNew):
        store_db.connect(path)
    store_db.close()


def test_instants_are_stored_as_utc_and_come_back_aware(database):
    local = pendulum.datetime(2026, 3, 10, 10, 30, tz="Asia/Shanghai")
    a = Account.create(name="x", created_at=local)
    raw = database.execute_sql("SELECT created_at FROM account WHERE id = ?", (a.id,)).fetchone()[0]
    assert raw == "2026-03-10 02:30:00"
    back = Account.get_by_id(a.id).created_at
    assert back == local and back.timezone_name == "UTC"


def test_naive_datetimes_are_refused(database):
    import datetime as dt

    with pytest.raises(ValueError):
        Account.create(name="y", created_at=dt.datetime(2026, 1, 1))


def _plan(db, sql, params=()):
    return " ".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def test_todays_follow_ups_and_board_pages_use_their_indexes(database):
    plan = _plan(database, "SELECT * FROM follow_up WHERE owner_id = ? AND done_at IS NULL AND due_at < ? ORDER BY due_at",
                 (1, "2026-03-11 00:00:00"))
    assert "followup_open_by_owner_due" in plan
    plan = _plan(database, "SELECT * FROM lead WHERE owner_id = ? AND status = 'open' AND stage = ? AND grade = ? AND id > ? ORDER BY id LIMIT 50",
                 (1, "quote", "A", 0))
    assert "lead_owner_id_status_stage_grade_id_expected_value" in plan
    plan = _plan(database, "SELECT * FROM lead WHERE status = 'open' AND stage = ? AND grade = ? AND id > ? ORDER BY id LIMIT 50",
                 ("quote", "A", 0))
    assert "lead_status_stage_grade_id_expected_value" in plan
    plan = _plan(database, "SELECT stage, grade, COUNT(id), SUM(expected_value) FROM lead WHERE status = 'open' GROUP BY stage, grade")
    assert "COVERING INDEX lead_status_stage_grade_id_expected_value" in plan


def test_deleting_a_lead_removes_its_follow_ups(database):
    a = factory.account("李娜")
    ld = factory.lead(factory.customer(a))
    factory.due(ld, pendulum.datetime(2026, 3, 11, tz="UTC"))
    ld.delete_instance()
    assert FollowUp.select().count() == 0


def test_a_schema_v1_file_is_backed_up_and_upgraded_with_every_row_intact(tmp_path):
    import shutil
    from pathlib import Path

    old = tmp_path / "shop.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "schema_v1.sqlite", old)
    con = sqlite3.connect(old)
    tables = ("account", "vehicle", "customer", "lead", "follow_up")
    columns = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})") if r[1] != "tags"] for t in tables}
    before = {t: con.execute(f"SELECT {', '.join(columns[t])} FROM {t} ORDER BY id").fetchall() for t in tables}
    tags = {(cid, tag) for cid, text in con.execute("SELECT id, tags FROM customer") for tag in text.split(",") if tag}
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1 and tags
    con.close()

    db = store_db.connect(old)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST
    for table, rows in before.items():  # every old value of every row, untouched
        after = db.execute_sql(f"SELECT {', '.join(columns[table])} FROM {table} ORDER BY id").fetchall()
        assert after == rows, table
    assert set(db.execute_sql("SELECT customer_id, tag FROM customer_tag").fetchall()) == tags
    assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    # a single showroom's data is the first showroom of the group it may become
    assert db.execute_sql("SELECT id, name FROM showroom").fetchall() == [(1, "本店")]
    for table in ("customer", "lead"):
        assert db.execute_sql(f"SELECT DISTINCT showroom_id FROM {table}").fetchall() == [(1,)]
    # an upgraded file has what a new one has: every column and index of the models
    fresh = store_db.connect(tmp_path / "fresh.sqlite")
    new_shape = _shape(fresh)
    store_db.close()
    db = store_db.connect(old)
    assert _shape(db) == new_shape
    store_db.close()
    backup = tmp_path / "shop.sqlite.schema-v1.bak"
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == 1


def test_terminals_starting_at_once_upgrade_exactly_once(tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    old = tmp_path / "shop.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "schema_v1.sqlite", old)
    code = ("import sys; from carcrm_tui.store import db; from carcrm_tui.store.migrations import upgrade;"
            "d = db.connect(sys.argv[1]); print(d.execute_sql('PRAGMA user_version').fetchone()[0])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(old)], stdout=subprocess.PIPE, text=True)
             for _ in range(6)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs) and set(outs) == {str(LATEST)}
    con = sqlite3.connect(old)
    columns = [r[1] for r in con.execute("PRAGMA table_info(account)")]
    assert columns.count("pin_hash") == 1


def _shape(db):
    """Columns per table and index names (FTS shadow tables aside)."""
    tables = [r[0] for r in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite%'")]
    columns = {t: sorted(r[1] for r in db.execute_sql(f"PRAGMA table_info({t})")) for t in tables}
    indexes = sorted(r[0] for r in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'"))
    return columns, indexes


def test_postgresql_search_columns_have_trigram_indexes(pg_database):
    """ILIKE '%…%' on the searched columns is answered by pg_trgm GIN indexes, not a scan."""
    from carcrm_tui.store.search_index import TRIGRAM_COLUMNS

    rows = pg_database.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE %s", ("%gin_trgm_ops%",))
    found = {name for name, _ in rows.fetchall()}
    assert {f"{t}_{c}_trgm" for t, c in TRIGRAM_COLUMNS} <= found
    pg_database.execute_sql("SET enable_seqscan = off")  # a small table: make the planner show its hand
    plan = " ".join(r[0] for r in pg_database.execute_sql(
        "EXPLAIN SELECT id FROM customer WHERE name ILIKE %s", ("%张伟强%",)).fetchall())
    pg_database.execute_sql("SET enable_seqscan = on")
    assert "customer_name_trgm" in plan


def test_what_the_board_reads_after_changes_elsewhere_walks_no_table_whole(database):
    """The statements `board.changes` runs for a manager after a lead moved elsewhere: each reads
    the few rows it names through the primary key or an index (peewee writes an empty
    `customer_id IN ()` as `0 = 1`, and OR-ed in it made SQLite walk the showroom's every lead)."""
    from carcrm_tui.services import audit, board
    from tests.conftest import session_for

    a = factory.account("李娜")
    factory.account("王经理", role="manager")
    leads = [factory.lead(factory.customer(a)) for _ in range(3)]
    since = audit.last_change()
    audit.record(a.id, pendulum.now("UTC"), "move", "lead", leads[0].id, leads[0].customer_id, {"stage": ("new", "needs")})
    manager = session_for("王经理")
    statements = []
    connection = database.connection()
    connection.set_trace_callback(statements.append)
    try:
        found = board.changes(manager, since)
    finally:
        connection.set_trace_callback(None)
    assert found == board.BoardChanges({leads[0].id}, {"new", leads[0].stage})
    plans = {sql: _plan(database, sql) for sql in statements if sql.lstrip().upper().startswith("SELECT")}
    assert any('FROM "lead"' in sql for sql in plans) and any('FROM "audit_log"' in sql for sql in plans)
    for sql, plan in plans.items():
        assert "SCAN" not in plan, (sql, plan)
        if 'FROM "lead"' in sql:
            assert "PRIMARY KEY" in plan or "lead_customer_id" in plan, (sql, plan)


def test_an_upgrade_leaves_the_planners_statistics_whole(demo_path, tmp_path):
    """The demo (and any file ANALYZE ran on) has statistics for every index; an index an upgrade
    adds gets them too — one without turned the manager's board pages into sorts. A file without
    statistics is left without."""
    def as_schema_12(path):
        con = sqlite3.connect(path)
        con.execute("DROP INDEX lead_owner_id_last_contact_at")
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            con.execute("DELETE FROM sqlite_stat1 WHERE idx = 'lead_owner_id_last_contact_at'")
        con.execute("PRAGMA user_version = 12")
        con.commit()
        con.close()

    def lead_indexes_without_statistics(db):
        indexes = {name for (name,) in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lead' AND sql IS NOT NULL")}
        counted = {idx for (idx,) in db.execute_sql("SELECT idx FROM sqlite_stat1 WHERE tbl = 'lead'")}
        return indexes - counted

    as_schema_12(demo_path)
    db = store_db.connect(demo_path)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST
    assert lead_indexes_without_statistics(db) == set()
    store_db.close()

    bare = tmp_path / "bare.sqlite"
    store_db.connect(bare)
    store_db.close()
    as_schema_12(bare)
    db = store_db.connect(bare)
    assert db.execute_sql("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is None
    store_db.close()
