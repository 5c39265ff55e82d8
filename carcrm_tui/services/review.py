"""The evening review (夕会) and the monthly lost-deal (战败) analysis.

Daily: walk-ins (first visits and be-backs), new leads, response breaches,
overdue follow-ups per consultant, grade changes, deals won and lost, and
tomorrow's due list — all for the dealership's local day. Monthly: lost leads
by reason, the competitor models that won, and by consultant.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from peewee import fn

from carcrm_tui.services import late
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.services.scope import customer_filter, in_showroom, lead_filter, owned_in_showroom
from carcrm_tui.services.metrics import Period, bounds
from carcrm_tui.services.metrics import month as metrics_month
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, AuditLog, Customer, FollowUp, Lead, ShowroomVisit


@dataclass(frozen=True)
class DailyReview:
    day: dt.date
    first_visits: int
    be_backs: int
    new_leads: int
    response_breaches: int
    overdue: list[tuple[str, int]]
    grade_changes: list[tuple[str, str, str, str]]  # customer, old, new, by
    won: list[tuple[str, str]]  # customer, consultant
    lost: list[tuple[str, str, str, str]]  # customer, consultant, reason, competitor
    tomorrow: list[tuple[str, int]]  # consultant, follow-ups due


@dataclass(frozen=True)
class LostReview:
    month: str
    total: int
    by_reason: list[tuple[str, int]]
    by_competitor: list[tuple[str, int]]
    by_consultant: list[tuple[str, int]]


def daily(session: Session, day: dt.date | None = None) -> DailyReview:
    if not session.is_manager:
        raise NotAllowed()
    now = session.now()
    day = day or now.in_timezone(session.policy.tz).date()
    start, end = bounds(Period(day, day + dt.timedelta(days=1)), session)
    names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    visits = Counter(kind for (kind,) in ShowroomVisit.select(ShowroomVisit.kind)
                     .where((ShowroomVisit.at >= start) & (ShowroomVisit.at < end)
                            & in_showroom(session, ShowroomVisit.customer)).tuples())
    new_leads = Lead.select().where((Lead.created_at >= start) & (Lead.created_at < end)
                                    & lead_filter(session)).count()
    in_day = (AuditLog.at >= start) & (AuditLog.at < end)
    customer = {c.id: c.name for c in Customer.select(Customer.id, Customer.name).where(
        Customer.id.in_(AuditLog.select(AuditLog.customer_id).where(in_day)) & customer_filter(session))}
    # a lead's grade from the day's first change to its last (a change taken back is no change)
    by_lead: dict[int, list] = {}
    for a in (AuditLog.select().where(in_day & (AuditLog.field == "grade") & (AuditLog.old != ""))
              .order_by(AuditLog.id)):
        if a.customer_id in customer:
            seen = by_lead.setdefault(a.entity_id, [customer[a.customer_id], a.old, a.new, ""])
            seen[2], seen[3] = a.new, names.get(a.actor_id, "")
    grades = [tuple(g) for g in by_lead.values() if g[1] != g[2]]
    closed = Lead.select(Lead, Customer.name.alias("customer_name")).join(
        Customer, on=(Lead.customer == Customer.id)).where((Lead.closed_at >= start) & (Lead.closed_at < end)
                                                           & lead_filter(session))
    won = [(x.customer_name, names.get(x.owner_id, "")) for x in closed.where(Lead.status == "won").objects()]
    lost = [(x.customer_name, names.get(x.owner_id, ""), x.lost_reason, x.lost_competitor)
            for x in closed.where(Lead.status == "lost").objects()]
    t_start, t_end = end, end.add(days=1)
    tomorrow = [(names.get(o, ""), n) for o, n in
                FollowUp.select(FollowUp.owner, fn.COUNT(FollowUp.id))
                .where(FollowUp.done_at.is_null() & (FollowUp.due_at >= t_start) & (FollowUp.due_at < t_end)
                       & owned_in_showroom(session, FollowUp.owner))
                .group_by(FollowUp.owner).order_by(fn.COUNT(FollowUp.id).desc()).tuples()]
    lateness = late.report(session)
    return DailyReview(day, visits.get("first", 0), visits.get("be_back", 0), new_leads, len(lateness.response),
                       lateness.overdue_by_consultant, grades, won, lost, tomorrow)


def lost_month(session: Session, month: str) -> LostReview:
    if not session.is_manager:
        raise NotAllowed()
    start, end = bounds(metrics_month(month), session)
    names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    rows = list(Lead.select(Lead.lost_reason, Lead.lost_competitor, Lead.owner)
                .where((Lead.status == "lost") & (Lead.closed_at >= start) & (Lead.closed_at < end)
                       & lead_filter(session)).tuples())
    by_reason = Counter(r for r, _c, _o in rows).most_common()
    by_competitor = Counter(c for _r, c, _o in rows if c).most_common()
    by_consultant = Counter(names.get(o, "") for _r, _c, o in rows).most_common()
    return LostReview(month, len(rows), by_reason, by_competitor, by_consultant)
