"""A customer's full record: read it, and edit customer and lead fields safely.

Edits arrive as the text people typed; every field is parsed and checked
first, and nothing is written unless all of them pass. Both rows carry a
version: a save based on an old read is refused with who changed it and when.
"""

from __future__ import annotations

from peewee import JOIN, fn

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.grading import expected_value
from carcrm_tui.domain.names import pinyin_keys
from carcrm_tui.domain.validation import (
    Invalid,
    clean_text,
    mask_phone,
    parse_budget,
    parse_date,
    parse_email,
    parse_phone,
)
from carcrm_tui.services import audit
from carcrm_tui.store.queries import customer_by_phone
from carcrm_tui.services.catalogue import vehicle_view
from carcrm_tui.services.errors import Conflict, ValidationFailed
from carcrm_tui.services.scope import customer_filter, get_customer, get_lead
from carcrm_tui.services.session import Session
from carcrm_tui.services import complaints
from carcrm_tui.services.views import CustomerDetail, LeadView, QuoteView, TestDriveView, TimelineEntry
from carcrm_tui.store.models import (
    Account, Customer, CustomerTag, FollowUp, Lead, Quote, TestDrive, Vehicle, database,
)

TIMELINE_PAGE = 100

CUSTOMER_FIELDS = (
    "name", "gender", "age_range", "phone", "phone2", "wechat", "qq", "email", "source",
    "customer_type", "birthday", "tags", "do_not_contact", "notes",
)
LEAD_FIELDS = (
    "grade", "vehicle", "budget", "urgency", "expected_purchase_date", "use", "focus_points",
    "competitor_models", "decision_maker", "objections", "brands", "configuration", "colour",
)
CHOICES = {
    "gender": ("", "m", "f"),
    "source": ("",) + P.SOURCES,
    "customer_type": P.CUSTOMER_TYPES,
    "urgency": ("",) + P.URGENCIES,
    "use": ("",) + P.USES,
    "decision_maker": ("",) + P.DECISION_MAKERS,
}


def detail(session: Session, customer_id: int, timeline_limit: int = TIMELINE_PAGE,
           reveal: bool = False) -> CustomerDetail:
    """The record; phone numbers masked unless `reveal`, which is audited."""
    c = get_customer(session, customer_id)
    owners = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    if reveal:
        with database.atomic():
            audit.record(session.actor.id, session.now(), "reveal", "customer", c.id, c.id, {"phone": ("", "shown")})
    show = (lambda p: p) if reveal else (lambda p: mask_phone(p) if p else "")
    leads = [
        _lead_view(lead, owners, session)
        for lead in Lead.select(Lead, Vehicle)
        .join(Vehicle, JOIN.LEFT_OUTER)
        .where(Lead.customer == c.id)
        .order_by(Lead.id.desc())
    ]
    lead_ids = [lead.id for lead in leads]
    when = fn.COALESCE(FollowUp.done_at, FollowUp.due_at)
    q = FollowUp.select().where(FollowUp.lead.in_(lead_ids)) if lead_ids else None
    timeline = []
    total = 0
    if q is not None:
        total = q.count()
        for f in q.order_by(when.desc(), FollowUp.id.desc()).limit(timeline_limit):
            timeline.append(TimelineEntry(
                f.id, f.lead_id, owners.get(f.owner_id, ""), f.channel, f.due_at, f.done_at,
                f.summary, f.feedback, f.attitude, f.outcome, f.purpose, f.next_step,
            ))
    referrer = (Customer.select(Customer.name, Customer.phone).where(Customer.id == c.referred_by_id).first()
                if c.referred_by_id else None)
    return CustomerDetail(
        id=c.id, name=c.name, gender=c.gender, age_range=c.age_range, phone=show(c.phone),
        phone2=show(c.phone2), wechat=c.wechat, email=c.email, source=c.source,
        customer_type=c.customer_type, tags=customer_tags(c.id),
        birthday=c.birthday, do_not_contact=c.do_not_contact, notes=c.notes,
        owner_name=owners.get(c.owner_id, ""), version=c.version, phones_revealed=reveal,
        leads=tuple(leads), timeline=tuple(timeline), timeline_total=total,
        complaints=tuple(complaints.for_customer(session, c.id)),
        referrer_name=referrer.name if referrer else "", referrer_phone=show(referrer.phone) if referrer else "",
        referrals=Customer.select().where(Customer.referred_by == c.id).count(), qq=c.qq,
    )


def deal_price_visible(session: Session, lead: Lead) -> bool:
    """成交价格 is confidential: the owning consultant and managers only."""
    return session.actor.role == "manager" or lead.owner_id == session.actor.id


def _lead_view(lead: Lead, owners: dict[int, str], session: Session) -> LeadView:
    return LeadView(
        id=lead.id, owner_name=owners.get(lead.owner_id, ""), grade=lead.grade, score=lead.score,
        stage=lead.stage, status=lead.status,
        vehicle=vehicle_view(lead.vehicle) if lead.vehicle_id else None,
        budget_min=lead.budget_min, budget_max=lead.budget_max,
        focus_points=tuple(p for p in lead.focus_points.split(",") if p), use=lead.use,
        urgency=lead.urgency, expected_purchase_date=lead.expected_purchase_date,
        competitor_models=lead.competitor_models, decision_maker=lead.decision_maker,
        objections=lead.objections, expected_value=lead.expected_value,
        deal_price=lead.deal_price if deal_price_visible(session, lead) else None,
        lost_reason=lead.lost_reason, lost_competitor=lead.lost_competitor,
        created_at=lead.created_at, stage_changed_at=lead.stage_changed_at,
        last_contact_at=lead.last_contact_at, version=lead.version,
        spin_summary=lead.spin_summary, grade_reason=lead.grade_reason, deposit=lead.deposit,
        ordered_at=lead.ordered_at, expected_delivery_date=lead.expected_delivery_date,
        delivered_on=lead.delivered_on, service_advisor=lead.service_advisor, vin=lead.vin, plate=lead.plate,
        test_drives=tuple(
            TestDriveView(d.at, vehicle_label(d.vehicle_id), d.route, d.feedback, owners.get(d.consultant_id, ""))
            for d in TestDrive.select().where(TestDrive.lead == lead.id).order_by(TestDrive.at.desc())),
        quotes=tuple(
            QuoteView(q.created_at, vehicle_label(q.vehicle_id), q.configuration, q.guide_price, q.discount,
                      q.trade_in, q.finance_plan, q.car_price, q.purchase_tax, q.insurance, q.plates, q.total)
            for q in Quote.select().where(Quote.lead == lead.id).order_by(Quote.id.desc()).limit(5)),
        brands=lead.brands, configuration=lead.configuration, colour=lead.colour,
        purchase_window=lead.purchase_window, models_seen=lead.models_seen,
        materials=tuple(p for p in lead.materials.split(",") if p),
        deal_configuration=lead.deal_configuration,
        deal_colour=lead.deal_colour, sheet_notes=lead.sheet_notes,
    )


def vehicle_label(vehicle_id: int | None) -> str:
    v = Vehicle.get_or_none(Vehicle.id == vehicle_id) if vehicle_id else None
    return " ".join(p for p in (v.brand, v.series, v.model) if p) if v else ""


def parse_changes(session: Session, changes: dict[str, object],
                  current: dict[str, str] | None = None) -> tuple[dict, dict, dict[str, Invalid]]:
    """Typed text → column values for Customer and Lead; errors by form field.

    `current` holds the record's stored words: a word an import kept as typed
    (父母, 安全 …) may stay as it is, though no new one can be chosen.
    """
    current = current or {}
    today = session.now().in_timezone(session.policy.tz).date()
    cust: dict = {}
    lead: dict = {}
    errors: dict[str, Invalid] = {}
    for key, raw in changes.items():
        text = raw.strip() if isinstance(raw, str) else raw
        try:
            if key == "name":
                cust["name"] = clean_text(text, field=key, limit=100, required=True)
                cust["name_pinyin"] = pinyin_keys(cust["name"])
            elif key in ("phone", "phone2"):
                if not text and key == "phone2":
                    cust.update(phone2="", phone2_digits="")
                else:
                    p = parse_phone(text)
                    cust.update({key: p.e164, f"{key}_digits": p.digits})
            elif key == "email":
                cust["email"] = parse_email(text)
            elif key in ("wechat", "age_range"):
                cust[key] = clean_text(text, field=key, limit=64)
            elif key == "qq":
                cust[key] = clean_text(text, field=key, limit=32)
            elif key in ("notes",):
                cust[key] = clean_text(text, field=key, limit=10_000)
            elif key == "tags":
                tags = [t.strip() for t in str(text).replace("，", ",").replace("、", ",").split(",") if t.strip()]
                if any(len(t) > 32 for t in tags):
                    raise Invalid("too_long", field="tags", limit=32)
                cust["tags"] = tuple(dict.fromkeys(tags))
            elif key == "birthday":
                cust["birthday"] = parse_date(text, today=None) if text else None
                if cust["birthday"] and cust["birthday"] > today:
                    raise Invalid("date_future")
            elif key == "do_not_contact":
                cust[key] = bool(text)
            elif key == "referrer":
                cust["referred_by"] = referrer_by_phone(text) if text else None
            elif key in ("gender", "source", "customer_type"):
                if text not in CHOICES[key] and text != current.get(key):
                    raise Invalid("choose_one", field=key)
                cust[key] = text
            elif key in ("urgency", "use", "decision_maker"):
                if text not in CHOICES[key] and text != current.get(key):
                    raise Invalid("choose_one", field=key)
                lead[key] = text
            elif key == "grade":
                if text not in session.policy.grades:
                    raise Invalid("choose_one", field=key)
                lead["grade"] = text
            elif key == "vehicle":
                if text in (None, ""):
                    lead["vehicle"] = None
                elif not Vehicle.select().where(Vehicle.id == int(text)).exists():
                    raise Invalid("choose_one", field=key)
                else:
                    lead["vehicle"] = int(text)
            elif key == "budget":
                lead["budget_min"], lead["budget_max"] = parse_budget(text)
            elif key == "expected_purchase_date":
                lead[key] = parse_date(text, today=today) if text else None
            elif key == "focus_points":
                points = [p for p in (text or "").split(",") if p]
                kept = set(current.get(key, "").split(","))
                if any(p not in P.FOCUS_POINTS and p not in kept for p in points):
                    raise Invalid("choose_one", field=key)
                lead[key] = ",".join(dict.fromkeys(points))
            elif key in ("competitor_models", "objections", "brands", "configuration"):
                lead[key] = clean_text(text, field=key, limit=2000)
            elif key == "colour":
                lead[key] = clean_text(text, field=key, limit=64)
            else:
                raise Invalid("unknown_field", field=key)
        except Invalid as e:
            errors[key] = e
    return cust, lead, errors


def update(
    session: Session,
    customer_id: int,
    customer_version: int,
    changes: dict[str, object],
    lead_id: int | None = None,
    lead_version: int | None = None,
) -> CustomerDetail:
    cust, lead_cols, errors = parse_changes(session, changes, _stored_words(session, customer_id, lead_id))
    if lead_cols and lead_id is None:
        errors.update({k: Invalid("no_lead") for k in changes if k in LEAD_FIELDS})
    if errors:
        raise ValidationFailed(errors)
    now = session.now()
    actor = session.actor.id
    with database.atomic():
        customer = get_customer(session, customer_id)
        if cust.get("referred_by") == customer.id:
            raise ValidationFailed({"referrer": Invalid("referrer_self")})
        if "phone" in cust:
            if customer_by_phone(cust["phone_digits"], Customer.id != customer.id) is not None:
                raise ValidationFailed({"phone": Invalid("phone_known")})
        tags = cust.pop("tags", None)
        tags_changed = False
        if tags is not None:
            old = customer_tags(customer.id)
            if tuple(sorted(old)) != tuple(sorted(tags)):
                CustomerTag.delete().where(CustomerTag.customer == customer.id).execute()
                if tags:
                    CustomerTag.insert_many([{"customer": customer.id, "tag": t} for t in tags]).execute()
                audit.record(actor, now, "update", "customer", customer.id, customer.id,
                             {"tags": ("、".join(old), "、".join(tags))})
                tags_changed = True  # a tag change is a change of the record: versioned like the rest
        if cust or tags_changed:
            if cust:
                audit.record(actor, now, "update", "customer", customer.id, customer.id, audit.diff(customer, cust))
            n = Customer.update(
                {**cust, "updated_at": now, "updated_by": actor, "version": Customer.version + 1}
            ).where((Customer.id == customer.id) & (Customer.version == customer_version)).execute()
            if n == 0:
                raise _conflict(Customer, customer.id)
        if lead_cols:
            lead = get_lead(session, lead_id)
            if lead.customer_id != customer.id:
                raise ValidationFailed({"lead": Invalid("no_lead")})
            if "vehicle" in lead_cols or "budget_max" in lead_cols:
                vid = lead_cols.get("vehicle", lead.vehicle_id)
                v = Vehicle.get_or_none(Vehicle.id == vid) if vid else None
                lead_cols["expected_value"] = expected_value(
                    v.guide_price if v else None, lead_cols.get("budget_max", lead.budget_max)
                )
            audit.record(actor, now, "update", "lead", lead.id, customer.id, audit.diff(lead, lead_cols))
            n = Lead.update(
                {**lead_cols, "updated_at": now, "updated_by": actor, "version": Lead.version + 1}
            ).where((Lead.id == lead.id) & (Lead.version == lead_version)).execute()
            if n == 0:
                raise _conflict(Lead, lead.id)
    return detail(session, customer_id)


def _stored_words(session: Session, customer_id: int, lead_id: int | None) -> dict[str, str]:
    """The record's current choice words, so a word kept from an import passes unchanged."""
    c = get_customer(session, customer_id)
    words = {"gender": c.gender, "source": c.source, "customer_type": c.customer_type}
    lead = Lead.get_or_none((Lead.id == lead_id) & (Lead.customer == c.id)) if lead_id else None
    if lead is not None:
        words.update(urgency=lead.urgency, use=lead.use, decision_maker=lead.decision_maker,
                     focus_points=lead.focus_points)
    return words


def referrer_by_phone(text: str) -> int:
    """The customer who referred someone, found by their phone (any consultant's customer)."""
    p = parse_phone(text)
    found = customer_by_phone(p.digits)
    if found is None:
        raise Invalid("referrer_unknown", field="referrer")
    return found.id


def customer_tags(customer_id: int) -> tuple[str, ...]:
    return tuple(t for (t,) in CustomerTag.select(CustomerTag.tag).where(CustomerTag.customer == customer_id)
                 .order_by(CustomerTag.id).tuples())


def all_tags(session: Session) -> list[str]:
    """The tags in use among the customers the actor sees (for filters), most used first."""
    q = (CustomerTag.select(CustomerTag.tag, fn.COUNT(CustomerTag.id).alias("n"))
         .join(Customer, on=(CustomerTag.customer == Customer.id)).where(customer_filter(session))
         .group_by(CustomerTag.tag).order_by(fn.COUNT(CustomerTag.id).desc(), CustomerTag.tag).tuples())
    return [tag for tag, _n in q]


def _conflict(model, row_id: int) -> Conflict:
    row = model.get_by_id(row_id)
    who = Account.get_or_none(Account.id == row.updated_by_id)
    return Conflict(who.name if who else "?", row.updated_at)
