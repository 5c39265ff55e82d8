"""Who is late (a manager's list): leads past their first-response deadline, overdue
follow-ups per consultant, contacts gone quiet (no contact for twice the grade's
cadence), records not updated for N days, and customers of disabled accounts."""

from __future__ import annotations

from peewee import fn

from carcrm_tui.domain.process import response_clock
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.services.scope import lead_filter, owned_in_showroom
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import LateLead, LateReport
from carcrm_tui.store.models import Account, Customer, FollowUp, Lead

LIMIT = 100
STALE_DAYS = 30


def _rows(query, owners: dict[int, str], measure) -> list[LateLead]:
    return [LateLead(lead.id, lead.customer_id, lead.customer_name, owners.get(lead.owner_id, ""), lead.grade,
                     lead.stage, measure(lead)) for lead in query]


def report(session: Session, stale_days: int = STALE_DAYS, limit: int = LIMIT) -> LateReport:
    if not session.is_manager:
        raise NotAllowed()
    now = session.now()
    policy = session.policy
    owners = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    base = (Lead.select(Lead, Customer.name.alias("customer_name"), Customer.source.alias("source"))
            .join(Customer, on=(Lead.customer == Customer.id)).where((Lead.status == "open") & lead_filter(session)))

    waiting = base.where(Lead.first_response_at.is_null()).order_by(Lead.created_at).limit(limit * 5).objects()
    response = []
    for lead in waiting:
        clock = response_clock(lead.created_at, lead.grade, lead.source, now, policy)
        if clock.breached:
            response.append(LateLead(lead.id, lead.customer_id, lead.customer_name, owners.get(lead.owner_id, ""),
                                     lead.grade, lead.stage, -clock.minutes_left))
    response.sort(key=lambda r: -r.minutes)  # worst first: SLAs differ by grade and source
    overdue = (FollowUp.select(FollowUp.owner, fn.COUNT(FollowUp.id))
               .where(FollowUp.done_at.is_null() & (FollowUp.due_at < now)
                      & owned_in_showroom(session, FollowUp.owner))
               .group_by(FollowUp.owner).order_by(fn.COUNT(FollowUp.id).desc()).tuples())
    quiet: list[LateLead] = []
    for grade in policy.grade_order:
        since = now.subtract(days=2 * policy.cadence_days(grade))
        q = base.where((Lead.grade == grade) & (Lead.last_contact_at < since)).order_by(Lead.last_contact_at)
        quiet += _rows(q.limit(limit).objects(), owners, lambda lead: (now - lead.last_contact_at).days)
    quiet.sort(key=lambda r: -r.minutes)
    stale = _rows(base.where(Lead.updated_at < now.subtract(days=stale_days)).order_by(Lead.updated_at)
                  .limit(limit).objects(), owners, lambda lead: (now - lead.updated_at).days)
    disabled = [a.id for a in Account.select(Account.id).where(~Account.active)]
    orphaned = _rows(base.where(Lead.owner.in_(disabled)).order_by(Lead.id).limit(limit).objects(), owners,
                     lambda lead: 0) if disabled else []
    return LateReport(response[:limit], [(owners.get(o, ""), n) for o, n in overdue], quiet[:limit], stale, orphaned)
