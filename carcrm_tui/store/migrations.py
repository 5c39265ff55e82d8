"""Versioned schema: new files get the current schema, old files are upgraded in place.

The version lives in `PRAGMA user_version` on SQLite and in a one-row table on
PostgreSQL. An upgrade runs inside one write-locked transaction that re-reads
the version first, so several terminals starting at once upgrade exactly once.
A later release appends a step to STEPS (using playhouse.migrate, with
foreign keys off around table rebuilds — design.md) and bumps nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from peewee import Database, SqliteDatabase

from carcrm_tui.store import notify, search_index
from carcrm_tui.store.models import (
    MODELS, AuditLog, Complaint, CustomerPhone, CustomerTag, ImportBatch, ImportChange, Notice, Quote,
    DEFAULT_SHOWROOM, Showroom, ShowroomVisit, SitePolicy, TestDrive, UndoStep,
)


def _v2_sign_in_and_audit(db: Database) -> None:
    """0.2: PINs and lockout on accounts, the confidential deal price, the audit log.

    Plain ADD COLUMN with a default: no table rebuild, same SQL on SQLite and
    PostgreSQL (playhouse's add_column rebuilds SQLite tables for NOT NULL).
    """
    for sql in (
        "ALTER TABLE account ADD COLUMN pin_hash VARCHAR(255) NOT NULL DEFAULT ''",
        "ALTER TABLE account ADD COLUMN failed_pins INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE account ADD COLUMN locked_until DATETIME",
        "ALTER TABLE lead ADD COLUMN deal_price INTEGER",
    ):
        db.execute_sql(sql if isinstance(db, SqliteDatabase) else sql.replace("DATETIME", "TIMESTAMP"))
    db.create_tables([AuditLog])


def _v3_search(db: Database) -> None:
    """0.3: pinyin search keys, VIN and plate, full-text indexes."""
    from carcrm_tui.domain.names import pinyin_keys

    for sql in (
        "ALTER TABLE customer ADD COLUMN name_pinyin VARCHAR(255) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN vin VARCHAR(17) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN plate VARCHAR(16) NOT NULL DEFAULT ''",
    ):
        db.execute_sql(sql)
    db.execute_sql("CREATE INDEX IF NOT EXISTS customer_name ON customer (name)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS customer_name_pinyin ON customer (name_pinyin)")
    rows = db.execute_sql("SELECT id, name FROM customer").fetchall()
    param = "?" if isinstance(db, SqliteDatabase) else "%s"
    cursor = db.cursor()
    cursor.executemany(f"UPDATE customer SET name_pinyin = {param} WHERE id = {param}",
                       [(pinyin_keys(name), cid) for cid, name in rows])
    search_index.install(db)


def _v4_sales_process(db: Database) -> None:
    """0.4: stage records, follow-up purposes, showroom traffic, complaints, tags as rows."""
    sqlite = isinstance(db, SqliteDatabase)
    stamp = "DATETIME" if sqlite else "TIMESTAMP"
    for sql in (
        "ALTER TABLE lead ADD COLUMN spin_summary TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN grade_reason TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN deposit INTEGER",
        f"ALTER TABLE lead ADD COLUMN ordered_at {stamp}",
        "ALTER TABLE lead ADD COLUMN expected_delivery_date DATE",
        "ALTER TABLE lead ADD COLUMN delivered_on DATE",
        "ALTER TABLE lead ADD COLUMN service_advisor VARCHAR(64) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN insurance_until DATE",
        "ALTER TABLE follow_up ADD COLUMN purpose VARCHAR(32) NOT NULL DEFAULT ''",
    ):
        db.execute_sql(sql)
    db.create_tables([CustomerTag, TestDrive, Quote, ShowroomVisit, Complaint])
    rows = db.execute_sql("SELECT id, tags FROM customer WHERE tags <> ''").fetchall()
    pairs = {(cid, tag.strip()) for cid, tags in rows for tag in tags.split(",") if tag.strip()}
    if pairs:
        CustomerTag.insert_many([{"customer": c, "tag": t} for c, t in sorted(pairs)]).execute()
    db.execute_sql("ALTER TABLE customer DROP COLUMN tags")


def _v5_manager_metrics(db: Database) -> None:
    """0.5: who referred a customer, and indexes for the manager's period reports."""
    db.execute_sql("ALTER TABLE customer ADD COLUMN referred_by_id INTEGER REFERENCES customer (id) ON DELETE SET NULL")
    for sql in (
        "CREATE INDEX IF NOT EXISTS customer_referred_by_id ON customer (referred_by_id)",
        "CREATE INDEX IF NOT EXISTS lead_created_at ON lead (created_at)",
        "CREATE INDEX IF NOT EXISTS lead_closed_at ON lead (closed_at)",
        "CREATE INDEX IF NOT EXISTS followup_open_by_lead ON follow_up (lead_id, due_at) WHERE done_at IS NULL",
        "CREATE INDEX IF NOT EXISTS followup_done_owner ON follow_up (done_at, owner_id, outcome)"
        " WHERE done_at IS NOT NULL",
    ):
        db.execute_sql(sql)


def _v6_trust(db: Database) -> None:
    """0.6: every phone of merged records kept, notices to people, the site policy in the database."""
    db.create_tables([CustomerPhone, Notice, SitePolicy])
    search_index.install(db)  # the phones column now includes the extra numbers


def _v7_server_search(db: Database) -> None:
    """0.7: on PostgreSQL, trigram indexes so search finds name parts, digits and note text fast."""
    if not isinstance(db, SqliteDatabase):
        search_index.install_trigrams(db)


def _v8_dealer_sheets(db: Database) -> None:
    """0.8: every field of the dealer's sheet, the catalogue's retired and imported models, import batches."""
    sqlite = isinstance(db, SqliteDatabase)
    flag = "INTEGER NOT NULL DEFAULT 0" if sqlite else "BOOLEAN NOT NULL DEFAULT FALSE"
    for sql in (
        "ALTER TABLE customer ADD COLUMN qq VARCHAR(32) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN brands TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN configuration TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN colour VARCHAR(64) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN purchase_window VARCHAR(64) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN models_seen TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN materials TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN deal_configuration VARCHAR(128) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN deal_colour VARCHAR(64) NOT NULL DEFAULT ''",
        "ALTER TABLE lead ADD COLUMN sheet_notes TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE follow_up ADD COLUMN next_step TEXT NOT NULL DEFAULT ''",
        f"ALTER TABLE vehicle ADD COLUMN retired {flag}",
        "ALTER TABLE vehicle ADD COLUMN origin VARCHAR(16) NOT NULL DEFAULT ''",
    ):
        db.execute_sql(sql)
    db.create_tables([ImportBatch, ImportChange])


def _v9_showrooms(db: Database) -> None:
    """0.9: showrooms of a dealer group. What was there is the group's first showroom (id 1), named
    after the dealership; admins work across showrooms, everyone else in that one."""
    db.create_tables([Showroom])
    add_default_showroom(db)
    for table, null in (("account", True), ("customer", False), ("lead", False)):
        not_null = "" if null else " NOT NULL"
        db.execute_sql(f"ALTER TABLE {table} ADD COLUMN showroom_id INTEGER{not_null} DEFAULT {DEFAULT_SHOWROOM} "
                       f"REFERENCES showroom (id)")
    db.execute_sql("UPDATE account SET showroom_id = NULL WHERE role = 'admin'")
    db.execute_sql("CREATE INDEX IF NOT EXISTS customer_showroom_id ON customer (showroom_id)")
    db.execute_sql("CREATE INDEX IF NOT EXISTS lead_showroom_id_status_stage_grade_id_expected_value "
                   "ON lead (showroom_id, status, stage, grade, id, expected_value)")


def add_default_showroom(db: Database) -> None:
    """Showroom 1, named after the dealership (the site policy's name, else 本店)."""
    import datetime as dt
    import tomllib

    name = "本店"
    try:
        row = db.execute_sql("SELECT toml FROM site_policy ORDER BY id DESC LIMIT 1").fetchone()
        name = tomllib.loads(row[0]).get("dealership", {}).get("name", name) if row else name
    except Exception:  # no policy yet (a new database): the default name
        pass
    mark = "?" if isinstance(db, SqliteDatabase) else "%s"
    db.execute_sql(f"INSERT INTO showroom (id, name, created_at) VALUES ({mark}, {mark}, {mark})",
                   (DEFAULT_SHOWROOM, name[:64], dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)))
    if not isinstance(db, SqliteDatabase):  # the id was given: the next showroom's comes after it
        db.execute_sql("SELECT setval(pg_get_serial_sequence('showroom', 'id'), (SELECT MAX(id) FROM showroom))")


def _v10_undo(db: Database) -> None:
    """0.10: the last stage move, lost, dormant or grade change can be taken back for a few minutes."""
    db.create_tables([UndoStep])


def _v11_note_queue(db: Database) -> None:
    """0.11: notes reach the full-text index a batch at a time (search_index.catch_up), not
    inside every write; the index already matches the rows, so only the triggers change."""
    search_index.install(db, index=False)


def _v12_change_notices(db: Database) -> None:
    """0.12: on PostgreSQL, every commit that writes the audit trail is told to the listening terminals
    (LISTEN/NOTIFY) instead of each terminal polling for it; SQLite terminals keep polling."""
    notify.install(db)


def _v13_recent_contacts(db: Database) -> None:
    """0.13: a consultant's leads by their last contact, for the two-character note search."""
    db.execute_sql("CREATE INDEX IF NOT EXISTS lead_owner_id_last_contact_at ON lead (owner_id, last_contact_at)")
    _with_statistics(db, "lead_owner_id_last_contact_at")


def _with_statistics(db: Database, index: str) -> None:
    """A SQLite file with the planner's statistics (ANALYZE ran on it) gets them for a new index
    too: one index without them turned the manager's board pages from a walk of the showroom's
    index (~1 ms) to every owner's leads sorted (~10 ms a column). A file without any keeps none."""
    if isinstance(db, SqliteDatabase) and db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute_sql(f'ANALYZE "{index}"')


# version -> step that brings a database from version-1 to version
STEPS: dict[int, Callable[[Database], None]] = {2: _v2_sign_in_and_audit, 3: _v3_search, 4: _v4_sales_process,
                                                  5: _v5_manager_metrics, 6: _v6_trust, 7: _v7_server_search,
                                                  8: _v8_dealer_sheets, 9: _v9_showrooms, 10: _v10_undo,
                                                  11: _v11_note_queue, 12: _v12_change_notices,
                                                  13: _v13_recent_contacts}
LATEST = 13


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
    if found > 0:
        backup_before_upgrade(db, found)
    sqlite = isinstance(db, SqliteDatabase)
    if sqlite:  # a table rebuild under foreign_keys=1 would cascade-delete children
        db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():  # IMMEDIATE on SQLite: one terminal at a time from here
            found = current_version(db)
            if found == 0:
                db.create_tables(MODELS)
                add_default_showroom(db)
                search_index.install(db)
                notify.install(db)
            else:
                for version in range(found + 1, LATEST + 1):
                    STEPS[version](db)
                if sqlite and db.execute_sql("PRAGMA foreign_key_check").fetchall():
                    raise RuntimeError("schema upgrade left broken references; rolled back")
            _set_version(db, LATEST)
    finally:
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = ON")
    return found


def backup_before_upgrade(db: Database, found: int) -> Path | None:
    """Copy an old SQLite file aside (once per version) before changing its schema."""
    if not isinstance(db, SqliteDatabase) or db.database in ("", ":memory:"):
        return None
    target = Path(f"{db.database}.schema-v{found}.bak")
    if not target.exists():
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")  # own file per starting terminal
        tmp.unlink(missing_ok=True)
        db.execute_sql("VACUUM INTO ?", (str(tmp),))
        tmp.replace(target)  # several terminals may race here; the copy is whole either way
    return target
