"""Backup, restore and check of the SQLite database — safe while terminals keep writing.

The stdlib backup API copies a live WAL database in one step without blocking
writers (design.md: page-by-page backups never finished under writers).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from carcrm_tui.files import as_the_umask_allows, whole
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
    """Integrity, schema and orphans of a SQLite file — read-only; a damaged file is a result, not a crash."""
    try:
        con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    except sqlite3.Error as e:
        return CheckResult(f"cannot open: {e}", -1, {})
    try:
        try:
            integrity = "\n".join(r[0] for r in con.execute("PRAGMA integrity_check(20)").fetchall())
            schema = con.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:  # not a database, or too damaged to read
            return CheckResult(str(e), -1, {})
        orphans = {}
        for name, sql in ORPHANS.items():
            try:
                orphans[name] = con.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                orphans[name] = 0 if schema < LATEST else -1
        try:
            fk = con.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError:
            fk = []
        if fk:
            orphans["broken references"] = len(fk)
        return CheckResult(integrity, schema, orphans)
    finally:
        con.close()


class BackupFailed(Exception):
    """The copy did not pass its own integrity check (nothing was kept)."""


def backup(source: str | Path, dest: str | Path) -> Path:
    """A consistent copy of a live database; the copy is checked before it is kept.

    Written under a temporary name and renamed when whole: a full disk leaves
    neither a truncated backup nor a .part file behind."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with whole(dest) as tmp:
        src = sqlite3.connect(str(source), timeout=30)
        dst = sqlite3.connect(str(tmp))
        try:
            with dst:
                src.backup(dst)  # one step: pages=-1
            dst.execute("PRAGMA journal_mode = DELETE")
            as_the_umask_allows(tmp)
        except sqlite3.Error as e:
            raise _as_fault(e) from e
        finally:
            dst.close()
            src.close()
        result = check(tmp)
        if result.integrity != "ok":
            raise BackupFailed(result.integrity)
    return dest


def _as_fault(e: sqlite3.Error) -> Exception:
    from carcrm_tui.store.faults import StorageFault, classify

    kind = classify(e)
    return StorageFault(kind, str(e)) if kind else e


def restore(backup_file: str | Path, target: str | Path) -> Path:
    """Put a backup in place of the live database; the current one is kept aside first."""
    backup_file, target = Path(backup_file), Path(target)
    result = check(backup_file)
    if result.integrity != "ok":
        raise BackupFailed(result.integrity)
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




def companions(db_path: str | Path) -> list[Path]:
    """The files carcrm keeps beside a database: -wal/-shm, backups, copies kept by restore and upgrades."""
    path = Path(db_path)
    out = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    if path.parent.exists():
        out += sorted(p for p in path.parent.glob(f"{path.stem}-*.sqlite") if p != path)
        out += sorted(path.parent.glob(f"{path.name}.before-restore"))
        out += sorted(path.parent.glob(f"{path.name}.schema-v*.bak"))
    return out


def loose_modes(paths, shared_group: bool) -> list[tuple[Path, int]]:
    """Files other OS logins can read: anything for "others", and the group unless the site shares
    its data with one group on purpose (security.file_group)."""
    allowed = 0o660 if shared_group else 0o600
    out = []
    for p in paths:
        try:
            mode = p.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & ~allowed:
            out.append((p, mode))
    return out


def stored_policy_text(path: str | Path) -> str:
    """The site policy of a SQLite file, read-only (for `check`, which opens nothing for writing)."""
    try:
        con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    except sqlite3.Error:
        return ""
    try:
        row = con.execute("SELECT toml FROM site_policy ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else ""
    except sqlite3.Error:
        return ""
    finally:
        con.close()


def audit_file(session, action: str, path: Path) -> None:
    """Backups and restores are in the trail: who copied the whole showroom, when, where to."""
    from carcrm_tui.services import audit
    from carcrm_tui.store.models import database

    with database.atomic():
        audit.record(session.actor.id, session.now(), action, "file", None, changes={"file": ("", str(path))})
