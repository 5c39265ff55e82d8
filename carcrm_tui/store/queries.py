"""Query shapes that need care to stay on their indexes."""

from __future__ import annotations

from peewee import SQL, fn

from carcrm_tui.store.models import Customer, database


def customer_by_phone(digits: str, *conditions) -> Customer | None:
    """The customer with this number as main or backup phone.

    Two indexed lookups, not `phone_digits = ? OR phone2_digits = ?`: the backup
    column is almost all empty, so SQLite's planner abandons the OR-union and
    scans the whole table (20 ms per lookup at 100k customers, seconds per import).
    """
    if not digits:
        return None
    if not conditions:  # the import's hot path: plain statements, no SQL building per row
        for column in ("phone_digits", "phone2_digits"):
            mark = "%s" if database.obj.__class__.__name__.startswith("Postgres") else "?"
            row = database.execute_sql(
                f'SELECT id FROM customer WHERE {column} = {mark} ORDER BY id LIMIT 1', (digits,)).fetchone()
            if row:
                return Customer.get_by_id(row[0])
        return None
    for column in (Customer.phone_digits, Customer.phone2_digits):
        query = Customer.select().where(column == digits, *conditions).order_by(Customer.id)
        found = query.first()
        if found is not None:
            return found
    return None


def total_days_since(column, now):
    """SUM over rows of (now − column) in days, in SQL on either database.

    Averages of "how long in this stage" are computed where the rows are, not by
    reading every lead into Python.
    """
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    if database.obj.__class__.__name__.startswith("Postgres"):
        return fn.SUM(fn.date_part("epoch", SQL("%s::timestamp", (stamp,)) - column)) / 86400.0
    return fn.SUM(fn.julianday(stamp) - fn.julianday(column))
