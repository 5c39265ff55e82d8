"""Today's follow-ups for the acting consultant: overdue, due today, upcoming."""

from __future__ import annotations

from peewee import JOIN, fn

from carcrm_tui.domain.process import response_clock
from carcrm_tui.domain.schedule import DueGroup, due_reason, today_window
from carcrm_tui.services import complaints, notices
from carcrm_tui.services.customers import customer_tags
from carcrm_tui.domain.validation import mask_phone
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import DueRow, TodayView
from carcrm_tui.store.models import Customer, CustomerTag, FollowUp, Lead, Vehicle

PAGE = 40  # rows per group at first (two screens); "… N more" loads the next page


def tagged(tag: str | None):
    """Leads of customers carrying `tag` (the (tag, customer) index answers it)."""
    if not tag:
        return True
    return Lead.customer.in_(CustomerTag.select(CustomerTag.customer).where(CustomerTag.tag == tag))


def today(session: Session, limit: int = PAGE, tag: str | None = None,
          limits: dict | None = None) -> TodayView:
    """`limits` raises the page size of single groups (the user asked for more of them)."""
    now = session.now()
    window = today_window(now, session.policy)
    mine = (FollowUp.owner == session.actor.id) & FollowUp.done_at.is_null() & tagged(tag)
    bounds = {
        DueGroup.OVERDUE: FollowUp.due_at < now,
        DueGroup.TODAY: (FollowUp.due_at >= now) & (FollowUp.due_at < window.day_end),
        DueGroup.UPCOMING: (FollowUp.due_at >= window.day_end) & (FollowUp.due_at < window.horizon),
    }
    groups: dict[DueGroup, list[DueRow]] = {}
    totals: dict[DueGroup, int] = {}
    for group, bound in bounds.items():
        group_limit = (limits or {}).get(group, limit)
        query = (
            FollowUp.select(
                FollowUp.id, FollowUp.channel, FollowUp.due_at, Lead.id, Lead.grade, Lead.stage,
                Lead.last_contact_at, Customer.id, Customer.name, Customer.phone, Vehicle.series,
                FollowUp.purpose, Lead.first_response_at, Lead.created_at, Customer.source, Lead.status,
            )
            .join(Lead, on=(FollowUp.lead == Lead.id))
            .join(Customer, on=(Lead.customer == Customer.id))
            .switch(Lead)
            .join(Vehicle, JOIN.LEFT_OUTER, on=(Lead.vehicle == Vehicle.id))
            .where(mine & bound)
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(group_limit)
            .tuples()  # plain tuples: hydrating four models per row costs more than the query
        )
        rows = [_row(r, group, now, session.policy) for r in query]
        groups[group] = rows
        if len(rows) < group_limit:
            totals[group] = len(rows)
        else:
            count = FollowUp.select(fn.COUNT(FollowUp.id))
            if tag:  # only a tag filter needs the lead; otherwise the partial index answers alone
                count = count.join(Lead, on=(FollowUp.lead == Lead.id))
            totals[group] = count.where(mine & bound).scalar()
    open_complaints = [c for c in complaints.assigned_to_me(session)
                       if not tag or tag in customer_tags(c.customer_id)]
    return TodayView(groups, totals, open_complaints, notices.unread(session))


def _row(r: tuple, group: DueGroup, now, policy) -> DueRow:
    (fid, channel, due_at, lead_id, grade, stage, last_contact, cid, name, phone, series,
     purpose, first_response, created_at, source, status) = r
    clock = (response_clock(created_at, grade, source, now, policy)
             if first_response is None and status == "open" else None)
    return DueRow(
        followup_id=fid, lead_id=lead_id, customer_id=cid, customer_name=name, phone=mask_phone(phone),
        grade=grade, stage=stage if status == "open" else status, vehicle=series or "", channel=channel,
        due_at=due_at, group=group, reason=due_reason(grade, last_contact, now, policy),
        purpose=purpose, response=clock,
    )
