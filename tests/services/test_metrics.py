"""Funnel, traffic, forecast, owners' RFM and the leaderboard, against numbers worked out by hand.

The clock is 2026-03-10 10:30 in Shanghai; the period is March 2026 (local days:
2026-02-28 16:00 UTC up to 2026-03-31 16:00 UTC), the previous one February.
"""

import datetime as dt

import pendulum
import pytest

from carcrm_tui.domain import metrics as M
from carcrm_tui.services import metrics
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.store.models import Customer, FollowUp, ShowroomVisit, TestDrive
from tests import factory
from tests.conftest import session_for

MARCH = metrics.month("2026-03")


def utc(*args):
    return pendulum.datetime(*args, tz="UTC")


@pytest.fixture
def floor(database):
    lina, zw = factory.account("李娜"), factory.account("张伟")
    factory.account("王经理", role="manager")
    c = {name: factory.customer(owner, name) for name, owner in (
        ("一", lina), ("二", lina), ("三", lina), ("四", zw), ("五", zw), ("前一", lina), ("前二", zw),
        ("远期", zw), ("老甲", zw), ("老乙", zw), ("老丙", zw))}
    for name, source in (("一", "autohome"), ("二", "walk_in"), ("三", "walk_in"), ("四", "autohome"),
                         ("五", "referral")):
        Customer.update(source=source).where(Customer.id == c[name].id).execute()
    Customer.update(referred_by=c["四"].id).where(Customer.id == c["五"].id).execute()
    leads = {
        # March's new leads
        "一": factory.lead(c["一"], stage="needs", at=utc(2026, 3, 2, 2), first_response_at=utc(2026, 3, 2, 2, 30),
                          expected_purchase_date=dt.date(2026, 3, 20)),
        "二": factory.lead(c["二"], stage="test_drive", value=150_000, at=utc(2026, 3, 3, 2),
                          first_response_at=utc(2026, 3, 3, 2), expected_purchase_date=dt.date(2026, 4, 15)),
        "三": factory.lead(c["三"], stage="quote", at=utc(2026, 3, 4, 2), status="lost", lost_reason="competitor",
                          lost_competitor="丰田 凯美瑞", closed_at=utc(2026, 3, 5, 2)),
        "四": factory.lead(c["四"], stage="delivery", at=utc(2026, 3, 7), status="won", deal_price=180_000,
                          closed_at=utc(2026, 3, 8, 2), first_response_at=utc(2026, 3, 7, 2),
                          ordered_at=utc(2026, 3, 7, 6)),
        "五": factory.lead(c["五"], stage="new", value=100_000, at=utc(2026, 3, 9),
                          first_response_at=utc(2026, 3, 9, 3)),
        # February's
        "前一": factory.lead(c["前一"], stage="order", value=250_000, at=utc(2026, 2, 10),
                            expected_purchase_date=dt.date(2026, 2, 25), ordered_at=utc(2026, 2, 28, 17)),
        "前二": factory.lead(c["前二"], stage="reception", at=utc(2026, 2, 20), status="lost", lost_reason="budget",
                            closed_at=utc(2026, 3, 2)),
        # older: an open lead expected in August, and owners
        "远期": factory.lead(c["远期"], stage="quote", value=300_000, at=utc(2026, 1, 5),
                            expected_purchase_date=dt.date(2026, 8, 1)),
    }
    for name, at, closed, price, contact in (
        ("老甲", utc(2025, 1, 5), utc(2026, 2, 20), 500_000, None),
        ("老甲", utc(2025, 1, 5), utc(2025, 6, 1), 200_000, None),
        ("老乙", utc(2024, 11, 1), utc(2024, 12, 1), 150_000, utc(2025, 1, 10)),
        ("老丙", utc(2025, 4, 1), utc(2025, 5, 1), 120_000, utc(2025, 12, 1)),
    ):
        factory.lead(c[name], stage="delivery", grade="O", at=at, status="won", closed_at=closed, deal_price=price,
                     last_contact=contact)
    # showroom: two first visits and two be-backs in March (one at 01:00 on 1 March, local), one on 28 February
    for name, kind, at in (("二", "first", utc(2026, 3, 3, 2)), ("三", "first", utc(2026, 3, 4, 2)),
                           ("三", "be_back", utc(2026, 3, 6, 2)), ("前一", "be_back", utc(2026, 2, 28, 17)),
                           ("前一", "first", utc(2026, 2, 28, 15))):
        ShowroomVisit.create(customer=c[name], lead=leads[name], at=at, kind=kind, consultant=c[name].owner)
    for name, at in (("二", utc(2026, 3, 3, 3)), ("四", utc(2026, 3, 7, 3))):
        TestDrive.create(lead=leads[name], at=at, consultant=leads[name].owner, created_at=at)
    # contacts: 李娜 three logged in March and one closed off by a loss; 张伟 one in February, one in March
    for name, outcome, at in (("一", "reached", utc(2026, 3, 2, 3)), ("二", "no_answer", utc(2026, 3, 5)),
                              ("二", "appointment", utc(2026, 3, 6)), ("三", "lost", utc(2026, 3, 5, 2)),
                              ("五", "reached", utc(2026, 2, 27)), ("四", "reached", utc(2026, 3, 7, 2))):
        FollowUp.create(lead=leads[name], owner=leads[name].owner, channel="phone", due_at=at, done_at=at,
                        outcome=outcome, created_at=at)
    return session_for("王经理")


def test_funnel_counts_each_lead_up_to_its_furthest_stage(floor):
    f = metrics.funnel(floor, MARCH)
    assert f.reached == [5, 4, 4, 3, 3, 2, 1, 1] and f.won == 1
    # March is still running on the 10th: it is compared with 1–10 February, where only 前一 came in
    assert f.against == metrics.Period(dt.date(2026, 2, 1), dt.date(2026, 2, 11))
    assert f.previous == [1, 1, 1, 1, 1, 1, 1, 0] and f.previous_won == 0
    whole = metrics.funnel(floor, metrics.month("2026-02"))  # a finished month against the whole one before
    assert whole.against == metrics.month("2026-01") and whole.reached[0] == 2 and whole.previous[0] == 1
    assert M.conversions(f.reached)[:2] == [0.8, 1.0]
    assert f.by_source == [("autohome", 2, 1, 1), ("walk_in", 2, 2, 0), ("referral", 1, 0, 0)]
    assert f.by_consultant == [("李娜", 3, 2, 0), ("张伟", 2, 1, 1)]
    assert dict(f.lost_reasons) == {"competitor": 1, "budget": 1} and f.competitors == [("丰田 凯美瑞", 1)]


def test_showroom_traffic_by_local_day(floor):
    t = metrics.traffic(floor, MARCH)
    assert (t.first_visits, t.be_backs, t.visitors, t.test_drove, t.ordered) == (2, 2, 3, 1, 1)
    assert t.test_drive_rate == pytest.approx(1 / 3) and t.close_rate == pytest.approx(1 / 3)
    assert len(t.per_day) == 31 and t.per_day[:6] == [1, 0, 1, 1, 0, 1] and sum(t.per_day) == 4


def test_forecast_is_closed_revenue_plus_weighted_open_value(floor):
    f = metrics.forecast(floor)
    assert f.months == [dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)]
    lina, zw = f.rows
    # 李娜: needs 200,000 × 0.10 + an order expected in February (slips into March) 250,000 × 0.80; April test drive
    assert (lina.consultant, lina.closed, lina.months, lina.later, lina.undated) == (
        "李娜", 0, [220_000, 45_000, 0], 0, 0)
    # 张伟: won 180,000 this month; quote for August 300,000 × 0.5; a new lead without a date 100,000 × 0.05
    assert (zw.consultant, zw.closed, zw.months, zw.later, zw.undated) == ("张伟", 180_000, [0, 0, 0], 150_000, 5_000)
    assert f.total.this_month == 400_000 and f.total.months == [220_000, 45_000, 0]


def test_owner_classes_by_recency_frequency_and_money(floor):
    o = metrics.owners(floor)
    # 四 bought once and referred 五 → loyal; 老甲 700,000 over two purchases → high value;
    # 老乙 last heard from 2025-01-10, 424 days ago → lapsed; 老丙 one purchase, in touch → potential
    assert o.owners == 4
    assert o.classes == {"high_value": 1, "loyal": 1, "potential": 1, "lapsed": 1}
    assert o.spent["high_value"] == 700_000 and (o.repeat, o.referrers, o.referred) == (1, 1, 1)


def test_leaderboard(floor):
    top, second = metrics.leaderboard(floor, MARCH)
    assert (top.consultant, top.contacts, top.new_leads, top.median_response, top.won, top.lost) == (
        "张伟", 1, 2, 150, 1, 1)
    assert top.conversion == 0.5
    # walk-ins are answered on the spot and stay out of the response median
    assert (second.consultant, second.contacts, second.new_leads, second.median_response, second.won,
            second.lost, second.conversion) == ("李娜", 3, 3, 30, 0, 1, 0.0)


def test_periods_and_permissions(floor):
    assert MARCH.previous == metrics.month("2026-02") and MARCH.days == 31 and MARCH.label == "2026-03"
    quarter = metrics.Period(dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert quarter.previous == metrics.Period(dt.date(2025, 10, 1), dt.date(2026, 1, 1))
    week = metrics.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 9))
    assert week.previous.start == dt.date(2026, 2, 23) and week.label == "2026-03-02 – 2026-03-08"
    # on the 1st, this month so far is one day, compared with the 1st of the last: said as one date
    first = MARCH.compared_to(dt.date(2026, 3, 1))
    assert first == metrics.Period(dt.date(2026, 2, 1), dt.date(2026, 2, 2)) and first.label == "2026-02-01"
    with pytest.raises(ValueError):
        metrics.month("2026-13")
    consultant = session_for("李娜")
    for call in (lambda: metrics.funnel(consultant, MARCH), lambda: metrics.forecast(consultant),
                 lambda: metrics.owners(consultant), lambda: metrics.leaderboard(consultant, MARCH),
                 lambda: metrics.traffic(consultant, MARCH)):
        with pytest.raises(NotAllowed):
            call()


def test_charts_read_in_plain_characters():
    assert M.sparkline([0, 4, 8]) == "▁▅█" and M.sparkline([0, 0]) == "▁▁" and M.sparkline([]) == ""
    assert M.bar(10, 10, 5) == "█████" and M.bar(1, 10, 4) == "▍" and M.bar(0, 10, 4) == ""
    assert M.reached([("quote", "open", 2), ("gone", "open", 1)], ("new", "quote")) == [3, 2]
    assert M.rate(1, 0) is None and M.median([]) is None


def test_metrics_report_in_both_languages(floor):
    from carcrm_tui import reports
    from carcrm_tui.i18n import set_language

    snap = metrics.snapshot(floor, MARCH)
    set_language("zh")
    zh = reports.metrics_text(snap)
    assert zh.startswith("经营指标 2026-03（对比 2026-02-01 – 2026-02-10）")
    assert "  选择竞品          1" in zh and "→ 丰田 凯美瑞" in zh and "每日到店：█▁██▁█▁" in zh
    assert "  合计   ¥18万         ¥40万   ¥4.5万       ¥0  ¥15万  ¥5,000" in zh  # money always with ¥
    assert "  李娜      ¥0         ¥22万   ¥4.5万       ¥0     ¥0      ¥0" in zh
    set_language("en")
    md = reports.metrics_text(snap, markdown=True)
    assert md.startswith("# Metrics 2026-03 (against 2026-02-01 – 2026-02-10)")
    assert "| New lead | 5 | — | 1 | — | +4 |" in md and "| 张伟 | 1 | 2 | 3h | 1 | 1 | 50% |" in md
    assert "| High value | 1 | ¥700k |" in md and "| Total | ¥180k | ¥400k | ¥45k | ¥0 | ¥150k | ¥5k |" in md
