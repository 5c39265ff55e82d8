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


@pytest.fixture
def walk_in_duplicate(database):
    """张伟 registered a walk-in who turns out to be 李娜's customer (a classic 撞单)."""
    lina, zw = factory.account("李娜"), factory.account("张伟")
    factory.account("王经理", role="manager")
    keep = factory.customer(lina, "王芳", phone="13800002222")
    Customer.update(phone2="+8613700003333", phone2_digits="13700003333").where(Customer.id == keep.id).execute()
    drop = factory.customer(zw, "王芳", phone="13800001111")
    old = factory.lead(keep, grade="B", stage="needs")
    factory.due(old, NOW.add(days=3))
    new = factory.lead(drop, grade="A", stage="reception", owner=zw)
    factory.due(new, NOW.add(days=1))
    return lina, zw, keep, drop, old, new


def test_every_phone_survives_a_merge_and_finds_the_customer(walk_in_duplicate):
    from carcrm_tui.services import walkins
    from carcrm_tui.store.queries import customer_by_phone

    lina, zw, keep, drop, *_ = walk_in_duplicate
    merge.merge(session_for("王经理"), keep.id, drop.id)
    survivor = Customer.get_by_id(keep.id)
    assert (survivor.phone_digits, survivor.phone2_digits) == ("13800002222", "13700003333")
    from carcrm_tui.services import customers

    assert customers.more_phones(keep.id) == ("+8613800001111",)  # the walk-in's number is kept
    for number in ("13800002222", "13700003333", "13800001111"):
        assert customer_by_phone(number).id == keep.id
    from carcrm_tui.services import search

    assert [h.customer_id for h in search.search(session_for("王经理"), "00001111")] == [keep.id]
    match = walkins.find_by_phone(session_for("李娜"), "138 0000 1111")  # a be-back by that number
    assert (match.customer_id, match.visible) == (keep.id, True)


def test_one_open_lead_survives_the_other_is_closed_and_its_owner_told(walk_in_duplicate):
    from carcrm_tui.services import notices

    lina, zw, keep, drop, old, new = walk_in_duplicate
    merge.merge(session_for("王经理"), keep.id, drop.id)
    kept, closed = Lead.get_by_id(old.id), Lead.get_by_id(new.id)
    assert (kept.status, kept.owner_id, kept.customer_id) == ("open", lina.id, keep.id)  # the furthest along
    assert (closed.status, closed.customer_id) == ("merged", keep.id)  # history kept, off the board
    assert not FollowUp.select().where((FollowUp.lead == new.id) & FollowUp.done_at.is_null()).exists()
    told = notices.unread(session_for("张伟"))
    assert [(n.kind, n.params["customer"], n.params["into"]) for n in told] == [("lead_merged", "王芳", "王芳")]


def test_the_lead_the_manager_keeps_changes_hands_visibly(walk_in_duplicate):
    from carcrm_tui.services import notices

    lina, zw, keep, drop, old, new = walk_in_duplicate
    merge.merge(session_for("王经理"), keep.id, drop.id, keep_lead=new.id)
    kept = Lead.get_by_id(new.id)
    assert (kept.status, kept.owner_id) == ("open", lina.id)  # the surviving customer's owner follows it up
    assert FollowUp.get((FollowUp.lead == new.id) & FollowUp.done_at.is_null()).owner_id == lina.id
    assert Lead.get_by_id(old.id).status == "merged"
    assert [n.kind for n in notices.unread(session_for("张伟"))] == ["lead_handed_over"]
    received = {n.kind: n.params for n in notices.unread(session_for("李娜"))}
    assert received["lead_received"]["source"] == "张伟" and "lead_merged" in received  # her own lead closed


def test_a_colleagues_deal_terms_stay_theirs_after_a_merge(walk_in_duplicate):
    from carcrm_tui.services import customers

    lina, zw, keep, drop, old, new = walk_in_duplicate
    won = factory.lead(drop, grade="O", stage="delivery", owner=zw, status="won", deal_price=188_000, deposit=5_000)
    factory.due(won, NOW.add(days=30))  # an after-sales call
    merge.merge(session_for("王经理"), keep.id, drop.id)
    seen = {ld.id: ld for ld in customers.detail(session_for("李娜"), keep.id).leads}
    assert seen[won.id].owner_name == "张伟" and seen[won.id].deal_price is None and seen[won.id].deposit is None
    assert customers.detail(session_for("王经理"), keep.id).leads[0].deal_price == 188_000
    after_sales = FollowUp.get((FollowUp.lead == won.id) & FollowUp.done_at.is_null())
    assert after_sales.owner_id == lina.id  # whoever looks after the customer makes the call …
    from carcrm_tui.services import contacts
    from carcrm_tui.services.views import ContactInput

    contacts.log_contact(session_for("李娜"), won.id, ContactInput(summary="首保提醒", no_next=True))  # … and can


def test_the_merge_history_reads_in_words(walk_in_duplicate):
    from carcrm_tui.services import audit

    lina, zw, keep, drop, *_ = walk_in_duplicate
    merge.merge(session_for("王经理"), keep.id, drop.id, {"owner"})
    history = audit.customer_history(session_for("王经理"), keep.id)
    owner = next(e for e in history if e.field == "owner")
    assert (owner.old, owner.new) == ("李娜", "张伟")  # names, not account ids
    assert any(e.field == "merged" and "王芳" in e.old for e in history)


def test_merge_candidates_show_full_numbers_to_a_manager_and_are_audited(walk_in_duplicate):
    lina, zw, keep, drop, *_ = walk_in_duplicate
    hits = merge.candidates(session_for("王经理"), keep.id, "王芳")
    assert [(h.customer_id, h.phone) for h in hits] == [(drop.id, "+8613800001111")]
    assert AuditLog.select().where((AuditLog.action == "reveal") & (AuditLog.entity_id == drop.id)).count() == 1
    merge.candidates(session_for("王经理"), keep.id, "王芳")  # the same list again within the hour
    assert AuditLog.select().where((AuditLog.action == "reveal") & (AuditLog.entity_id == drop.id)).count() == 1
    with pytest.raises(NotAllowed):
        merge.candidates(session_for("李娜"), keep.id, "王芳")
