"""Who may see which records: consultants their own, a showroom's manager that showroom's,
group managers and admins every showroom (or the one they chose to look at).

Every service fetches records through these helpers, so the rule is written
once and no screen can skip it.
"""

from __future__ import annotations

from typing import NamedTuple

from carcrm_tui.services.errors import NotFound
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, Customer, Lead, database


def lead_filter(session: Session):
    if not session.sees_everyone:
        return Lead.owner == session.actor.id
    showroom = session.scope_showroom
    return True if showroom is None else (Lead.showroom == showroom)


def customer_filter(session: Session):
    if not session.sees_everyone:
        return Customer.owner == session.actor.id
    showroom = session.scope_showroom
    return True if showroom is None else (Customer.showroom == showroom)


def in_showroom(session: Session, customer_column):
    """`customer_column` (a customer id column of another table) within the session's showroom;
    True when the session sees every showroom. For rows that belong to a showroom through their
    customer (visits, complaints, referrals)."""
    showroom = session.scope_showroom
    if showroom is None:
        return True
    return customer_column.in_(Customer.select(Customer.id).where(Customer.showroom == showroom))


def account_filter(session: Session):
    """The people of the session's showroom (consultants and its manager); everyone otherwise."""
    showroom = session.scope_showroom
    return True if showroom is None else (Account.showroom == showroom)


def owned_in_showroom(session: Session, account_column):
    """`account_column` (an owner or consultant id) is one of the session's showroom's people."""
    showroom = session.scope_showroom
    if showroom is None:
        return True
    return account_column.in_(Account.select(Account.id).where(Account.showroom == showroom))


def get_lead(session: Session, lead_id: int) -> Lead:
    """A lead the actor owns, or any lead of a customer the actor looks after (a merged record's
    earlier deal by a colleague: its after-sales calls are the customer owner's to make); for
    managers, a lead of their showroom."""
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None or not _may_see(session, lead.showroom_id, lead.owner_id, lead.customer_id):
        raise NotFound(lead_id)  # missing and not yours look the same: no existence leak
    return lead


def visible_leads(session: Session):
    """get_lead's rule as one condition on Lead (for reads of many leads at once): a consultant's
    own leads and the leads of customers they look after; a manager's showroom's."""
    if session.sees_everyone:
        return lead_filter(session)
    me = session.actor.id
    return (Lead.owner == me) | Lead.customer.in_(Customer.select(Customer.id).where(Customer.owner == me))


class LeadGlance(NamedTuple):
    customer_id: int
    owner_id: int
    grade: str


def glance_lead(session: Session, lead_id: int) -> LeadGlance:
    """get_lead's rule, reading only a few columns in one plain statement: a write checks who may
    before it takes the write lock, and eight terminals logging at once share two cores."""
    row = database.execute_sql(f'SELECT customer_id, owner_id, showroom_id, grade FROM "{Lead._meta.table_name}" '
                               f"WHERE id = {database.param}", (lead_id,)).fetchone()
    if row is None or not _may_see(session, row[2], row[1], row[0]):
        raise NotFound(lead_id)
    return LeadGlance(row[0], row[1], row[3])


def _may_see(session: Session, showroom_id: int, owner_id: int, customer_id: int) -> bool:
    if session.sees_everyone:
        showroom = session.scope_showroom
        return showroom is None or showroom_id == showroom
    return owner_id == session.actor.id or Customer.select().where(
        (Customer.id == customer_id) & (Customer.owner == session.actor.id)).exists()


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = Customer.get_or_none((Customer.id == customer_id) & customer_filter(session))
    if customer is None:
        raise NotFound(customer_id)
    return customer
