import pytest

from carcrm_tui.services import customers, search
from carcrm_tui.services.errors import FieldConflicts, NotFound, ValidationFailed
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


BLANK = {"budget": "", "birthday": "", "focus_points": "", "urgency": "", "notes": "", "wechat": "", "email": "",
         "referrer": "", "name": "张伟", "phone": "138 0013 8000"}


def test_edit_parses_every_field_and_bumps_versions(record):
    c, ld, _ = record
    d = customers.update(session_for("李娜"), c.id,
                         {"phone": "139-1111-2222", "budget": "15-20万", "birthday": "1988年5月20日",
                          "focus_points": "price,space", "urgency": "mid"},
                         base=BLANK, lead_id=ld.id)
    assert d.phone == "139****2222" and d.version == 2  # masked until revealed
    assert (d.lead.budget_min, d.lead.budget_max, d.lead.version) == (150_000, 200_000, 2)
    assert d.lead.focus_points == ("price", "space") and d.birthday.isoformat() == "1988-05-20"
    assert Customer.get_by_id(c.id).phone_digits == "13911112222"


def test_one_bad_field_saves_nothing(record):
    c, ld, _ = record
    with pytest.raises(ValidationFailed) as err:
        customers.update(session_for("李娜"), c.id, {"name": "新名字", "phone": "12", "budget": "20-10万"},
                         base=BLANK, lead_id=ld.id)
    assert set(err.value.errors) == {"phone", "budget"}
    assert Customer.get_by_id(c.id).name == "张伟"


def test_a_field_both_changed_is_a_conflict_and_nothing_is_written(record):
    c, ld, _ = record
    customers.update(session_for("王经理"), c.id, {"notes": "经理备注"}, base=BLANK)
    with pytest.raises(FieldConflicts) as err:
        customers.update(session_for("李娜"), c.id, {"notes": "我的备注", "wechat": "lina_wx"}, base=BLANK)
    assert err.value.who == "王经理" and err.value.fields == ("notes",)
    row = Customer.get_by_id(c.id)
    assert (row.notes, row.wechat) == ("经理备注", "")  # not even the field that did not clash
    # the user chose theirs for notes: the form sends only WeChat, on top of the newer record
    customers.update(session_for("李娜"), c.id, {"wechat": "lina_wx"}, base=BLANK)
    row = Customer.get_by_id(c.id)
    assert (row.notes, row.wechat) == ("经理备注", "lina_wx")


def test_a_colleagues_change_to_another_field_survives_a_save(record):
    """李娜 sets the e-mail; 王建国's form was open on the old record and only changes WeChat."""
    c, ld, _ = record
    opened = dict(BLANK)  # both forms opened on the same record
    customers.update(session_for("李娜"), c.id, {"email": "zw@example.com"}, base=opened)
    customers.update(session_for("王经理"), c.id, {"wechat": "zhangwei88"}, base=opened)
    row = Customer.get_by_id(c.id)
    assert (row.email, row.wechat) == ("zw@example.com", "zhangwei88")  # her e-mail was never written over
    assert row.version == 3


def test_the_same_value_saved_twice_is_no_conflict(record):
    c, ld, _ = record
    customers.update(session_for("王经理"), c.id, {"budget": "20-25万"}, base=BLANK, lead_id=ld.id)
    customers.update(session_for("李娜"), c.id, {"budget": "200000-250000"}, base=BLANK, lead_id=ld.id)
    lead = Lead.get_by_id(ld.id)
    assert (lead.budget_min, lead.budget_max, lead.version) == (200_000, 250_000, 2)


def test_lead_fields_merge_field_by_field_too(record):
    c, ld, _ = record
    customers.update(session_for("王经理"), c.id, {"urgency": "near"}, base=BLANK, lead_id=ld.id)
    customers.update(session_for("李娜"), c.id, {"budget": "15-20万"}, base=BLANK, lead_id=ld.id)
    lead = Lead.get_by_id(ld.id)
    assert (lead.urgency, lead.budget_max) == ("near", 200_000)
    with pytest.raises(FieldConflicts) as err:
        customers.update(session_for("李娜"), c.id, {"urgency": "far"}, base=BLANK, lead_id=ld.id)
    assert err.value.fields == ("urgency",) and Lead.get_by_id(ld.id).urgency == "near"


def test_phone_of_another_customer_is_refused(record):
    c, _, _ = record
    other = factory.customer(c.owner, "李四", phone="13700000000")
    with pytest.raises(ValidationFailed) as err:
        customers.update(session_for("李娜"), other.id, {"phone": "13800138000"}, base={"phone": "137 0000 0000"})
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
        customers.update(s, cust.id, {"referrer": "139 0000 2222"}, base=BLANK)
    assert set(e.value.errors) == {"referrer"} and Customer.get_by_id(cust.id).version == cust.version
    with pytest.raises(ValidationFailed) as e:
        customers.update(s, cust.id, {"referrer": cust.phone_digits}, base=BLANK)
    assert e.value.errors["referrer"].code == "referrer_self"
    d = customers.update(s, cust.id, {"referrer": "139-0000-1111"}, base=BLANK)
    assert Customer.get_by_id(cust.id).referred_by_id == owner.id and d.referrer_name == "老车主"
    assert d.referrer_phone != "+8613900001111"  # masked unless revealed
    assert customers.detail(s, owner.id).referrals == 1
    row = AuditLog.select().where(AuditLog.field == "referred_by").get()
    assert (row.old, row.new) == ("", str(owner.id))
    customers.update(s, cust.id, {"referrer": ""}, base={"referrer": "139 0000 1111"})
    assert Customer.get_by_id(cust.id).referred_by_id is None
