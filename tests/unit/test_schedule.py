"""Due grouping and cadence with a fixed clock, across local midnight, month ends and DST."""

import pendulum

from carcrm_tui.domain.grading import grade_for_urgency
from carcrm_tui.domain.policy import Policy, policy_from_dict
from carcrm_tui.domain.schedule import DueGroup, due_group, due_reason, next_due, today_window

SH = Policy()
BERLIN = policy_from_dict({"dealership": {"timezone": "Europe/Berlin"}})


def utc(*args):
    return pendulum.datetime(*args, tz="UTC")


def test_today_is_the_dealerships_day_not_utcs():
    # 00:30 on 11 March in Shanghai is still 10 March in UTC
    now = utc(2026, 3, 10, 16, 30)
    window = today_window(now, SH)
    assert window.day_start == utc(2026, 3, 10, 16, 0)
    assert window.day_end == utc(2026, 3, 11, 16, 0)
    # due 23:00 local yesterday -> overdue; 10:00 local today -> today; 8 days on -> outside
    assert due_group(utc(2026, 3, 10, 15, 0), now, SH) is DueGroup.URGENT
    assert due_group(utc(2026, 3, 11, 2, 0), now, SH) is DueGroup.TODAY
    assert due_group(utc(2026, 3, 12, 2, 0), now, SH) is DueGroup.UPCOMING
    assert due_group(utc(2026, 3, 19, 2, 0), now, SH) is None


def test_early_morning_local_item_is_today_though_utc_says_yesterday():
    now = utc(2026, 3, 9, 22, 0)  # 06:00 on 10 March in Shanghai
    due = utc(2026, 3, 9, 23, 30)  # 07:30 local, 10 March
    assert due_group(due, now, SH) is DueGroup.TODAY


def test_overdue_earlier_the_same_day():
    now = utc(2026, 3, 10, 6, 0)  # 14:00 local
    assert due_group(utc(2026, 3, 10, 1, 0), now, SH) is DueGroup.URGENT


def test_cadence_per_grade_keeps_the_local_clock_time():
    after = utc(2026, 3, 10, 2, 0)  # 10:00 Shanghai
    assert next_due("H", after, SH) == utc(2026, 3, 12, 2, 0)
    assert next_due("C", after, SH) == utc(2026, 4, 9, 2, 0)
    assert next_due("A", after, SH, days=3) == utc(2026, 3, 13, 2, 0)


def test_month_end():
    after = utc(2026, 1, 31, 2, 0)
    assert next_due("C", after, SH) == utc(2026, 3, 2, 2, 0)  # 30 days, through February
    window = today_window(utc(2026, 2, 28, 17, 0), SH)  # 01:00 on 1 March local
    assert window.day_start == utc(2026, 2, 28, 16, 0)


def test_daylight_saving_day_is_23_hours_and_cadence_stays_at_10_local():
    # Europe/Berlin springs forward on 29 March 2026
    window = today_window(utc(2026, 3, 29, 10, 0), BERLIN)
    assert (window.day_end - window.day_start).in_hours() == 23
    after = pendulum.datetime(2026, 3, 28, 10, 0, tz="Europe/Berlin")  # 09:00 UTC, CET
    nxt = next_due("H", after, BERLIN)  # two days later, now CEST
    assert nxt.in_timezone("Europe/Berlin").hour == 10
    assert nxt == utc(2026, 3, 30, 8, 0)


def test_due_reason_counts_local_days():
    now = utc(2026, 3, 10, 2, 30)
    last = utc(2026, 3, 7, 15, 0)  # 23:00 on 7 March local -> 3 days ago
    reason = due_reason("H", last, now, SH)
    assert (reason.grade, reason.cadence_days, reason.days_since_contact) == ("H", 2, 3)
    assert due_reason("B", None, now, SH).days_since_contact is None


def test_urgency_suggests_the_grade():
    assert [grade_for_urgency(u, SH) for u in ("near", "mid", "far", "unsure", None)] == ["A", "B", "C", "C", "C"]
