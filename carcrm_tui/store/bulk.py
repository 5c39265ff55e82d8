"""Prepared single-row inserts for hot paths (imports, the audit trail).

Peewee builds SQL for every insert (~0.5 ms each, design.md measured insert_many
13x slower than executemany). Here the statement is built once per table and
column list; each row converts its values through the model's own fields (UTC
instants, dates, foreign keys) and is executed directly.
"""

from __future__ import annotations

from peewee import SqliteDatabase

from carcrm_tui.store.models import database


_PLAIN = (str, int, float, bool, type(None))


class Inserter:
    def __init__(self, model, columns: tuple[str, ...], *, ignore_conflicts: bool = False) -> None:
        self.fields = [model._meta.fields[c] for c in columns]
        self.model = model
        self.ignore = ignore_conflicts
        self._sql: dict[bool, str] = {}  # per kind of database (a process may open SQLite, then a server)
        self._multi: dict[tuple[str, int], str] = {}  # (one row's statement, rows) -> several rows' statement

    def _statement(self) -> str:
        sqlite = isinstance(database.obj, SqliteDatabase)
        if sqlite not in self._sql:  # built on first use, when the database is known
            mark = "?" if sqlite else "%s"
            cols = ", ".join(f'"{f.column_name}"' for f in self.fields)
            verb = "INSERT OR IGNORE" if self.ignore and sqlite else "INSERT"
            sql = f'{verb} INTO "{self.model._meta.table_name}" ({cols}) VALUES ({", ".join([mark] * len(self.fields))})'
            if not sqlite:
                sql += " ON CONFLICT DO NOTHING" if self.ignore else ""
                sql += " RETURNING id"
            self._sql[sqlite] = sql
        return self._sql[sqlite]

    def params(self, values: dict) -> list:
        """One row's parameters, converted through the model's fields (for `many`).

        Plain values (text, numbers, None) go as they are; instants, dates and
        model instances through the field (a 50-column lead row spent most of
        its time converting values that needed nothing).
        """
        params = []
        for f in self.fields:
            if f.name in values:
                value = values[f.name]
            else:
                value = f.default() if callable(f.default) else f.default
            params.append(value if type(value) in _PLAIN else f.db_value(value))
        return params

    def many(self, rows: list[list]) -> None:
        """Rows from `params`, in one executemany (no ids come back: give them, or need none)."""
        if rows:
            sql = self._statement().removesuffix(" RETURNING id")
            database.cursor().executemany(sql, rows)

    def rows(self, rows: list[dict]) -> None:
        """Several rows (each as for `__call__`) in one statement: a transaction that writes a few
        rows to one table (a contact's audit rows) pays for one statement, not one each."""
        if not rows:
            return
        if len(rows) == 1:
            self(**rows[0])
            return
        key = (self._statement(), len(rows))
        sql = self._multi.get(key)
        if sql is None:
            head, _, values = key[0].removesuffix(" RETURNING id").partition(" VALUES ")
            tail = " ON CONFLICT DO NOTHING" if values.endswith(" ON CONFLICT DO NOTHING") else ""
            values = values.removesuffix(tail)
            sql = self._multi[key] = f"{head} VALUES {', '.join([values] * len(rows))}{tail}"
        database.execute_sql(sql, [p for row in rows for p in self.params(row)])

    def __call__(self, **values) -> int | None:
        cursor = database.execute_sql(self._statement(), self.params(values))
        if isinstance(database.obj, SqliteDatabase):
            return cursor.lastrowid
        row = cursor.fetchone()
        return row[0] if row else None
