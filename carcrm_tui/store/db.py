"""Opening the database: SQLite tuned for many terminals, or a PostgreSQL URL.

Many processes on one SQLite file need WAL, a busy timeout and transactions
that take the write lock up front (`lock_type="IMMEDIATE"`); with DEFERRED
transactions a read lock upgrading to a write fails with "database is locked"
no matter the timeout (design.md).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import random
import time

from peewee import Database, PostgresqlDatabase, SqliteDatabase

from carcrm_tui.store import migrations
from carcrm_tui.store.faults import FaultAware, StorageFault
from carcrm_tui.store.models import database

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 5_000,
    "cache_size": -32_000,  # 32 MB page cache
    "temp_store": "memory",
}

# explicit adapters: the stdlib defaults are deprecated since 3.12
sqlite3.register_adapter(dt.datetime, lambda v: v.isoformat(" "))
sqlite3.register_adapter(dt.date, lambda v: v.isoformat())


class ShowroomSqliteDatabase(FaultAware, SqliteDatabase):
    """SQLite whose write transactions wait their turn instead of failing.

    Every outer transaction is BEGIN IMMEDIATE, so that is the only statement that
    waits for the write lock. SQLite's busy handler is not fair: under a burst of
    writers one terminal can lose repeatedly past the busy timeout. Retrying the
    BEGIN with jitter keeps "database is locked" away from users under load; past
    `begin_patience` the caller gets StorageFault("busy") and says so.
    """

    begin_patience = 10.0  # seconds: a person at a terminal is told after this, not frozen for a minute

    def begin(self, lock_type=None):
        # Ask for the lock every millisecond or two ourselves: SQLite's own busy handler
        # backs off to 100 ms between tries and misses the short gap a long import leaves
        # between its chunks, so a one-row save could wait behind many chunks (design.md).
        deadline = time.monotonic() + self.begin_patience
        conn = self.connection()
        conn.execute("PRAGMA busy_timeout = 0")  # ask again every millisecond or two: a waiting save
        try:                                      # gets in between an import's chunks
            while True:
                try:
                    return super().begin(lock_type)
                except StorageFault as e:
                    if e.kind != "busy" or time.monotonic() > deadline:
                        raise
                    time.sleep(random.uniform(0.0005, 0.002))
        finally:
            conn.execute(f"PRAGMA busy_timeout = {dict(self._pragmas).get('busy_timeout', 5_000)}")


class ShowroomPostgresqlDatabase(FaultAware, PostgresqlDatabase):
    """PostgreSQL through psycopg 3, with the same fault words as SQLite."""


def _patience() -> float:
    """How long a write waits for other terminals' writes before it says "busy" (CARCRM_BEGIN_PATIENCE,
    seconds): a person is told after this rather than left looking at a frozen screen."""
    try:
        return max(0.1, float(os.environ.get("CARCRM_BEGIN_PATIENCE", ShowroomSqliteDatabase.begin_patience)))
    except ValueError:
        return ShowroomSqliteDatabase.begin_patience


def is_server(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def _server(url: str, **extra) -> ShowroomPostgresqlDatabase:
    from playhouse.db_url import parse

    params = parse(url)
    return ShowroomPostgresqlDatabase(params.pop("database"), prefer_psycopg3=True, **params, **extra)


class ReadOnlySqliteDatabase(FaultAware, SqliteDatabase):
    """A SQLite file opened so that nothing can change it (copy-to's source, check)."""


def open_read_only(target: str | Path) -> Database:
    """`target` opened for reading only, not bound to the models: a SQLite file in `mode=ro` (which
    never checkpoints or writes), or a server session whose transactions are all read-only."""
    text = str(target)
    if is_server(text):
        db: Database = _server(text, options="-c default_transaction_read_only=on")
    else:
        path = Path(text).expanduser()
        if not path.is_file():
            raise StorageFault("unavailable", f"no database file at {path}")
        from urllib.parse import quote

        db = ReadOnlySqliteDatabase(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True,
                                    pragmas={"query_only": 1})
    db.connect()
    return db


def schema_version(db: Database) -> int:
    """The schema version of a database opened read-only (0: none; migrations would create it)."""
    if isinstance(db, SqliteDatabase):
        return db.execute_sql("PRAGMA user_version").fetchone()[0]
    if "schema_version" not in db.get_tables():
        return 0
    row = db.execute_sql("SELECT version FROM schema_version").fetchone()
    return row[0] if row else 0


def connect(target: str | Path) -> Database:
    """Bind the models to `target` (a file path or postgresql:// URL) and upgrade its schema."""
    text = str(target)
    if is_server(text):
        db: Database = _server(text)
    else:
        path = Path(text).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        patience = _patience()
        pragmas = dict(SQLITE_PRAGMAS, busy_timeout=int(min(SQLITE_PRAGMAS["busy_timeout"], patience * 1000)))
        db = ShowroomSqliteDatabase(str(path), pragmas=pragmas, lock_type="IMMEDIATE")
        if "CARCRM_BEGIN_PATIENCE" in os.environ:
            db.begin_patience = patience
    database.initialize(db)
    db.connect(reuse_if_open=True)
    migrations.upgrade(db)
    return db


def close() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()
