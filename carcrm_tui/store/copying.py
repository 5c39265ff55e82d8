"""Moving a showroom in: every table of one carcrm database copied into an empty PostgreSQL one.

The source is read in one read-only snapshot (a SQLite read transaction, a
REPEATABLE READ one on a server), so terminals can keep working on it and the
copy is still of one moment. Tables go parents first, in id order, in chunks
sent with COPY (values travel as text and each column's own type reads them:
SQLite's 0/1 become booleans, its UTC text becomes timestamps); a column
pointing into its own table (customer.referred_by) is filled in afterwards.
Indexes no constraint needs (search, lists) are dropped first and built once at
the end — at 100,000 customers and a million follow-ups that took the move from
49 s to 37 s; keys and foreign keys stay, so every row is still checked. The
whole copy is one transaction on the target: a copy that fails leaves the
target as empty as it found it. Ids are kept, each table's id sequence is set
past the highest one, and the rows are counted again on both sides at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from peewee import Database, SqliteDatabase, sort_models

from carcrm_tui.store.faults import StorageFault, classify, scrub
from carcrm_tui.store.models import DEFAULT_SHOWROOM, MODELS

CHUNK = 5000


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def same(self) -> bool:
        return self.source == self.target


def ordered_models():
    """Parents before children: a row's references exist when it arrives."""
    return sort_models(MODELS)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def first_rows(target: Database) -> tuple[str, int] | None:
    """A table of the target's schema that holds rows, with its count (None: empty).

    The schema version table does not count (a database a carcrm opened once and left empty), but
    every other table does, ours or not: copy-to only ever moves into an empty database."""
    for table in target.get_tables():
        if table == "schema_version":
            continue
        rows = target.execute_sql(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]
        if rows and not (table == "showroom" and _only_the_schemas_showroom(target)):
            return table, rows
    return None


def _only_the_schemas_showroom(target: Database) -> bool:
    """The showroom table holds just the default showroom every new schema starts with (id 1):
    nothing anyone entered, and the source brings its own showroom 1."""
    return target.execute_sql("SELECT MIN(id), MAX(id) FROM showroom").fetchone() == (DEFAULT_SHOWROOM, DEFAULT_SHOWROOM)


class CopyFailed(Exception):
    """A row the target would not take (text the server refuses, a value of the wrong type)."""

    def __init__(self, table: str, detail: str) -> None:
        super().__init__(table, detail)
        self.table, self.detail = table, detail


def _copy_table(source: Database, cursor, table: str, columns: list[str], later: list[str], chunk: int,
                done: int, total: int, progress) -> int:
    names = ", ".join(_q(c) for c in columns)
    key = columns.index("id")
    blank = {columns.index(c): [] for c in later}  # column position -> (value, id) to set afterwards
    last = None
    while True:
        where, params = (f"WHERE id > {source.param} ", (last,)) if last is not None else ("", ())
        rows = source.execute_sql(f"SELECT {names} FROM {_q(table)} {where}ORDER BY id LIMIT {int(chunk)}",
                                  params).fetchall()
        if not rows:
            break
        with cursor.copy(f"COPY {_q(table)} ({names}) FROM STDIN") as out:
            for row in rows:
                if blank:
                    row = list(row)
                    for i, refs in blank.items():
                        if row[i] is not None:
                            refs.append((row[i], row[key]))
                            row[i] = None
                out.write_row(row)
        last = rows[-1][key]
        done += len(rows)
        if progress:
            progress(done, total)
    for i, refs in blank.items():
        if refs:
            cursor.executemany(f"UPDATE {_q(table)} SET {_q(columns[i])} = %s WHERE id = %s", refs)
    cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(COALESCE(MAX(id), 0), 1), "
                   f"MAX(id) IS NOT NULL) FROM {_q(table)}", (_q(table),))
    return done


INDEX_COST = 12  # an index over a table's rows takes ~1/12 of loading them (100k: 25 s of rows, 11 s of 41 indexes)


def _secondary_indexes(target: Database, tables: list[str]) -> list[tuple[str, str, str]]:
    """(name, table, CREATE statement) of the target's indexes that no constraint needs: search
    (trigram), lists and lookups. Keys and unique constraints stay, so every row is still checked."""
    rows = target.execute_sql(
        "SELECT i.indexname, i.tablename, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = (SELECT oid FROM pg_namespace "
        "WHERE nspname = current_schema()) "
        "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) ORDER BY i.indexname",
        (tables,)).fetchall()
    return [tuple(r) for r in rows]


def _snapshot(source: Database):
    if isinstance(source, SqliteDatabase):
        return source.atomic()  # a deferred read transaction: one WAL snapshot
    return source.atomic(isolation_level="REPEATABLE READ")


def copy(source: Database, target: Database, progress: Callable[[int, int], None] | None = None,
         chunk: int = CHUNK) -> list[TableCount]:
    """Copy every table of `source` into `target` (empty, at the same schema, bound to the models)."""
    plan = []
    for model in ordered_models():
        columns = [f.column_name for f in model._meta.sorted_fields]
        later = [f.column_name for f in model._meta.sorted_fields
                 if getattr(f, "rel_model", None) is model]  # points into its own table: filled in after
        plan.append((model._meta.table_name, columns, later))
    found: dict[str, int] = {}
    with _snapshot(source):
        for table, _columns, _later in plan:
            found[table] = source.execute_sql(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]
        with target.atomic():
            if "showroom" in target.get_tables() and _only_the_schemas_showroom(target):
                target.execute_sql("DELETE FROM showroom")  # the source's showrooms take its place, ids kept
            indexes = _secondary_indexes(target, [table for table, _c, _l in plan])
            rebuild = {name: found.get(table, 0) // INDEX_COST for name, table, _d in indexes}
            total, done = sum(found.values()) + sum(rebuild.values()), 0
            if progress:
                progress(0, total)
            for name, _table, _definition in indexes:  # built once at the end: ~40% faster than kept up row by row
                target.execute_sql(f"DROP INDEX {_q(name)}")
            cursor = target.cursor()
            for table, columns, later in plan:
                try:
                    done = _copy_table(source, cursor, table, columns, later, chunk, done, total, progress)
                except StorageFault:
                    raise
                except Exception as e:
                    kind = classify(e)
                    if kind:
                        raise StorageFault(kind, str(e)) from e
                    # on one line: the server adds its CONTEXT on a second
                    raise CopyFailed(table, " ".join(scrub(str(e)).split())) from e
            for name, _table, definition in indexes:
                target.execute_sql(definition)
                done += rebuild[name]
                if progress:
                    progress(done, total)
    # the planner's statistics and the visibility map now rather than at autovacuum's leisure: counts
    # answered from an index alone (Today's overdue count at 100,000 customers: 7.9 → 4.8 ms)
    verb = "VACUUM (ANALYZE)" if target.transaction_depth() == 0 else "ANALYZE"  # VACUUM needs no transaction
    for table, _columns, _later in plan:
        target.execute_sql(f"{verb} {_q(table)}")
    counts = []
    for table, _columns, _later in plan:
        copied = target.execute_sql(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]
        counts.append(TableCount(table, found[table], copied))
    return counts
