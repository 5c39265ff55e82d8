"""`carcrm user …`: manage accounts from a shell, without Textual.

Every command acts as an account (`--user` / CARCRM_USER, PIN from CARCRM_PIN
or a prompt), except the very first `user add` on an empty database. New
PINs are asked twice at a terminal, or read as one line from standard input.
"""

from __future__ import annotations

import getpass
import os
import sys

import pendulum

from carcrm_tui.i18n import label, t


def add_parsers(subs, common) -> None:
    user = subs.add_parser("user", help=t("cli.help.user_cmd"), description=t("cli.help.user_cmd"))
    common(user, sub=True)
    cmds = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = cmds.add_parser("add", help=t("cli.help.user_add"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=("consultant", "manager", "group_manager", "admin"), required=True)
    add.add_argument("--showroom", metavar="NAME", help=t("cli.help.user_showroom"))
    add.add_argument("--seniority", type=int, default=0, metavar="YEARS")
    cmds.add_parser("list", help=t("cli.help.user_list"))
    pin = cmds.add_parser("set-pin", help=t("cli.help.user_set_pin"))
    pin.add_argument("name", metavar="NAME")
    off = cmds.add_parser("disable", help=t("cli.help.user_disable"))
    off.add_argument("name", metavar="NAME")
    on = cmds.add_parser("enable", help=t("cli.help.user_enable"))
    on.add_argument("name", metavar="NAME")
    role = cmds.add_parser("set-role", help=t("cli.help.user_set_role"))
    role.add_argument("name", metavar="NAME")
    role.add_argument("--role", choices=("consultant", "manager", "group_manager", "admin"), required=True)
    for p in (add, pin, off, on, role):
        common(p, sub=True)


def new_pin() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(t("cli.new_pin"))
        if getpass.getpass(t("cli.repeat_pin")) != first:
            raise ValueError(t("cli.pins_differ"))
        return first
    return sys.stdin.readline().rstrip("\r\n")


def acting_account(name: str | None, policy, *, read_only: bool = False):
    """Who runs this command: a trusted OS login (the real uid's), or --user with a PIN.

    `read_only`: the database cannot be written (copy-to's source), so the sign-in is checked
    but not recorded there."""
    from carcrm_tui.services import auth

    login = auth.os_login()
    mapped = policy.os_users.get(login) if login else None
    if mapped and (not name or name == mapped):
        trusted = auth.trusted_os_account(policy, pendulum.now("UTC"), record=not read_only)
        if trusted:
            return trusted
    if not name:
        raise PermissionError(t("cli.need_user"))
    pin = os.environ.get("CARCRM_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            raise PermissionError(t("cli.need_pin"))
        pin = getpass.getpass(t("cli.pin_for", name=name))
    if read_only:
        return auth.confirm_pin(name, pin, pendulum.now("UTC"))
    return auth.sign_in(name, pin, pendulum.now("UTC"), policy)


def refusal(e: Exception, fail) -> int:
    """A service's or sign-in's refusal → a sentence and the exit code scripts rely on
    (3: who you are or may do; 2: what you asked for)."""
    from carcrm_tui.services import auth
    from carcrm_tui.services.errors import NotAllowed, NotFound, ServiceError
    from carcrm_tui.ui_text import error_sentence

    if isinstance(e, PermissionError):
        return fail(str(e), 3)
    if isinstance(e, auth.SignInFailed):
        return fail(t("error.wrong_pin"), 3)
    if isinstance(e, auth.AccountLocked):
        return fail(t("error.account_locked"), 3)
    if isinstance(e, NotAllowed):
        return fail(t(f"error.{e.code}"), 3)  # a refusal may say why (importing: managers only)
    if isinstance(e, NotFound):
        return fail(t("cli.no_user", name=str(e)), 2)
    if isinstance(e, ServiceError):
        return fail(error_sentence(e), 2)
    if isinstance(e, ValueError):
        return fail(str(e), 2)
    raise e


REFUSALS = (PermissionError, ValueError)  # plus every ServiceError, checked in refusal()


def run(args, db_target: str, fail) -> int:
    from carcrm_tui.cli import open_or_say
    from carcrm_tui.services import auth
    from carcrm_tui.services.errors import NotAllowed, ServiceError
    from carcrm_tui.store import db

    policy, code = open_or_say(db_target, args)
    if policy is None:
        return code
    now = pendulum.now("UTC")
    try:
        actor = None
        if args.user_command != "add" or auth.has_accounts():
            actor = acting_account(args.user or os.environ.get("CARCRM_USER"), policy)
        if args.user_command == "add":
            created = auth.add_account(actor, args.name, args.role, new_pin(), now, seniority=args.seniority,
                                       policy=policy, showroom=args.showroom)
            print(t("cli.user_added", name=created.name, role=label("role", created.role)))
        elif args.user_command == "list":
            if actor.role not in ("manager", "group_manager", "admin"):
                raise NotAllowed()
            from carcrm_tui.services.accounts import list_accounts

            from carcrm_tui.services import showrooms

            where = showrooms.names()
            for a in list_accounts():
                state = t("cli.active") if a.active else t("cli.disabled")
                room = where.get(a.showroom_id, t("cli.all_showrooms")) if a.showroom_id else t("cli.all_showrooms")
                print(f"{a.name}\t{label('role', a.role)}\t{room}\t{state}")
        elif args.user_command == "set-pin":
            auth.set_pin(actor, args.name, new_pin(), now, policy)
            print(t("cli.pin_set", name=args.name))
        elif args.user_command in ("disable", "enable"):
            auth.set_active(actor, args.name, args.user_command == "enable", now)
            print(t("cli.user_disabled" if args.user_command == "disable" else "cli.user_enabled", name=args.name))
        elif args.user_command == "set-role":
            auth.set_role(actor, args.name, args.role, now)
            print(t("cli.role_set", name=args.name, role=label("role", args.role)))
    except (*REFUSALS, ServiceError) as e:
        return refusal(e, fail)
    finally:
        db.close()
    return 0
