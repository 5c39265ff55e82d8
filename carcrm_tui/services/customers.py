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
from carcrm_tui.services.errors import FieldConflicts, ValidationFailed
from carcrm_tui.services.scope import customer_filter, get_customer, get_lead
from carcrm_tui.services.session import Session
from carcrm_tui.services import complaints
from carcrm_tui.services.views import (
    CustomerDetail, LeadView, QuoteView, RevealedPhones, TestDriveView, TimelineEntry,
)
from carcrm_tui.store.models import (
    Account, Customer, CustomerPhone, CustomerTag, FollowUp, Lead, Quote, TestDrive, Vehicle, database,
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


def more_phones(customer_id: int) -> tuple[str, ...]:
    """Numbers beyond the main and backup phone (kept when two records of one person merged)."""
    return tuple(p for (p,) in CustomerPhone.select(CustomerPhone.phone).where(CustomerPhone.customer == customer_id)
                 .order_by(CustomerPhone.id).tuples())


def reveal(session: Session, customer_id: int) -> RevealedPhones:
    """The full numbers of one customer, recorded in the audit trail (the screen keeps them shown
    until the record changes, the user moves on, or the terminal locks)."""
    c = get_customer(session, customer_id)
    with database.atomic():
        audit.record(session.actor.id, session.now(), "reveal", "customer", c.id, c.id, {"phone": ("", "shown")})
    referrer = Customer.get_or_none(Customer.id == c.referred_by_id) if c.referred_by_id else None
    return RevealedPhones(c.id, c.version, c.phone, c.phone2, more_phones(c.id), referrer.phone if referrer else "")


def with_phones(d: CustomerDetail, phones: RevealedPhones | None) -> CustomerDetail:
    """The masked record with revealed numbers put back — while it is the record that was revealed."""
    if phones is None or phones.customer_id != d.id or phones.version != d.version:
        return d
    return d._replace(phone=phones.phone, phone2=phones.phone2, more_phones=phones.more_phones,
                      referrer_phone=phones.referrer_phone if d.referrer_name else "", phones_revealed=True)


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
        more_phones=tuple(show(p) for p in more_phones(c.id)),
        **_showrooms_of(session, c),
    )


def _showrooms_of(session: Session, c: Customer) -> dict:
    """Which showroom, and which others know this number: for group managers and admins only
    (a showroom's people see their own showroom; a single-showroom site never mentions it)."""
    from carcrm_tui.services import showrooms

    if session.actor.showroom_id is not None or not showrooms.several():
        return {}
    return {"showroom": showrooms.names().get(c.showroom_id, ""), "also_in": showrooms.also_customer_of(c)}


def deal_price_visible(session: Session, lead: Lead) -> bool:
    """成交价格 is confidential: the owning consultant and managers only."""
    return session.is_manager or lead.owner_id == session.actor.id


def _lead_view(lead: Lead, owners: dict[int, str], session: Session) -> LeadView:
    """A lead as the actor may see it: another consultant's deal terms (price, deposit, quotes)
    stay with that consultant and the managers, even on a customer both can open."""
    terms = deal_price_visible(session, lead)
    return LeadView(
        id=lead.id, owner_name=owners.get(lead.owner_id, ""), grade=lead.grade, score=lead.score,
        stage=lead.stage, status=lead.status,
        vehicle=vehicle_view(lead.vehicle) if lead.vehicle_id else None,
        budget_min=lead.budget_min, budget_max=lead.budget_max,
        focus_points=tuple(p for p in lead.focus_points.split(",") if p), use=lead.use,
        urgency=lead.urgency, expected_purchase_date=lead.expected_purchase_date,
        competitor_models=lead.competitor_models, decision_maker=lead.decision_maker,
        objections=lead.objections, expected_value=lead.expected_value,
        deal_price=lead.deal_price if terms else None,
        lost_reason=lead.lost_reason, lost_competitor=lead.lost_competitor,
        created_at=lead.created_at, stage_changed_at=lead.stage_changed_at,
        last_contact_at=lead.last_contact_at, version=lead.version,
        spin_summary=lead.spin_summary, grade_reason=lead.grade_reason, deposit=lead.deposit if terms else None,
        ordered_at=lead.ordered_at, expected_delivery_date=lead.expected_delivery_date,
        delivered_on=lead.delivered_on, service_advisor=lead.service_advisor, vin=lead.vin, plate=lead.plate,
        test_drives=tuple(
            TestDriveView(d.at, vehicle_label(d.vehicle_id), d.route, d.feedback, owners.get(d.consultant_id, ""))
            for d in TestDrive.select().where(TestDrive.lead == lead.id).order_by(TestDrive.at.desc())),
        quotes=tuple(
            QuoteView(q.created_at, vehicle_label(q.vehicle_id), q.configuration, q.guide_price, q.discount,
                      q.trade_in, q.finance_plan, q.car_price, q.purchase_tax, q.insurance, q.plates, q.total)
            for q in Quote.select().where(Quote.lead == lead.id).order_by(Quote.id.desc()).limit(5)) if terms else (),
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


# form field -> the columns it writes (the rest write the column of the same name)
COLUMNS = {"name": ("name", "name_pinyin"), "phone": ("phone", "phone_digits"), "phone2": ("phone2", "phone2_digits"),
           "referrer": ("referred_by",), "budget": ("budget_min", "budget_max")}
_MISSING = object()


def _comparable(key: str, cust: dict, lead: dict):
    """A parsed form value in the shape `_current` reads from the rows."""
    try:
        if key in ("phone", "phone2"):
            return cust[f"{key}_digits"]
        if key == "referrer":
            return cust["referred_by"]
        if key == "tags":
            return tuple(sorted(cust["tags"]))
        if key == "budget":
            return lead["budget_min"], lead["budget_max"]
        return lead[key] if key in LEAD_FIELDS else cust[key]
    except KeyError:
        return _MISSING


def _current(key: str, c: Customer, lead: Lead | None):
    if key in ("phone", "phone2"):
        return getattr(c, f"{key}_digits")
    if key == "referrer":
        return c.referred_by_id
    if key == "tags":
        return tuple(sorted(customer_tags(c.id)))
    if key in LEAD_FIELDS:
        if lead is None:
            return _MISSING
        if key == "budget":
            return lead.budget_min, lead.budget_max
        if key == "vehicle":
            return lead.vehicle_id
        return getattr(lead, key)
    return getattr(c, key)


def update(session: Session, customer_id: int, changes: dict[str, object], *, base: dict[str, object],
           lead_id: int | None = None) -> CustomerDetail:
    """Write the fields this user changed — and only those — merging with what colleagues saved since.

    `changes` holds the fields the user edited, as typed; `base` what each of them showed
    when the form opened. Field by field, inside the write lock: if the record still holds
    the base value, the user's value is written; if it already holds the user's value,
    nothing is; if a colleague changed it to something else, that field is a conflict and
    nothing at all is written (FieldConflicts names them; the form asks which to keep).
    """
    stored = _stored_words(session, customer_id, lead_id)
    cust, lead_cols, errors = parse_changes(session, changes, stored)
    if lead_cols and lead_id is None:
        errors.update({k: Invalid("no_lead") for k in changes if k in LEAD_FIELDS})
    if errors:
        raise ValidationFailed(errors)
    base_cust, base_lead, _base_errors = parse_changes(session, {k: base.get(k, "") for k in changes}, stored)
    now = session.now()
    actor = session.actor.id
    with database.atomic():
        customer = get_customer(session, customer_id)
        lead = None
        if lead_id is not None:
            lead = get_lead(session, lead_id)
            if lead.customer_id != customer.id:
                raise ValidationFailed({"lead": Invalid("no_lead")})
        write, clashes = [], []
        for key in changes:
            mine, theirs = _comparable(key, cust, lead_cols), _current(key, customer, lead)
            was = _comparable(key, base_cust, base_lead)
            if theirs == mine:
                continue  # already so: nothing to write, nothing to fight over
            if was is not _MISSING and theirs == was:
                write.append(key)
            else:
                clashes.append(key)
        if clashes:
            raise _field_conflicts(clashes, customer, lead)
        cust_write = {col: cust[col] for key in write if key not in LEAD_FIELDS
                      for col in COLUMNS.get(key, (key,)) if col in cust}
        lead_write = {col: lead_cols[col] for key in write if key in LEAD_FIELDS
                      for col in COLUMNS.get(key, (key,)) if col in lead_cols}
        if cust_write.get("referred_by") == customer.id:
            raise ValidationFailed({"referrer": Invalid("referrer_self")})
        if "phone_digits" in cust_write:
            if customer_by_phone(cust_write["phone_digits"], Customer.id != customer.id,
                                 Customer.showroom == customer.showroom_id) is not None:
                raise ValidationFailed({"phone": Invalid("phone_known")})
        tags = cust_write.pop("tags", None)
        if tags is not None:
            old = customer_tags(customer.id)
            CustomerTag.delete().where(CustomerTag.customer == customer.id).execute()
            if tags:
                CustomerTag.insert_many([{"customer": customer.id, "tag": t} for t in tags]).execute()
            audit.record(actor, now, "update", "customer", customer.id, customer.id,
                         {"tags": ("、".join(old), "、".join(tags))})
        if cust_write or tags is not None:  # a tag change is a change of the record: versioned like the rest
            if cust_write:
                audit.record(actor, now, "update", "customer", customer.id, customer.id,
                             audit.diff(customer, cust_write))
            Customer.update({**cust_write, "updated_at": now, "updated_by": actor, "version": Customer.version + 1}
                            ).where(Customer.id == customer.id).execute()
        if lead_write:
            if "vehicle" in lead_write or "budget_max" in lead_write:
                vid = lead_write.get("vehicle", lead.vehicle_id)
                v = Vehicle.get_or_none(Vehicle.id == vid) if vid else None
                lead_write["expected_value"] = expected_value(
                    v.guide_price if v else None, lead_write.get("budget_max", lead.budget_max))
            audit.record(actor, now, "update", "lead", lead.id, customer.id, audit.diff(lead, lead_write))
            Lead.update({**lead_write, "updated_at": now, "updated_by": actor, "version": Lead.version + 1}
                        ).where(Lead.id == lead.id).execute()
    return detail(session, customer_id)


def _field_conflicts(fields: list[str], customer: Customer, lead: Lead | None) -> FieldConflicts:
    """Who last changed the record that holds the first clashing field, and when."""
    row = lead if lead is not None and fields[0] in LEAD_FIELDS else customer
    who = Account.get_or_none(Account.id == row.updated_by_id)
    return FieldConflicts(who.name if who else "?", row.updated_at, tuple(fields))


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
