import pendulum
import pytest

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
    ld, due = world
    real_insert = FollowUp.insert

    def failing_insert(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(FollowUp, "insert", failing_insert)
    with pytest.raises(RuntimeError):
        contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="x"))
    monkeypatch.setattr(FollowUp, "insert", real_insert)
    assert FollowUp.get_by_id(due.id).done_at is None
    assert Lead.get_by_id(ld.id).last_contact_at is None


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
