import datetime

import pendulum
import pytest

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import contacts
from carcrm_tui.services.errors import NotFound, ValidationFailed
from carcrm_tui.services.views import ContactInput
from carcrm_tui.store.models import FollowUp, Lead
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def world(database):
    me = factory.account("李娜")
    factory.account("张伟")
    ld = factory.lead(factory.customer(me), grade="H")
    due = factory.due(ld, NOW.subtract(hours=3))
    return ld, due


def test_logging_closes_the_due_follow_up_and_schedules_the_next_by_cadence(world):
    ld, due = world
    result = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="约周六试驾", feedback="很满意", attitude="positive"))
    closed = FollowUp.get_by_id(due.id)
    assert closed.done_at == NOW and closed.summary == "约周六试驾" and closed.feedback == "很满意"
    nxt = FollowUp.get_by_id(result.next_id)
    assert nxt.done_at is None and nxt.due_at == NOW.add(days=2)  # H: every 2 days
    lead = Lead.get_by_id(ld.id)
    assert lead.last_contact_at == NOW and lead.first_response_at == NOW
    assert FollowUp.select().where(FollowUp.done_at.is_null()).count() == 1


@pytest.mark.parametrize("days, expected", [(1, 1), (3, 3), (7, 7)])
def test_quick_choices(world, days, expected):
    ld, _ = world
    result = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="x", next_in_days=days))
    assert result.next_due == NOW.add(days=expected)


def test_a_picked_date_is_10_local_and_a_grade_change_changes_the_cadence(world):
    ld, _ = world
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="x", next_on=pendulum.date(2026, 3, 20)))
    assert r.next_due == pendulum.datetime(2026, 3, 20, 10, tz="Asia/Shanghai")
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="y", grade="B"))
    assert r.next_due == NOW.add(days=14)
    assert Lead.get_by_id(ld.id).grade == "B"


def test_invalid_input_writes_nothing(world):
    ld, due = world
    before = FollowUp.select().count()
    with pytest.raises(ValidationFailed) as err:
        contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="  ", channel="fax",
                                                                       next_on=pendulum.date(2026, 3, 1)))
    assert set(err.value.errors) == {"summary", "channel", "next"}
    assert FollowUp.select().count() == before
    assert FollowUp.get_by_id(due.id).done_at is None


def test_a_failure_midway_rolls_the_whole_contact_back(world, monkeypatch):
    """The audit rows are the transaction's last write: failing there undoes the closed
    follow-up, the next one, the lead's last contact and its score."""
    from carcrm_tui.services import audit

    ld, due = world
    before = (FollowUp.select().count(), Lead.get_by_id(ld.id).score)

    def failing_write(entries):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "write", failing_write)
    with pytest.raises(RuntimeError):
        contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="x", attitude="positive"))
    monkeypatch.undo()
    assert FollowUp.get_by_id(due.id).done_at is None
    assert Lead.get_by_id(ld.id).last_contact_at is None
    assert (FollowUp.select().count(), Lead.get_by_id(ld.id).score) == before


def test_another_consultants_lead_is_not_found(world):
    ld, _ = world
    with pytest.raises(NotFound):
        contacts.log_contact(session_for("张伟"), ld.id, ContactInput(summary="x"))


def test_without_a_due_follow_up_the_contact_is_still_recorded(database):
    me = factory.account("李娜")
    ld = factory.lead(factory.customer(me))
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="客户来电", channel="phone", no_next=True))
    assert r.next_id is None
    assert FollowUp.get_by_id(r.closed_id).done_at == NOW


def test_the_call_sheet_gives_the_owner_the_number_audited_and_the_last_two_contacts(world):
    from carcrm_tui.store.models import AuditLog, Customer

    ld, _ = world
    me = ld.owner
    for days, summary in ((30, "第一次"), (20, "第二次"), (10, "第三次")):
        FollowUp.create(lead=ld, owner=me, channel="phone", due_at=NOW.subtract(days=days),
                        done_at=NOW.subtract(days=days), summary=summary, outcome="reached",
                        created_at=NOW.subtract(days=days + 1))
    sheet = contacts.call_sheet(session_for("李娜"), ld.id)
    customer = Customer.get_by_id(ld.customer_id)
    assert sheet.phone == customer.phone and sheet.phone_masked.endswith(customer.phone_digits[-4:])
    assert [c.summary for c in sheet.last] == ["第三次", "第二次"]
    assert AuditLog.select().where((AuditLog.action == "reveal") & (AuditLog.new == "call")).count() == 1
    assert [c.summary for c in contacts.recent(session_for("李娜"), ld.id)] == ["第三次"]


def test_the_call_sheet_masks_the_number_for_anyone_but_the_owner(world):
    from carcrm_tui.store.models import AuditLog

    ld, _ = world
    factory.account("王经理", role="manager")
    sheet = contacts.call_sheet(session_for("王经理"), ld.id)
    assert sheet.phone == "" and "****" in sheet.phone_masked
    assert not AuditLog.select().where(AuditLog.action == "reveal").exists()
    with pytest.raises(NotFound):
        contacts.call_sheet(session_for("张伟"), ld.id)


def test_no_answer_needs_no_summary_anything_else_does(world):
    ld, due = world
    with pytest.raises(ValidationFailed) as e:
        contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="", outcome="reached"))
    assert "summary" in e.value.errors
    contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="", outcome="no_answer", next_in_days=1))
    assert FollowUp.get_by_id(due.id).outcome == "no_answer"


def test_a_contact_after_the_sale_keeps_the_after_sales_schedule(database):
    """Logged on a won lead (a complaint's customer, say), a contact ticks off what is due by
    today's end — never a greeting planned for next spring, which stays planned."""
    me = factory.account("李娜")
    ld = factory.lead(factory.customer(me), stage="won")
    Lead.update(status="won").where(Lead.id == ld.id).execute()
    today_call = factory.due(ld, NOW.add(hours=1))
    spring = factory.due(ld, NOW.add(days=68))
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="回访投诉处理", outcome="reached", no_next=True))
    assert r.closed_id == today_call.id and FollowUp.get_by_id(today_call.id).done_at == NOW
    assert FollowUp.get_by_id(spring.id).done_at is None  # still planned
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="又来电", outcome="reached", no_next=True))
    assert r.closed_id not in (today_call.id, spring.id)  # a contact of its own
    assert FollowUp.get_by_id(r.closed_id).summary == "又来电" and FollowUp.get_by_id(spring.id).done_at is None


@pytest.mark.parametrize("contact", [
    ContactInput(summary="聊了很久，很满意", attitude="positive"),
    ContactInput(summary="带家人再次到店", channel="visit", attitude="positive"),
    ContactInput(summary="没接", outcome="no_answer", attitude="negative", grade="B", next_in_days=1),
])
def test_the_score_written_is_the_one_the_leads_facts_give_after_the_contact(world, contact):
    """log_contact reads the facts before writing and adds its own contact to them: the stored
    score must be what refresh_score reads from the committed rows, contact after contact."""
    from carcrm_tui.domain.process import lead_score
    from carcrm_tui.services import process

    ld, _ = world
    Lead.update(vehicle=factory.vehicle().id, budget_min=200_000, budget_max=220_000,
                expected_purchase_date=datetime.date(2026, 3, 25)).where(Lead.id == ld.id).execute()
    s = session_for("李娜")
    scores = []
    for _ in range(5):
        contacts.log_contact(s, ld.id, contact)
        stored = Lead.get_by_id(ld.id).score
        assert stored == lead_score(process.facts(ld.id, NOW), NOW.in_timezone("Asia/Shanghai").date(), s.policy)
        scores.append(stored)
    assert scores[0] < scores[-1]  # engagement counts: the score did move


def test_a_grade_changed_after_the_permission_check_schedules_by_the_committed_grade(world, monkeypatch):
    """Another terminal sets the grade between the check (before the write lock) and the write:
    the next call is due by the grade as committed, not the grade seen at the check."""
    ld, _ = world  # grade H: every 2 days
    glance = contacts.glance_lead

    def then_another_terminal(session, lead_id):
        seen = glance(session, lead_id)
        Lead.update(grade="C").where(Lead.id == lead_id).execute()
        return seen

    monkeypatch.setattr(contacts, "glance_lead", then_another_terminal)
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="x"))
    assert Lead.get_by_id(ld.id).grade == "C"
    assert r.next_due == FollowUp.get_by_id(r.next_id).due_at == NOW.add(days=Policy().cadence_days("C"))
    assert Policy().cadence_days("C") != Policy().cadence_days("H")


def test_a_chosen_follow_up_is_the_one_closed_and_a_lead_no_longer_open_gets_no_next(world):
    ld, due = world
    later = factory.due(ld, NOW.add(days=5))
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="x", followup_id=later.id))
    assert r.closed_id == later.id and FollowUp.get_by_id(due.id).done_at is None
    Lead.update(status="won", score=17).where(Lead.id == ld.id).execute()
    r = contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="交车回访"))
    assert r.next_id is None and r.closed_id == due.id
    assert Lead.get_by_id(ld.id).score == 17  # a closed lead keeps its score
    from carcrm_tui.store.models import AuditLog
    assert AuditLog.select().where((AuditLog.entity == "followup") & (AuditLog.entity_id == due.id)).count() == 3


def test_the_last_contacts_of_many_leads_in_one_read_only_of_leads_one_may_see(world):
    ld, _ = world
    me = ld.owner
    quiet = factory.lead(factory.customer(me, "没联系过"))
    theirs = factory.lead(factory.customer(factory.account("王芳"), "别人的客户"))
    for days, summary in ((9, "旧的"), (2, "新的")):
        FollowUp.create(lead=ld, owner=me, channel="phone", due_at=NOW.subtract(days=days),
                        done_at=NOW.subtract(days=days), summary=summary, outcome="reached",
                        created_at=NOW.subtract(days=days + 1))
    FollowUp.create(lead=theirs, owner=theirs.owner, channel="phone", due_at=NOW.subtract(days=1),
                    done_at=NOW.subtract(days=1), summary="别人的话", created_at=NOW.subtract(days=2))
    said = contacts.recent_for(session_for("李娜"), [ld.id, quiet.id, theirs.id])
    assert said == {ld.id: contacts.recent(session_for("李娜"), ld.id), quiet.id: ()}
    assert [c.summary for c in said[ld.id]] == ["新的"]
    factory.account("王经理", role="manager")
    assert [c.summary for c in contacts.recent_for(session_for("王经理"), [theirs.id])[theirs.id]] == ["别人的话"]


def test_a_visit_received_by_someone_else_tells_the_owner(world):
    """A manager at reception logs the visit of 李娜's customer: 李娜 hears of it on her Today;
    her own visit logs tell no one."""
    from carcrm_tui.services import notices

    ld, _ = world
    factory.account("王经理", role="manager")
    contacts.log_contact(session_for("王经理"), ld.id, ContactInput(summary="客户再次到店", channel="visit", outcome="reached"))
    told = notices.unread(session_for("李娜"))
    assert [(n.kind, n.customer_id, n.params.get("by")) for n in told] == [("be_back", ld.customer_id, "王经理")]
    contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="又来了", channel="visit", outcome="reached"))
    assert len(notices.unread(session_for("李娜"))) == 1
