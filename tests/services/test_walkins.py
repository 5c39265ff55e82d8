import pytest

from carcrm_tui.domain.validation import Invalid
from carcrm_tui.services import walkins
from carcrm_tui.services.errors import ValidationFailed
from carcrm_tui.services.views import WalkInInput
from carcrm_tui.store.models import AuditLog, Customer, FollowUp, Lead, ShowroomVisit
from tests import factory
from tests.conftest import NOW, session_for


def test_new_walk_in_creates_customer_lead_and_first_follow_up(database):
    factory.account("李娜")
    v = factory.vehicle("汉", 209_800)
    created = walkins.register_walkin(session_for("李娜"), WalkInInput(
        phone="139 1234 5678", name="赵敏", vehicle_id=v.id, urgency="near", budget="20-25万", summary="看汉EV"))
    c = Customer.get_by_id(created.customer_id)
    assert (c.phone, c.phone_digits, c.source) == ("+8613912345678", "13912345678", "walk_in")
    lead = Lead.get_by_id(created.lead_id)
    assert (lead.stage, lead.grade, lead.budget_min, lead.budget_max, lead.expected_value) == (
        "reception", "A", 200_000, 250_000, 209_800)
    rows = list(FollowUp.select().where(FollowUp.lead == lead.id).order_by(FollowUp.id))
    assert [(f.channel, f.done_at is not None, f.purpose) for f in rows] == [
        ("visit", True, ""), ("phone", False, ""), ("wechat", False, "thank_you")]
    assert rows[1].due_at == NOW.add(hours=24)  # the first call
    assert rows[2].due_at == NOW.add(hours=2)  # the thank-you message after a visit
    visit = ShowroomVisit.get(ShowroomVisit.customer == c.id)
    assert (visit.kind, visit.at) == ("first", NOW)


def test_known_phone_is_a_be_back_in_any_format(database):
    me = factory.account("李娜")
    c = factory.customer(me, "王芳", phone="13912345678")
    match = walkins.find_by_phone(session_for("李娜"), "+86 139-1234-5678")
    assert match.customer_id == c.id and match.visible
    with pytest.raises(ValidationFailed) as err:
        walkins.register_walkin(session_for("李娜"), WalkInInput(phone="13912345678", name="王芳"))
    assert err.value.errors["phone"].code == "phone_known"
    assert Customer.select().count() == 1


def test_a_colleagues_customer_is_recognised_but_not_shown(database):
    other = factory.account("张伟")
    factory.account("李娜")
    factory.customer(other, "王芳", phone="13912345678")
    match = walkins.find_by_phone(session_for("李娜"), "13912345678")
    assert not match.visible and match.name == "" and match.owner_name == "张伟"


def test_bad_input_names_each_field_and_writes_nothing(database):
    factory.account("李娜")
    with pytest.raises(ValidationFailed) as err:
        walkins.register_walkin(session_for("李娜"), WalkInInput(phone="123", name="", budget="lots"))
    assert set(err.value.errors) == {"phone", "name", "budget"}
    assert Customer.select().count() == 0 and Lead.select().count() == 0
    with pytest.raises(Invalid):
        walkins.find_by_phone(session_for("李娜"), "not a phone")


def test_same_name_of_a_colleague_says_only_who_owns_it(database):
    lina = factory.account("李娜")
    zw = factory.account("张伟")
    factory.account("王经理", role="manager")
    theirs = factory.customer(zw, "王芳", phone="13912345678")
    factory.customer(lina, "王芳", phone="13700001111")
    matches = walkins.same_name(session_for("李娜"), "王芳")
    assert [(m.masked_phone, m.owner_name) for m in matches] == [("", "张伟"), ("137****1111", "李娜")]
    assert walkins.same_name(session_for("李娜"), "王") == []
    manager = walkins.same_name(session_for("王经理"), "王芳")
    assert [m.masked_phone for m in manager] == ["139****5678", "137****1111"]
    looked = AuditLog.select().where(AuditLog.action == "lookup")
    assert [(r.actor_id, r.entity_id) for r in looked] == [(lina.id, theirs.id)]  # audited, once
    walkins.same_name(session_for("李娜"), "王芳")  # typed again within the hour: not counted twice
    assert looked.count() == 1


def test_lookups_of_colleagues_customers_are_limited(database):
    from carcrm_tui.domain.policy import policy_from_dict
    from carcrm_tui.services.errors import Rejected

    factory.account("李娜")
    zw = factory.account("张伟")
    for n in range(4):
        factory.customer(zw, f"客户{n}", phone=f"1391234000{n}")
    policy = policy_from_dict({"security": {"lookups_per_hour": 3}})
    s = session_for("李娜", policy)
    for n in range(3):
        match = walkins.find_by_phone(s, f"1391234000{n}")
        assert (match.visible, match.name, match.owner_name) == (False, "", "张伟")
    with pytest.raises(Rejected) as err:
        walkins.find_by_phone(s, "13912340003")  # the number space cannot be walked
    assert err.value.code == "lookup_limit"
    later = session_for("李娜", policy, at=NOW.add(hours=2))
    assert walkins.find_by_phone(later, "13912340003").owner_name == "张伟"


def test_a_colleagues_be_back_is_a_visit_on_their_customer_and_they_are_told(database):
    from carcrm_tui.services import notices
    from carcrm_tui.store.models import ShowroomVisit

    factory.account("李娜")
    zw = factory.account("张伟")
    theirs = factory.customer(zw, "王芳", phone="13912345678")
    lead = factory.lead(theirs)
    owner = walkins.colleague_be_back(session_for("李娜"), "139 1234 5678")
    assert owner == "张伟"
    visit = ShowroomVisit.get()
    assert (visit.customer_id, visit.lead_id, visit.kind) == (theirs.id, lead.id, "be_back")
    told = notices.unread(session_for("张伟"))
    assert [(n.kind, n.customer_id, n.params["customer"], n.params["by"]) for n in told] == \
        [("be_back", theirs.id, "王芳", "李娜")]
    thank_you = FollowUp.get((FollowUp.lead == lead.id) & (FollowUp.purpose == "thank_you"))
    assert thank_you.owner_id == zw.id  # the owner thanks their customer
    assert notices.unread(session_for("李娜")) == []
