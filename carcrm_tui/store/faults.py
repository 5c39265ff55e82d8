"""What the storage itself can fail at, in words the UI can say — and a way to provoke it.

A busy file, a full disk, a read-only file, a dropped PostgreSQL connection or a
damaged file are not the user's mistake and not a bug: the request was fine, the
storage could not take it. Every statement, BEGIN, COMMIT and connect goes
through `translating`, which turns the driver's exception into a
`StorageFault(kind)`. Callers show a sentence and keep the user's input; a lost
connection is dropped so the next statement connects afresh.

`inject` makes the next matching statement fail the way the driver fails (the
same exception class and message), so each fault can be checked under every
write service without waiting for a real disk to fill.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager

KINDS = ("busy", "disk_full", "read_only", "connection_lost", "unavailable", "damaged")
SQLITE_KINDS = ("busy", "disk_full", "read_only", "unavailable", "damaged")  # a file has no connection to lose

_SQLITE = {
    "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_FULL": "disk_full", "SQLITE_IOERR": "disk_full",
    "SQLITE_READONLY": "read_only", "SQLITE_CANTOPEN": "unavailable", "SQLITE_CORRUPT": "damaged",
    "SQLITE_NOTADB": "damaged", "SQLITE_PERM": "read_only",
}
_SQLITE_TEXT = (
    ("locked", "busy"), ("busy", "busy"), ("disk is full", "disk_full"), ("disk i/o error", "disk_full"),
    ("readonly database", "read_only"), ("read-only", "read_only"), ("unable to open database", "unavailable"),
    ("malformed", "damaged"), ("not a database", "damaged"),
)
# PostgreSQL SQLSTATE classes and codes
_PG_STATE = {
    "53100": "disk_full", "53000": "disk_full", "25006": "read_only", "55P03": "busy", "40001": "busy",
    "40P01": "busy", "57014": "busy", "57P01": "connection_lost", "57P02": "connection_lost",
    "57P03": "unavailable", "08000": "connection_lost", "08003": "connection_lost", "08006": "connection_lost",
    "08001": "unavailable", "08004": "unavailable", "3D000": "unavailable", "28P01": "unavailable",
    "28000": "unavailable",
}
_PG_TEXT = (
    ("server closed the connection", "connection_lost"), ("connection is closed", "connection_lost"),
    ("connection already closed", "connection_lost"), ("terminating connection", "connection_lost"),
    ("consuming input failed", "connection_lost"), ("the connection is lost", "connection_lost"),
    ("connection not opened", "connection_lost"), ("connection refused", "unavailable"),
    ("could not connect", "unavailable"), ("connection failed", "unavailable"),
    ("could not translate host", "unavailable"), ("no such file or directory", "unavailable"),
    ("password authentication failed", "unavailable"), ("does not exist", "unavailable"),
    ("could not extend file", "disk_full"), ("no space left", "disk_full"),
    ("read-only transaction", "read_only"), ("lock timeout", "busy"), ("deadlock detected", "busy"),
)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.I)
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.I)


class StorageFault(Exception):
    """The storage could not do what was asked; nothing of the request was written."""

    code = "storage"

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = scrub(detail)

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


def scrub(text: str) -> str:
    """Text safe for a screen or a log: passwords in URLs and connection strings blanked."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***@", str(text))
    return _KEYWORD_PASSWORD.sub(r"\1***", text)


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        # peewee re-raises the driver's exception as its own, with the original as args[0]
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc = inner or exc.__cause__ or exc.__context__


def classify(exc: BaseException) -> str | None:
    """The fault kind of a driver/peewee exception, or None for errors that are the caller's."""
    for e in _causes(exc):
        if isinstance(e, OSError) and not isinstance(e, sqlite3.Error):
            return "disk_full" if getattr(e, "errno", None) in (28, 27, 122) else None
        name = getattr(e, "sqlite_errorname", None)
        if name:
            for prefix, kind in _SQLITE.items():
                if name == prefix or name.startswith(prefix + "_"):
                    return kind
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if state and state in _PG_STATE:
            return _PG_STATE[state]
        module = type(e).__module__ or ""
        text = str(e).lower()
        if module.startswith("sqlite3") or isinstance(e, sqlite3.Error):
            for needle, kind in _SQLITE_TEXT:
                if needle in text:
                    return kind
        if module.startswith(("psycopg", "psycopg2")):
            for needle, kind in _PG_TEXT:
                if needle in text:
                    return kind
            if type(e).__name__ in ("OperationalError", "InterfaceError"):
                return "connection_lost"
        if type(e).__name__ == "InterfaceError" and "connection" in text and "not open" in text:
            return "connection_lost"
    return None


# ---- provoking faults (tests, and `carcrm check`'s own self-test) ----------------------------
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|COMMIT)\b", re.I)
_BEGIN = re.compile(r"^\s*BEGIN\b", re.I)


def driver_error(kind: str, sqlite: bool = True) -> Exception:
    """The exception the driver raises for `kind`, with its own message and codes."""
    if sqlite:
        message, name, code = {
            "busy": ("database is locked", "SQLITE_BUSY", 5),
            "disk_full": ("database or disk is full", "SQLITE_FULL", 13),
            "read_only": ("attempt to write a readonly database", "SQLITE_READONLY", 8),
            "unavailable": ("unable to open database file", "SQLITE_CANTOPEN", 14),
            "damaged": ("database disk image is malformed", "SQLITE_CORRUPT", 11),
        }[kind]
        error = sqlite3.DatabaseError(message) if kind == "damaged" else sqlite3.OperationalError(message)
        error.sqlite_errorname, error.sqlite_errorcode = name, code
        return error
    import psycopg

    message, cls = {
        "busy": ("canceling statement due to lock timeout", psycopg.errors.LockNotAvailable),
        "disk_full": ("could not extend file: No space left on device", psycopg.errors.DiskFull),
        "read_only": ("cannot execute INSERT in a read-only transaction", psycopg.errors.ReadOnlySqlTransaction),
        "connection_lost": ("terminating connection due to administrator command", psycopg.errors.AdminShutdown),
        "unavailable": ("connection failed: Connection refused", psycopg.OperationalError),
        "damaged": ("invalid page in block 0", psycopg.errors.DataCorrupted),
    }[kind]
    return cls(message)


class _Armed:
    def __init__(self, kind: str, times: int, writes_only: bool) -> None:
        self.kind, self.left, self.writes_only = kind, times, writes_only
        self.fired = 0

    def take(self, sql: str) -> bool:
        if self.left == 0:
            return False
        # a busy file refuses the write lock (BEGIN IMMEDIATE); other faults hit the writing itself
        if self.writes_only and not (_BEGIN if self.kind == "busy" else _WRITE).match(sql):
            return False
        self.left -= 1
        self.fired += 1
        return True


@contextmanager
def inject(db, kind: str, *, times: int = 1, writes_only: bool = True):
    """The next `times` write statements on `db` fail with the driver's own `kind` error."""
    if kind not in KINDS:
        raise ValueError(kind)
    armed = _Armed(kind, times, writes_only)
    db = getattr(db, "obj", db)
    db._armed = armed
    try:
        yield armed
    finally:
        db._armed = None


class FaultAware:
    """Mixed into the peewee Database classes: every driver error becomes a StorageFault."""

    _armed: _Armed | None = None
    _broken = False

    @contextmanager
    def _translating(self, sql: str = ""):
        armed = self._armed
        try:
            if armed is not None and armed.take(sql):
                raise driver_error(armed.kind, sqlite=self._is_sqlite)
            yield
        except StorageFault:
            raise
        except Exception as exc:
            kind = classify(exc)
            if kind is None:
                raise
            if kind == "connection_lost":
                self._lose_connection()
            raise StorageFault(kind, str(exc)) from exc

    @property
    def _is_sqlite(self) -> bool:
        return "sqlite" in type(self).__name__.lower()

    def _lose_connection(self) -> None:
        """Drop a dead connection so the next statement connects again (outside any transaction)."""
        if self.transaction_depth() > 0:
            self._broken = True  # the transaction's own rollback drops it
            return
        self._discard()

    def _discard(self) -> None:
        self._broken = False
        conn = self._state.conn
        self._state.reset()
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def connect(self, reuse_if_open=False):
        with self._translating():
            return super().connect(reuse_if_open)

    def execute_sql(self, sql, params=None):
        with self._translating(sql):
            return super().execute_sql(sql, params)

    def begin(self, *args, **kwargs):
        with self._translating("BEGIN"):
            return super().begin(*args, **kwargs)

    def commit(self):
        with self._translating("COMMIT"):
            return super().commit()

    def rollback(self):
        if self._broken or self.is_closed():  # the server has already thrown the transaction away
            self._discard()
            return None
        try:
            return super().rollback()
        except Exception as exc:
            if "no transaction" in str(exc).lower():  # SQLite already rolled back (e.g. disk full)
                return None
            if classify(exc) is None:
                raise
            self._discard()
            return None
