"""Each stage's required details, clear errors, the after-delivery schedule, dormancy,
grade overrides, complaints and tag filters — through the services, on a fixed clock."""

import pytest

from carcrm_tui.services import board, complaints, customers, process, today
from carcrm_tui.services.errors import Rejected, ValidationFailed
from carcrm_tui.services.views import BoardFilter, ContactInput
from carcrm_tui.store.models import AuditLog, Customer, CustomerTag, FollowUp, Lead, Quote, ShowroomVisit, TestDrive
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def lead(database):
    me = factory.account("李娜")
    factory.account("王经理", role="manager")
    v = factory.vehicle("汉", 209_800)
    c = factory.customer(me, "张伟")
    ld = factory.lead(c, grade="B", stage="reception", vehicle_id=v.id)
    factory.due(ld, NOW.add(days=1))
    return ld, v


def step(ld, values=None, direction=1):
    return board.move(session_for("李娜"), ld.id, Lead.get_by_id(ld.id).version, direction, values).stage


def test_needs_analysis_requires_urgency_and_budget_and_suggests_the_grade(lead):
    ld, _ = lead
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"use": "family"})
    assert set(err.value.errors) == {"urgency", "budget"}
    assert Lead.get_by_id(ld.id).stage == "reception"
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"urgency": "someday", "budget": "lots"})
    assert {e.code for e in err.value.errors.values()} == {"choose_one", "budget_invalid"}
    assert step(ld, {"urgency": "near", "budget": "20-25万", "use": "family", "focus_points": "space,economy",
                     "spin_summary": "预算20-25万，家用SUV，看重空间——客户确认"}) == "needs"
    row = Lead.get_by_id(ld.id)
    assert (row.budget_min, row.budget_max, row.focus_points, row.grade) == (200_000, 250_000, "space,economy", "A")
    assert row.spin_summary.startswith("预算20-25万")


def test_test_drive_then_quote_with_itemised_totals(lead):
    ld, v = lead
    Lead.update(stage="presentation").where(Lead.id == ld.id).execute()
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"drive_at": "25:99"})
    assert set(err.value.errors) == {"vehicle", "drive_at"}
    assert step(ld, {"vehicle": str(v.id), "drive_at": "15:30", "route": "高速", "drive_feedback": "很稳"}) == "test_drive"
    drive = TestDrive.get(TestDrive.lead == ld.id)
    assert drive.at == NOW.in_timezone("Asia/Shanghai").replace(hour=15, minute=30).in_timezone("UTC")
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"vehicle": str(v.id), "guide_price": "abc"})
    assert err.value.errors["guide_price"].code == "money_invalid"
    assert step(ld, {"vehicle": str(v.id), "guide_price": "20.98万", "discount": "9800", "trade_in": "30000",
                     "insurance": "6500", "plates": "500", "finance_plan": "首付30%"}) == "quote"
    q = Quote.get(Quote.lead == ld.id)
    assert (q.car_price, q.purchase_tax, q.total) == (200_000, 17_699, 200_000 + 17_699 + 6_500 + 500 - 30_000)
    assert Lead.get_by_id(ld.id).expected_value == 200_000


def test_order_makes_grade_o_and_keeps_the_deal_price_out_of_the_audit_trail(lead):
    ld, _ = lead
    Lead.update(stage="quote").where(Lead.id == ld.id).execute()
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"deposit": "300000", "deal_price": "200000", "expected_delivery_date": "2026-03-25"})
    assert err.value.errors["deposit"].code == "deposit_over_price"
    step(ld, {"deposit": "10000", "deal_price": "19.8万", "expected_delivery_date": "2026-03-25"})
    row = Lead.get_by_id(ld.id)
    assert (row.stage, row.grade, row.deal_price, row.ordered_at) == ("order", "O", 198_000, NOW)
    assert not AuditLog.select().where(AuditLog.new.contains("198000")).exists()


def test_delivery_wins_the_lead_and_plans_after_sales(lead):
    ld, _ = lead
    Lead.update(stage="delivery").where(Lead.id == ld.id).execute()
    Customer.update(birthday="1988-05-20").where(Customer.id == ld.customer_id).execute()
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"delivered_on": "2026-03-10", "vin": "LSGJA52U7KS12345O", "service_advisor": "马文"})
    assert err.value.errors["vin"].code == "vin_invalid"  # O is never in a VIN
    with pytest.raises(ValidationFailed) as err:
        step(ld, {"delivered_on": "2026-04-01", "vin": "LSGJA52U7KS123456", "service_advisor": "马文"})
    assert err.value.errors["delivered_on"].code == "date_future_delivery"
    assert step(ld, {"delivered_on": "2026-03-10", "vin": "lsgja52u7ks123456", "service_advisor": "马文"}) == "won"
    won = Lead.get_by_id(ld.id)
    assert (won.status, won.vin, won.insurance_until.isoformat()) == ("won", "LSGJA52U7KS123456", "2027-03-10")
    purposes = {f.purpose for f in FollowUp.select().where(FollowUp.done_at.is_null())}
    assert {"day1", "week1", "first_service", "maintenance", "insurance", "birthday"} <= purposes
    assert any(p.startswith("holiday:") for p in purposes)


def test_do_not_contact_customers_get_no_after_sales_follow_ups(lead):
    ld, _ = lead
    Lead.update(stage="delivery").where(Lead.id == ld.id).execute()
    Customer.update(do_not_contact=True).where(Customer.id == ld.customer_id).execute()
    step(ld, {"delivered_on": "2026-03-10", "vin": "LSGJA52U7KS123456", "service_advisor": "马文"})
    assert FollowUp.select().where(FollowUp.done_at.is_null()).count() == 0


def test_dormant_leads_leave_the_board_and_come_back_with_history(lead):
    ld, _ = lead
    s = session_for("李娜")
    process.set_dormant(s, ld.id, 1)
    assert board.summary(s).cells == {} and FollowUp.select().where(FollowUp.done_at.is_null()).count() == 0
    followup = process.reactivate(s, ld.id, 2)
    back = Lead.get_by_id(ld.id)
    assert back.status == "open" and FollowUp.get_by_id(followup).due_at == NOW.add(days=14)
    assert FollowUp.select().where(FollowUp.lead == ld.id).count() == 2  # the old one kept, closed


def test_overriding_the_suggested_grade_needs_a_reason_which_is_kept(lead):
    ld, _ = lead
    s = session_for("李娜")
    suggested = process.suggested_grade(s, ld.id)
    other = "H" if suggested != "H" else "C"
    with pytest.raises(ValidationFailed) as err:
        process.set_grade(s, ld.id, 1, other)
    assert err.value.errors["grade_reason"].code == "reason_for_override"
    process.set_grade(s, ld.id, 1, other, "客户明确本周提车")
    row = Lead.get_by_id(ld.id)
    assert (row.grade, row.grade_reason) == (other, "客户明确本周提车")


def test_a_visit_is_showroom_traffic_with_a_thank_you_task(lead):
    from carcrm_tui.services import contacts

    ld, _ = lead
    contacts.log_contact(session_for("李娜"), ld.id, ContactInput(summary="带家人再次到店", channel="visit"))
    assert ShowroomVisit.get(ShowroomVisit.lead == ld.id).kind == "be_back"
    thanks = FollowUp.get(FollowUp.purpose == "thank_you")
    assert thanks.due_at == NOW.add(hours=2) and thanks.done_at is None
    assert Lead.get_by_id(ld.id).score > 0


def test_complaint_routed_resolved_and_called_back(lead):
    ld, _ = lead
    s = session_for("李娜")
    with pytest.raises(ValidationFailed) as err:
        complaints.open_complaint(s, ld.customer_id, "fax", "weather", "", "moon")
    assert set(err.value.errors) == {"channel", "category", "description", "department"}
    cid = complaints.open_complaint(s, ld.customer_id, "phone", "delivery", "交车晚了一周", "sales", "李娜")
    mine = today.today(s).complaints
    assert [c.id for c in mine] == [cid] and mine[0].due_at == NOW.add(hours=24)
    with pytest.raises(Rejected):
        complaints.call_back(s, cid, 5)  # resolve first
    complaints.resolve(s, cid, "已致歉并补偿")
    with pytest.raises(ValidationFailed):
        complaints.call_back(s, cid, 6)
    complaints.call_back(s, cid, 4)
    done = customers.detail(s, ld.customer_id).complaints[0]
    assert (done.status, done.satisfaction, done.resolution) == ("closed", 4, "已致歉并补偿")
    assert today.today(s).complaints == []


def test_tag_filters_on_today_and_the_board(lead):
    ld, _ = lead
    me = Lead.get_by_id(ld.id).owner
    other = factory.lead(factory.customer(me, "王芳"), grade="A", stage="reception")
    factory.due(other, NOW.add(days=1))
    CustomerTag.create(customer=ld.customer_id, tag="家庭用户")
    s = session_for("李娜")
    rows = [r.customer_name for g in today.today(s, tag="家庭用户").groups.values() for r in g]
    assert rows == ["张伟"]
    assert board.summary(s, BoardFilter(tag="家庭用户")).stage("reception").count == 1
    assert [c.customer_name for c in board.page(s, "reception", filt=BoardFilter(tag="家庭用户"))] == ["张伟"]
    assert customers.all_tags(s) == ["家庭用户"]


def test_first_response_clock_shows_until_the_first_contact(lead):
    ld, _ = lead
    s = session_for("李娜")
    row = [r for g in today.today(s).groups.values() for r in g][0]
    assert row.response is not None and row.response.breached  # created 1 March, B: 24 hours
    from carcrm_tui.services import contacts

    contacts.log_contact(s, ld.id, ContactInput(summary="首次联系"))
    assert all(r.response is None for g in today.today(s).groups.values() for r in g)


def test_a_complaints_call_goes_on_its_own_lead_or_else_the_customers_latest(lead):
    """Today lists complaints with the lead a call is logged on, read for all of them at once."""
    from carcrm_tui.store.models import Complaint

    ld, _ = lead
    me = ld.owner
    other = factory.customer(me, "另一位客户")
    old = factory.lead(other, grade="B")
    newest = factory.lead(other, grade="C")
    s = session_for("李娜")
    complaints.open_complaint(s, ld.customer_id, "phone", "service", "等太久", "service", assignee="李娜")
    on_other = complaints.open_complaint(s, other.id, "phone", "sales", "没回电话", "sales", assignee="李娜")
    Complaint.update(lead=None).where(Complaint.id == on_other).execute()  # one from before leads were kept
    seen = {c.customer_id: (c.lead_id, c.lead_grade, c.lead_status) for c in complaints.assigned_to_me(s)}
    assert seen == {ld.customer_id: (ld.id, ld.grade, "open"), other.id: (newest.id, "C", "open")}
    assert old.id != newest.id
    assert complaints.get(s, on_other).lead_id == newest.id
