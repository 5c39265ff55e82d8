import pytest

from carcrm_tui.services import customers, search
from carcrm_tui.services.errors import Conflict, NotFound, ValidationFailed
from carcrm_tui.store.models import Customer, Lead
from tests import factory
from tests.conftest import session_for


@pytest.fixture
def record(database):
    me = factory.account("李娜")
    factory.account("张伟")
    factory.account("王经理", role="manager")
    v = factory.vehicle("汉", 209_800)
    c = factory.customer(me, "张伟", phone="13800138000")
    ld = factory.lead(c, vehicle_id=v.id)
    return c, ld, v


def test_detail_shows_the_record_and_its_lead(record):
    c, ld, v = record
    d = customers.detail(session_for("李娜"), c.id)
    assert d.name == "张伟" and d.lead.id == ld.id and d.lead.vehicle.series == "汉"


def test_edit_parses_every_field_and_bumps_versions(record):
    c, ld, _ = record
    d = customers.update(session_for("李娜"), c.id, 1,
                         {"phone": "139-1111-2222", "budget": "15-20万", "birthday": "1988年5月20日",
                          "focus_points": "price,space", "urgency": "mid"},
                         lead_id=ld.id, lead_version=1)
    assert d.phone == "139****2222" and d.version == 2  # masked until revealed
    assert (d.lead.budget_min, d.lead.budget_max, d.lead.version) == (150_000, 200_000, 2)
    assert d.lead.focus_points == ("price", "space") and d.birthday.isoformat() == "1988-05-20"
    assert Customer.get_by_id(c.id).phone_digits == "13911112222"


def test_one_bad_field_saves_nothing(record):
    c, ld, _ = record
    with pytest.raises(ValidationFailed) as err:
        customers.update(session_for("李娜"), c.id, 1, {"name": "新名字", "phone": "12", "budget": "20-10万"},
                         lead_id=ld.id, lead_version=1)
    assert set(err.value.errors) == {"phone", "budget"}
    assert Customer.get_by_id(c.id).name == "张伟"


def test_second_terminal_with_an_old_version_gets_a_conflict(record):
    c, ld, _ = record
    customers.update(session_for("王经理"), c.id, 1, {"notes": "经理备注"})
    with pytest.raises(Conflict) as err:
        customers.update(session_for("李娜"), c.id, 1, {"notes": "我的备注"})
    assert err.value.who == "王经理"
    assert Customer.get_by_id(c.id).notes == "经理备注"


def test_phone_of_another_customer_is_refused(record):
    c, _, _ = record
    other = factory.customer(c.owner, "李四", phone="13700000000")
    with pytest.raises(ValidationFailed) as err:
        customers.update(session_for("李娜"), other.id, 1, {"phone": "13800138000"})
    assert err.value.errors["phone"].code == "phone_known"


def test_consultants_only_see_their_own_customers(record):
    c, _, _ = record
    with pytest.raises(NotFound):
        customers.detail(session_for("张伟"), c.id)
    assert customers.detail(session_for("王经理"), c.id).id == c.id


def test_search_by_name_phone_fragment_and_tail_scoped_to_the_actor(record):
    c, _, _ = record
    factory.customer(factory.account("刘洋"), "张伟强", phone="13900001234")
    s = session_for("李娜")
    assert [h.customer_id for h in search.search(s, "张伟")] == [c.id]
    assert [h.customer_id for h in search.search(s, "8000")] == [c.id]
    assert [h.matched for h in search.search(s, "138 0013")] == ["phone"]
    assert search.search(s, "%") == [] and search.search(s, "'; DROP TABLE customer;--") == []
    names = [h.name for h in search.search(session_for("王经理"), "张伟")]
    assert names == ["张伟", "张伟强"]  # exact name first
    assert Lead.select().count() == 1


def test_referrer_is_found_by_phone_recorded_and_counted(record):
    from carcrm_tui.store.models import AuditLog

    cust = record[0]
    owner = factory.customer(cust.owner, "老车主", phone="13900001111")
    s = session_for("李娜")
    with pytest.raises(ValidationFailed) as e:
        customers.update(s, cust.id, cust.version, {"referrer": "139 0000 2222"})
    assert set(e.value.errors) == {"referrer"} and Customer.get_by_id(cust.id).version == cust.version
    with pytest.raises(ValidationFailed) as e:
        customers.update(s, cust.id, cust.version, {"referrer": cust.phone_digits})
    assert e.value.errors["referrer"].code == "referrer_self"
    d = customers.update(s, cust.id, cust.version, {"referrer": "139-0000-1111"})
    assert Customer.get_by_id(cust.id).referred_by_id == owner.id and d.referrer_name == "老车主"
    assert d.referrer_phone != "+8613900001111"  # masked unless revealed
    assert customers.detail(s, owner.id).referrals == 1
    row = AuditLog.select().where(AuditLog.field == "referred_by").get()
    assert (row.old, row.new) == ("", str(owner.id))
    customers.update(s, cust.id, cust.version + 1, {"referrer": ""})
    assert Customer.get_by_id(cust.id).referred_by_id is None
