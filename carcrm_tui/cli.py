"""Command line: `carcrm` opens the app; `carcrm demo` builds and opens a demo showroom.

Headless paths (help, `demo --build-only`, errors) never import Textual: the UI
is imported only when a screen is about to open. Every message goes through the
translation layer and failures exit non-zero with a sentence, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from carcrm_tui import __version__
from carcrm_tui.config import ConfigError, config_path, default_database, demo_database, load_policy
from carcrm_tui.i18n import LANGUAGES, detect_language, set_language, t
from carcrm_tui.resources import data_path


def _theme_names() -> list[str]:
    return sorted(p.stem for p in data_path("themes").glob("*.toml"))


def _common(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    default = argparse.SUPPRESS if sub else None
    parser.add_argument("--db", metavar="PATH", default=default, help=t("cli.help.db"))
    parser.add_argument("--config", metavar="FILE", default=default, help=t("cli.help.config"))
    parser.add_argument("--lang", choices=LANGUAGES, default=default, help=t("cli.help.lang"))
    parser.add_argument("--theme", metavar="NAME", default=default,
                        help=t("cli.help.theme", names=", ".join(_theme_names())))
    parser.add_argument("--user", metavar="NAME", default=default, help=t("cli.help.user"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carcrm", description=t("cli.description"),
                                     epilog=t("cli.epilog"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"carcrm {__version__}")
    _common(parser, sub=False)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = subs.add_parser("demo", help=t("cli.help.demo"), description=t("cli.help.demo"))
    _common(demo, sub=True)
    demo.add_argument("--customers", type=int, default=600, metavar="N", help=t("cli.help.customers"))
    demo.add_argument("--seed", type=int, default=7, help=t("cli.help.seed"))
    demo.add_argument("--build-only", action="store_true", help=t("cli.help.build_only"))
    from carcrm_tui import cli_data, cli_users

    cli_users.add_parsers(subs, _common)
    cli_data.add_parsers(subs, _common)
    return parser


def _early_language(argv: Sequence[str]) -> str:
    """--lang decides the language of --help itself, so read it before parsing."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in LANGUAGES:
            return arg[7:]
    env = os.environ.get("CARCRM_LANG", "")
    return env if env in LANGUAGES else detect_language()


def fail(message: str, code: int = 2) -> int:
    print(f"carcrm: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_language(_early_language(argv))
    args = build_parser().parse_args(argv)

    path = config_path(args.config)
    try:
        policy = load_policy(path)
    except ConfigError as e:
        reason = t(f"policy.{e.reason}", **{k: str(v) for k, v in e.params.items()})
        return fail(t("cli.bad_config", path=str(e.path), key=e.key, reason=reason))
    language = args.lang or policy.language or _early_language([])
    set_language(language)
    theme = args.theme or policy.theme
    if theme not in _theme_names():
        return fail(t("cli.bad_theme", name=theme, names=", ".join(_theme_names())))

    if args.command == "demo":
        return _demo(args, policy, language, theme)
    if args.command in ("import", "export", "backup", "restore", "check", "report", "catalogue"):
        from carcrm_tui import cli_data

        return cli_data.run(args, policy, args.db or default_database(), language, fail)
    if args.command == "user":
        from carcrm_tui import cli_users

        return cli_users.run(args, policy, args.db or default_database(), fail)
    return _open(args.db or default_database(), args.user or os.environ.get("CARCRM_USER"), policy, language, theme)


def _demo(args, policy, language: str, theme: str) -> int:
    import pendulum

    from dataclasses import replace

    from carcrm_tui.demo.build import build, load_data
    from carcrm_tui.domain.policy import Policy

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
    if policy.dealership == Policy().dealership:  # no name configured: show the demo's
        policy = replace(policy, dealership=load_data()["dealership"]["name"])
    if interactive and args.customers >= 5000:
        print(file=sys.stderr)
    print(t("cli.demo_built", path=str(built.path), customers=built.customers, leads=built.leads,
            followups=built.followups))
    if args.build_only:
        return 0
    return _open(str(built.path), args.user, policy, language, theme, hint=t("signin.demo_hint"), demo=True)


def _open(db_target: str, user: str | None, policy, language: str, theme: str, *,
          hint: str = "", demo: bool = False) -> int:
    import getpass

    from carcrm_tui.services import accounts, auth
    from carcrm_tui.services.session import Session
    from carcrm_tui.store import db
    from carcrm_tui.store.migrations import SchemaTooNew

    try:
        db.connect(db_target)
    except SchemaTooNew as e:
        return fail(t("cli.schema_too_new", found=e.found))
    except Exception as e:  # unreadable file, bad URL, server down: say which and why
        return fail(t("cli.db_error", target=db_target, reason=str(e)))
    if not auth.has_accounts():
        db.close()
        return fail(t("cli.no_accounts", db=db_target))
    if user and accounts.find(user) is None:
        db.close()
        return fail(t("cli.no_user", name=user))
    trusted = auth.trusted_os_account(getpass.getuser(), policy)  # SSH sites: the OS login is enough
    session = Session(actor=trusted, policy=policy) if trusted else None
    if demo and not user:
        actor = accounts.default_actor()  # the demo suggests the consultant with work today
        user = actor.name if actor else None

    from carcrm_tui.ui.app import CarCrmApp  # Textual loads only now

    CarCrmApp(policy, session=session, language=language, theme=theme, user=user, hint=hint).run()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
