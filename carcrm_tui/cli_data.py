"""`carcrm import | export | backup | restore | check`: the office's data commands, headless.

They act as an account like `carcrm user` does (exports and imports only reach
what that account may see), print sentences, and exit non-zero on a problem.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pendulum

from carcrm_tui.i18n import catalog, counted, labelled, listed, t


def add_parsers(subs, common) -> None:
    imp = subs.add_parser("import", help=t("cli.help.import"), description=t("cli.help.import"))
    imp.add_argument("file", metavar="FILE", nargs="?")
    imp.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    imp.add_argument("--sheet", metavar="NAME", help=t("cli.help.sheet"))
    imp.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD", help=t("cli.help.map"))
    imp.add_argument("--on-duplicate", choices=("update", "skip"), default="update", help=t("cli.help.on_duplicate"))
    imp.add_argument("--errors", metavar="FILE", help=t("cli.help.errors"))
    imp.add_argument("--resume", type=int, metavar="BATCH", help=t("cli.help.resume"))
    imp.add_argument("--undo", type=int, metavar="BATCH", help=t("cli.help.undo"))
    imp.add_argument("--list", action="store_true", help=t("cli.help.list_batches"))
    cat = subs.add_parser("catalogue", help=t("cli.help.catalogue"), description=t("cli.help.catalogue"))
    cat_cmds = cat.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)
    cat_imp = cat_cmds.add_parser("import", help=t("cli.help.catalogue_import"))
    cat_imp.add_argument("file", metavar="FILE")
    cat_imp.add_argument("--sheet", metavar="NAME", help=t("cli.help.sheet"))
    cat_list = cat_cmds.add_parser("list", help=t("cli.help.catalogue_list"))
    cat_add = cat_cmds.add_parser("add", help=t("cli.help.catalogue_add"))
    cat_add.add_argument("brand", metavar="BRAND")
    cat_add.add_argument("series", metavar="SERIES")
    cat_add.add_argument("model", metavar="MODEL")
    cat_add.add_argument("price", metavar="PRICE")
    cat_retire = cat_cmds.add_parser("retire", help=t("cli.help.catalogue_retire"))
    cat_retire.add_argument("id", type=int, metavar="ID")
    exp = subs.add_parser("export", help=t("cli.help.export"), description=t("cli.help.export"))
    exp.add_argument("file", metavar="FILE.csv|FILE.xlsx")
    exp.add_argument("--what", choices=("customers", "leads", "followups"), default="customers",
                     help=t("cli.help.what"))
    bak = subs.add_parser("backup", help=t("cli.help.backup"), description=t("cli.help.backup"))
    bak.add_argument("dest", nargs="?", metavar="DEST")
    res = subs.add_parser("restore", help=t("cli.help.restore"), description=t("cli.help.restore"))
    res.add_argument("file", metavar="FILE")
    res.add_argument("--yes", action="store_true", help=t("cli.help.yes"))
    chk = subs.add_parser("check", help=t("cli.help.check"), description=t("cli.help.check"))
    rep = subs.add_parser("report", help=t("cli.help.report"), description=t("cli.help.report"))
    kinds = rep.add_subparsers(dest="report", metavar="REPORT", required=True)
    daily = kinds.add_parser("daily", help=t("cli.help.report_daily"))
    daily.add_argument("--date", metavar="YYYY-MM-DD", help=t("cli.help.date"))
    lost = kinds.add_parser("lost", help=t("cli.help.report_lost"))
    lost.add_argument("--month", metavar="YYYY-MM", required=True, help=t("cli.help.month"))
    figures = kinds.add_parser("metrics", help=t("cli.help.report_metrics"))
    figures.add_argument("--month", metavar="YYYY-MM", help=t("cli.help.metrics_month"))
    figures.add_argument("--from", dest="since", metavar="YYYY-MM-DD", help=t("cli.help.metrics_from"))
    figures.add_argument("--to", dest="until", metavar="YYYY-MM-DD", help=t("cli.help.metrics_to"))
    for p in (daily, lost, figures):
        p.add_argument("--markdown", action="store_true", help=t("cli.help.markdown"))
        p.add_argument("--showroom", metavar="NAME", help=t("cli.help.report_showroom"))
    for p in (imp, exp, bak, res, chk, rep, daily, lost, figures, cat, cat_imp, cat_list, cat_add, cat_retire):
        common(p, sub=True)


def _session(args, policy):
    from carcrm_tui.cli_users import acting_account
    from carcrm_tui.services.session import Session

    return Session(actor=acting_account(args.user or os.environ.get("CARCRM_USER"), policy), policy=policy)


def _is_file_db(target: str) -> bool:
    return not target.startswith(("postgres://", "postgresql://"))


def run(args, db_target: str, language: str, fail) -> int:
    from carcrm_tui.cli import open_or_say
    from carcrm_tui.services.errors import NotAllowed, ServiceError
    from carcrm_tui.store import db

    command = args.command
    if command in ("check", "restore") and not _is_file_db(db_target):
        from carcrm_tui import cli_server  # a dealer group's server

        if command == "check":
            return cli_server.check(db_target, fail)
        return cli_server.restore(db_target, args.file, fail)
    if command == "check":
        return _check(db_target, fail)
    policy, code = open_or_say(db_target, args)
    if policy is None:
        return code
    try:
        session = _session(args, policy)
        if command in ("backup", "restore") and session.actor.role not in ("manager", "admin"):
            raise NotAllowed()
        if command == "import":
            return _import(args, session, fail)
        if command == "catalogue":
            return _catalogue(args, session, fail)
        if command == "export":
            from carcrm_tui.services.exporting import export

            count = export(session, args.file, args.what, language)
            print(t("cli.exported", n=count, path=args.file))
            return 0
        if command == "backup" and not _is_file_db(db_target):
            from carcrm_tui import cli_server

            return cli_server.backup(args, session, db_target, policy, fail)
        if command == "backup":
            from carcrm_tui.services import maintenance

            stamp = pendulum.now(policy.tz).format("YYYYMMDD-HHmmss")
            dest = Path(args.dest or Path(db_target).with_name(f"{Path(db_target).stem}-{stamp}.sqlite"))
            if dest.is_dir():
                dest = dest / f"{Path(db_target).stem}-{stamp}.sqlite"
            try:
                maintenance.backup(db_target, dest)
            except maintenance.BackupFailed as e:
                return fail(t("cli.backup_failed", reason=str(e)), 4)
            maintenance.audit_file(session, "backup", dest)
            print(t("cli.backed_up", path=str(dest)))
            return 0
        if command == "restore":
            return _restore(args, session, db_target, fail)
        if command == "report":
            return _report(args, session, fail)
    except (PermissionError, ServiceError) as e:
        from carcrm_tui.cli_users import refusal

        return refusal(e, fail)
    finally:
        db.close()
    return 0


def _import(args, session, fail) -> int:
    from carcrm_tui.services import import_batches
    from carcrm_tui.services.importing import ImportStopped, SheetError, import_file, write_errors
    from carcrm_tui.ui_text import invalid_sentence

    if args.list:
        return _batches(session)
    if args.undo is not None:
        result = import_batches.undo(session, args.undo)
        print(t("cli.undone", batch=args.undo, removed=counted("customers", result.removed),
                restored=counted("records", result.restored), kept=result.kept))
        return 0
    if not args.file:
        return fail(t("cli.need_file"))
    extra = {}
    for item in args.map:
        header, _, field = item.partition("=")
        if not header or not field:
            return fail(t("cli.bad_map", item=item))
        extra[header.strip()] = field.strip()
    try:
        with _progress_bar() as progress:
            report = import_file(session, args.file, sheet_name=args.sheet, extra_map=extra,
                                 on_duplicate=args.on_duplicate, dry_run=args.dry_run, progress=progress,
                                 resume=args.resume)
    except SheetError as e:
        return fail(t(f"sheet.{e.code}", **{k: str(v) for k, v in e.params.items()}))
    except ImportStopped as e:
        cause = e.cause
        reason = (t(f"sheet.{cause.code}", **{k: str(v) for k, v in cause.params.items()})
                  if isinstance(cause, SheetError) else e.reason)
        print(t("cli.import_failed", reason=reason), file=sys.stderr)
        return fail(t("cli.import_incomplete", row=e.rows_done, batch=e.batch_id), 1)
    describe = lambda p: t("cli.row_problem", row=p.row, column=p.column, reason=invalid_sentence(p.error))  # noqa: E731
    sheet = t("cli.import_sheet", name=report.sheet) if report.sheet else ""
    print(t("cli.import_header", encoding=report.encoding, sheet=sheet, row=report.header_row))
    print(t("cli.import_dry" if report.dry_run else "cli.import_done", rows=report.rows, created=report.created,
            updated=report.updated, unchanged=report.unchanged, skipped=report.skipped, rejected=report.rejected,
            contacts=report.contacts))
    if report.unknown_columns:
        print(t("cli.unknown_columns", columns=listed(report.unknown_columns)))
    if report.ignored_columns:
        print(t("cli.ignored_columns", columns=listed(report.ignored_columns)))
    if report.unknown_words:
        words = t("sep.group").join(f"{labelled(column)}{word} ×{n}"
                                    for (column, word), n in report.unknown_words.most_common(15))
        print(t("cli.unknown_words", n=sum(report.unknown_words.values()), words=words))
    if report.new_vehicles:
        print(t("cli.new_vehicles_dry" if report.dry_run else "cli.new_vehicles",
                models=listed(dict.fromkeys(report.new_vehicles))))
    if report.unassigned:
        names = listed(f"{name} ×{len(rows)}" for name, rows in report.unassigned.items())
        print(t("cli.unassigned", names=names, n=sum(len(r) for r in report.unassigned.values()),
                owner=report.owner_name))
    if report.no_schedule:
        print(t("cli.no_schedule", n=report.no_schedule))
    for problem in report.problems[:10]:
        print("  " + describe(problem))
    if report.rejected_rows:
        target = args.errors or str(Path(args.file).with_name(Path(args.file).stem + ".errors.csv"))
        write_errors(report, target, describe)
        print(t("cli.errors_written", path=target))
    if report.batch_id:
        print(t("cli.import_batch", batch=report.batch_id))
    return 0 if not report.rejected_rows else 1


def _batches(session) -> int:
    from carcrm_tui.services import import_batches

    found = import_batches.batches(session)
    if not found:
        print(t("cli.batches_empty"))
    for b in found:
        when = b.started_at.in_timezone(session.policy.tz).format("YYYY-MM-DD HH:mm")
        print(t("cli.batch_line", id=b.id, when=when, who=b.actor, status=t(f"import_batch.{_status_key(b.status)}"),
                rows=b.rows, created=b.created, updated=b.updated, rejected=b.rejected, file=b.file_name))
    return 0


def _status_key(status: str) -> str:
    return "undone_status" if status == "undone" else status


def _catalogue(args, session, fail) -> int:
    from carcrm_tui.i18n import money
    from carcrm_tui.services import catalogue
    from carcrm_tui.services.importing import SheetError
    from carcrm_tui.ui_text import invalid_sentence

    command = args.catalogue_command
    if command == "list":
        found = catalogue.entries()
        if not found:
            print(t("cli.catalogue_empty"))
        for e in found:
            flags = "".join(f"  [{t(k)}]" for k, on in (("catalogue.from_import", e.from_import),
                                                         ("catalogue.retired", e.retired)) if on)
            price = money(e.guide_price) if e.guide_price else t("catalogue.no_price")
            print(t("cli.catalogue_line", id=e.id, label=e.label, price=price, flags=flags))
        return 0
    if command == "add":
        entry = catalogue.add(session, args.brand, args.series, args.model, args.price)
        print(t("cli.catalogue_added", label=entry.label, price=money(entry.guide_price)))
        return 0
    if command == "retire":
        entry = catalogue.set_retired(session, args.id, True)
        print(t("cli.catalogue_retired", label=entry.label))
        return 0
    try:
        report = catalogue.import_catalogue(session, args.file, args.sheet)
    except SheetError as e:
        return fail(t(f"sheet.{e.code}", **{k: str(v) for k, v in e.params.items()}))
    print(t("cli.catalogue_imported", added=report.added, updated=report.updated, unchanged=report.unchanged,
            rejected=len({row for row, _c, _e in report.problems})))
    for row, column, error in report.problems[:10]:
        print("  " + t("cli.row_problem", row=row, column=column, reason=invalid_sentence(error)))
    return 0 if not report.problems else 1


class _progress_bar:
    """A rich progress bar on a terminal for long sheets (and copies); silent in scripts and short files."""

    def __init__(self, label: str = "cli.import_bar", *, percent: bool = False) -> None:
        self.bar = None
        self.label = label
        self.percent = percent  # work that is not counted in rows alone (a copy builds indexes too)

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int | None) -> None:
        if self.bar is None and total and total >= 500 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn,
            )

            done_column = TaskProgressColumn() if self.percent else MofNCompleteColumn()
            self.bar = Progress(TextColumn(t(self.label), markup=False), BarColumn(), done_column,
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("import", total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _report(args, session, fail) -> int:
    import datetime as dt
    import re

    from carcrm_tui import reports
    from carcrm_tui.services import review, showrooms
    from carcrm_tui.services.errors import NotAllowed

    if getattr(args, "showroom", None):  # a group manager's look at one showroom
        session.showroom = showrooms.find(args.showroom)
        if session.actor.showroom_id is not None and session.actor.showroom_id != session.showroom:
            raise NotAllowed()
    if args.report == "daily":
        try:
            day = dt.date.fromisoformat(args.date) if args.date else None
        except ValueError:
            return fail(t("cli.bad_date", value=args.date))
        print(reports.daily_text(review.daily(session, day), markdown=args.markdown), end="")
        return 0
    if args.report == "metrics":
        from carcrm_tui.services import metrics

        if args.since or args.until:
            for option, value in (("--from", args.since), ("--to", args.until)):
                if not _is_date(value):
                    return fail(t("cli.bad_day", option=option, value=value or ""))
            since, until = dt.date.fromisoformat(args.since), dt.date.fromisoformat(args.until)
            if until < since:
                return fail(t("cli.bad_range", since=args.since, until=args.until))
            period = metrics.Period(since, until + dt.timedelta(days=1))  # --to is the last day, included
        else:
            try:
                period = metrics.month(args.month) if args.month else metrics.this_month(session)
            except ValueError:
                return fail(t("cli.bad_month", value=args.month))
        print(reports.metrics_text(metrics.snapshot(session, period), markdown=args.markdown), end="")
        return 0
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        return fail(t("cli.bad_month", value=args.month))
    print(reports.lost_text(review.lost_month(session, args.month), markdown=args.markdown), end="")
    return 0


def _is_date(text: str | None) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text or "")
        return True
    except ValueError:
        return False


def _check(db_target: str, fail) -> int:
    import tomllib

    from carcrm_tui import logs
    from carcrm_tui.services import maintenance
    from carcrm_tui.store.migrations import LATEST

    if not Path(db_target).exists():
        return fail(t("cli.no_database", path=db_target))
    result = maintenance.check(db_target)
    print(t("cli.check_integrity", result=result.integrity))
    if result.schema >= 0:
        print(t("cli.check_schema", found=result.schema, latest=LATEST))
    for name, count in result.orphans.items():
        if count:
            key = "check." + name.replace("-", "_").replace(" ", "_")
            what = t(key, n=count) if key in catalog("en") else f"{count} {name}"
            print(t("cli.check_orphans", what=what))
    try:
        group = tomllib.loads(maintenance.stored_policy_text(db_target)).get("security", {}).get("file_group", "")
    except (tomllib.TOMLDecodeError, AttributeError):
        group = ""
    files = maintenance.companions(db_target) + ([logs.log_file()] if logs.log_file().exists() else [])
    loose = maintenance.loose_modes(files, bool(group))
    for path, mode in loose:
        print(t("cli.check_mode", path=str(path), mode=f"{mode:04o}", fix="660" if group else "600"))
    ok = result.ok and not loose
    print(t("cli.check_ok") if ok else t("cli.check_problems"))
    return 0 if ok else 1


def _restore(args, session, db_target: str, fail) -> int:
    from carcrm_tui.services import maintenance

    if not args.yes:
        if not sys.stdin.isatty():
            return fail(t("cli.restore_confirm_needed"))
        answer = input(t("cli.restore_confirm", path=db_target, file=args.file))
        if answer.strip().lower() not in ("y", "yes", "是"):
            print(t("cli.restore_cancelled"))
            return 1
    try:
        saved = maintenance.restore(args.file, db_target)
    except maintenance.BackupFailed as e:
        return fail(t("cli.not_a_backup", file=args.file, reason=str(e)))
    except ValueError:
        return fail(t("cli.backup_too_new", file=args.file))
    from carcrm_tui.store import db

    db.close()  # the file under the connection was replaced: reopen it to record who did it
    db.connect(db_target)
    maintenance.audit_file(session, "restore", Path(args.file))
    print(t("cli.restored", path=db_target, saved=str(saved)))
    return 0
