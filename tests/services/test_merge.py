import pytest

from carcrm_tui.services import complaints, merge
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.store.models import AuditLog, Customer, CustomerTag, FollowUp, Lead
from tests import factory
from tests.conftest import NOW, session_for


def test_manager_merges_two_records_keeping_everything(database):
    lina = factory.account("李娜")
    factory.account("王经理", role="manager")
    keep = factory.customer(lina, "张伟", phone="13800000001")
    drop = factory.customer(lina, "张 伟", phone="13900000002")
    Customer.update(wechat="zw_wx").where(Customer.id == drop.id).execute()
    for c in (keep, drop):
        factory.due(factory.lead(c), NOW.add(days=1))
    CustomerTag.create(customer=drop.id, tag="家庭用户")
    complaints.open_complaint(session_for("李娜"), drop.id, "phone", "service", "等太久", "service")
    with pytest.raises(NotAllowed):
        merge.merge(session_for("李娜"), keep.id, drop.id)
    merge.merge(session_for("王经理"), keep.id, drop.id, {"wechat", "phone2"} - {"phone2"})
    assert Customer.get_or_none(Customer.id == drop.id) is None
    survivor = Customer.get_by_id(keep.id)
    assert (survivor.name, survivor.phone, survivor.wechat) == ("张伟", "+8613800000001", "zw_wx")
    assert Lead.select().where(Lead.customer == keep.id).count() == 2
    assert FollowUp.select().count() == 2
    assert [t.tag for t in CustomerTag.select().where(CustomerTag.customer == keep.id)] == ["家庭用户"]
    assert complaints.for_customer(session_for("王经理"), keep.id)[0].description == "等太久"
    assert AuditLog.select().where((AuditLog.action == "merge") & (AuditLog.customer_id == keep.id)).exists()
    assert not AuditLog.select().where(AuditLog.customer_id == drop.id).exists()
