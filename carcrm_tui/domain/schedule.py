"""Follow-up timing: the dealership's day, due groups, cadence and why a row is due.

"Today" is the dealership's local day, not UTC's: a follow-up due at 07:30 in
Shanghai is due *today* there even though it is still yesterday in UTC. All
instants here are aware pendulum DateTimes; callers pass `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pendulum
from pendulum import DateTime

from carcrm_tui.domain.policy import Policy


class DueGroup(str, Enum):
    URGENT = "urgent"  # overdue, a first-response clock running, or silent past the grade's cadence
    TODAY = "today"
    UPCOMING = "upcoming"


class Urgency(str, Enum):
    """Why a row is at the top of Today, most pressing first."""

    RESPONSE = "response"  # a new lead still waits for its first answer
    OVERDUE = "overdue"  # the follow-up's time has passed
    SILENT = "silent"  # no contact for longer than the grade's cadence, whatever the next date says
    NONE = ""


@dataclass(frozen=True)
class Window:
    """UTC boundaries of the Today pane for one local day."""

    day_start: DateTime  # local midnight today, in UTC
    day_end: DateTime  # local midnight tomorrow, in UTC
    horizon: DateTime  # end of the upcoming window, in UTC


def today_window(now: DateTime, policy: Policy) -> Window:
    local = now.in_timezone(policy.tz)
    start = local.start_of("day")
    end = start.add(days=1)  # calendar arithmetic: 23 or 25 hours on DST days
    horizon = start.add(days=1 + policy.upcoming_days)
    return Window(start.in_timezone("UTC"), end.in_timezone("UTC"), horizon.in_timezone("UTC"))


def urgency(due_at: DateTime, now: DateTime, grade: str, last_contact: DateTime | None,
            awaiting_response: bool, sales_call: bool, policy: Policy) -> Urgency:
    """The most pressing reason a follow-up must come first, if any. Response clocks and silence
    apply to sales calls (a thank-you message or a service reminder is urgent only once overdue)."""
    if sales_call and awaiting_response:
        return Urgency.RESPONSE
    if due_at < now:
        return Urgency.OVERDUE
    if sales_call and last_contact is not None and silent_since(grade, now, policy) > last_contact:
        return Urgency.SILENT
    return Urgency.NONE


def silent_since(grade: str, now: DateTime, policy: Policy) -> DateTime:
    """A lead last contacted before this instant has been silent longer than its grade's cadence:
    more whole local days than the cadence (an H lead called the day before yesterday is on time)."""
    local_midnight = now.in_timezone(policy.tz).start_of("day")
    return local_midnight.subtract(days=policy.cadence_days(grade)).in_timezone("UTC")


def due_group(due_at: DateTime, now: DateTime, policy: Policy) -> DueGroup | None:
    """Urgent = due before now; today = later today (local); upcoming = within the window.
    (Today's list also raises rows whose response clock runs or whose lead has gone silent.)"""
    window = today_window(now, policy)
    if due_at < now:
        return DueGroup.URGENT
    if due_at < window.day_end:
        return DueGroup.TODAY
    if due_at < window.horizon:
        return DueGroup.UPCOMING
    return None


def next_due(grade: str, after: DateTime, policy: Policy, *, days: int | None = None) -> DateTime:
    """When the next contact is due: `days` (a quick choice) or the grade's cadence.

    Kept at the same local clock time so a 10:00 call is next due at 10:00,
    also across daylight-saving changes.
    """
    n = policy.cadence_days(grade) if days is None else days
    local = after.in_timezone(policy.tz)
    return local.add(days=n).in_timezone("UTC")


def on_local_date(date: pendulum.Date, hour: int, policy: Policy) -> DateTime:
    """A local date at a given hour, as a UTC instant (for "pick a date")."""
    local = pendulum.datetime(date.year, date.month, date.day, hour, tz=policy.timezone)
    return local.in_timezone("UTC")


@dataclass(frozen=True)
class DueReason:
    """Why a follow-up is on the list: the grade rule and the last contact."""

    grade: str
    cadence_days: int
    last_contact: DateTime | None
    days_since_contact: int | None


def due_reason(grade: str, last_contact: DateTime | None, now: DateTime, policy: Policy) -> DueReason:
    days = None
    if last_contact is not None:
        tz = policy.tz
        days = (now.in_timezone(tz).date() - last_contact.in_timezone(tz).date()).days
    return DueReason(grade, policy.cadence_days(grade), last_contact, days)


def response_deadline(created_at: DateTime, grade: str, policy: Policy) -> DateTime:
    rule = policy.grades.get(grade)
    minutes = rule.response_minutes if rule else 24 * 60
    return created_at.add(minutes=minutes)
