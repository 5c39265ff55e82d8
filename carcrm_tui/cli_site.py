"""`carcrm init` and `carcrm policy`: setting a site up, and its policy, from a shell.

`init` is the first day: the dealership's name, time zone and language, the
first admin and their PIN (asked at a terminal; flags and CARCRM_PIN for
scripts), the database created private to this login (or shared with one OS
group), and the next steps printed. `policy set FILE` is how an admin changes
grades, cadences and security settings afterwards — audited, and never from a
file a consultant could edit.
"""

from __future__ import annotations

import grp
import json
import os
import sys
from pathlib import Path

import pendulum

from carcrm_tui.i18n import LANGUAGES, counted, detect_language, t


def add_parsers(subs, common) -> None:
    init = subs.add_parser("init", help=t("cli.help.init"), description=t("cli.help.init"))
    init.add_argument("--name", metavar="NAME", help=t("cli.help.init_name"))
    init.add_argument("--timezone", metavar="ZONE", help=t("cli.help.init_timezone"))
    init.add_argument("--language", choices=LANGUAGES, help=t("cli.help.init_language"))
    init.add_argument("--admin", metavar="NAME", help=t("cli.help.init_admin"))
    init.add_argument("--group", metavar="GROUP", help=t("cli.help.init_group"))
    policy = subs.add_parser("policy", help=t("cli.help.policy"), description=t("cli.help.policy"))
    actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help=t("cli.help.policy_show"))
    put = actions.add_parser("set", help=t("cli.help.policy_set"))
    put.add_argument("file", metavar="FILE")
    room = subs.add_parser("showroom", help=t("cli.help.showroom"), description=t("cli.help.showroom"))
    rooms = room.add_subparsers(dest="showroom_command", metavar="ACTION", required=True)
    radd = rooms.add_parser("add", help=t("cli.help.showroom_add"))
    radd.add_argument("name", metavar="NAME")
    rlist = rooms.add_parser("list", help=t("cli.help.showroom_list"))
    rren = rooms.add_parser("rename", help=t("cli.help.showroom_rename"))
    rren.add_argument("old", metavar="NAME")
    rren.add_argument("new", metavar="NEW_NAME")
    for p in (init, policy, show, put, room, radd, rlist, rren):
        common(p, sub=True)


def _ask(prompt: str, default: str = "") -> str:
    if not sys.stdin.isatty():
        return default
    answer = input(f"{prompt} [{default}] " if default else f"{prompt} ").strip()
    return answer or default


def run(args, db_target: str, fail) -> int:
    if args.command == "init":
        return _init(args, db_target, fail)
    if args.command == "showroom":
        return _showroom(args, db_target, fail)
    return _policy(args, db_target, fail)


def _showroom(args, db_target: str, fail) -> int:
    from carcrm_tui.cli import open_or_say
    from carcrm_tui.cli_users import acting_account, refusal
    from carcrm_tui.services import showrooms
    from carcrm_tui.services.errors import NotAllowed, ServiceError
    from carcrm_tui.store import db

    policy, code = open_or_say(db_target, args)
    if policy is None:
        return code
    try:
        actor = acting_account(args.user or os.environ.get("CARCRM_USER"), policy)
        now = pendulum.now("UTC")
        if args.showroom_command == "add":
            made = showrooms.add(actor, args.name, now)
            print(t("cli.showroom_added", name=made.name))
        elif args.showroom_command == "rename":
            showrooms.rename(actor, args.old, args.new, now)
            print(t("cli.showroom_renamed", old=args.old, new=args.new))
        else:
            if actor.role not in ("manager", "group_manager", "admin"):
                raise NotAllowed()
            for room in showrooms.all_showrooms():
                print(t("cli.showroom_line", name=room.name, people=counted("people", room.people),
                         customers=counted("customers", room.customers)))
        return 0
    except (PermissionError, ValueError, ServiceError) as e:
        return refusal(e, fail)
    finally:
        db.close()


def _init(args, db_target: str, fail) -> int:
    from carcrm_tui.cli import open_or_say
    from carcrm_tui.cli_users import new_pin, refusal
    from carcrm_tui.domain.policy import PolicyError
    from carcrm_tui.services import auth, showrooms, site
    from carcrm_tui.services.errors import ServiceError
    from carcrm_tui.store import db
    from carcrm_tui.store.faults import scrub
    from carcrm_tui.store.models import database

    is_file = not db_target.startswith(("postgres://", "postgresql://"))
    group = args.group
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            return fail(t("cli.no_group", group=group))
        os.umask(0o007)
    shown = scrub(db_target)  # a server's address without its password
    policy, code = open_or_say(db_target, args)
    if policy is None:
        return code
    if auth.has_accounts():  # a file or a server database that is set up already
        db.close()
        return fail(t("cli.already_set_up", db=shown))
    try:
        name = args.name or _ask(t("cli.ask_name"), "")
        if not name:
            return fail(t("cli.need_name"))
        zone = args.timezone or _ask(t("cli.ask_timezone"), "Asia/Shanghai")
        language = args.language or _ask(t("cli.ask_language"), detect_language())
        admin = args.admin or _ask(t("cli.ask_admin"), "")
        if not admin:
            return fail(t("cli.need_admin"))
        text = (f"[dealership]\nname = {json.dumps(name, ensure_ascii=False)}\n"
                f"timezone = {json.dumps(zone)}\nlanguage = {json.dumps(language)}\n")
        if group:  # the site policy says so: files made later are the group's too, and check expects 0660
            text += f"\n[security]\nfile_group = {json.dumps(group, ensure_ascii=False)}\n"
        try:
            site.parse(text)
        except PolicyError as e:
            reason = t(f"policy.{e.reason}", **{k: str(v) for k, v in e.params.items()})
            return fail(t("cli.bad_site_policy", key=e.key, reason=reason))
        now = pendulum.now("UTC")
        try:
            pin = os.environ.get("CARCRM_PIN") or new_pin()
            with database.atomic():  # the admin and the policy together, or neither
                created = auth.add_account(None, admin, "admin", pin, now)
                site.set_policy(created, text, now)
                showrooms.name_the_first(name)
        except (ServiceError, ValueError) as e:
            return refusal(e, fail)
    finally:
        db.close()
    if is_file:
        _share(Path(db_target), gid if group else None)
    print(t("cli.init_done", name=name, db=shown, admin=admin))
    print(t("cli.init_next", db=shown, admin=admin))
    return 0


def _share(path: Path, gid: int | None) -> None:
    """The database and its companions: the login's own, or read/write for one OS group."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists():
            if gid is not None:
                os.chown(p, -1, gid)
            os.chmod(p, 0o660 if gid is not None else 0o600)


def _policy(args, db_target: str, fail) -> int:
    from carcrm_tui.cli import open_or_say
    from carcrm_tui.cli_users import acting_account, refusal
    from carcrm_tui.services import site
    from carcrm_tui.services.errors import NotAllowed, ServiceError
    from carcrm_tui.store import db

    policy, code = open_or_say(db_target, args)
    if policy is None:
        return code
    try:
        actor = acting_account(args.user or os.environ.get("CARCRM_USER"), policy)
        if args.policy_command == "show":
            if actor.role not in ("manager", "admin"):
                raise NotAllowed()
            print(site.stored_text() or t("cli.policy_defaults"), end="" if site.stored_text() else "\n")
            return 0
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            return fail(t("cli.unreadable_file", path=args.file, reason=getattr(e, "strerror", None) or str(e)))
        site.set_policy(actor, text, pendulum.now("UTC"))
        print(t("cli.policy_set", path=args.file))
        return 0
    except (PermissionError, ValueError, ServiceError) as e:
        return refusal(e, fail)
    finally:
        db.close()
