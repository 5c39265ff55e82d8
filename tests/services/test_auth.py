import pytest

from carcrm_tui.domain.policy import policy_from_dict
from carcrm_tui.services import auth
from carcrm_tui.services.errors import NotAllowed, NotFound, ValidationFailed
from carcrm_tui.store.models import Account, AuditLog
from tests.conftest import NOW

POLICY = policy_from_dict({"security": {"max_failed_pins": 5, "lockout_minutes": 15}})


def test_first_account_needs_nobody_then_managers_manage(database):
    admin = auth.add_account(None, "系统管理员", "admin", "0000", NOW)
    with pytest.raises(NotAllowed):
        auth.add_account(None, "李娜", "consultant", "1234", NOW)
    lina = auth.add_account(admin, "李娜", "consultant", "1234", NOW)
    with pytest.raises(NotAllowed):
        auth.add_account(lina, "张伟", "consultant", "1234", NOW)
    with pytest.raises(ValidationFailed) as err:
        auth.add_account(admin, "李娜", "consultant", "1234", NOW)
    assert err.value.errors["name"].code == "name_taken"


def test_pins_are_stored_only_as_salted_scrypt_hashes(database):
    auth.add_account(None, "李娜", "consultant", "1234", NOW)
    stored = Account.get(Account.name == "李娜").pin_hash
    assert stored.startswith("scrypt$") and "1234" not in stored
    assert auth.hash_pin("1234") != auth.hash_pin("1234")  # salted
    assert auth.verify_pin("1234", stored) and not auth.verify_pin("1235", stored)


@pytest.mark.parametrize("pin, ok", [("1234", True), ("12345678", True), ("123", False), ("123456789", False),
                                     ("correct horse", True), ("short", False)])
def test_pin_rules(pin, ok):
    if ok:
        auth.check_pin_rule(pin)
    else:
        with pytest.raises(Exception):
            auth.check_pin_rule(pin)


def test_five_wrong_pins_lock_the_account_for_a_while(database):
    auth.add_account(None, "李娜", "consultant", "1234", NOW)
    for remaining in (4, 3, 2, 1):
        with pytest.raises(auth.SignInFailed) as err:
            auth.sign_in("李娜", "0000", NOW, POLICY)
        assert err.value.remaining == remaining
    with pytest.raises(auth.AccountLocked) as err:
        auth.sign_in("李娜", "0000", NOW, POLICY)
    assert err.value.until == NOW.add(minutes=15)
    with pytest.raises(auth.AccountLocked):  # even the right PIN, while locked
        auth.sign_in("李娜", "1234", NOW.add(minutes=14), POLICY)
    assert auth.sign_in("李娜", "1234", NOW.add(minutes=16), POLICY).name == "李娜"
    actions = [a.action for a in AuditLog.select().where(AuditLog.entity == "account").order_by(AuditLog.id)]
    assert actions.count("sign_in_failed") == 5 and "locked" in actions and actions[-1] == "sign_in"


def test_disabled_accounts_cannot_sign_in(database):
    admin = auth.add_account(None, "管理员", "admin", "0000", NOW)
    auth.add_account(admin, "李娜", "consultant", "1234", NOW)
    auth.disable(admin, "李娜", NOW)
    with pytest.raises(NotFound):
        auth.sign_in("李娜", "1234", NOW, POLICY)
    assert [a.name for a in auth.signable_accounts()] == ["管理员"]


def test_set_pin_own_or_by_a_manager(database):
    admin = auth.add_account(None, "管理员", "admin", "0000", NOW)
    lina = auth.add_account(admin, "李娜", "consultant", "1234", NOW)
    zw = auth.add_account(admin, "张伟", "consultant", "1234", NOW)
    auth.set_pin(lina, "李娜", "4321", NOW)
    assert auth.sign_in("李娜", "4321", NOW, POLICY)
    with pytest.raises(NotAllowed):
        auth.set_pin(zw, "李娜", "9999", NOW)
    auth.set_pin(admin, "李娜", "5678", NOW)
    assert auth.sign_in("李娜", "5678", NOW, POLICY)


def test_trusted_os_logins_map_to_accounts(database):
    auth.add_account(None, "李娜", "consultant", "1234", NOW)
    policy = policy_from_dict({"security": {"os_users": {"lina": "李娜", "ghost": "无此人"}}})
    assert auth.trusted_os_account("lina", policy).name == "李娜"
    assert auth.trusted_os_account("ghost", policy) is None
    assert auth.trusted_os_account("root", policy) is None
