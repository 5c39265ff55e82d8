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
# a customer's numbers: main, backup, and the more that merges kept (customer_phone)
PHONES = ("{c}.phone_digits || ' ' || {c}.phone2_digits || COALESCE((SELECT ' ' || group_concat(p.digits, ' ') "
          "FROM customer_phone p WHERE p.customer_id = {c}.id), '')")
CUSTOMER_ROW = f"new.name, new.name_pinyin, {PHONES.format(c='new')}, new.wechat, new.notes"
_REINDEX = ("DELETE FROM customer_fts WHERE rowid = {row}.customer_id; "
            "INSERT INTO customer_fts (rowid, name, name_pinyin, phones, wechat, notes) "
            f"SELECT c.id, c.name, c.name_pinyin, {PHONES.format(c='c')}, c.wechat, c.notes "
            "FROM customer c WHERE c.id = {row}.customer_id;")
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
    f"""CREATE TRIGGER IF NOT EXISTS customer_phone_ins AFTER INSERT ON customer_phone BEGIN
        {_REINDEX.format(row="new")}
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS customer_phone_del AFTER DELETE ON customer_phone BEGIN
        {_REINDEX.format(row="old")}
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
TRIGGER_NAMES = ("customer_fts_ins", "customer_fts_upd", "customer_fts_del", "customer_phone_ins",
                 "customer_phone_del", "followup_fts_ins", "followup_fts_upd", "followup_fts_del")


def available(db: Database) -> bool:
    return isinstance(db, SqliteDatabase)


# PostgreSQL: trigram GIN indexes answer ILIKE '%…%' for 3+ characters on the same columns
TRIGRAM_COLUMNS = (("customer", "name"), ("customer", "name_pinyin"), ("customer", "phone_digits"),
                   ("customer", "phone2_digits"), ("customer", "wechat"), ("customer", "notes"),
                   ("customer_phone", "digits"), ("follow_up", "summary"), ("follow_up", "feedback"))


def install_trigrams(db: Database) -> bool:
    """pg_trgm and its indexes (idempotent). Without the extension (not allowed to create it) search
    still works, by scanning; returns whether the indexes are there."""
    try:
        with db.atomic():  # a savepoint: a refused extension must not undo the caller's work
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:
        return False
    for table, column in TRIGRAM_COLUMNS:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
                       f'USING gin ("{column}" gin_trgm_ops)')
    return True


def install(db: Database) -> None:
    """Create the FTS tables and triggers (idempotent) and index what is already there."""
    if not available(db):
        install_trigrams(db)
        return
    from carcrm_tui.store.models import CustomerPhone

    CustomerPhone.create_table(safe=True)  # the phones column reads it (an upgrade from before 0.6 too)
    db.execute_sql(CUSTOMER_FTS)
    db.execute_sql(FOLLOWUP_FTS)
    drop_triggers(db)  # an upgrade may change a trigger's body: always the current one
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
        f"SELECT c.id, c.name, c.name_pinyin, {PHONES.format(c='c')}, c.wechat, c.notes FROM customer c"
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

