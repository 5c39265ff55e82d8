"""`carcrm import | export | backup | restore | check`: the office's data commands, headless.

They act as an account like `carcrm user` does (exports and imports only reach
what that account may see), print sentences, and exit non-zero on a problem.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pendulum

from carcrm_tui.i18n import t


def add_parsers(subs, common) -> None:
    imp = subs.add_parser("import", help=t("cli.help.import"), description=t("cli.help.import"))
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help=t("cli.help.dry_run"))
    imp.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD", help=t("cli.help.map"))
    imp.add_argument("--on-duplicate", choices=("update", "skip"), default="update", help=t("cli.help.on_duplicate"))
    imp.add_argument("--errors", metavar="FILE", help=t("cli.help.errors"))
    exp = subs.add_parser("export", help=t("cli.help.export"), description=t("cli.help.export"))
    exp.add_argument("file", metavar="FILE.csv|FILE.xlsx")
    exp.add_argument("--what", choices=("customers", "followups"), default="customers", help=t("cli.help.what"))
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
    for p in (imp, exp, bak, res, chk, rep, daily, lost, figures):
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
    if command in ("check", "backup", "restore") and not _is_file_db(db_target):
        return fail(t("cli.sqlite_only"))
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
        if command == "export":
            from carcrm_tui.services.exporting import export

            count = export(session, args.file, args.what, language)
            print(t("cli.exported", n=count, path=args.file))
            return 0
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
    from carcrm_tui.services.importing import SheetError, import_rows, read_sheet, write_errors
    from carcrm_tui.ui_text import invalid_sentence

    extra = {}
    for item in args.map:
        header, _, field = item.partition("=")
        if not header or not field:
            return fail(t("cli.bad_map", item=item))
        extra[header.strip()] = field.strip()
    try:
        headers, rows, encoding = read_sheet(args.file)
        rows = list(rows)  # the total makes a real progress bar
        with _progress_bar(len(rows)) as progress:
            report = import_rows(session, headers, rows, extra_map=extra, on_duplicate=args.on_duplicate,
                                 dry_run=args.dry_run, progress=progress, encoding=encoding)
    except SheetError as e:
        return fail(t(f"sheet.{e.code}", **{k: str(v) for k, v in e.params.items()}))
    describe = lambda p: t("cli.row_problem", row=p.row, column=p.column, reason=invalid_sentence(p.error))  # noqa: E731
    print(t("cli.import_dry" if report.dry_run else "cli.import_done", rows=report.rows, created=report.created,
            updated=report.updated, skipped=report.skipped, rejected=len(report.rejected_rows)))
    if report.unknown_columns:
        print(t("cli.unknown_columns", columns="、".join(report.unknown_columns)))
    for problem in report.problems[:10]:
        print("  " + describe(problem))
    if report.rejected_rows:
        target = args.errors or str(Path(args.file).with_name(Path(args.file).stem + ".errors.csv"))
        write_errors(report, target, describe)
        print(t("cli.errors_written", path=target))
    return 0 if not report.rejected_rows else 1


class _progress_bar:
    """A rich progress bar on a terminal for long sheets; silent in scripts and short files."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar = None

    def __enter__(self):
        if sys.stderr.isatty() and self.total >= 500:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn(t("cli.import_bar")), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("import", total=self.total)
        return self.update

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _report(args, session, fail) -> int:
    import datetime as dt
    import re

    from carcrm_tui import reports
    from carcrm_tui.services import review

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
            print(t("cli.check_orphans", what=name, n=count))
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
