"""Command line: `carcrm` opens the app; `carcrm demo` builds and opens a demo showroom.

Headless paths (help, `demo --build-only`, errors) never import Textual: the UI
is imported only when a screen is about to open. Every message goes through the
translation layer and failures exit non-zero with a sentence, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from typing import Sequence

from carcrm_tui import __version__
from carcrm_tui.cli_output import (
    Parser, RawDescriptionHelpFormatter, run_in_utf8_mode, translate_argparse, utf8_streams,
)
from carcrm_tui.config import (
    ConfigError, config_path, default_database, demo_database, load_keymap, load_policy, site_themes_dir,
)
from carcrm_tui.i18n import LANGUAGES, detect_language, set_language, t
from carcrm_tui.theme_files import pick_theme, theme_names


def _theme_names(argv: Sequence[str] = ()) -> list[str]:
    """Shipped themes and the site's (themes/ next to the config file --config names)."""
    return theme_names(site_themes_dir(config_path(_early_value(argv, "--config"))))


def _common(parser: argparse.ArgumentParser, *, sub: bool, themes: Sequence[str] = ()) -> None:
    default = argparse.SUPPRESS if sub else None
    parser.add_argument("--db", metavar="PATH", default=default, help=t("cli.help.db"))
    parser.add_argument("--config", metavar="FILE", default=default, help=t("cli.help.config"))
    parser.add_argument("--lang", choices=LANGUAGES, default=default, help=t("cli.help.lang"))
    parser.add_argument("--theme", metavar="NAME", default=default,
                        help=t("cli.help.theme", names=", ".join(themes or _theme_names())))
    parser.add_argument("--user", metavar="NAME", default=default, help=t("cli.help.user"))


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    themes = _theme_names(argv)
    common = partial(_common, themes=themes)
    parser = Parser(prog="carcrm", description=t("cli.description"),
                    epilog=t("cli.epilog"), formatter_class=RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"carcrm {__version__}", help=t("argparse.version"))
    common(parser, sub=False)
    # set by `carcrm serve` on the command each browser tab runs: sign-in always, no OS-login trust
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = subs.add_parser("demo", help=t("cli.help.demo"), description=t("cli.help.demo"))
    common(demo, sub=True)
    demo.add_argument("--customers", type=int, default=600, metavar="N", help=t("cli.help.customers"))
    demo.add_argument("--seed", type=int, default=7, help=t("cli.help.seed"))
    demo.add_argument("--build-only", action="store_true", help=t("cli.help.build_only"))
    from carcrm_tui import cli_data, cli_users, web

    cli_users.add_parsers(subs, common)
    cli_data.add_parsers(subs, common)
    web.add_parser(subs, common)
    return parser


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


def fail(message: str, code: int = 2) -> int:
    print(f"carcrm: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # started from a shell: on a Latin-1/ASCII locale, again in UTF-8 mode
        run_in_utf8_mode()
    argv = list(sys.argv[1:] if argv is None else argv)
    utf8_streams()  # a non-UTF-8 locale gets UTF-8, never a UnicodeEncodeError
    translate_argparse()  # "usage", "options" and argparse's errors in the UI language too
    set_language(_early_language(argv))
    args = build_parser(argv).parse_args(argv)

    path = config_path(args.config)
    try:
        policy = load_policy(path)
        keymap = load_keymap(path)  # the user's own keys ([keymap]), checked before any screen
    except ConfigError as e:
        reason = t(f"policy.{e.reason}", **{k: str(v) for k, v in e.params.items()})
        return fail(t("cli.bad_config", path=str(e.path), key=e.key, reason=reason))
    language = args.lang or policy.language or _early_language([])
    set_language(language)
    site_themes = site_themes_dir(path)
    names = theme_names(site_themes)
    theme = pick_theme(args.theme, policy.theme, os.environ)  # an 8/16-colour terminal: carcrm-ansi
    if theme not in names:
        return fail(t("cli.bad_theme", name=theme, names=", ".join(names)))
    prefs = dict(keymap=keymap, site_themes=site_themes, served=args.served)

    if args.command == "demo":
        return _demo(args, policy, language, theme, **prefs)
    if args.command == "serve":
        from carcrm_tui import web

        return web.serve(args, policy, args.db or default_database(), path, fail)
    if args.command in ("import", "export", "backup", "restore", "check", "report"):
        from carcrm_tui import cli_data

        return cli_data.run(args, policy, args.db or default_database(), language, fail)
    if args.command == "user":
        from carcrm_tui import cli_users

        return cli_users.run(args, policy, args.db or default_database(), fail)
    return _open(args.db or default_database(), args.user or os.environ.get("CARCRM_USER"), policy, language, theme,
                 **prefs)


def _demo(args, policy, language: str, theme: str, **prefs) -> int:
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
    return _open(str(built.path), args.user, policy, language, theme, hint=t("signin.demo_hint"), demo=True,
                 **prefs)


def _open(db_target: str, user: str | None, policy, language: str, theme: str, *,
          hint: str = "", demo: bool = False, keymap: dict | None = None, site_themes=None,
          served: bool = False) -> int:
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
    # SSH sites: the OS login is enough. Never when served to a browser: every visitor
    # runs as the server's OS user, so each tab signs in with a PIN (`carcrm serve`).
    trusted = None if served else auth.trusted_os_account(getpass.getuser(), policy)
    session = Session(actor=trusted, policy=policy) if trusted else None
    if demo and not user:
        actor = accounts.default_actor()  # the demo suggests the consultant with work today
        user = actor.name if actor else None

    from carcrm_tui.ui.app import CarCrmApp  # Textual loads only now

    CarCrmApp(policy, session=session, language=language, theme=theme, user=user, hint=hint,
              keymap=keymap, site_themes=site_themes).run()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
