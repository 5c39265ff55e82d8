"""Who may see which records: consultants their own, managers and admins everyone's.

Every service fetches records through these helpers, so the rule is written
once and no screen can skip it.
"""

from __future__ import annotations

from carcrm_tui.services.errors import NotFound
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Customer, Lead


def lead_filter(session: Session):
    return True if session.sees_everyone else (Lead.owner == session.actor.id)


def customer_filter(session: Session):
    return True if session.sees_everyone else (Customer.owner == session.actor.id)


def get_lead(session: Session, lead_id: int) -> Lead:
    """A lead the actor owns, or any lead of a customer the actor looks after (a merged record's
    earlier deal by a colleague: its after-sales calls are the customer owner's to make)."""
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None or not (session.sees_everyone or lead.owner_id == session.actor.id or Customer.select().where(
            (Customer.id == lead.customer_id) & (Customer.owner == session.actor.id)).exists()):
        raise NotFound(lead_id)  # missing and not yours look the same: no existence leak
    return lead


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = Customer.get_or_none((Customer.id == customer_id) & customer_filter(session))
    if customer is None:
        raise NotFound(customer_id)
    return customer
