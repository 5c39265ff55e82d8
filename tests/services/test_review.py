"""Evening review and monthly lost-deal analysis, hand-checked at a fixed clock, in zh and en."""

import datetime as dt

import pytest

from carcrm_tui import reports
from carcrm_tui.i18n import set_language
from carcrm_tui.services import board, contacts, review, walkins
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.services.views import ContactInput, WalkInInput
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def day(database):
    lina, zw = factory.account("李娜"), factory.account("张伟")
    factory.account("王经理", role="manager")
    s = session_for("李娜")
    walkins.register_walkin(s, WalkInInput(phone="13911110001", name="新客甲"))
    walkins.register_walkin(s, WalkInInput(phone="13911110002", name="新客乙"))
    old = factory.lead(factory.customer(lina, "老客"), grade="B", at=NOW.subtract(days=30))
    contacts.log_contact(s, old.id, ContactInput(summary="再次到店", channel="visit", grade="A"))
    lost = factory.lead(factory.customer(lina, "战败客"), at=NOW.subtract(days=30))
    board.mark_lost(s, lost.id, 1, "competitor", "丰田 凯美瑞")
    other = factory.lead(factory.customer(zw, "别家战败"), at=NOW.subtract(days=30))
    board.mark_lost(session_for("张伟"), other.id, 1, "budget")
    tomorrow = factory.lead(factory.customer(zw, "明天"), at=NOW.subtract(days=30))
    factory.due(tomorrow, NOW.add(days=1))
    factory.due(tomorrow, NOW.subtract(days=2))
    return s


def test_daily_review_numbers(day):
    r = review.daily(session_for("王经理"))
    assert (r.day, r.first_visits, r.be_backs, r.new_leads) == (dt.date(2026, 3, 10), 2, 1, 2)
    assert r.grade_changes == [("老客", "B", "A", "李娜")]
    assert r.won == [] and sorted(x[0] for x in r.lost) == ["别家战败", "战败客"]
    assert dict(r.overdue) == {"张伟": 1}
    assert dict(r.tomorrow)["张伟"] == 1
    with pytest.raises(NotAllowed):
        review.daily(day)


def test_a_grade_change_taken_back_is_no_change_in_the_review(day):
    from carcrm_tui.services import process, undo
    from carcrm_tui.store.models import Lead

    lead = factory.lead(factory.customer(factory.account("刘洋"), "改回来"), grade="B", at=NOW.subtract(days=30))
    mine = session_for("刘洋")
    process.set_grade(mine, lead.id, Lead.get_by_id(lead.id).version, "H", "马上要买")
    undo.undo_last(mine)  # a slip of the key, taken back
    twice = factory.lead(factory.customer(factory.account("陈静"), "两次"), grade="C", at=NOW.subtract(days=30))
    hers = session_for("陈静")
    process.set_grade(hers, twice.id, Lead.get_by_id(twice.id).version, "B", "有预算")
    process.set_grade(hers, twice.id, Lead.get_by_id(twice.id).version, "A", "下周试驾")
    changes = review.daily(session_for("王经理")).grade_changes
    assert ("改回来", "B", "H", "刘洋") not in changes and not any(c[0] == "改回来" for c in changes)
    assert ("两次", "C", "A", "陈静") in changes  # from the day's first grade to its last


def test_lost_month_by_reason_competitor_and_consultant(day):
    r = review.lost_month(session_for("王经理"), "2026-03")
    assert (r.total, dict(r.by_reason), r.by_competitor) == (2, {"competitor": 1, "budget": 1}, [("丰田 凯美瑞", 1)])
    assert dict(r.by_consultant) == {"李娜": 1, "张伟": 1}
    assert review.lost_month(session_for("王经理"), "2026-02").total == 0


def test_reports_in_both_languages_and_markdown(day):
    r = review.daily(session_for("王经理"))
    set_language("zh")
    zh = reports.daily_text(r, markdown=True)
    assert zh.startswith("# 夕会 2026-03-10") and "回头客 1 组" in zh and "- 战败客（李娜）：选择竞品 → 丰田 凯美瑞" in zh
    set_language("en")
    en = reports.daily_text(r)
    assert en.startswith("Evening review 2026-03-10") and "walk-ins: 2 first visits, 1 be-back" in en and "老客: B → A (李娜)" in en
    lost = reports.lost_text(review.lost_month(session_for("王经理"), "2026-03"))
    assert "Competitors that won" in lost and "丰田 凯美瑞: 1" in lost
