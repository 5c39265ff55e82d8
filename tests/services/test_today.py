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
    assert view.totals[DueGroup.URGENT] == 1
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
    assert len(view.groups[DueGroup.URGENT]) == 3
    assert view.totals[DueGroup.URGENT] == 5


def test_urgent_comes_first_response_clocks_then_overdue_then_silent(database):
    """An H lead silent for 23 days rises above today's routine calls, and says why."""
    from carcrm_tui.domain.schedule import Urgency
    from carcrm_tui.store.models import Customer

    me = factory.account("李娜")
    routine = factory.lead(factory.customer(me, "例行"), grade="B", last_contact=utc(2026, 3, 3, 2),
                           first_response_at=utc(2026, 2, 1, 2))
    factory.due(routine, utc(2026, 3, 10, 6))  # today, 14:00
    silent = factory.lead(factory.customer(me, "沉默H"), grade="H", last_contact=NOW.subtract(days=23),
                          first_response_at=utc(2026, 1, 1, 2))
    factory.due(silent, NOW.add(days=5))  # its next date says next week
    late = factory.lead(factory.customer(me, "逾期"), grade="A", last_contact=utc(2026, 3, 5, 2),
                        first_response_at=utc(2026, 2, 1, 2))
    factory.due(late, NOW.subtract(days=1))
    waiting = factory.lead(factory.customer(me, "新线索"), grade="A", at=NOW.subtract(minutes=5))
    Customer.update(source="autohome").where(Customer.id == waiting.customer_id).execute()
    factory.due(waiting, NOW.add(hours=3))  # its first call is later today, but the clock runs now
    thank_you = factory.lead(factory.customer(me, "谢谢"), grade="C", last_contact=NOW.subtract(days=90),
                             first_response_at=utc(2025, 1, 1, 2))
    task = factory.due(thank_you, NOW.add(hours=1))
    task.purpose = "thank_you"
    task.save()

    view = today.today(session_for("李娜"))
    urgent = view.groups[DueGroup.URGENT]
    assert [(r.customer_name, r.urgency) for r in urgent] == [
        ("新线索", Urgency.RESPONSE), ("逾期", Urgency.OVERDUE), ("沉默H", Urgency.SILENT)]
    assert [r.customer_name for r in view.groups[DueGroup.TODAY]] == ["谢谢", "例行"]  # a task is urgent only late
    assert urgent[0].response is not None and not urgent[0].response.breached
