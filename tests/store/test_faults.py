"""Storage faults become StorageFault(kind), leave nothing half-written, and the next try works.

Real faults where the machine can make them (a read-only connection, a held write lock, a
file that is not a database, a full database, a PostgreSQL backend killed under the app),
injected driver errors for the rest.
"""

import sqlite3
import threading

import pendulum
import pytest

from carcrm_tui.store import db as store_db
from carcrm_tui.store.faults import SQLITE_KINDS, StorageFault, classify, inject, scrub
from carcrm_tui.store.models import Account, AuditLog, database as proxy

NOW = pendulum.datetime(2026, 3, 10, 2, 30, tz="UTC")


def _add(name: str) -> None:
    with proxy.atomic():
        Account.create(name=name, created_at=NOW)
        AuditLog.create(at=NOW, action="create", entity="account")


@pytest.mark.parametrize("kind", SQLITE_KINDS)
def test_an_injected_fault_is_named_rolled_back_and_gone_on_retry(database, kind, monkeypatch):
    monkeypatch.setattr(type(database), "begin_patience", 0.2)  # busy is retried this long, then said
    with inject(database, kind, times=10**9) as armed:
        with pytest.raises(StorageFault) as caught:
            _add("李娜")
    assert armed.fired >= 1 and caught.value.kind == kind
    assert Account.select().count() == 0 and AuditLog.select().count() == 0  # nothing half-written
    _add("李娜")
    assert Account.select().count() == 1


def test_a_busy_write_lock_is_retried_until_it_frees(database):
    with inject(database, "busy", times=3) as armed:
        _add("张伟")  # three refusals of BEGIN IMMEDIATE, then the write goes through
    assert armed.fired == 3 and Account.select().count() == 1


def test_a_lock_held_by_another_terminal_past_the_patience_is_busy(database, monkeypatch, tmp_path):
    monkeypatch.setattr(type(database), "begin_patience", 0.3)
    database.execute_sql("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(tmp_path / "carcrm.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageFault) as caught:
            _add("刘洋")
        assert caught.value.kind == "busy"
    finally:
        other.execute("ROLLBACK")
        other.close()
    _add("刘洋")
    assert Account.select().count() == 1


def test_a_read_only_database_says_so(database):
    database.execute_sql("PRAGMA query_only = 1")
    with pytest.raises(StorageFault) as caught:
        _add("陈静")
    assert caught.value.kind == "read_only"
    database.execute_sql("PRAGMA query_only = 0")
    _add("陈静")


def test_a_full_database_says_so_and_keeps_what_was_there(database):
    _add("first")
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageFault) as caught:
        with proxy.atomic():
            for n in range(2000):  # more than the free room in the last pages
                Account.create(name=f"n{n}" * 10, created_at=NOW)
    assert caught.value.kind == "disk_full"
    assert Account.select().count() == 1


def test_a_file_that_is_not_a_database_is_damaged(tmp_path):
    path = tmp_path / "garbage.sqlite"
    path.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StorageFault) as caught:
        store_db.connect(path)
    store_db.close()
    assert caught.value.kind == "damaged"


def test_passwords_never_survive_into_messages():
    assert scrub("cannot reach postgresql://carcrm:s3cret@db.example/showroom") == \
        "cannot reach postgresql://carcrm:***@db.example/showroom"
    assert "s3cret" not in scrub("host=db user=carcrm password=s3cret dbname=x")
    assert "s3cret" not in str(StorageFault("unavailable", "postgres://u:s3cret@h/d refused"))


def test_errors_that_are_the_callers_are_not_faults(database):
    with pytest.raises(Exception) as caught:
        database.execute_sql("SELECT * FROM no_such_table")
    assert not isinstance(caught.value, StorageFault) and classify(caught.value) is None


# ---- PostgreSQL -------------------------------------------------------------------------
def _kill_my_backend(pg_server, db) -> None:
    import psycopg

    pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_dropped_postgresql_connection_is_said_and_the_next_statement_reconnects(pg_database, pg_server):
    _add("李娜")
    _kill_my_backend(pg_server, pg_database)
    with pytest.raises(StorageFault) as caught:
        Account.select().count()
    assert caught.value.kind == "connection_lost"
    assert Account.select().count() == 1  # a new connection, same data


def test_a_connection_dropped_inside_a_transaction_writes_nothing(pg_database, pg_server):
    with pytest.raises(StorageFault) as caught:
        with proxy.atomic():
            Account.create(name="半", created_at=NOW)
            _kill_my_backend(pg_server, pg_database)
            AuditLog.create(at=NOW, action="create", entity="account")
    assert caught.value.kind == "connection_lost"
    assert Account.select().count() == 0
    _add("整")
    assert Account.select().count() == 1


@pytest.mark.parametrize("kind", ["busy", "disk_full", "read_only", "connection_lost"])
def test_postgresql_driver_errors_are_named_like_sqlites(pg_database, kind):
    with inject(pg_database, kind):
        with pytest.raises(StorageFault) as caught:
            _add("王")
    assert caught.value.kind == kind
    assert Account.select().count() == 0
    _add("王")


def test_workers_each_get_their_own_fault_handling(database):
    errors = []

    def work():
        try:
            _add("线程")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            proxy.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert not errors and Account.select().count() == 1
