"""Query shapes that need care to stay on their indexes."""

from __future__ import annotations

from peewee import SQL, SqliteDatabase, fn

from carcrm_tui.store.models import Customer, CustomerPhone, database


def customer_by_phone(digits: str, *conditions) -> Customer | None:
    """The customer with this number as main, backup or one more phone (kept by a merge).

    Separate indexed lookups, not `phone_digits = ? OR phone2_digits = ?`: the backup
    column is almost all empty, so SQLite's planner abandons the OR-union and
    scans the whole table (20 ms per lookup at 100k customers, seconds per import).
    """
    if not digits:
        return None
    if not conditions:  # the import's hot path: plain statements, no SQL building per row
        mark = "?" if isinstance(database.obj, SqliteDatabase) else "%s"
        for sql in (f"SELECT id FROM customer WHERE phone_digits = {mark} ORDER BY id LIMIT 1",
                    f"SELECT id FROM customer WHERE phone2_digits = {mark} ORDER BY id LIMIT 1",
                    f"SELECT customer_id FROM customer_phone WHERE digits = {mark} ORDER BY id LIMIT 1"):
            row = database.execute_sql(sql, (digits,)).fetchone()
            if row:
                return Customer.get_by_id(row[0])
        return None
    for column in (Customer.phone_digits, Customer.phone2_digits):
        query = Customer.select().where(column == digits, *conditions).order_by(Customer.id)
        found = query.first()
        if found is not None:
            return found
    more = CustomerPhone.select(CustomerPhone.customer).where(CustomerPhone.digits == digits)
    return Customer.select().where(Customer.id.in_(more), *conditions).order_by(Customer.id).first()


def total_days_since(column, now):
    """SUM over rows of (now − column) in days, in SQL on either database.

    Averages of "how long in this stage" are computed where the rows are, not by
    reading every lead into Python.
    """
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    if not isinstance(database.obj, SqliteDatabase):
        return fn.SUM(fn.date_part("epoch", SQL("%s::timestamp", (stamp,)) - column)) / 86400.0
    return fn.SUM(fn.julianday(stamp) - fn.julianday(column))
