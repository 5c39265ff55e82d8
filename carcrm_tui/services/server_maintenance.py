"""Check and backup of a dealer group's PostgreSQL database.

A server has no file to check page by page or to copy with the SQLite backup
API: `check` reads the schema version, the same orphan queries as a showroom's
file and each table's rows, in a read-only session; `backup` runs the server's
own `pg_dump` (custom format, restored with `pg_restore`) and keeps the dump only
when `pg_restore` can read its table of contents back. The password reaches
pg_dump through its environment (PGPASSWORD) — never on a command line other
logins can read in `ps`, never in a message.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from carcrm_tui.files import whole
from carcrm_tui.services.maintenance import ORPHANS, BackupFailed
from carcrm_tui.store import db as store_db
from carcrm_tui.store import notify
from carcrm_tui.store.faults import scrub
from carcrm_tui.store.migrations import LATEST
from carcrm_tui.store.models import MODELS

# the same questions as a showroom's file asks, but the search index: the server indexes the tables themselves
SERVER_ORPHANS = {name: sql for name, sql in ORPHANS.items() if "_fts" not in sql}
PG_BIN_DIRS = "/usr/lib/postgresql/*/bin"  # Debian's postgresql-client puts the versions here


@dataclass
class ServerCheck:
    schema: int
    orphans: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notifies: bool = True  # the trigger that tells terminals of commits (live refresh)

    @property
    def ok(self) -> bool:
        return self.schema == LATEST and not any(self.orphans.values()) and self.notifies


def check(url: str) -> ServerCheck:
    """Schema version, orphans and rows per table of a PostgreSQL database — read-only."""
    db = store_db.open_read_only(url)
    try:
        schema = store_db.schema_version(db)
        if schema == 0:
            return ServerCheck(0)
        tables = set(db.get_tables())
        result = ServerCheck(schema)
        for name, sql in SERVER_ORPHANS.items():
            result.orphans[name] = db.execute_sql(sql).fetchone()[0]
        for model in MODELS:
            table = model._meta.table_name
            if table in tables:
                result.counts[table] = db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
        result.notifies = notify.installed(db)
        return result
    finally:
        db.close()


class ToolMissing(Exception):
    """pg_dump or pg_restore is not installed here."""

    def __init__(self, tool: str) -> None:
        super().__init__(tool)
        self.tool = tool


def find_tool(name: str) -> str | None:
    """`name` on PATH, else the newest under /usr/lib/postgresql/*/bin (installed but not linked)."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> float:
        try:
            return float(Path(path).parents[1].name)
        except ValueError:
            return 0.0

    candidates = sorted((p for p in glob.glob(os.path.join(PG_BIN_DIRS, name)) if os.access(p, os.X_OK)),
                        key=version)
    return candidates[-1] if candidates else None


_ENV = {"user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
        "connect_timeout": "PGCONNECT_TIMEOUT", "options": "PGOPTIONS", "application_name": "PGAPPNAME"}


def server_environment(url: str) -> dict[str, str]:
    """The libpq environment that reaches the database of `url` (password included): for the child
    processes only, so that nothing of it is on their command line."""
    from playhouse.db_url import parse

    params = parse(url)
    env = dict(os.environ)  # libpq's own settings (PGPASSFILE, PGSSLMODE …) apply as they do to our connections
    env["PGDATABASE"] = str(params.pop("database"))
    for key, value in params.items():
        if key in _ENV and value not in (None, ""):
            env[_ENV[key]] = str(value)
    return env


def backup(url: str, dest: str | Path) -> Path:
    """A custom-format dump of the database at `url`, written whole and read back before it is kept."""
    pg_dump, pg_restore = find_tool("pg_dump"), find_tool("pg_restore")
    if pg_dump is None or pg_restore is None:
        raise ToolMissing("pg_dump" if pg_dump is None else "pg_restore")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    env = server_environment(url)
    with whole(dest) as tmp:
        done = subprocess.run([pg_dump, "--format=custom", "--no-password", "--file", str(tmp)], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupFailed(_said(done.stderr))
        listed = subprocess.run([pg_restore, "--list", str(tmp)], env=env, capture_output=True, text=True)
        if listed.returncode != 0 or "TABLE DATA" not in listed.stdout:
            raise BackupFailed(_said(listed.stderr) or "no table data in the dump")
    return dest


def _said(stderr: str) -> str:
    """pg_dump's own last words, scrubbed (they name the server; a password never, but to be sure)."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    return scrub(lines[-1] if lines else "")
