"""Accounts and sign-in for shared showroom terminals.

PINs (4–8 digits) or passphrases (8+ characters) are stored only as salted
scrypt hashes. Too many wrong PINs lock the account for a while; every
sign-in, failure and lock lands in the audit trail. Managing accounts needs a
manager or admin, except for the very first account of a new database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from pendulum import DateTime

from carcrm_tui.domain.policy import Policy
from carcrm_tui.domain.validation import Invalid, clean_text
from carcrm_tui.services import audit
from carcrm_tui.services.accounts import view
from carcrm_tui.services.errors import NotAllowed, NotFound, ServiceError, ValidationFailed
from carcrm_tui.services.views import AccountView
from carcrm_tui.store.models import Account, database

ROLES = ("consultant", "manager", "admin")
SCRYPT = dict(n=2**14, r=8, p=1, dklen=32)  # ~50 ms per check: cheap for a person, dear for a guesser


def check_pin_rule(pin: str) -> None:
    if pin.isdigit():
        if not 4 <= len(pin) <= 8:
            raise Invalid("pin_digits")
    elif len(pin) < 8:
        raise Invalid("pin_short")


def hash_pin(pin: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), **SCRYPT)
    return hmac.compare_digest(got, base64.b64decode(digest))


class SignInFailed(ServiceError):
    code = "wrong_pin"

    def __init__(self, remaining: int) -> None:
        super().__init__(remaining)
        self.remaining = remaining


@dataclass
class AccountLocked(ServiceError):
    until: DateTime
    code = "account_locked"


def _manager_or_admin(actor: AccountView | None) -> None:
    if actor is None or actor.role not in ("manager", "admin") or not actor.active:
        raise NotAllowed()


def has_accounts() -> bool:
    return Account.select().exists()


def signable_accounts() -> list[AccountView]:
    """Who can be picked on the sign-in screen (active accounts, by name)."""
    return [view(a) for a in Account.select().where(Account.active).order_by(Account.name)]


def add_account(actor: AccountView | None, name: str, role: str, pin: str, now: DateTime,
                seniority: int = 0) -> AccountView:
    errors: dict[str, Invalid] = {}
    try:
        name = clean_text(name, field="name", limit=64, required=True)
    except Invalid as e:
        errors["name"] = e
    if role not in ROLES:
        errors["role"] = Invalid("choose_one", field="role")
    try:
        check_pin_rule(pin)
    except Invalid as e:
        errors["pin"] = e
    if errors:
        raise ValidationFailed(errors)
    with database.atomic():
        if has_accounts():
            _manager_or_admin(actor)
        if Account.select().where(Account.name == name).exists():
            raise ValidationFailed({"name": Invalid("name_taken", name=name)})
        new_id = Account.insert(name=name, role=role, seniority=seniority, active=True, created_at=now,
                                pin_hash=hash_pin(pin)).execute()
        audit.record(actor.id if actor else new_id, now, "create", "account", new_id,
                     changes={"name": ("", name), "role": ("", role)})
    return view(Account.get_by_id(new_id))


def set_pin(actor: AccountView, name: str, pin: str, now: DateTime) -> None:
    """Your own PIN, or anyone's for a manager/admin; clears a lockout."""
    check_pin_rule(pin)
    with database.atomic():
        account = Account.get_or_none(Account.name == name)
        if account is None:
            raise NotFound(name)
        if account.id != actor.id:
            _manager_or_admin(actor)
        Account.update(pin_hash=hash_pin(pin), failed_pins=0, locked_until=None).where(
            Account.id == account.id).execute()
        audit.record(actor.id, now, "set_pin", "account", account.id)


def disable(actor: AccountView, name: str, now: DateTime) -> None:
    with database.atomic():
        _manager_or_admin(actor)
        account = Account.get_or_none(Account.name == name)
        if account is None:
            raise NotFound(name)
        Account.update(active=False).where(Account.id == account.id).execute()
        audit.record(actor.id, now, "update", "account", account.id, changes={"active": (True, False)})


def sign_in(name: str, pin: str, now: DateTime, policy: Policy) -> AccountView:
    """The account if the PIN is right; counts failures and locks after too many."""
    with database.atomic():
        account = Account.get_or_none((Account.name == name) & Account.active)
        if account is None:
            raise NotFound(name)
        if account.locked_until is not None and account.locked_until > now:
            raise AccountLocked(account.locked_until)
        if account.pin_hash and verify_pin(pin, account.pin_hash):
            Account.update(failed_pins=0, locked_until=None).where(Account.id == account.id).execute()
            audit.record(account.id, now, "sign_in", "account", account.id)
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


def trusted_os_account(os_login: str, policy: Policy) -> AccountView | None:
    """The account a trusted OS login maps to (SSH sites), if it is active."""
    name = policy.os_users.get(os_login)
    if not name:
        return None
    account = Account.get_or_none((Account.name == name) & Account.active)
    return view(account) if account else None
