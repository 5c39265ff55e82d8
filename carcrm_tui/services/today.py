"""Today's follow-ups for the acting consultant: overdue, due today, upcoming."""

from __future__ import annotations

from peewee import JOIN, fn

from carcrm_tui.domain.schedule import DueGroup, due_reason, today_window
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import DueRow, TodayView
from carcrm_tui.store.models import Customer, FollowUp, Lead, Vehicle

PAGE = 200  # rows per group; the pane says how many more there are


def today(session: Session, limit: int = PAGE) -> TodayView:
    now = session.now()
    window = today_window(now, session.policy)
    mine = (FollowUp.owner == session.actor.id) & FollowUp.done_at.is_null()
    bounds = {
        DueGroup.OVERDUE: FollowUp.due_at < now,
        DueGroup.TODAY: (FollowUp.due_at >= now) & (FollowUp.due_at < window.day_end),
        DueGroup.UPCOMING: (FollowUp.due_at >= window.day_end) & (FollowUp.due_at < window.horizon),
    }
    groups: dict[DueGroup, list[DueRow]] = {}
    totals: dict[DueGroup, int] = {}
    for group, bound in bounds.items():
        query = (
            FollowUp.select(FollowUp, Lead, Customer, Vehicle)
            .join(Lead)
            .join(Customer)
            .switch(Lead)
            .join(Vehicle, JOIN.LEFT_OUTER)
            .where(mine & bound)
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(limit)
        )
        rows = [_row(f, group, session) for f in query]
        groups[group] = rows
        if len(rows) < limit:
            totals[group] = len(rows)
        else:
            totals[group] = FollowUp.select(fn.COUNT(FollowUp.id)).where(mine & bound).scalar()
    return TodayView(groups, totals)


def _row(f: FollowUp, group: DueGroup, session: Session) -> DueRow:
    lead, customer = f.lead, f.lead.customer
    vehicle = lead.vehicle
    return DueRow(
        followup_id=f.id,
        lead_id=lead.id,
        customer_id=customer.id,
        customer_name=customer.name,
        phone=customer.phone,
        grade=lead.grade,
        stage=lead.stage,
        vehicle=(vehicle.series if vehicle else ""),
        channel=f.channel,
        due_at=f.due_at,
        group=group,
        reason=due_reason(lead.grade, lead.last_contact_at, session.now(), session.policy),
    )
