"""A datetime column that stores naive UTC and returns aware pendulum UTC.

sqlite3 cannot bind pendulum DateTimes, and aware datetimes stored as text sort
wrongly across offsets (design.md), so every instant goes in as UTC text
"YYYY-MM-DD HH:MM:SS" and comes out as pendulum in UTC; the UI converts to the
dealership's zone at the edge.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from peewee import DateTimeField, SqliteDatabase

TEXT_FORMAT = "%Y-%m-%d %H:%M:%S"
UTC = pendulum.timezone("UTC")


def to_db(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; pass an aware instant")
    utc = value.astimezone(dt.timezone.utc)
    return dt.datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)


def utc_text(value: dt.datetime) -> str:
    """The stored text form, for bulk inserts that bypass the ORM."""
    return to_db(value).strftime(TEXT_FORMAT)


class UTCDateTimeField(DateTimeField):
    field_type = "DATETIME"

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            naive = to_db(value)
            if _is_sqlite(self):
                return naive.strftime(TEXT_FORMAT)
            return naive
        return value

    def python_value(self, value):
        if value is None:
            return None
        if isinstance(value, pendulum.DateTime) and value.tzinfo is not None:
            return value.in_timezone("UTC")  # already converted (aggregates, re-reads)
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            # built directly: pendulum.instance takes ~5 µs, and a board page reads two per card
            return pendulum.DateTime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                                     value.microsecond, tzinfo=UTC)
        return value


def _is_sqlite(field: DateTimeField) -> bool:
    db = field.model._meta.database
    obj = getattr(db, "obj", db)  # unwrap a DatabaseProxy
    return isinstance(obj, SqliteDatabase)
