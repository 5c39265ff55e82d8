"""A dealer group's server from a shell: `carcrm copy-to URL`, and `check` / `backup` / `restore`
when --db is a postgresql:// URL. Headless (no Textual), sentences only, passwords blanked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pendulum

from carcrm_tui.i18n import t


def add_parsers(subs, common) -> None:
    copy = subs.add_parser("copy-to", help=t("server.help.copy_to"), description=t("server.help.copy_to_long"))
    copy.add_argument("url", metavar="URL", help=t("server.help.url"))
    common(copy, sub=True)


def _shown(target: str) -> str:
    from carcrm_tui.store.faults import scrub

    return scrub(target)


def server_words(detail: str) -> str:
    """What the server or the network said, without libpq's preamble: 'password authentication failed
    for user "x"', 'database "y" does not exist', 'Connection refused' (already scrubbed)."""
    line = (detail or "").strip().splitlines()[0] if (detail or "").strip() else ""
    if "FATAL:" in line:
        return line.rsplit("FATAL:", 1)[1].strip()
    if line.startswith("connection failed:") and " failed: " in line:
        return line.rsplit(" failed: ", 1)[1].strip()
    return line


def _cannot_open(target: str, e: Exception, fail) -> int:
    """A server or file that cannot be reached (exit 4), or an address that is no address (exit 2)."""
    from carcrm_tui import logs
    from carcrm_tui.cli import STORAGE, USAGE, storage_sentence
    from carcrm_tui.store.faults import StorageFault, scrub

    try:
        logs.record_exception(e, "opening a database")
    except Exception:
        pass
    if isinstance(e, StorageFault):
        words = server_words(e.detail)
        if words:
            return fail(t("server.unreachable", target=_shown(target), reason=words), STORAGE)
        return fail(t("cli.db_error", target=_shown(target), reason=storage_sentence(e)), STORAGE)
    return fail(t("server.bad_address", target=_shown(target), reason=scrub(str(e))), USAGE)


def copy_to(args, source_target: str, fail) -> int:
    """Copy the current database into the empty PostgreSQL database at args.url (module docstring of
    store/copying says how); the source is opened read-only and stays as it was."""
    from carcrm_tui.cli import STORAGE
    from carcrm_tui.cli_data import _progress_bar
    from carcrm_tui.cli_users import acting_account, refusal
    from carcrm_tui.i18n import set_language
    from carcrm_tui.services import moving, site
    from carcrm_tui.services.errors import ServiceError
    from carcrm_tui.services.session import Session
    from carcrm_tui.store import copying
    from carcrm_tui.store import db as store_db
    from carcrm_tui.store.migrations import LATEST
    from carcrm_tui.store.models import database

    url = args.url
    if not store_db.is_server(url):
        return fail(t("server.copy_needs_server", target=_shown(url)))
    if not store_db.is_server(source_target) and not Path(source_target).expanduser().is_file():
        return fail(t("cli.no_database", path=source_target))
    try:
        source = store_db.open_read_only(source_target)
    except Exception as e:  # noqa: BLE001 - said, and logged
        return _cannot_open(source_target, e, fail)
    try:
        found = store_db.schema_version(source)
        if found > LATEST:
            return fail(t("cli.schema_too_new", found=found))
        if found == 0:
            return fail(t("server.check_not_carcrm", target=_shown(source_target)))
        if found < LATEST:
            return fail(t("server.source_old", found=found, latest=LATEST, source=_shown(source_target)))
        database.initialize(source)  # the accounts and the policy are read from the source
        policy = site.load()
        if not getattr(args, "chosen_language", False) and policy.language:
            set_language(policy.language)
        try:
            session = Session(actor=acting_account(args.user or os.environ.get("CARCRM_USER"), policy,
                                                   read_only=True), policy=policy)
            moving.may_copy(session)
        except (PermissionError, ServiceError) as e:
            return refusal(e, fail)
        # the target: reached, empty, and only then given this release's schema
        try:
            probe = store_db.open_read_only(url)
        except Exception as e:  # noqa: BLE001
            return _cannot_open(url, e, fail)
        try:
            occupied = copying.first_rows(probe)
        finally:
            probe.close()
        if occupied:
            return fail(t("server.not_empty", target=_shown(url), table=occupied[0], rows=occupied[1]))
        target = store_db.connect(url)
        label = _shown(source_target if store_db.is_server(source_target)
                       else str(Path(source_target).expanduser().resolve()))
        try:
            with _progress_bar("server.copy_bar", percent=True) as progress:
                counts = moving.copy_in(session, source, target, label, progress)
        except moving.TargetNotEmpty as e:  # filled by someone else meanwhile
            return fail(t("server.not_empty", target=_shown(url), table=e.table, rows=e.rows))
        except copying.CopyFailed as e:
            return fail(t("server.copy_failed", table=e.table, reason=e.detail), STORAGE)
        except ServiceError as e:
            return refusal(e, fail)
    finally:
        source.close()
        store_db.close()
    print(t("server.copied_header", source=label, target=_shown(url)))
    width = max(len(c.table) for c in counts)
    for c in counts:
        print(t("server.copied_line", table=c.table.ljust(width), source=f"{c.source:>9,}", target=f"{c.target:>9,}",
                verdict=t("server.same") if c.same else t("server.differs")))
    if not all(c.same for c in counts):
        print(t("server.copy_mismatch"))
        return 1
    print(t("server.copied", rows=f"{sum(c.target for c in counts):,}", target=_shown(url)))
    return 0


def check(target: str, fail) -> int:
    """`carcrm check` on PostgreSQL: schema version, orphaned records, rows per table (read-only)."""
    from carcrm_tui.services import server_maintenance
    from carcrm_tui.store.migrations import LATEST

    try:
        result = server_maintenance.check(target)
    except Exception as e:  # noqa: BLE001
        return _cannot_open(target, e, fail)
    if result.schema == 0:
        print(t("server.check_not_carcrm", target=_shown(target)))
        return 1
    print(t("cli.check_schema", found=result.schema, latest=LATEST))
    for name, count in result.orphans.items():
        if count:
            print(t("cli.check_orphans", what=name, n=count))
    if not result.notifies:
        print(t("server.check_no_notify"))
    width = max((len(table) for table in result.counts), default=0)
    print(t("server.check_counts"))
    for table, rows in result.counts.items():
        print(f"  {table.ljust(width)}  {rows:>10,}")
    print(t("cli.check_ok") if result.ok else t("cli.check_problems"))
    return 0 if result.ok else 1


def backup(args, session, target: str, policy, fail) -> int:
    """`carcrm backup` on PostgreSQL: pg_dump (custom format) to DEST, checked, audited."""
    from carcrm_tui.cli import STORAGE
    from playhouse.db_url import parse

    from carcrm_tui.services import maintenance, server_maintenance

    name = parse(target)["database"]
    stamp = pendulum.now(policy.tz).format("YYYYMMDD-HHmmss")
    dest = Path(args.dest) if args.dest else Path(f"{name}-{stamp}.dump")
    if dest.is_dir() or str(args.dest or "").endswith(("/", os.sep)):  # a folder, perhaps still to be made
        dest = dest / f"{name}-{stamp}.dump"
    try:
        server_maintenance.backup(target, dest)
    except server_maintenance.ToolMissing as e:
        return fail(t("server.no_pg_dump", tool=e.tool), STORAGE)
    except maintenance.BackupFailed as e:
        return fail(t("server.backup_failed", reason=str(e)), STORAGE)
    maintenance.audit_file(session, "backup", dest)
    print(t("server.backed_up", path=str(dest), target=_shown(target)))
    return 0


def restore(target: str, file: str, fail) -> int:
    """A server's dump goes back with the server's own tool, into a database nobody is using."""
    return fail(t("server.restore_with_pg_restore", file=file, target=_shown(target)))
