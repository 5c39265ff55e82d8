"""Complaints (投诉): recorded on a customer, routed, resolved within 24 hours, then a
call-back asks the customer how satisfied they are (1–5)."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn
from pendulum import DateTime

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.process import complaint_due
from carcrm_tui.domain.validation import Invalid, clean_text
from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotFound, Rejected, ValidationFailed
from carcrm_tui.services.scope import customer_filter, get_customer
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, Complaint, Customer, Lead, database


@dataclass(frozen=True)
class ComplaintView:
    id: int
    customer_id: int
    customer_name: str
    channel: str
    category: str
    description: str
    department: str
    assignee: str
    created_at: DateTime
    due_at: DateTime
    resolved_at: DateTime | None
    resolution: str
    satisfaction: int | None
    status: str
    lead_id: int | None = None  # the lead a call about it is logged on: its own, or the customer's latest
    lead_grade: str = ""
    lead_status: str = "open"

    def breached(self, now: DateTime) -> bool:
        return self.resolved_at is None and now > self.due_at


def _view(c: Complaint, names: dict[int, str], customer_name: str) -> ComplaintView:
    return _views([(c, customer_name)], names)[0]


def _views(found: list[tuple[Complaint, str]], names: dict[int, str]) -> list[ComplaintView]:
    """Complaints with the lead a call about each is logged on (its own, or its customer's
    latest), read for all of them in two queries rather than one per complaint (Today lists
    up to 100 before its first screen)."""
    own = {c.lead_id for c, _name in found if c.lead_id}
    by_customer = {c.customer_id for c, _name in found if not c.lead_id}
    leads = {i: (i, g, st) for i, g, st in Lead.select(Lead.id, Lead.grade, Lead.status)
             .where(Lead.id.in_(list(own))).tuples()} if own else {}
    latest: dict[int, tuple] = {}
    if by_customer:
        newest = Lead.select(fn.MAX(Lead.id)).where(Lead.customer.in_(list(by_customer))).group_by(Lead.customer)
        for customer, i, g, st in (Lead.select(Lead.customer, Lead.id, Lead.grade, Lead.status)
                                   .where(Lead.id.in_(newest)).tuples()):
            latest[customer] = (i, g, st)
    out = []
    for c, customer_name in found:
        lead = leads.get(c.lead_id) if c.lead_id else latest.get(c.customer_id)
        out.append(ComplaintView(c.id, c.customer_id, customer_name, c.channel, c.category, c.description,
                                 c.department, names.get(c.assignee_id, ""), c.created_at, c.due_at, c.resolved_at,
                                 c.resolution, c.satisfaction, c.status, lead[0] if lead else None,
                                 lead[1] if lead else "", lead[2] if lead else "open"))
    return out


def _names() -> dict[int, str]:
    return {a.id: a.name for a in Account.select(Account.id, Account.name)}


def open_complaint(session: Session, customer_id: int, channel: str, category: str, description: str,
                   department: str, assignee: str = "") -> int:
    policy = session.policy
    errors: dict[str, Invalid] = {}
    if channel not in P.CHANNELS:
        errors["channel"] = Invalid("choose_one", field="channel")
    if category not in policy.complaint_categories:
        errors["category"] = Invalid("choose_one", field="category")
    if department not in policy.departments:
        errors["department"] = Invalid("choose_one", field="department")
    try:
        description = clean_text(description, field="description", limit=4000, required=True)
    except Invalid as e:
        errors["description"] = e
    person = None
    if assignee:
        person = Account.get_or_none((Account.name == assignee) & Account.active)
        if person is None:
            errors["assignee"] = Invalid("choose_one", field="assignee")
    if errors:
        raise ValidationFailed(errors)
    now = session.now()
    with database.atomic():
        customer = get_customer(session, customer_id)
        lead = Lead.select().where(Lead.customer == customer.id).order_by(Lead.id.desc()).first()
        cid = Complaint.insert(customer=customer.id, lead=lead.id if lead else None, channel=channel,
                               category=category, description=description, department=department,
                               assignee=person.id if person else None, opened_by=session.actor.id,
                               created_at=now, due_at=complaint_due(now, policy)).execute()
        audit.record(session.actor.id, now, "create", "complaint", cid, customer.id,
                     {"category": ("", category), "department": ("", department),
                      "assignee": ("", person.name if person else "")})
    return cid


def _own(session: Session, complaint_id: int) -> Complaint:
    c = Complaint.get_or_none(Complaint.id == complaint_id)
    if c is None:
        raise NotFound(complaint_id)
    mine = c.assignee_id == session.actor.id or c.opened_by_id == session.actor.id
    customer_visible = Customer.select().where((Customer.id == c.customer_id) & customer_filter(session)).exists()
    if not (mine or customer_visible):
        raise NotFound(complaint_id)
    return c


def resolve(session: Session, complaint_id: int, resolution: str) -> None:
    text = resolution.strip()
    if not text:
        raise ValidationFailed({"resolution": Invalid("required", field="resolution")})
    now = session.now()
    with database.atomic():
        c = _own(session, complaint_id)
        if c.status != "open":
            raise Rejected("complaint_not_open")
        Complaint.update(resolution=text[:4000], resolved_at=now, status="resolved").where(Complaint.id == c.id).execute()
        audit.record(session.actor.id, now, "update", "complaint", c.id, c.customer_id,
                     {"status": ("open", "resolved"), "resolution": ("", text)})


def call_back(session: Session, complaint_id: int, satisfaction: int) -> None:
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise ValidationFailed({"satisfaction": Invalid("satisfaction_range")})
    now = session.now()
    with database.atomic():
        c = _own(session, complaint_id)
        if c.status != "resolved":
            raise Rejected("complaint_not_resolved")
        Complaint.update(callback_at=now, satisfaction=satisfaction, status="closed").where(Complaint.id == c.id).execute()
        audit.record(session.actor.id, now, "update", "complaint", c.id, c.customer_id,
                     {"status": ("resolved", "closed"), "satisfaction": ("", satisfaction)})


def for_customer(session: Session, customer_id: int) -> list[ComplaintView]:
    customer = get_customer(session, customer_id)
    names = _names()
    q = Complaint.select().where(Complaint.customer == customer.id).order_by(Complaint.id.desc())
    return _views([(c, customer.name) for c in q], names)


def assigned_to_me(session: Session, limit: int = 100) -> list[ComplaintView]:
    """Open and resolved-awaiting-call-back complaints routed to the acting account."""
    names = _names()
    q = (Complaint.select(Complaint, Customer.name.alias("customer_name"))
         .join(Customer, on=(Complaint.customer == Customer.id))
         .where((Complaint.assignee == session.actor.id) & (Complaint.status != "closed"))
         .order_by(Complaint.due_at).limit(limit).objects())
    return _views([(c, c.customer_name) for c in q], names)


def get(session: Session, complaint_id: int) -> ComplaintView:
    c = _own(session, complaint_id)
    return _view(c, _names(), Customer.get_by_id(c.customer_id).name)


