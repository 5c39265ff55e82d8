"""Command line: `carcrm` opens the app; `carcrm demo` builds and opens a demo showroom.

Headless paths (help, `demo --build-only`, errors) never import Textual: the UI
is imported only when a screen is about to open. Every message goes through the
translation layer. One handler at the top turns every failure into a sentence
and an exit code (listed in --help); details go to the log file, never to the
screen — a traceback on a shared terminal can show a PIN or a customer.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from functools import partial
from typing import Sequence

from carcrm_tui import __version__
from carcrm_tui.cli_output import (
    Parser, RawDescriptionHelpFormatter, run_in_utf8_mode, translate_argparse, utf8_streams,
)
from carcrm_tui.config import (
    ConfigError, Preferences, config_path, default_database, demo_database, load_preferences, site_themes_dir,
)
from carcrm_tui.i18n import LANGUAGES, detect_language, listed, set_language, t
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.theme_files import pick_theme, theme_names

# exit codes (cli.epilog lists them for users)
OK, PROBLEMS, USAGE, REFUSED, STORAGE, UNEXPECTED, INTERRUPTED, PIPE_CLOSED = 0, 1, 2, 3, 4, 5, 130, 141


def _theme_names(argv: Sequence[str] = ()) -> list[str]:
    """Shipped themes and the site's (themes/ next to the config file --config names)."""
    return theme_names(site_themes_dir(config_path(_early_value(argv, "--config"))))


def _common(parser: argparse.ArgumentParser, *, sub: bool, themes: Sequence[str] = ()) -> None:
    default = argparse.SUPPRESS if sub else None
    parser.add_argument("--db", metavar="PATH", default=default, help=t("cli.help.db"))
    parser.add_argument("--config", metavar="FILE", default=default, help=t("cli.help.config"))
    parser.add_argument("--lang", choices=LANGUAGES, default=default, help=t("cli.help.lang"))
    parser.add_argument("--theme", metavar="NAME", default=default,
                        help=t("cli.help.theme", names=listed(themes or _theme_names())))
    parser.add_argument("--user", metavar="NAME", default=default, help=t("cli.help.user"))
    parser.add_argument("--debug", action="store_true", default=default, help=t("cli.help.debug"))


class _NotTheApp(Exception):
    pass


class _AppParser(Parser):
    """The top-level options alone: a mistake is left to the whole parser to say."""

    def error(self, message):
        raise _NotTheApp(message)


def build_parser(argv: Sequence[str] = (), *, commands: bool = True) -> argparse.ArgumentParser:
    themes = _theme_names(argv)
    common = partial(_common, themes=themes)
    parser = (Parser if commands else partial(_AppParser, add_help=False, exit_on_error=False))(
        prog="carcrm", description=t("cli.description"), epilog=t("cli.epilog") + "\n\n" + t("cli.exit_codes"),
        formatter_class=RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"carcrm {__version__}", help=t("argparse.version"))
    common(parser, sub=False)
    # set by `carcrm serve` on the command each browser tab runs: sign-in always, no OS-login trust
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    if not commands:
        return parser
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = subs.add_parser("demo", help=t("cli.help.demo"), description=t("cli.help.demo"))
    common(demo, sub=True)
    demo.add_argument("--customers", type=int, default=600, metavar="N", help=t("cli.help.customers"))
    demo.add_argument("--seed", type=int, default=7, help=t("cli.help.seed"))
    demo.add_argument("--build-only", action="store_true", help=t("cli.help.build_only"))
    from carcrm_tui import cli_data, cli_server, cli_site, cli_users, web

    cli_site.add_parsers(subs, common)
    cli_users.add_parsers(subs, common)
    cli_data.add_parsers(subs, common)
    cli_server.add_parsers(subs, common)
    web.add_parser(subs, common)
    return parser


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The app itself (options, no command) is read by the top-level options alone: building every
    command's parser, their modules imported, takes ~8 ms of each start. A command, help or a
    mistake goes to the whole parser, which says it as it always has."""
    try:
        args, rest = build_parser(argv, commands=False).parse_known_args(argv)
    except (_NotTheApp, argparse.ArgumentError):
        rest = True
    if not rest:
        args.command = None
        return args
    return build_parser(argv).parse_args(argv)


def _early_value(argv: Sequence[str], option: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + "="):
            return arg[len(option) + 1:]
    return None


def _early_language(argv: Sequence[str]) -> str:
    """--lang decides the language of --help itself, so read it before parsing."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGUAGES:
            return arg[7:]
    env = os.environ.get("CARCRM_LANG", "")
    return env if env in LANGUAGES else detect_language()


def fail(message: str, code: int = USAGE) -> int:
    print(f"carcrm: {message}", file=sys.stderr)
    return code


def storage_sentence(fault: StorageFault) -> str:
    return t(f"error.storage.{fault.kind}")


def _os_error(e: OSError) -> int:
    from carcrm_tui.files import DISK_FULL

    if e.errno in DISK_FULL:
        return fail(t("error.storage.disk_full"), STORAGE)
    return fail(t("cli.os_error", path=e.filename or "", reason=e.strerror or str(e)))


def main(argv: Sequence[str] | None = None) -> int:
    """Every way a command can end, as an exit code and at most one sentence."""
    os.umask(0o077)  # the database, its -wal/-shm, backups, exports and logs are the login's own
    if argv is None:  # started from a shell: on a Latin-1/ASCII locale, again in UTF-8 mode
        run_in_utf8_mode()
    # Start-up builds much that lives and little cyclic garbage: the collector's passes over it
    # cost ~50 ms of a ~0.35 s start. It runs again once the app's first screen is drawn
    # (ui/app.py), as soon as a sub-command is known, or when main returns.
    gc.disable()
    try:
        return _main(argv)
    except BrokenPipeError:  # `carcrm report … | head`: the reader has what it wanted
        _silence_stdout()
        return PIPE_CLOSED
    except KeyboardInterrupt:
        return fail(t("cli.interrupted"), INTERRUPTED)
    except StorageFault as e:
        _log_quietly(e, "storage fault")
        return fail(storage_sentence(e), STORAGE)
    except OSError as e:  # a file the command writes or reads: a full disk, a missing folder
        _log_quietly(e, "file")
        return _os_error(e)
    except Exception as e:  # a bug: a sentence here, the traceback (no local variables) in the log
        from carcrm_tui import logs

        try:
            path = logs.record_exception(e)
        except Exception:
            return fail(t("cli.unexpected_no_log"), UNEXPECTED)
        return fail(t("cli.unexpected", log=str(path)), UNEXPECTED)
    finally:
        gc.enable()


def _log_quietly(e: BaseException, context: str) -> None:
    from carcrm_tui import logs

    try:
        logs.record_exception(e, context)
    except Exception:
        pass  # the log's own disk may be the full one


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    utf8_streams()  # a non-UTF-8 locale gets UTF-8, never a UnicodeEncodeError
    translate_argparse()  # "usage", "options" and argparse's errors in the UI language too
    set_language(_early_language(argv))
    args = parse(argv)
    if getattr(args, "debug", False):  # every statement and more detail, to the private log file only
        from carcrm_tui import logs

        print(t("cli.debug_log", path=str(logs.setup(debug=True))), file=sys.stderr)
    if args.command is not None:  # a command, not the app: it may run long and make garbage
        gc.enable()

    path = config_path(args.config)
    try:
        prefs = load_preferences(path)
    except ConfigError as e:
        reason = t(f"policy.{e.reason}", **{k: str(v) for k, v in e.params.items()})
        return fail(t("cli.bad_config", path=str(e.path), key=e.key, reason=reason))
    language = args.lang or prefs.language or _early_language([])
    set_language(language)
    # the person's own choice (flag, CARCRM_LANG, their config) wins; else the site's language applies
    args.chosen_language = bool(args.lang or prefs.language or os.environ.get("CARCRM_LANG") in LANGUAGES)
    site_themes = site_themes_dir(path)
    names = theme_names(site_themes)
    # --theme, then an 8/16-colour terminal's carcrm-ansi, then the person's; else (later) the site's
    theme = pick_theme(args.theme, prefs.theme, os.environ)
    if theme and theme not in names:
        return fail(t("cli.bad_theme", name=theme, names=listed(names)))
    args.site_themes = site_themes

    if args.command == "demo":
        return _demo(args, prefs, theme)
    db_target = args.db or default_database()
    if not any(str(v).startswith(("postgresql://", "postgres://")) for v in (db_target, *vars(args).values())):
        _without_postgres_driver()  # no server anywhere in this command (copy-to names one as its target)
    if args.command == "serve":
        from carcrm_tui import web

        return web.serve(args, db_target, path, fail)
    if args.command in ("init", "policy", "showroom"):
        from carcrm_tui import cli_site

        return cli_site.run(args, db_target, fail)
    if args.command in ("import", "export", "backup", "restore", "check", "report", "catalogue"):
        from carcrm_tui import cli_data

        return cli_data.run(args, db_target, language, fail)
    if args.command == "copy-to":
        from carcrm_tui import cli_server

        return cli_server.copy_to(args, db_target, fail)
    if args.command == "user":
        from carcrm_tui import cli_users

        return cli_users.run(args, db_target, fail)
    return _open(db_target, args.user or os.environ.get("CARCRM_USER"), args, prefs, theme)


def open_site(db_target: str):
    """Connect and read the site policy; the site's language applies unless the person chose one."""
    from carcrm_tui.services import site
    from carcrm_tui.store import db

    db.connect(db_target)
    policy = site.load()
    if policy.file_group:
        os.umask(0o007)  # several OS logins share the data through that group (SECURITY.md)
    return policy


def _without_postgres_driver() -> None:
    """A SQLite site never needs psycopg, and peewee imports it wherever it is installed
    (it is, with the postgres extra): ~40 ms of every start, more on a busy machine.
    Only before peewee is first imported; a process already using it is left alone."""
    if "peewee" not in sys.modules:
        for name in ("psycopg", "psycopg2"):
            sys.modules.setdefault(name, None)  # `import psycopg` now fails fast, as if not installed


def open_or_say(db_target: str, args) -> tuple[object | None, int]:
    """(policy, 0), or (None, exit code) with the reason said."""
    from carcrm_tui.domain.policy import PolicyError
    from carcrm_tui.store.migrations import SchemaTooNew

    try:
        policy = open_site(db_target)
    except SchemaTooNew as e:
        return None, fail(t("cli.schema_too_new", found=e.found))
    except StorageFault as e:
        return None, fail(t("cli.db_error", target=_shown(db_target), reason=storage_sentence(e)), STORAGE)
    except PolicyError as e:
        reason = t(f"policy.{e.reason}", **{k: str(v) for k, v in e.params.items()})
        return None, fail(t("cli.bad_site_policy", key=e.key, reason=reason))
    except Exception as e:  # a bad URL, a missing driver: say which and why
        from carcrm_tui import logs
        from carcrm_tui.store.faults import scrub

        logs.record_exception(e, "opening the database")
        return None, fail(t("cli.db_error", target=_shown(db_target), reason=scrub(str(e))), STORAGE)
    if not getattr(args, "chosen_language", False) and policy.language:
        set_language(policy.language)
    return policy, OK


def _shown(db_target: str) -> str:
    from carcrm_tui.store.faults import scrub

    return scrub(db_target)


def _demo(args, prefs: Preferences, theme: str) -> int:
    import pendulum

    from carcrm_tui.demo.build import build

    if args.customers < 1:
        return fail(t("cli.bad_customers"))
    target = args.db or demo_database()
    if target.startswith(("postgres://", "postgresql://")):
        return fail(t("cli.demo_sqlite_only"))
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if interactive and total >= 5000:
            print(f"\r{t('cli.demo_progress', done=done, total=total)}", end="", file=sys.stderr, flush=True)

    built = build(target, pendulum.now("UTC"), customers=args.customers, seed=args.seed, progress=progress)
    if interactive and args.customers >= 5000:
        print(file=sys.stderr)
    print(t("cli.demo_built", path=str(built.path), customers=built.customers, leads=built.leads,
            followups=built.followups))
    if args.build_only:
        return OK
    return _open(str(built.path), args.user, args, prefs, theme, hint=t("signin.demo_hint"), demo=True)


def _open(db_target: str, user: str | None, args, prefs: Preferences, theme: str, *,
          hint: str = "", demo: bool = False) -> int:
    import pendulum

    from carcrm_tui.services import accounts, auth
    from carcrm_tui.services.session import Session
    from carcrm_tui.store import db

    policy, code = open_or_say(db_target, args)
    if policy is None:
        return code
    if not auth.has_accounts():
        db.close()
        return fail(t("cli.no_accounts", db=_shown(db_target)))
    if user and accounts.find(user) is None:
        db.close()
        return fail(t("cli.no_user", name=user))
    # SSH sites may trust the real OS login; never the browser view
    trusted = auth.trusted_os_account(policy, pendulum.now("UTC"), served=bool(getattr(args, "served", False)))
    session = Session(actor=trusted, policy=policy) if trusted else None
    if demo and not user:
        actor = accounts.default_actor()  # the demo suggests the consultant with work today
        user = actor.name if actor else None
    language = args.lang or prefs.language or policy.language or _early_language([])
    if not theme and policy.theme not in theme_names(args.site_themes):
        theme = "carcrm-dark"  # a site policy naming a theme this terminal does not have

    from carcrm_tui.ui.app import CarCrmApp  # Textual loads only now

    app = CarCrmApp(policy, session=session, language=language, theme=theme or policy.theme, user=user, hint=hint,
                    keymap=dict(prefs.keymap) if prefs.keymap else None, site_themes=args.site_themes)
    app.run()
    db.close()
    return app.return_code or OK


if __name__ == "__main__":
    raise SystemExit(main())
