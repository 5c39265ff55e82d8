"""Accounts and sign-in for shared showroom terminals.

PINs (digits) or passphrases are stored only as salted scrypt hashes, at a cost
that makes trying every 6-digit PIN of a stolen database take days on a
showroom PC (`make bench` prints the figure); each hash records its own cost,
so stronger settings apply as people sign in. Managers and admins need longer
PINs than consultants, and trivial ones (0000, 1234, 121212 …) are refused.
Too many wrong PINs lock the account; every sign-in (PIN or trusted OS login),
failure and lock is audited.

Who may manage whom: admins manage every account and the site policy; a
manager adds consultants and resets their PINs; everyone changes their own PIN.
The last active admin can be neither disabled nor demoted. Disabling or
demoting an account ends its open sessions (`still_valid`, polled by the app).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pwd
from dataclasses import dataclass

from pendulum import DateTime

from carcrm_tui.domain.policy import Policy
from carcrm_tui.domain.validation import Invalid, clean_text
from carcrm_tui.services import audit
from carcrm_tui.services.accounts import view
from carcrm_tui.services.errors import NotAllowed, NotFound, ServiceError, ValidationFailed
from carcrm_tui.services.views import AccountView
from carcrm_tui.store.models import Account, database

ROLES = ("consultant", "manager", "group_manager", "admin")
PRIVILEGED = ("manager", "group_manager", "admin")
ACROSS_SHOWROOMS = ("group_manager", "admin")  # everyone else works in one showroom
# n = 2^17, r = 8: 128 MiB and ~0.5 s per guess on this project's 2-core machine — a person waits
# half a second once; the whole 6-digit space takes days (bench/run.py prints the figure)
SITE_COST = {"n": 2**17, "r": 8, "p": 1}
COST = SITE_COST  # (the test suite swaps in a cheap cost; the demo uses DEMO_COST)
DEMO_COST = {"n": 2**10, "r": 8, "p": 1}  # the demo's PINs are printed in the README: nothing to protect
_MAXMEM = 256 * 2**20
_LEGACY = {"n": 2**14, "r": 8, "p": 1}  # "scrypt$salt$digest" hashes written before 0.6


def min_pin_length(role: str, policy: Policy) -> int:
    return policy.pin_digits_privileged if role in PRIVILEGED else policy.pin_digits


def trivial(pin: str) -> bool:
    """0000, 111111, 1234, 987654, 7890, 1212, 123123, 112233: the first PINs a guesser tries."""
    if not pin.isdigit():
        return pin.lower() in ("password", "passwort", "12345678", "qwertyui", "qwerty123", "carcrm123")
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    if steps in ({1}, {9}):
        return True
    for period in range(1, len(pin) // 2 + 1):
        if len(pin) % period == 0 and pin == pin[:period] * (len(pin) // period):
            return True
    pairs = [pin[i:i + 2] for i in range(0, len(pin) - 1, 2)]
    if len(pin) % 2 == 0 and all(p[0] == p[1] for p in pairs) and trivial("".join(p[0] for p in pairs)):
        return True  # 112233
    return False


def check_pin_rule(pin: str, role: str = "consultant", policy: Policy | None = None) -> None:
    policy = policy or Policy()
    shortest = min_pin_length(role, policy)
    if pin.isdigit():
        if not shortest <= len(pin) <= 12:
            raise Invalid("pin_digits", n=shortest)
    elif len(pin) < max(8, shortest + 4):
        raise Invalid("pin_short", n=max(8, shortest + 4))
    if trivial(pin):
        raise Invalid("pin_trivial")


def hash_pin(pin: str, cost: dict | None = None) -> str:
    c = cost or COST
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, maxmem=_MAXMEM, **c)
    return "$".join(("scrypt", str(c["n"]), str(c["r"]), str(c["p"]), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()))


def _parse(stored: str) -> tuple[dict, bytes, bytes] | None:
    parts = stored.split("$")
    try:
        if len(parts) == 3 and parts[0] == "scrypt":
            return _LEGACY, base64.b64decode(parts[1]), base64.b64decode(parts[2])
        if len(parts) == 6 and parts[0] == "scrypt":
            cost = {"n": int(parts[1]), "r": int(parts[2]), "p": int(parts[3])}
            return cost, base64.b64decode(parts[4]), base64.b64decode(parts[5])
    except ValueError:
        return None
    return None


def verify_pin(pin: str, stored: str) -> bool:
    parsed = _parse(stored)
    if parsed is None:
        return False
    cost, salt, digest = parsed
    got = hashlib.scrypt(pin.encode(), salt=salt, dklen=len(digest), maxmem=_MAXMEM, **cost)
    return hmac.compare_digest(got, digest)


def _weaker_than_current(stored: str) -> bool:
    parsed = _parse(stored)
    return parsed is not None and parsed[0]["n"] < COST["n"]


class SignInFailed(ServiceError):
    code = "wrong_pin"

    def __init__(self, remaining: int) -> None:
        super().__init__(remaining)
        self.remaining = remaining


@dataclass
class AccountLocked(ServiceError):
    until: DateTime
    code = "account_locked"


def _active(actor: AccountView | None) -> Account:
    account = Account.get_or_none(Account.id == actor.id) if actor else None
    if account is None or not account.active:
        raise NotAllowed()
    return account


def _may_manage(actor: AccountView | None, target_role: str, target_showroom: int | None = None) -> Account:
    """Admins manage everyone; a group manager manages consultants, a showroom's manager those of
    their showroom; nobody else manages anyone."""
    me = _active(actor)
    if me.role == "admin":
        return me
    if target_role == "consultant" and (me.role == "group_manager"
                                        or (me.role == "manager" and target_showroom == me.showroom_id)):
        return me
    raise NotAllowed()


def _showroom_for(role: str, showroom: str | None, actor: Account | None) -> int | None:
    """Which showroom a new account works in: none for group roles; the one named, else the
    manager's own, else the only one there is."""
    from carcrm_tui.services import showrooms
    from carcrm_tui.store.models import DEFAULT_SHOWROOM

    if role in ACROSS_SHOWROOMS:
        return None
    if showroom:
        return showrooms.find(showroom)
    if actor is not None and actor.role == "manager":
        return actor.showroom_id
    if showrooms.several():
        raise ValidationFailed({"showroom": Invalid("choose_showroom")})
    return DEFAULT_SHOWROOM


def _last_admin(account: Account) -> bool:
    return account.role == "admin" and not Account.select().where(
        (Account.role == "admin") & Account.active & (Account.id != account.id)).exists()


def has_accounts() -> bool:
    return Account.select().exists()


def signable_accounts() -> list[AccountView]:
    """Who can be picked on the sign-in screen (active accounts, by name)."""
    return [view(a) for a in Account.select().where(Account.active).order_by(Account.name)]


def add_account(actor: AccountView | None, name: str, role: str, pin: str, now: DateTime,
                seniority: int = 0, policy: Policy | None = None, showroom: str | None = None) -> AccountView:
    """The very first account of a site needs no one, and must be its admin."""
    errors: dict[str, Invalid] = {}
    try:
        name = clean_text(name, field="name", limit=64, required=True)
    except Invalid as e:
        errors["name"] = e
    if role not in ROLES:
        errors["role"] = Invalid("choose_one", field="role")
    try:
        check_pin_rule(pin, role, policy)
    except Invalid as e:
        errors["pin"] = e
    if errors:
        raise ValidationFailed(errors)
    with database.atomic():
        first = not has_accounts()
        if first and role != "admin":
            raise ValidationFailed({"role": Invalid("first_account_admin")})
        me = None if first else _active(actor)
        showroom_id = _showroom_for(role, showroom, me)
        if not first:
            _may_manage(actor, role, showroom_id)
        if Account.select().where(Account.name == name).exists():
            raise ValidationFailed({"name": Invalid("name_taken", name=name)})
        new_id = Account.insert(name=name, role=role, seniority=seniority, active=True, created_at=now,
                                pin_hash=hash_pin(pin), showroom=showroom_id).execute()
        audit.record(actor.id if actor and not first else new_id, now, "create", "account", new_id,
                     changes={"name": ("", name), "role": ("", role), "showroom": ("", showroom_id or "")})
    return view(Account.get_by_id(new_id))


def _target(name: str) -> Account:
    account = Account.get_or_none(Account.name == name)
    if account is None:
        raise NotFound(name)
    return account


def set_pin(actor: AccountView, name: str, pin: str, now: DateTime, policy: Policy | None = None) -> None:
    """Your own PIN, a consultant's for a manager, anyone's for an admin; clears a lockout."""
    with database.atomic():
        account = _target(name)
        if account.id == actor.id:
            _active(actor)
        else:
            _may_manage(actor, account.role, account.showroom_id)
        check_pin_rule(pin, account.role, policy)
        Account.update(pin_hash=hash_pin(pin), failed_pins=0, locked_until=None).where(
            Account.id == account.id).execute()
        audit.record(actor.id, now, "set_pin", "account", account.id)


def set_active(actor: AccountView, name: str, active: bool, now: DateTime) -> None:
    with database.atomic():
        account = _target(name)
        _may_manage(actor, account.role, account.showroom_id)
        if account.id == actor.id and not active:
            raise ValidationFailed({"name": Invalid("disable_self")})
        if not active and _last_admin(account):
            raise ValidationFailed({"name": Invalid("last_admin")})
        Account.update(active=active).where(Account.id == account.id).execute()
        audit.record(actor.id, now, "update", "account", account.id, changes={"active": (account.active, active)})


def disable(actor: AccountView, name: str, now: DateTime) -> None:
    set_active(actor, name, False, now)


def set_role(actor: AccountView, name: str, role: str, now: DateTime) -> None:
    """Admins only. A new role needs a PIN long enough for it: a consultant's 4 digits do not
    become a manager's; the account sets a new PIN (or an admin sets one) first."""
    if role not in ROLES:
        raise ValidationFailed({"role": Invalid("choose_one", field="role")})
    with database.atomic():
        me = _active(actor)
        if me.role != "admin":
            raise NotAllowed()
        account = _target(name)
        if account.role == "admin" and role != "admin" and _last_admin(account):
            raise ValidationFailed({"role": Invalid("last_admin")})
        showroom_id = account.showroom_id
        if role in ACROSS_SHOWROOMS:
            showroom_id = None
        elif showroom_id is None:  # from a group role into a showroom: the only one, or say which
            showroom_id = _showroom_for(role, None, None)
        Account.update(role=role, showroom=showroom_id).where(Account.id == account.id).execute()
        audit.record(actor.id, now, "update", "account", account.id, changes={"role": (account.role, role)})


def still_valid(actor: AccountView) -> bool:
    """False once the account is disabled, or its role or showroom changed: its open sessions end."""
    row = Account.select(Account.active, Account.role, Account.showroom).where(Account.id == actor.id).tuples().first()
    return row is not None and bool(row[0]) and row[1] == actor.role and row[2] == actor.showroom_id


def _to_check(name: str, now: DateTime) -> Account:
    """The active account of that name, unless it is locked."""
    account = Account.get_or_none((Account.name == name) & Account.active)
    if account is None:
        raise NotFound(name)
    if account.locked_until is not None and account.locked_until > now:
        raise AccountLocked(account.locked_until)
    return account


def sign_in(name: str, pin: str, now: DateTime, policy: Policy) -> AccountView:
    """The account if the PIN is right; counts failures and locks after too many."""
    with database.atomic():
        account = _to_check(name, now)
        if account.pin_hash and verify_pin(pin, account.pin_hash):
            changes = {Account.failed_pins: 0, Account.locked_until: None}
            if _weaker_than_current(account.pin_hash):
                changes[Account.pin_hash] = hash_pin(pin)  # today's cost, now that we know the PIN
            Account.update(changes).where(Account.id == account.id).execute()
            audit.record(account.id, now, "sign_in", "account", account.id, changes={"method": ("", "pin")})
            return view(account)
        failures = account.failed_pins + 1
        changes = {Account.failed_pins: failures}
        audit.record(account.id, now, "sign_in_failed", "account", account.id)
        if failures >= policy.max_failed_pins:
            until = now.add(minutes=policy.lockout_minutes)
            changes.update({Account.failed_pins: 0, Account.locked_until: until})
            audit.record(account.id, now, "locked", "account", account.id, changes={"locked_until": ("", until)})
        Account.update(changes).where(Account.id == account.id).execute()
    if failures >= policy.max_failed_pins:
        raise AccountLocked(now.add(minutes=policy.lockout_minutes))
    raise SignInFailed(policy.max_failed_pins - failures)


def confirm_pin(name: str, pin: str, now: DateTime) -> AccountView:
    """The account if the PIN is right, on a database opened read-only (copy-to's source): a
    locked account stays locked, but nothing is recorded there — no failure count, no audit row
    (the command that needed it records who it was where it writes)."""
    account = _to_check(name, now)
    if account.pin_hash and verify_pin(pin, account.pin_hash):
        return view(account)
    raise SignInFailed(0)


def os_login() -> str:
    """The login of the process's real user id — LOGNAME and USER are whatever the caller set."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid with no passwd entry (containers) trusts no one
        return ""


def trusted_os_account(policy: Policy, now: DateTime, *, served: bool = False,
                       record: bool = True) -> AccountView | None:
    """The account the real OS login maps to (SSH sites), if active; audited as a sign-in (unless
    `record` is off: a database opened read-only).

    Never in the browser view: every visitor there runs as the server's OS user."""
    if served:
        return None
    login = os_login()
    name = policy.os_users.get(login) if login else None
    if not name:
        return None
    account = Account.get_or_none((Account.name == name) & Account.active)
    if account is None:
        return None
    if not record:
        return view(account)
    with database.atomic():
        audit.record(account.id, now, "sign_in", "account", account.id, changes={"method": ("", f"os:{login}")})
    return view(account)
