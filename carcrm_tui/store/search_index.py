"""Full-text search tables (SQLite FTS5, trigram tokenizer), kept in sync by triggers.

Trigram FTS finds any 3+ character fragment — Chinese name parts, phone digit
runs, pinyin, note text — in well under a millisecond at 100k customers
(design.md). Shorter queries (most Chinese given names are 2 characters) are
answered from the base table instead. PostgreSQL has no FTS5: there the
search service falls back to substring queries.

Notes are indexed a batch at a time. Any write to an FTS5 index costs its
transaction ~2.3 ms (a new index segment and merge work, measured at 100,000
customers), and logging a contact writes two notes — eight terminals logging
at once spent most of the write lock there. So the follow-up triggers only
queue the row in `followup_fts_pending` (with the text the index still holds,
when it holds some), and `catch_up` moves the queue into the index in one
transaction. Search reads the queued rows themselves (services/search.py), so
a note is found the moment it is committed.
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
# follow-ups written since the last catch_up; indexed = 1: the index holds (summary, feedback) for it
FOLLOWUP_PENDING = """
CREATE TABLE IF NOT EXISTS followup_fts_pending (
    id INTEGER PRIMARY KEY, indexed INTEGER NOT NULL, summary TEXT, feedback TEXT
)"""
CATCH_UP_AT = 200  # queued notes: from this many, the writer that sees them indexes the batch
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
    # new row: index it later; a changed or deleted row: remember what the index holds for it, the
    # first time only (a row queued already is not in the index as it is now)
    """CREATE TRIGGER IF NOT EXISTS followup_fts_ins AFTER INSERT ON follow_up BEGIN
        INSERT OR IGNORE INTO followup_fts_pending (id, indexed) VALUES (new.id, 0);
    END""",
    """CREATE TRIGGER IF NOT EXISTS followup_fts_upd AFTER UPDATE OF summary, feedback ON follow_up BEGIN
        INSERT OR IGNORE INTO followup_fts_pending (id, indexed, summary, feedback)
            VALUES (old.id, 1, old.summary, old.feedback);
    END""",
    """CREATE TRIGGER IF NOT EXISTS followup_fts_del AFTER DELETE ON follow_up BEGIN
        INSERT OR IGNORE INTO followup_fts_pending (id, indexed, summary, feedback)
            VALUES (old.id, 1, old.summary, old.feedback);
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


def install(db: Database, *, index: bool = True) -> None:
    """Create the FTS tables and triggers (idempotent) and index what is already there
    (`index=False`: the index already matches the rows, only the triggers change)."""
    if not available(db):
        install_trigrams(db)
        return
    from carcrm_tui.store.models import CustomerPhone

    CustomerPhone.create_table(safe=True)  # the phones column reads it (an upgrade from before 0.6 too)
    db.execute_sql(CUSTOMER_FTS)
    db.execute_sql(FOLLOWUP_FTS)
    db.execute_sql(FOLLOWUP_PENDING)
    drop_triggers(db)  # an upgrade may change a trigger's body: always the current one
    for sql in TRIGGERS:
        db.execute_sql(sql)
    if index:
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
    db.execute_sql("DELETE FROM followup_fts_pending")


def queued(db: Database) -> int:
    """How many notes wait for the index (0 where there is no index: PostgreSQL). A writer asks
    inside its own transaction, where the queue's page is at hand, rather than in a read of its
    own after it."""
    if not available(db):
        return 0
    return db.execute_sql("SELECT COUNT(*) FROM followup_fts_pending").fetchone()[0]


def catch_up_after_write(db: Database) -> None:
    """After a write that queued notes: index the queue once it is long enough. The write
    has committed, so a busy or failing database only leaves the queue for the next
    writer (search reads queued notes anyway); the details go to the log."""
    from carcrm_tui.store.faults import StorageFault

    try:
        catch_up(db, CATCH_UP_AT)
    except StorageFault as e:
        from carcrm_tui import logs

        logs.record_exception(e, "indexing queued notes (left for the next writer)")


def catch_up(db: Database, at_least: int = 1) -> int:
    """Index the queued notes in one transaction, if at least `at_least` are queued; how many.

    Called after a write (outside its transaction), so the write lock is taken once
    for a whole batch: one index segment for the batch instead of one per note."""
    if not available(db):
        return 0
    if db.execute_sql("SELECT COUNT(*) FROM followup_fts_pending").fetchone()[0] < at_least:
        return 0
    with db.atomic():  # IMMEDIATE: the queue cannot grow under us
        db.execute_sql("INSERT INTO followup_fts (followup_fts, rowid, summary, feedback) "
                       "SELECT 'delete', id, summary, feedback FROM followup_fts_pending WHERE indexed = 1")
        done = db.execute_sql("INSERT INTO followup_fts (rowid, summary, feedback) SELECT f.id, f.summary, f.feedback "
                              "FROM followup_fts_pending p JOIN follow_up f ON f.id = p.id").rowcount
        db.execute_sql("DELETE FROM followup_fts_pending")
    return done


def drop_triggers(db: Database) -> None:
    """Bulk loads drop the triggers, insert, then `install` (which rebuilds once)."""
    for name in TRIGGER_NAMES:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")

