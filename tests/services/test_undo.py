"""A wrong stage move, "lost", "dormant" or grade change taken back — for a few minutes, by the
person who did it, and only while nobody has changed the lead since."""

import pytest

from carcrm_tui.services import board, customers, process, undo
from carcrm_tui.services.errors import Rejected
from carcrm_tui.store.models import AuditLog, Customer, FollowUp, Lead, Quote
from tests import factory
from tests.conftest import NOW, session_for

QUOTE = {"vehicle": None, "guide_price": "209800", "discount": "8000"}
ORDER = {"deposit": "10000", "deal_price": "19.5万", "expected_delivery_date": "2026-03-25"}
DELIVERY = {"delivered_on": "2026-03-10", "vin": "LSGJA52U7KS123456", "service_advisor": "马文"}


@pytest.fixture
def lead(database):
    me = factory.account("李娜")
    factory.account("王经理", role="manager")
    v = factory.vehicle("汉", 209_800)
    QUOTE["vehicle"] = str(v.id)
    ld = factory.lead(factory.customer(me, "王芳"), grade="A", stage="test_drive", vehicle_id=v.id)
    factory.due(ld, NOW.add(days=2))
    return ld


def state(lead_id):
    ld = Lead.get_by_id(lead_id)
    open_calls = FollowUp.select().where((FollowUp.lead == lead_id) & FollowUp.done_at.is_null()).count()
    return (ld.stage, ld.status, ld.grade, ld.deal_price, ld.lost_reason, open_calls,
            Quote.select().where(Quote.lead == lead_id).count(), Customer.get_by_id(ld.customer_id).customer_type)


def v(lead_id):
    return Lead.get_by_id(lead_id).version


def test_a_move_with_its_quote_is_taken_back(lead):
    s = session_for("李娜")
    before = state(lead.id)
    board.move(s, lead.id, v(lead.id), +1, QUOTE)
    assert state(lead.id)[0] == "quote" and state(lead.id)[6] == 1
    done = undo.undo_last(s)
    assert (done.action, done.customer_name) == ("move", "王芳")
    assert state(lead.id) == before  # stage back, the quote it made gone
    assert AuditLog.select().where(AuditLog.action == "undo").count() == 1
    with pytest.raises(Rejected) as err:  # taken back once
        undo.undo_last(s)
    assert err.value.code == "nothing_to_undo"


def test_a_delivery_taken_back_reopens_the_lead_and_drops_its_after_sales_calls(lead):
    s = session_for("李娜")
    board.move(s, lead.id, v(lead.id), +1, QUOTE)
    board.move(s, lead.id, v(lead.id), +1, ORDER)
    board.move(s, lead.id, v(lead.id), +1)
    before = state(lead.id)
    board.move(s, lead.id, v(lead.id), +1, DELIVERY)
    assert Lead.get_by_id(lead.id).status == "won" and state(lead.id)[5] > 1  # the after-sales schedule
    undo.undo_last(s)
    assert state(lead.id) == before


@pytest.mark.parametrize("action", ["lost", "dormant", "grade"])
def test_lost_dormant_and_grade_are_taken_back(lead, action):
    s = session_for("李娜")
    before = state(lead.id)
    {"lost": lambda: board.mark_lost(s, lead.id, v(lead.id), "budget"),
     "dormant": lambda: process.set_dormant(s, lead.id, v(lead.id)),
     "grade": lambda: process.set_grade(s, lead.id, v(lead.id), "C", "三个月以后")}[action]()
    assert state(lead.id) != before
    assert undo.undo_last(s).action == action
    assert state(lead.id) == before  # its follow-ups open again, the customer's type as it was


def test_refused_when_someone_changed_the_lead_since(lead):
    s = session_for("李娜")
    process.set_grade(s, lead.id, v(lead.id), "C", "三个月以后")
    customers.update(session_for("王经理"), lead.customer_id, {"urgency": "near"}, base={"urgency": ""},
                     lead_id=lead.id)
    with pytest.raises(Rejected) as err:
        undo.undo_last(s)
    assert (err.value.code, err.value.params["who"]) == ("changed_since", "王经理")
    assert Lead.get_by_id(lead.id).grade == "C"


def test_only_for_a_few_minutes_and_only_ones_own(lead):
    s = session_for("李娜")
    process.set_dormant(s, lead.id, v(lead.id))
    with pytest.raises(Rejected):
        undo.undo_last(session_for("王经理"))  # someone else's step is not theirs to take back
    later = session_for("李娜", at=NOW.add(minutes=undo.UNDO_MINUTES + 1))
    with pytest.raises(Rejected) as err:
        undo.undo_last(later)
    assert err.value.code == "nothing_to_undo"
