"""`carcrm serve`: the app in a browser, for managers away from a terminal (textual-serve).

Each browser tab gets its own app process, started with `--served`: it always
opens at sign-in, because every visitor runs as the server's OS user and the
site's trusted-OS-login mapping must not let them in. The page is served
whole from this host: textual-serve's own page loads its web font from Google
Fonts, so ours (templates/app_index.html) declares the font textual-serve
ships with `@font-face` on its /static route, and a Content-Security-Policy
tells the browser to fetch nothing from anywhere else.

textual-serve has no TLS and no login of its own: put it behind a reverse
proxy for HTTPS (README) and keep it on 127.0.0.1 otherwise. This module's
top imports nothing heavy: the parser is built on every start.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from carcrm_tui.i18n import t

TEMPLATES = Path(__file__).parent / "templates"


def add_parser(subs, common) -> None:
    serve = subs.add_parser("serve", help=t("web.help.serve"), description=t("web.help.serve_long"))
    common(serve, sub=True)
    serve.add_argument("--host", default="127.0.0.1", help=t("web.help.host"))
    serve.add_argument("--port", type=int, default=8000, help=t("web.help.port"))
    serve.add_argument("--public-url", metavar="URL", default=None, help=t("web.help.public_url"))


def app_command(db_target: str, config: Path, language: str | None, theme: str | None) -> str:
    """The shell command textual-serve runs for each tab: this Python, this database, sign-in always.

    A server's address may carry its password: it reaches the tabs through CARCRM_DB in the
    environment (`serve` sets it), never on a command line every login can read with `ps`."""
    argv = [sys.executable, "-m", "carcrm_tui", "--served"]
    if not db_target.startswith(("postgres://", "postgresql://")):
        argv += ["--db", db_target]
    argv += ["--config", str(config)]
    if language:
        argv += ["--lang", language]
    if theme:
        argv += ["--theme", theme]
    return shlex.join(argv)


def serve(args, db_target: str, config: Path, fail) -> int:
    try:
        from carcrm_tui.web.server import LocalServer
    except ImportError as e:
        return fail(t("web.not_installed", detail=str(e)))
    if not (1 <= args.port <= 65535):
        return fail(t("web.bad_port", port=args.port))
    if not db_target.startswith(("postgres://", "postgresql://")):
        db_target = str(Path(db_target).expanduser().resolve())
    else:
        os.environ["CARCRM_DB"] = db_target  # inherited by each tab's process (app_command)
    problem, dealership = _check_database(db_target)
    if problem:
        return fail(problem)
    command = app_command(db_target, config.expanduser().resolve(), getattr(args, "lang", None),
                          getattr(args, "theme", None))
    server = LocalServer(command, host=args.host, port=args.port, public_url=args.public_url,
                         title=dealership)
    from carcrm_tui.store.faults import scrub

    print(t("web.serving", url=server.public_url, db=scrub(db_target)), file=sys.stderr, flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(t("web.exposed", host=args.host), file=sys.stderr, flush=True)
    server.serve()
    return 0


def _check_database(db_target: str) -> tuple[str | None, str]:
    """A tab should open at sign-in, not at "session ended": say now what is wrong with the database.
    Returns (the problem or None, the dealership's name for the page title)."""
    from carcrm_tui.services import auth, site
    from carcrm_tui.store import db
    from carcrm_tui.store.faults import scrub
    from carcrm_tui.store.migrations import SchemaTooNew

    try:
        db.connect(db_target)
    except SchemaTooNew as e:
        return t("cli.schema_too_new", found=e.found), ""
    except Exception as e:  # unreadable file, bad URL, server down
        return t("cli.db_error", target=scrub(db_target), reason=scrub(str(e))), ""
    try:
        if not auth.has_accounts():
            return t("cli.no_accounts", db=scrub(db_target)), ""
        return None, site.load().dealership
    finally:
        db.close()
