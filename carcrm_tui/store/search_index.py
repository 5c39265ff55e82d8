"""Full-text search tables (SQLite FTS5, trigram tokenizer), kept in sync by triggers.

Trigram FTS finds any 3+ character fragment — Chinese name parts, phone digit
runs, pinyin, note text — in well under a millisecond at 100k customers
(design.md). Shorter queries (most Chinese given names are 2 characters) are
answered from the base table instead. PostgreSQL has no FTS5: there the
search service falls back to substring queries.
"""

from __future__ import annotations

from peewee import Database, SqliteDatabase

CUSTOMER_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS customer_fts USING fts5(
    name, name_pinyin, phones, wechat, notes, tokenize='trigram'
)"""  # keeps its own copy: SQLite 3.40 has no contentless_delete, and the copy is small
FOLLOWUP_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS followup_fts USING fts5(
    summary, feedback, content='follow_up', content_rowid='id', tokenize='trigram'
)"""
CUSTOMER_ROW = "new.name, new.name_pinyin, new.phone_digits || ' ' || new.phone2_digits, new.wechat, new.notes"
TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS customer_fts_ins AFTER INSERT ON customer BEGIN
        INSERT INTO customer_fts (rowid, name, name_pinyin, phones, wechat, notes) VALUES (new.id, {CUSTOMER_ROW});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS customer_fts_upd AFTER UPDATE OF name, name_pinyin, phone_digits,
        phone2_digits, wechat, notes ON customer BEGIN
        DELETE FROM customer_fts WHERE rowid = old.id;
        INSERT INTO customer_fts (rowid, name, name_pinyin, phones, wechat, notes) VALUES (new.id, {CUSTOMER_ROW});
    END""",
    """CREATE TRIGGER IF NOT EXISTS customer_fts_del AFTER DELETE ON customer BEGIN
        DELETE FROM customer_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS followup_fts_ins AFTER INSERT ON follow_up BEGIN
        INSERT INTO followup_fts (rowid, summary, feedback) VALUES (new.id, new.summary, new.feedback);
    END""",
    """CREATE TRIGGER IF NOT EXISTS followup_fts_upd AFTER UPDATE OF summary, feedback ON follow_up BEGIN
        INSERT INTO followup_fts (followup_fts, rowid, summary, feedback)
            VALUES ('delete', old.id, old.summary, old.feedback);
        INSERT INTO followup_fts (rowid, summary, feedback) VALUES (new.id, new.summary, new.feedback);
    END""",
    """CREATE TRIGGER IF NOT EXISTS followup_fts_del AFTER DELETE ON follow_up BEGIN
        INSERT INTO followup_fts (followup_fts, rowid, summary, feedback)
            VALUES ('delete', old.id, old.summary, old.feedback);
    END""",
)
TRIGGER_NAMES = ("customer_fts_ins", "customer_fts_upd", "customer_fts_del",
                 "followup_fts_ins", "followup_fts_upd", "followup_fts_del")


def available(db: Database) -> bool:
    return isinstance(db, SqliteDatabase)


def install(db: Database) -> None:
    """Create the FTS tables and triggers (idempotent) and index what is already there."""
    if not available(db):
        return
    db.execute_sql(CUSTOMER_FTS)
    db.execute_sql(FOLLOWUP_FTS)
    for sql in TRIGGERS:
        db.execute_sql(sql)
    rebuild(db)


def rebuild(db: Database) -> None:
    """Index every row again (after bulk loads that ran without the triggers)."""
    if not available(db):
        return
    db.execute_sql("DELETE FROM customer_fts")
    db.execute_sql(
        "INSERT INTO customer_fts (rowid, name, name_pinyin, phones, wechat, notes) "
        "SELECT id, name, name_pinyin, phone_digits || ' ' || phone2_digits, wechat, notes FROM customer"
    )
    db.execute_sql("INSERT INTO followup_fts (followup_fts) VALUES ('rebuild')")
    # one merged segment: an index left as 'rebuild' leaves it makes every later write pay for
    # merging it (measured at 1M follow-ups: 20,000 new notes 5.0 s before, 1.8 s after; ~2 s once)
    for table in ("customer_fts", "followup_fts"):
        db.execute_sql(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


def drop_triggers(db: Database) -> None:
    """Bulk loads drop the triggers, insert, then `install` (which rebuilds once)."""
    for name in TRIGGER_NAMES:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")

