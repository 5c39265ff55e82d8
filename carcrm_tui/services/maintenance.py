"""Backup, restore and check of the SQLite database — safe while terminals keep writing.

The stdlib backup API copies a live WAL database in one step without blocking
writers (design.md: page-by-page backups never finished under writers).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from carcrm_tui.store.migrations import LATEST

ORPHANS = {
    "follow-ups without a lead": "SELECT COUNT(*) FROM follow_up f LEFT JOIN lead l ON l.id = f.lead_id WHERE l.id IS NULL",
    "leads without a customer": "SELECT COUNT(*) FROM lead l LEFT JOIN customer c ON c.id = l.customer_id WHERE c.id IS NULL",
    "customers without an owner": "SELECT COUNT(*) FROM customer c LEFT JOIN account a ON a.id = c.owner_id WHERE a.id IS NULL",
    "leads without an owner": "SELECT COUNT(*) FROM lead l LEFT JOIN account a ON a.id = l.owner_id WHERE a.id IS NULL",
    "tags without a customer": "SELECT COUNT(*) FROM customer_tag t LEFT JOIN customer c ON c.id = t.customer_id WHERE c.id IS NULL",
    "complaints without a customer": "SELECT COUNT(*) FROM complaint x LEFT JOIN customer c ON c.id = x.customer_id WHERE c.id IS NULL",
    "search index out of step": "SELECT ABS((SELECT COUNT(*) FROM customer) - (SELECT COUNT(*) FROM customer_fts))",
}


@dataclass
class CheckResult:
    integrity: str
    schema: int
    orphans: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.schema == LATEST and not any(self.orphans.values())


def check(path: str | Path) -> CheckResult:
    con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        schema = con.execute("PRAGMA user_version").fetchone()[0]
        orphans = {}
        for name, sql in ORPHANS.items():
            try:
                orphans[name] = con.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                orphans[name] = 0 if schema < LATEST else -1
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            orphans["broken references"] = len(fk)
        return CheckResult(integrity, schema, orphans)
    finally:
        con.close()


def backup(source: str | Path, dest: str | Path) -> Path:
    """A consistent copy of a live database; the copy is checked before it is kept."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    dst = sqlite3.connect(str(tmp))
    try:
        with dst:
            src.backup(dst)  # one step: pages=-1
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()
    result = check(tmp)
    if result.integrity != "ok":
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"backup failed its integrity check: {result.integrity}")
    tmp.replace(dest)
    return dest


def restore(backup_file: str | Path, target: str | Path) -> Path:
    """Put a backup in place of the live database; the current one is kept aside first."""
    backup_file, target = Path(backup_file), Path(target)
    result = check(backup_file)
    if result.integrity != "ok":
        raise ValueError(f"not a sound backup: {result.integrity}")
    if result.schema > LATEST:
        raise ValueError(f"backup is from a newer carcrm (schema {result.schema})")
    saved = target.with_name(target.name + ".before-restore")
    if target.exists():
        backup(target, saved)
    src = sqlite3.connect(str(backup_file))
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()
    return saved


