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
    lead = Lead.get_or_none((Lead.id == lead_id) & lead_filter(session))
    if lead is None:  # missing and not yours look the same: no existence leak
        raise NotFound(lead_id)
    return lead


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = Customer.get_or_none((Customer.id == customer_id) & customer_filter(session))
    if customer is None:
        raise NotFound(customer_id)
    return customer
