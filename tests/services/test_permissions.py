"""No path around visibility: every read and write, as a consultant, a colleague and a manager."""

import pytest

from carcrm_tui.services import audit, board, contacts, customers, search, today, walkins
from carcrm_tui.services.errors import NotAllowed, NotFound
from carcrm_tui.services.views import ContactInput
from carcrm_tui.store.models import AuditLog, Lead
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def shop(database):
    lina = factory.account("李娜")
    factory.account("张伟")
    factory.account("王经理", role="manager")
    factory.account("管理员", role="admin")
    c = factory.customer(lina, "客户甲", phone="13812345678")
    ld = factory.lead(c, grade="H")
    Lead.update(deal_price=188_000).where(Lead.id == ld.id).execute()
    factory.due(ld, NOW.subtract(hours=1))
    return c, ld


def test_a_colleague_reaches_nothing(shop):
    c, ld = shop
    s = session_for("张伟")
    for call in (lambda: customers.detail(s, c.id),
                 lambda: customers.detail(s, c.id, reveal=True),
                 lambda: customers.update(s, c.id, {"notes": "x"}, base={"notes": ""}),
                 lambda: contacts.log_contact(s, ld.id, ContactInput(summary="x")),
                 lambda: board.move(s, ld.id, 1, +1),
                 lambda: board.mark_lost(s, ld.id, 1, "budget")):
        with pytest.raises(NotFound):
            call()
    assert search.search(s, "客户甲") == [] and search.search(s, "5678") == []
    assert all(not rows for rows in today.today(s).groups.values())
    assert board.summary(s).cells == {} and board.page(s, "needs") == []
    assert not walkins.find_by_phone(s, "13812345678").visible
    assert Lead.get_by_id(ld.id).version == 1


def test_owner_and_manager_see_the_deal_price_admin_does_not(shop):
    c, _ = shop
    assert customers.detail(session_for("李娜"), c.id).lead.deal_price == 188_000
    assert customers.detail(session_for("王经理"), c.id).lead.deal_price == 188_000
    assert customers.detail(session_for("管理员"), c.id).lead.deal_price is None


def test_phones_are_masked_in_lists_and_revealed_on_request_with_an_audit_row(shop):
    c, _ = shop
    s = session_for("李娜")
    assert search.search(s, "客户甲")[0].phone == "138****5678"
    assert today.today(s).groups[next(iter(today.today(s).groups))][0].phone == "138****5678"
    assert customers.detail(s, c.id).phone == "138****5678"
    assert customers.detail(s, c.id, reveal=True).phone == "+8613812345678"
    row = AuditLog.get(AuditLog.action == "reveal")
    assert (row.customer_id, row.actor_id) == (c.id, c.owner_id)


def test_every_change_is_audited_with_old_and_new(shop):
    c, ld = shop
    s = session_for("李娜")
    contacts.log_contact(s, ld.id, ContactInput(summary="回访", grade="A"))
    board.move(s, ld.id, 2, +1)
    customers.update(s, c.id, {"name": "客户乙"}, base={"name": "客户甲"})
    trail = [(a.action, a.field, a.old, a.new) for a in AuditLog.select().order_by(AuditLog.id)]
    assert ("log_contact", "summary", "", "回访") in trail
    assert ("update", "grade", "H", "A") in trail
    assert ("move", "stage", "needs", "presentation") in trail
    assert ("update", "name", "客户甲", "客户乙") in trail
    history = audit.customer_history(session_for("王经理"), c.id)
    assert history[0].field == "name" and history[0].actor == "李娜"
    with pytest.raises(NotAllowed):
        audit.customer_history(s, c.id)


def test_a_refused_change_leaves_no_audit_row(shop):
    c, _ = shop
    customers.update(session_for("王经理"), c.id, {"notes": "经理"}, base={"notes": ""})
    before = AuditLog.select().count()
    with pytest.raises(Exception):
        customers.update(session_for("李娜"), c.id, {"notes": "旧版本"}, base={"notes": ""})
    assert AuditLog.select().count() == before
