"""Versioned schema: new files get the current schema, old files are upgraded in place.

The version lives in `PRAGMA user_version` on SQLite and in a one-row table on
PostgreSQL. An upgrade runs inside one write-locked transaction that re-reads
the version first, so several terminals starting at once upgrade exactly once.
A later release appends a step to STEPS (using playhouse.migrate, with
foreign keys off around table rebuilds — design.md) and bumps nothing else.
"""

from __future__ import annotations

from typing import Callable

from peewee import Database, SqliteDatabase

from carcrm_tui.store.models import MODELS

# version -> step that brings a database from version-1 to version
STEPS: dict[int, Callable[[Database], None]] = {}
LATEST = 1


class SchemaTooNew(RuntimeError):
    def __init__(self, found: int) -> None:
        super().__init__(f"database schema {found} is newer than this release ({LATEST})")
        self.found = found


def current_version(db: Database) -> int:
    if isinstance(db, SqliteDatabase):
        return db.execute_sql("PRAGMA user_version").fetchone()[0]
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute_sql("SELECT version FROM schema_version").fetchone()
    return row[0] if row else 0


def _set_version(db: Database, version: int) -> None:
    if isinstance(db, SqliteDatabase):
        db.execute_sql(f"PRAGMA user_version = {int(version)}")
    else:
        db.execute_sql("DELETE FROM schema_version")
        db.execute_sql("INSERT INTO schema_version (version) VALUES (%s)", (version,))


def upgrade(db: Database) -> int:
    """Bring the schema to LATEST; returns the version found before."""
    found = current_version(db)
    if found == LATEST:
        return found
    if found > LATEST:
        raise SchemaTooNew(found)
    with db.atomic():  # IMMEDIATE on SQLite: one terminal at a time from here
        found = current_version(db)
        if found == 0:
            db.create_tables(MODELS)
        else:
            for version in range(found + 1, LATEST + 1):
                STEPS[version](db)
        _set_version(db, LATEST)
    return found
