import pendulum

from carcrm_tui.domain.schedule import DueGroup
from carcrm_tui.services import today
from tests import factory
from tests.conftest import NOW, session_for


def utc(*a):
    return pendulum.datetime(*a, tz="UTC")


def test_groups_are_overdue_today_upcoming_for_the_acting_consultant(database):
    me, other = factory.account("李娜"), factory.account("张伟")
    mine = factory.lead(factory.customer(me, "王芳"), grade="H", last_contact=utc(2026, 3, 8, 2))
    factory.due(mine, utc(2026, 3, 9, 2))  # yesterday -> overdue
    factory.due(mine, utc(2026, 3, 10, 8))  # 16:00 local today
    factory.due(mine, utc(2026, 3, 12, 2))  # in two days
    factory.due(mine, utc(2026, 3, 30, 2))  # beyond 7 days: not listed
    theirs = factory.lead(factory.customer(other, "刘洋"))
    factory.due(theirs, utc(2026, 3, 10, 8))

    view = today.today(session_for("李娜"))
    assert [len(view.groups[g]) for g in DueGroup] == [1, 1, 1]
    assert view.totals[DueGroup.OVERDUE] == 1
    row = view.groups[DueGroup.TODAY][0]
    assert row.customer_name == "王芳" and row.grade == "H"
    assert (row.reason.days_since_contact, row.reason.cadence_days) == (2, 2)


def test_done_follow_ups_leave_the_list_and_totals_count_beyond_the_page(database):
    me = factory.account("李娜")
    ld = factory.lead(factory.customer(me))
    for i in range(5):
        factory.due(ld, NOW.subtract(hours=i + 1))
    done = factory.due(ld, NOW.subtract(hours=9))
    done.done_at = NOW
    done.save()
    view = today.today(session_for("李娜"), limit=3)
    assert len(view.groups[DueGroup.OVERDUE]) == 3
    assert view.totals[DueGroup.OVERDUE] == 5
