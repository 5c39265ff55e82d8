import datetime as dt

import pendulum

from carcrm_tui.domain.policy import Policy, policy_from_dict
from carcrm_tui.domain.process import (
    LeadFacts, after_sales_plan, lead_score, quote_totals, response_clock, suggest_grade, thank_you_due,
)

SH = Policy()
BERLIN = policy_from_dict({"dealership": {"timezone": "Europe/Berlin"}})
UTC = lambda *a: pendulum.datetime(*a, tz="UTC")  # noqa: E731


def test_quote_total_with_purchase_tax_on_the_price_without_vat():
    q = quote_totals(guide_price=209_800, discount=9_800, trade_in=30_000, insurance=6_500, plates=500, policy=SH)
    assert q.car_price == 200_000
    assert q.purchase_tax == round(200_000 / 1.13 * 0.10) == 17_699
    assert q.total == 200_000 + 17_699 + 6_500 + 500 - 30_000


def test_score_rewards_visits_test_drive_fit_timeframe_and_engagement():
    today = dt.date(2026, 3, 10)
    cold = LeadFacts(0, 0, None, None, None, None, 0, 0)
    hot = LeadFacts(2, 1, 200_000, 250_000, 209_800, dt.date(2026, 3, 20), 4, 2)
    assert lead_score(cold, today, SH) == 0
    assert lead_score(hot, today, SH) == 100
    over_budget = LeadFacts(2, 1, 100_000, 120_000, 209_800, dt.date(2026, 3, 20), 4, 2)
    assert 80 <= lead_score(over_budget, today, SH) < 100


def test_grade_suggestion_from_urgency_and_score():
    assert suggest_grade(90, "near", SH) == "H"
    assert suggest_grade(60, "near", SH) == "A"
    assert suggest_grade(95, "mid", SH) == "B"
    assert suggest_grade(10, "unsure", SH) == "C"


def test_response_clock_online_minutes_and_breach():
    created = UTC(2026, 3, 10, 2, 0)
    web = response_clock(created, "B", "autohome", UTC(2026, 3, 10, 2, 15), SH)
    assert web.deadline == UTC(2026, 3, 10, 2, 10) and web.breached and web.minutes_left == -5
    floor = response_clock(created, "H", "walk_in", UTC(2026, 3, 10, 2, 15), SH)
    assert floor.deadline == UTC(2026, 3, 10, 2, 30) and not floor.breached and floor.minutes_left == 15


def test_thank_you_within_two_hours_of_a_visit():
    assert thank_you_due(UTC(2026, 3, 10, 2, 0), SH) == UTC(2026, 3, 10, 4, 0)


def test_after_delivery_schedule_in_shanghai():
    plan = after_sales_plan(dt.date(2026, 3, 10), dt.date(1988, 5, 20), None, False, SH)
    got = {p.purpose: p.due_at.in_timezone("Asia/Shanghai") for p in plan}
    assert got["day1"] == pendulum.datetime(2026, 3, 11, 10, tz="Asia/Shanghai")
    assert got["week1"].date() == dt.date(2026, 3, 17)
    assert got["first_service"].date() == dt.date(2026, 6, 8)
    assert got["maintenance"].date() == dt.date(2026, 9, 6)
    assert got["insurance"].date() == dt.date(2027, 1, 9)  # 60 days before the policy lapses
    assert got["birthday"].date() == dt.date(2026, 5, 20)
    assert got["holiday:mid_autumn"].date() == dt.date(2026, 9, 25)
    assert "holiday:spring_festival" in got  # 2027-02-06, within the first year
    assert [p.due_at for p in plan] == sorted(p.due_at for p in plan)


def test_do_not_contact_gets_nothing():
    assert after_sales_plan(dt.date(2026, 3, 10), dt.date(1988, 5, 20), None, True, SH) == []


def test_month_end_and_leap_day_deliveries():
    plan = {p.purpose: p for p in after_sales_plan(dt.date(2028, 2, 29), dt.date(1992, 2, 29), None, False, SH)}
    assert plan["insurance"].due_at.in_timezone("Asia/Shanghai").date() == dt.date(2028, 12, 30)  # lapses 2029-02-28
    assert plan["birthday"].due_at.in_timezone("Asia/Shanghai").date() == dt.date(2029, 2, 28)
    jan = {p.purpose: p for p in after_sales_plan(dt.date(2026, 1, 31), None, None, False, SH)}
    assert jan["day1"].due_at.in_timezone("Asia/Shanghai").date() == dt.date(2026, 2, 1)


def test_schedule_keeps_10_local_across_berlin_daylight_saving():
    plan = {p.purpose: p for p in after_sales_plan(dt.date(2026, 3, 27), None, None, False, BERLIN)}
    day1 = plan["day1"].due_at  # 28 March: CET, UTC+1
    week1 = plan["week1"].due_at  # 3 April: CEST, UTC+2
    assert day1 == UTC(2026, 3, 28, 9, 0) and week1 == UTC(2026, 4, 3, 8, 0)
    assert {d.in_timezone("Europe/Berlin").hour for d in (day1, week1)} == {10}
