"""New walk-ins, phone first: a known phone is a be-back (回头客), never a duplicate."""

from __future__ import annotations

from dataclasses import dataclass

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.grading import expected_value, grade_for_urgency
from carcrm_tui.domain.names import pinyin_keys
from carcrm_tui.domain.validation import Invalid, clean_text, parse_budget, parse_phone
from carcrm_tui.services import audit, notices, process
from carcrm_tui.services.errors import NotFound, Rejected, ValidationFailed
from carcrm_tui.services.scope import customer_filter
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import NameMatch, PhoneMatch, WalkInInput
from carcrm_tui.store.models import Account, AuditLog, Customer, FollowUp, Lead, ShowroomVisit, Vehicle, database
from carcrm_tui.store.queries import customer_by_phone


def find_by_phone(session: Session, phone: str) -> PhoneMatch | None:
    """Look a phone up across the whole showroom (a be-back may be a colleague's customer).

    A colleague's customer says only who looks after them — never a name or number —
    and the lookup is audited and limited (a consultant cannot walk the number space).
    Raises Invalid when the text is not a phone number.
    """
    c = customer_by_phone(parse_phone(phone).digits, Customer.showroom == session.home_showroom)
    if c is None:
        return None
    visible = _visible(session, c)
    if not visible:
        _colleague_lookup(session, c.id)
    owner = Account.get_by_id(c.owner_id).name
    return PhoneMatch(c.id, c.name if visible else "", owner, visible)


def _visible(session: Session, c: Customer) -> bool:
    return Customer.select().where((Customer.id == c.id) & customer_filter(session)).exists()


def same_name(session: Session, name: str, limit: int = 5) -> list[NameMatch]:
    """Customers already carrying this exact name — a warning at entry, never a block.

    A consultant's own customers show their masked phone; a colleague's show only who
    looks after them (audited like a phone lookup). Managers see masked phones of all."""
    from carcrm_tui.domain.validation import mask_phone

    text = (name or "").strip()
    if not text:
        return []
    q = (Customer.select(Customer, Account).join(Account, on=(Customer.owner == Account.id))
         .where((Customer.name == text) & (Customer.showroom == session.home_showroom))
         .order_by(Customer.id).limit(limit))
    out = []
    for c in q:
        mine = _visible(session, c)
        if not mine:
            _colleague_lookup(session, c.id)
        out.append(NameMatch(c.id, mask_phone(c.phone) if mine else "", c.owner.name))
    return out


LOOKUP_WINDOW_MINUTES = 60


def _colleague_lookup(session: Session, customer_id: int) -> None:
    """Audit a consultant's lookup that hit a colleague's customer; refuse past the hourly limit.

    The same customer twice within the hour counts once (a name typed letter by letter)."""
    now = session.now()
    since = now.subtract(minutes=LOOKUP_WINDOW_MINUTES)
    mine = (AuditLog.actor == session.actor.id) & (AuditLog.action == "lookup") & (AuditLog.at >= since)
    if AuditLog.select().where(mine & (AuditLog.entity_id == customer_id)).exists():
        return
    if AuditLog.select().where(mine).count() >= session.policy.lookups_per_hour:
        raise Rejected("lookup_limit", n=session.policy.lookups_per_hour)
    with database.atomic():
        audit.record(session.actor.id, now, "lookup", "customer", customer_id, customer_id)


def colleague_be_back(session: Session, phone: str) -> str:
    """A colleague's customer walked back in: the visit is recorded on their lead (showroom
    traffic, a thank-you task for the owner) and the owner told. Returns the owner's name.

    The receptionist learns nothing more of the customer than the owner's name."""
    c = customer_by_phone(parse_phone(phone).digits, Customer.showroom == session.home_showroom)
    if c is None:
        raise NotFound(phone)
    now = session.now()
    with database.atomic():
        lead = (Lead.select().where(Lead.customer == c.id).order_by((Lead.status == "open").desc(), Lead.id.desc())
                .first())
        if lead is not None:
            process.record_visit(session, lead, "be_back", now)
        else:
            ShowroomVisit.insert(customer=c.id, at=now, kind="be_back", consultant=session.actor.id).execute()
        audit.record(session.actor.id, now, "visit", "customer", c.id, c.id, {"visit": ("", "be_back")})
        notices.tell(c.owner_id, now, "be_back", c.id, customer=c.name, by=session.actor.name)
    return Account.get_by_id(c.owner_id).name


@dataclass(frozen=True)
class WalkInCreated:
    customer_id: int
    lead_id: int
    followup_id: int


def register_walkin(session: Session, data: WalkInInput) -> WalkInCreated:
    policy = session.policy
    errors: dict[str, Invalid] = {}
    phone = None
    try:
        phone = parse_phone(data.phone)
    except Invalid as e:
        errors["phone"] = e
    try:
        name = clean_text(data.name, field="name", limit=100, required=True)
    except Invalid as e:
        errors["name"] = e
    try:
        budget = parse_budget(data.budget)
    except Invalid as e:
        errors["budget"] = e
    if data.source not in P.SOURCES:
        errors["source"] = Invalid("choose_one", field="source")
    if data.urgency and data.urgency not in P.URGENCIES:
        errors["urgency"] = Invalid("choose_one", field="urgency")
    if data.grade and data.grade not in policy.grades:
        errors["grade"] = Invalid("choose_one", field="grade")
    vehicle = Vehicle.get_or_none(Vehicle.id == data.vehicle_id) if data.vehicle_id else None
    if data.vehicle_id and vehicle is None:
        errors["vehicle"] = Invalid("choose_one", field="vehicle")
    showroom = session.home_showroom
    if phone and not errors and customer_by_phone(phone.digits, Customer.showroom == showroom) is not None:
        errors["phone"] = Invalid("phone_known")
    if errors:
        raise ValidationFailed(errors)

    now = session.now()
    grade = data.grade or grade_for_urgency(data.urgency, policy)
    owner = session.actor.id
    with database.atomic():
        customer = Customer.insert(
            name=name, name_pinyin=pinyin_keys(name), gender=data.gender, phone=phone.e164, phone_digits=phone.digits,
            source=data.source, customer_type="intent", owner=owner, showroom=showroom,
            created_at=now, updated_at=now, updated_by=owner,
        ).execute()
        lead = Lead.insert(
            customer=customer, owner=owner, showroom=showroom, grade=grade, stage="reception", status="open",
            vehicle=vehicle.id if vehicle else None, budget_min=budget[0], budget_max=budget[1],
            urgency=data.urgency, expected_value=expected_value(vehicle.guide_price if vehicle else None, budget[1]),
            created_at=now, stage_changed_at=now, first_response_at=now, last_contact_at=now,
            updated_at=now, updated_by=owner,
        ).execute()
        # the visit itself, then the first call (domain.md: first call within 24 hours)
        FollowUp.insert(
            lead=lead, owner=owner, channel="visit", due_at=now, done_at=now,
            summary=data.summary.strip(), outcome="reached", created_at=now,
        ).execute()
        first = FollowUp.insert(
            lead=lead, owner=owner, channel="phone",
            due_at=now.add(hours=policy.first_followup_hours), created_at=now,
        ).execute()
        process.record_visit(session, Lead.get_by_id(lead), "first", now)
        process.refresh_score(session, lead)
        audit.record(owner, now, "create", "customer", customer, customer,
                     {"name": ("", name), "phone": ("", phone.e164), "source": ("", data.source)})
        audit.record(owner, now, "create", "lead", lead, customer, {"grade": ("", grade), "stage": ("", "reception")})
    return WalkInCreated(customer, lead, first)
