import pytest

from carcrm_tui.services import audit, reassign
from carcrm_tui.services.errors import NotAllowed, ValidationFailed
from carcrm_tui.store.models import AuditLog, Customer, FollowUp, Lead
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def team(database):
    leaving, a, b = factory.account("离职顾问"), factory.account("李娜"), factory.account("张伟")
    factory.account("王经理", role="manager")
    leads = []
    for i in range(6):
        lead = factory.lead(factory.customer(leaving, f"客户{i}"))
        factory.due(lead, NOW.add(days=1))
        leads.append(lead)
    return leaving, a, b, leads


def test_one_lead_moves_with_its_customer_and_open_follow_ups(team):
    _, a, _, leads = team
    moved = reassign.reassign(session_for("王经理"), ["李娜"], lead_ids=[leads[0].id])
    assert moved == 1
    assert Lead.get_by_id(leads[0].id).owner_id == a.id
    assert Customer.get_by_id(leads[0].customer_id).owner_id == a.id
    assert FollowUp.get(FollowUp.lead == leads[0].id).owner_id == a.id
    row = AuditLog.get(AuditLog.action == "reassign")
    assert (row.field, row.old, row.new) == ("owner", "离职顾问", "李娜")


def test_a_complaint_the_old_owner_handled_goes_with_the_customer(team):
    """Routed to the consultant who owned the customer, it would be stranded on their Today (they
    can no longer open the record); one routed to someone else, or already closed, stays."""
    from carcrm_tui.services import complaints
    from carcrm_tui.store.models import Complaint

    leaving, a, b, leads = team
    customer = leads[0].customer_id
    theirs = complaints.open_complaint(session_for("王经理"), customer, "phone", "service", "等太久", "service",
                                       assignee="离职顾问")
    elsewhere = complaints.open_complaint(session_for("王经理"), customer, "phone", "service", "洗车", "service",
                                          assignee="张伟")
    done = complaints.open_complaint(session_for("王经理"), customer, "phone", "sales", "报价慢", "sales",
                                     assignee="离职顾问")
    Complaint.update(status="closed").where(Complaint.id == done).execute()
    reassign.reassign(session_for("王经理"), ["李娜"], lead_ids=[leads[0].id])
    assert Complaint.get_by_id(theirs).assignee_id == a.id
    assert Complaint.get_by_id(elsewhere).assignee_id == b.id
    assert Complaint.get_by_id(done).assignee_id == leaving.id
    assert [c.id for c in complaints.assigned_to_me(session_for("李娜"))] == [theirs]


def test_a_leaving_consultants_book_round_robin(team):
    leaving, a, b, leads = team
    assert reassign.reassign(session_for("王经理"), ["李娜", "张伟"], from_account="离职顾问") == 6
    owners = [Lead.get_by_id(lead.id).owner_id for lead in leads]
    assert owners == [a.id, b.id] * 3
    assert Lead.select().where(Lead.owner == leaving.id).count() == 0


def test_only_managers_and_only_active_consultants(team):
    with pytest.raises(NotAllowed):
        reassign.reassign(session_for("李娜"), ["张伟"], from_account="离职顾问")
    with pytest.raises(ValidationFailed):
        reassign.reassign(session_for("王经理"), ["王经理"], from_account="离职顾问")


def test_a_thousand_leads_move_in_one_transaction(database, monkeypatch):
    leaving = factory.account("离职顾问")
    factory.account("李娜")
    factory.account("王经理", role="manager")
    for i in range(1000):
        factory.lead(factory.customer(leaving, f"客户{i}"))
    real = audit._insert
    calls = {"n": 0}

    def fail_at_the_end(**row):
        calls["n"] += 1
        if calls["n"] == 1000:
            raise RuntimeError("disk full")
        return real(**row)

    monkeypatch.setattr(audit, "_insert", fail_at_the_end)
    with pytest.raises(RuntimeError):
        reassign.reassign(session_for("王经理"), ["李娜"], from_account="离职顾问")
    assert Lead.select().where(Lead.owner == leaving.id).count() == 1000  # all or nothing
    monkeypatch.setattr(audit, "_insert", real)
    assert reassign.reassign(session_for("王经理"), ["李娜"], from_account="离职顾问") == 1000
    assert AuditLog.select().where(AuditLog.action == "reassign").count() == 1000
