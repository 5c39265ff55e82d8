"""Commits told to every terminal by the PostgreSQL server (LISTEN/NOTIFY), not found by polling.

A SQLite file has no server to tell anyone, so its terminals ask for the newest
audit id once a second. On PostgreSQL a statement trigger on the audit trail
(every write service records there in its own transaction) calls
`pg_notify`, which the server delivers when — and only if — the transaction
commits; the payload is the newest audit id, so a terminal can tell its own
commits (already on its screen) from others'. A terminal listens on a
connection of its own, in autocommit, outside peewee's per-thread connections.
"""

from __future__ import annotations

from peewee import Database, SqliteDatabase

from carcrm_tui.store.faults import StorageFault, classify, scrub

CHANNEL = "carcrm_changes"

_FUNCTION = f"""CREATE OR REPLACE FUNCTION carcrm_notify_change() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF EXISTS (SELECT 1 FROM added) THEN
        PERFORM pg_notify('{CHANNEL}', (SELECT max(id) FROM added)::text);
    END IF;
    RETURN NULL;
END
$body$"""
_TRIGGER = ("CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log REFERENCING NEW TABLE AS added "
            "FOR EACH STATEMENT EXECUTE FUNCTION carcrm_notify_change()")


def install(db: Database) -> None:
    """The trigger that notifies on every commit that wrote to the audit trail (PostgreSQL; idempotent)."""
    if isinstance(db, SqliteDatabase):
        return
    db.execute_sql(_FUNCTION)
    db.execute_sql("DROP TRIGGER IF EXISTS audit_log_notify ON audit_log")
    db.execute_sql(_TRIGGER)


def installed(db: Database) -> bool:
    if isinstance(db, SqliteDatabase):
        return False
    return bool(db.execute_sql("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_notify' "
                               "AND tgrelid = 'audit_log'::regclass").fetchone())


def _as_fault(exc: Exception) -> StorageFault:
    return StorageFault(classify(exc) or "connection_lost", scrub(str(exc)))


class Listener:
    """One connection that LISTENs; `wait` returns the newest change id told within a timeout.

    Blocking calls, for a worker thread. Every failure is a StorageFault (a lost
    connection, a server that does not answer); the caller connects again later.
    """

    def __init__(self, params: dict) -> None:
        self.params = params
        self.conn = None

    def connect(self) -> None:
        import psycopg

        self.close()
        try:
            # keepalives: a server that vanished without closing the socket is noticed within a minute
            self.conn = psycopg.connect(autocommit=True, connect_timeout=5, application_name="carcrm live refresh",
                                        keepalives=1, keepalives_idle=20, keepalives_interval=5,
                                        keepalives_count=3, **self.params)
            self.conn.execute(f"LISTEN {CHANNEL}")
        except Exception as e:
            self.close()
            raise _as_fault(e) from e

    @property
    def connected(self) -> bool:
        return self.conn is not None and not self.conn.closed

    def backend_pid(self) -> int | None:
        return self.conn.info.backend_pid if self.connected else None

    def wait(self, timeout: float) -> int | None:
        """The newest audit id among the commits told within `timeout` seconds (None: none came).

        A burst (one transaction writes several audit rows; an import commits chunk after chunk)
        comes back as one answer: whatever else has already arrived is taken along."""
        if self.conn is None:
            raise StorageFault("connection_lost", "not listening")
        newest = None
        try:
            for note in self.conn.notifies(timeout=timeout, stop_after=1):
                newest = max(newest or 0, _change_id(note.payload))
            if newest is not None:
                for note in self.conn.notifies(timeout=0.02):  # the rest of a burst, sent together
                    newest = max(newest, _change_id(note.payload))
        except Exception as e:
            self.close()
            raise _as_fault(e) from e
        return newest

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass


def _change_id(payload: str) -> int:
    try:
        return int(payload)
    except (TypeError, ValueError):
        return 0


def listener_for(db: Database) -> Listener | None:
    """A listener on the same server and database as `db`, or None where terminals poll (SQLite)."""
    if db is None or isinstance(db, SqliteDatabase):
        return None
    params = {"dbname": db.database, **db.connect_params}
    params.pop("prefer_psycopg3", None)
    return Listener(params)
