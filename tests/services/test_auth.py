"""Accounts, PINs and sign-in: who may manage whom, PINs that hold, trust that cannot be faked."""

import os
import pwd

import pytest

from carcrm_tui.domain.policy import policy_from_dict
from carcrm_tui.services import accounts, auth
from carcrm_tui.services.errors import NotAllowed, NotFound, ValidationFailed
from carcrm_tui.store.models import Account, AuditLog
from tests.conftest import NOW

POLICY = policy_from_dict({"security": {"max_failed_pins": 5, "lockout_minutes": 15}})
ADMIN_PIN, MANAGER_PIN = "240613", "860517"


@pytest.fixture
def site(database):
    """An admin, a manager and two consultants."""
    admin = auth.add_account(None, "管理员", "admin", ADMIN_PIN, NOW)
    manager = auth.add_account(admin, "王经理", "manager", MANAGER_PIN, NOW)
    lina = auth.add_account(manager, "李娜", "consultant", "4831", NOW)
    zw = auth.add_account(admin, "张伟", "consultant", "5294", NOW)
    return admin, manager, lina, zw


def test_the_first_account_is_the_admin_and_needs_nobody(database):
    with pytest.raises(ValidationFailed) as err:
        auth.add_account(None, "李娜", "consultant", "4831", NOW)
    assert err.value.errors["role"].code == "first_account_admin"
    admin = auth.add_account(None, "系统管理员", "admin", ADMIN_PIN, NOW)
    with pytest.raises(NotAllowed):  # from now on, someone allowed must act
        auth.add_account(None, "李娜", "consultant", "4831", NOW)
    lina = auth.add_account(admin, "李娜", "consultant", "4831", NOW)
    with pytest.raises(NotAllowed):
        auth.add_account(lina, "张伟", "consultant", "5294", NOW)
    with pytest.raises(ValidationFailed):
        auth.add_account(admin, "李娜", "consultant", "5294", NOW)


def test_a_manager_manages_consultants_only(site):
    admin, manager, lina, zw = site
    auth.add_account(manager, "刘洋", "consultant", "6172", NOW)
    for role in ("manager", "admin"):
        with pytest.raises(NotAllowed):
            auth.add_account(manager, f"新{role}", role, "975318", NOW)
    with pytest.raises(NotAllowed):  # not the admin's PIN …
        auth.set_pin(manager, "管理员", "864213", NOW)
    with pytest.raises(NotAllowed):  # … nor another manager's standing
        auth.set_active(manager, "管理员", False, NOW)
    auth.set_pin(manager, "李娜", "7053", NOW)  # a consultant's, yes
    assert auth.sign_in("李娜", "7053", NOW, POLICY).name == "李娜"
    with pytest.raises(NotAllowed):
        auth.set_role(manager, "李娜", "manager", NOW)  # roles are the admin's
    with pytest.raises(NotAllowed):
        auth.set_pin(zw, "李娜", "9427", NOW)


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(site):
    admin, manager, *_ = site
    with pytest.raises(ValidationFailed) as err:
        auth.set_role(admin, "管理员", "manager", NOW)
    assert err.value.errors["role"].code == "last_admin"
    auth.add_account(admin, "副管理员", "admin", "951846", NOW)
    second = accounts.find("副管理员")
    with pytest.raises(ValidationFailed):  # nobody disables themselves
        auth.set_active(admin, "管理员", False, NOW)
    auth.set_active(second, "管理员", False, NOW)
    with pytest.raises(ValidationFailed) as err:
        auth.set_active(second, "副管理员", False, NOW)
    assert err.value.errors["name"].code in ("disable_self", "last_admin")


@pytest.mark.parametrize("pin", ["0000", "1111", "1234", "4321", "7890", "111111", "123456", "654321", "121212",
                                 "123123", "112233", "password"])
def test_trivial_pins_are_refused(pin):
    with pytest.raises(Exception) as err:
        auth.check_pin_rule(pin, "consultant")
    assert getattr(err.value, "code", "") in ("pin_trivial", "pin_short", "pin_digits")


def test_managers_and_admins_need_six_digits_consultants_four():
    auth.check_pin_rule("4831", "consultant")
    auth.check_pin_rule("486213", "manager")
    for role in ("manager", "admin"):
        with pytest.raises(Exception) as err:
            auth.check_pin_rule("4831", role)
        assert err.value.code == "pin_digits"
    with pytest.raises(Exception):
        auth.check_pin_rule("483", "consultant")
    auth.check_pin_rule("长城汽车销售部 2026", "admin")  # a passphrase is fine when long enough
    with pytest.raises(Exception):
        auth.check_pin_rule("abcdefgh", "admin")


def test_pins_are_salted_costly_hashes_and_old_ones_are_upgraded_at_sign_in(site, monkeypatch):
    stored = Account.get(Account.name == "李娜").pin_hash
    scheme, n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, int(n), int(r)) == ("scrypt", auth.COST["n"], 8)
    assert auth.hash_pin("4831") != auth.hash_pin("4831") and "4831" not in stored
    assert auth.verify_pin("4831", stored) and not auth.verify_pin("4832", stored)
    assert auth.SITE_COST["n"] * auth.SITE_COST["r"] * 128 >= 128 * 2**20  # 128 MiB a guess (bench: the time)
    # a hash from before 0.6 (n = 2^14, no cost in the text) still works, and is rewritten on sign-in
    import base64
    import hashlib

    salt = os.urandom(16)
    legacy = "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(
        hashlib.scrypt(b"4831", salt=salt, n=2**14, r=8, p=1, dklen=32)).decode()
    Account.update(pin_hash=legacy).where(Account.name == "李娜").execute()
    monkeypatch.setattr(auth, "COST", {"n": 2**15, "r": 8, "p": 1})  # today's cost: stronger than 2^14
    assert auth.sign_in("李娜", "4831", NOW, POLICY).name == "李娜"
    assert Account.get(Account.name == "李娜").pin_hash.split("$")[1] == str(auth.COST["n"])


def test_five_wrong_pins_lock_the_account_and_everything_is_audited(site):
    for remaining in (4, 3, 2, 1):
        with pytest.raises(auth.SignInFailed) as err:
            auth.sign_in("李娜", "0000", NOW, POLICY)
        assert err.value.remaining == remaining
    with pytest.raises(auth.AccountLocked) as err:
        auth.sign_in("李娜", "0000", NOW, POLICY)
    assert err.value.until == NOW.add(minutes=15)
    with pytest.raises(auth.AccountLocked):  # even the right PIN, while locked
        auth.sign_in("李娜", "4831", NOW.add(minutes=14), POLICY)
    assert auth.sign_in("李娜", "4831", NOW.add(minutes=16), POLICY).name == "李娜"
    actions = [a.action for a in AuditLog.select().where(AuditLog.entity == "account").order_by(AuditLog.id)]
    assert actions.count("sign_in_failed") == 5 and "locked" in actions and actions[-1] == "sign_in"


def test_disabling_or_demoting_ends_open_sessions(site):
    admin, manager, lina, zw = site
    assert auth.still_valid(lina) and auth.still_valid(manager)
    auth.disable(admin, "李娜", NOW)
    assert not auth.still_valid(lina)
    with pytest.raises(NotFound):
        auth.sign_in("李娜", "4831", NOW, POLICY)
    assert "李娜" not in [a.name for a in auth.signable_accounts()]
    auth.set_role(admin, "王经理", "consultant", NOW)
    assert not auth.still_valid(manager)  # the session was opened as a manager
    auth.set_active(admin, "李娜", True, NOW)
    assert auth.sign_in("李娜", "4831", NOW, POLICY)


def test_trust_comes_from_the_real_user_id_not_from_environment_variables(site, monkeypatch):
    real = pwd.getpwuid(os.getuid()).pw_name
    policy = policy_from_dict({"security": {"os_users": {real: "李娜", "wang": "王经理"}}})
    monkeypatch.setenv("LOGNAME", "wang")
    monkeypatch.setenv("USER", "wang")
    trusted = auth.trusted_os_account(policy, NOW)
    assert trusted.name == "李娜"  # LOGNAME=wang would have been the manager
    row = AuditLog.select().where(AuditLog.action == "sign_in").order_by(AuditLog.id.desc()).first()
    assert row.actor_id == trusted.id and row.new == f"os:{real}"  # trusted sign-ins are audited
    assert auth.trusted_os_account(policy, NOW, served=True) is None  # never in the browser view
    other = policy_from_dict({"security": {"os_users": {"wang": "王经理"}}})
    assert auth.trusted_os_account(other, NOW) is None
