"""The late lists, hand-checked at a fixed clock."""

import pytest

from carcrm_tui.services import accounts, auth, late
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.store.models import Lead
from tests import factory
from tests.conftest import NOW, session_for


def test_late_lists_at_a_fixed_clock(database):
    lina, zw = factory.account("李娜"), factory.account("张伟")
    manager = factory.account("王经理", role="manager")
    # H walk-in created 40 minutes ago, never answered: 10 minutes past its 30-minute SLA
    h = factory.lead(factory.customer(lina, "等回复"), grade="H", at=NOW.subtract(minutes=40))
    # A lead last contacted 15 days ago (cadence 7: quiet after 14)
    quiet = factory.lead(factory.customer(lina, "沉默"), grade="A", last_contact=NOW.subtract(days=15))
    Lead.update(first_response_at=NOW.subtract(days=20)).where(Lead.id == quiet.id).execute()
    # A lead contacted 10 days ago is fine
    ok = factory.lead(factory.customer(zw, "正常"), grade="A", last_contact=NOW.subtract(days=10))
    Lead.update(first_response_at=NOW.subtract(days=20), updated_at=NOW.subtract(days=45)).where(Lead.id == ok.id).execute()
    for _ in range(3):
        factory.due(quiet, NOW.subtract(days=1))
    factory.due(ok, NOW.subtract(hours=1))
    auth.disable(accounts.view(manager), "张伟", NOW)

    r = late.report(session_for("王经理"))
    assert [(x.customer_name, x.minutes) for x in r.response] == [("等回复", 10)]
    assert r.overdue_by_consultant == [("李娜", 3), ("张伟", 1)]
    assert [(x.customer_name, x.minutes) for x in r.quiet] == [("沉默", 15)]
    assert [(x.customer_name, x.minutes) for x in r.stale] == [("正常", 45)]
    assert [x.customer_name for x in r.orphaned] == ["正常"]
    assert h.id in [x.lead_id for x in r.response]


def test_only_managers(database):
    factory.account("李娜")
    with pytest.raises(NotAllowed):
        late.report(session_for("李娜"))


def test_the_late_list_puts_the_worst_first(database):
    """An online enquiry (10 minutes) created later can be later than a walk-in's (a day)."""
    from carcrm_tui.services import late
    from carcrm_tui.store.models import Customer

    factory.account("王经理", role="manager")
    lina = factory.account("李娜")
    walk_in = factory.customer(lina, "到店客户")
    online = factory.customer(lina, "网上客户")
    Customer.update(source="autohome").where(Customer.id == online.id).execute()
    factory.lead(walk_in, grade="A", at=NOW.subtract(hours=30))   # 24 h to answer: 6 h late
    factory.lead(online, grade="A", at=NOW.subtract(hours=20))    # 10 minutes to answer: ~20 h late
    rows = late.report(session_for("王经理")).response
    assert [r.customer_name for r in rows] == ["网上客户", "到店客户"]
    assert rows[0].minutes > rows[1].minutes
