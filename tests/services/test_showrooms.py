"""A dealer group: showrooms on one database, each showroom's people in their own showroom,
group managers across all of them (or the one they choose) — on SQLite and PostgreSQL."""

from dataclasses import replace

import pytest

from carcrm_tui.services import (
    accounts, auth, board, customers, late, merge, metrics, reassign, search, showrooms, today, walkins,
)
from carcrm_tui.services.errors import NotAllowed, NotFound, Rejected, ValidationFailed
from carcrm_tui.services.views import WalkInInput
from carcrm_tui.store.models import Customer, Lead
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def group(database):
    """东城店 (the first showroom) and 西城店, a manager and a consultant in each, a group manager."""
    admin = auth.add_account(None, "管理员", "admin", "240613", NOW)
    showrooms.rename(admin, showrooms.all_showrooms()[0].name, "东城店", NOW)
    showrooms.add(admin, "西城店", NOW)
    for name, role, room in (("东经理", "manager", "东城店"), ("西经理", "manager", "西城店"),
                             ("李娜", "consultant", "东城店"), ("张伟", "consultant", "西城店"),
                             ("总经理", "group_manager", None)):
        auth.add_account(admin, name, role, "486213" if role != "consultant" else "4831", NOW, showroom=room)
    east, west = showrooms.find("东城店"), showrooms.find("西城店")
    lina, zw = (accounts.find(n) for n in ("李娜", "张伟"))
    out = {}
    for who, room, phone in (("lina", east, "13800001111"), ("zw", west, "13900002222")):
        owner = lina if who == "lina" else zw
        c = Customer.create(name=f"{who}的客户", phone=f"+86{phone}", phone_digits=phone, owner=owner.id,
                            showroom=room, created_at=NOW, updated_at=NOW)
        ld = factory.lead(c, grade="A", stage="needs", showroom=room, owner=owner.id)
        factory.due(ld, NOW.subtract(hours=1))
        out[who] = (c, ld)
    return out


def ids(hits):
    return {h.customer_id for h in hits}


def test_a_showrooms_manager_sees_that_showroom_only(group):
    east_customer, east_lead = group["lina"]
    west_customer, _ = group["zw"]
    s = session_for("东经理")
    assert ids(search.search(s, "的客户")) == {east_customer.id}
    assert customers.detail(s, east_customer.id).name == "lina的客户"
    with pytest.raises(NotFound):
        customers.detail(s, west_customer.id)
    assert sum(t.count for t in board.summary(s).cells.values()) == 1
    assert {r.customer_name for r in late.report(s).quiet + late.report(s).stale} <= {"lina的客户"}
    snap = metrics.snapshot(s, metrics.month("2026-03"))
    assert [row.consultant for row in snap.leaderboard] == ["李娜"]


def test_a_group_manager_sees_every_showroom_or_the_one_chosen(group):
    east_customer, _ = group["lina"]
    west_customer, _ = group["zw"]
    s = session_for("总经理")
    assert ids(search.search(s, "的客户")) == {east_customer.id, west_customer.id}
    assert sum(t.count for t in board.summary(s).cells.values()) == 2
    west_only = replace(s, showroom=showrooms.find("西城店"))
    assert ids(search.search(west_only, "的客户")) == {west_customer.id}
    assert sum(t.count for t in board.summary(west_only).cells.values()) == 1
    with pytest.raises(NotFound):
        customers.detail(west_only, east_customer.id)
    assert customers.detail(s, east_customer.id).showroom == "东城店"


def test_one_phone_may_be_a_customer_in_two_showrooms(group):
    east_customer, _ = group["lina"]
    # the east's customer walks into the west showroom: a new customer there, not a be-back
    assert walkins.find_by_phone(session_for("张伟"), "13800001111") is None
    made = walkins.register_walkin(session_for("张伟"), WalkInInput(phone="13800001111", name="同一人"))
    assert Customer.get_by_id(made.customer_id).showroom_id == showrooms.find("西城店")
    assert Lead.get_by_id(made.lead_id).showroom_id == showrooms.find("西城店")
    s = session_for("总经理")
    assert customers.detail(s, east_customer.id).also_in == ("西城店",)  # "also a customer of 西城店"
    assert customers.detail(s, made.customer_id).also_in == ("东城店",)
    assert customers.detail(session_for("东经理"), east_customer.id).also_in == ()  # not the showroom's business
    with pytest.raises(Rejected) as err:  # two showrooms, two records: never merged into one
        merge.merge(s, east_customer.id, made.customer_id)
    assert err.value.code == "merge_other_showroom"


def test_a_showrooms_records_stay_in_it(group):
    _, east_lead = group["lina"]
    with pytest.raises(ValidationFailed) as err:
        reassign.reassign(session_for("总经理"), ["张伟"], lead_ids=[east_lead.id])
    assert err.value.errors["to"].code == "other_showroom"
    with pytest.raises(ValidationFailed):
        reassign.reassign(session_for("东经理"), ["张伟"], lead_ids=[east_lead.id])
    assert reassign.consultants(session_for("东经理")) == ["李娜"]
    assert set(reassign.consultants(session_for("总经理"))) == {"李娜", "张伟"}
    assert [r.customer_id for g in today.today(session_for("张伟")).groups.values() for r in g] == \
        [group["zw"][0].id]


def test_accounts_belong_to_a_showroom_and_managers_manage_their_own(group):
    admin = accounts.find("管理员")
    with pytest.raises(ValidationFailed) as err:  # several showrooms: say which
        auth.add_account(admin, "刘洋", "consultant", "6172", NOW)
    assert err.value.errors["showroom"].code == "choose_showroom"
    with pytest.raises(ValidationFailed):
        auth.add_account(admin, "刘洋", "consultant", "6172", NOW, showroom="南城店")
    made = auth.add_account(accounts.find("西经理"), "刘洋", "consultant", "6172", NOW)
    assert made.showroom_id == showrooms.find("西城店")  # a manager adds to their own showroom
    with pytest.raises(NotAllowed):
        auth.set_pin(accounts.find("东经理"), "刘洋", "7053", NOW)  # not another showroom's people
    auth.set_pin(accounts.find("总经理"), "刘洋", "7053", NOW)  # the group manager, yes
    assert accounts.find("总经理").showroom_id is None
    rooms = {r.name: (r.people, r.customers) for r in showrooms.all_showrooms()}
    assert rooms == {"东城店": (2, 1), "西城店": (3, 1)}


def test_moving_someone_to_another_role_ends_their_session(group):
    lina = accounts.find("李娜")
    auth.set_role(accounts.find("管理员"), "李娜", "group_manager", NOW)
    assert not auth.still_valid(lina)
    assert accounts.find("李娜").showroom_id is None
