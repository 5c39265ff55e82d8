"""The server tells listeners of commits to the audit trail (schema 12): at commit, never for a rollback."""

from __future__ import annotations

import pytest

from carcrm_tui.services import audit
from carcrm_tui.store import migrations, notify
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.store.models import database as proxy
from tests import factory
from tests.conftest import NOW


@pytest.fixture
def listener(pg_database):
    one = notify.listener_for(pg_database)
    one.connect()
    yield one
    one.close()


def _record(actor_id: int, n: int = 1) -> None:
    for _ in range(n):
        audit.record(actor_id, NOW, "update", "customer", 1, changes={"notes": ("", "x")})


def test_a_commit_is_told_with_its_newest_audit_id(pg_database, listener):
    account = factory.account("李娜")
    with proxy.atomic():
        _record(account.id, 3)  # three statements, one transaction: one answer, the newest id
    newest = audit.last_change()
    assert listener.wait(5) == newest
    assert listener.wait(0.2) is None  # nothing more


def test_nothing_is_told_before_the_commit_nor_for_a_rollback(pg_database, listener):
    account = factory.account("李娜")
    with proxy.atomic() as tx:
        _record(account.id)
        assert listener.wait(0.3) is None  # written, not committed: not told yet
        tx.rollback()
    assert listener.wait(0.3) is None


def test_a_new_database_and_an_upgraded_one_have_the_trigger(pg_database):
    assert notify.installed(pg_database)
    pg_database.execute_sql("DROP TRIGGER audit_log_notify ON audit_log")
    # the version before the step that installs the trigger
    before = next(v for v, step in migrations.STEPS.items() if step.__name__.endswith("_change_notices")) - 1
    pg_database.execute_sql(f"UPDATE schema_version SET version = {before}")
    assert migrations.upgrade(pg_database) == before
    assert notify.installed(pg_database) and migrations.current_version(pg_database) == migrations.LATEST


def test_a_sqlite_file_has_no_listener(database):
    assert notify.listener_for(database) is None and not notify.installed(database)
    assert audit.change_listener() is None


def test_an_unreachable_server_is_a_fault_without_its_password(pg_database):
    one = notify.Listener({**notify.listener_for(pg_database).params, "port": 1, "password": "s3cret-pw"})
    with pytest.raises(StorageFault) as caught:
        one.connect()
    assert caught.value.kind == "unavailable" and "s3cret-pw" not in str(caught.value)
    assert not one.connected
    with pytest.raises(StorageFault):
        one.wait(0.1)
