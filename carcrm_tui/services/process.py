"""Moving a lead through the sales process, asking only what each stage needs.

Entering needs analysis records the needs; a test drive, the drive; a quote,
the quote and its totals; an order, deposit, confidential deal price and
delivery date (the lead becomes grade O); past delivery, the delivery itself —
the lead is won and its after-sales schedule is created. Each move and its
record commit together, audited. The board's plain moves go through here too,
so no screen can skip a stage's required details.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

import pendulum

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.process import (
    REQUIRED, LeadFacts, add_years, after_sales_plan, lead_score, quote_totals, stage_fields, suggest_grade,
)
from carcrm_tui.domain.validation import Invalid, clean_text, parse_budget, parse_date
from carcrm_tui.services import audit, undo
from carcrm_tui.services.errors import Conflict, Rejected, ValidationFailed
from carcrm_tui.services.scope import get_lead
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import (
    Account, Customer, FollowUp, Lead, Quote, ShowroomVisit, TestDrive, Vehicle, database,
)

VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")  # 17 characters, never I, O or Q


def target_of(session: Session, stage: str, direction: int) -> str | None:
    policy = session.policy
    if direction > 0:
        return policy.next_stage(stage) or "won"
    return policy.previous_stage(stage)


def fields_for(session: Session, lead_id: int, direction: int = 1) -> tuple[str, tuple[str, ...]]:
    """The stage a move leads to and the fields its form asks for (empty: no form)."""
    lead = get_lead(session, lead_id)
    target = target_of(session, lead.stage, direction)
    if target is None:
        raise Rejected("first_stage")
    return target, (stage_fields(target) if direction > 0 else ())


def _money(text: str, field: str, errors: dict, *, required: bool = False) -> int | None:
    raw = (text or "").strip().replace(",", "").replace("，", "").replace("元", "")
    if not raw:
        if required:
            errors[field] = Invalid("required", field=field)
        return None
    try:
        value = float(raw[:-1]) * 10_000 if raw.endswith("万") else float(raw)
    except ValueError:
        errors[field] = Invalid("money_invalid", value=text)
        return None
    if value < 0:
        errors[field] = Invalid("money_invalid", value=text)
        return None
    return int(round(value))


def parse_stage(session: Session, target: str, values: dict[str, str], lead: Lead) -> tuple[dict, dict]:
    """The typed values of a stage form → clean values; errors by field."""
    policy = session.policy
    today = session.now().in_timezone(policy.tz).date()
    errors: dict[str, Invalid] = {}
    out: dict = {}
    for name in REQUIRED.get(target, ()):
        if not str(values.get(name) or "").strip():
            errors[name] = Invalid("required", field=name)
    for name in stage_fields(target):
        raw = values.get(name)
        text = (str(raw).strip() if raw is not None else "")
        if name in errors:
            continue
        try:
            if name == "urgency" or name == "use" or name == "decision_maker":
                choices = {"urgency": P.URGENCIES, "use": P.USES, "decision_maker": P.DECISION_MAKERS}[name]
                if text and text not in choices:
                    raise Invalid("choose_one", field=name)
                out[name] = text
            elif name == "budget":
                out["budget_min"], out["budget_max"] = parse_budget(text)
            elif name == "focus_points":
                points = [p for p in text.split(",") if p]
                if any(p not in P.FOCUS_POINTS for p in points):
                    raise Invalid("choose_one", field=name)
                out[name] = ",".join(dict.fromkeys(points))
            elif name in ("expected_purchase_date", "expected_delivery_date", "delivered_on"):
                out[name] = parse_date(text, today=today) if text else None
                if name == "delivered_on" and out[name] and out[name] > today:
                    raise Invalid("date_future_delivery")
            elif name == "drive_at":
                out[name] = _local_time(text, today, policy)
            elif name == "vehicle":
                vid = int(text) if text.isdigit() else None
                if vid is None or not Vehicle.select().where(Vehicle.id == vid).exists():
                    raise Invalid("choose_one", field=name)
                out[name] = vid
            elif name in ("guide_price", "discount", "trade_in", "insurance", "plates", "deposit", "deal_price"):
                out[name] = _money(text, name, errors, required=name in REQUIRED.get(target, ())) or 0
            elif name == "vin":
                vin = text.upper().replace(" ", "")
                if not VIN.match(vin):
                    raise Invalid("vin_invalid", value=text)
                out[name] = vin
            else:  # free text: spin summary, objections, route, feedback, configuration, advisor …
                out[name] = clean_text(text, field=name, limit=2000)
        except Invalid as e:
            errors[name] = e
    if target == "order" and not errors and out.get("deposit", 0) > out.get("deal_price", 0):
        errors["deposit"] = Invalid("deposit_over_price")
    return out, errors


def _local_time(text: str, today: dt.date, policy) -> pendulum.DateTime:
    """"2026-03-10 15:30", "15:30" (today) or a date (10:00) in the dealership's time, as UTC."""
    raw = text.strip()
    m = re.match(r"^(?:(.+?)\s+)?(\d{1,2}):(\d{2})$", raw)
    if m:
        day = parse_date(m.group(1), today=today) if m.group(1) else today
        hour, minute = int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            raise Invalid("time_invalid", value=text)
    else:
        day, hour, minute = parse_date(raw, today=today), 10, 0
    return pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=policy.tz).in_timezone("UTC")


class Moved(NamedTuple):
    """Where a move took the lead, and its grade before and after (an order makes it O; needs
    analysis may regrade it) — so the screen can say so rather than change it silently."""

    stage: str  # the new stage, or "won"
    grade_before: str
    grade: str


def advance(session: Session, lead_id: int, version: int, direction: int, values: dict | None = None) -> Moved:
    """Move one stage on (+1, with the stage's details) or back (-1)."""
    values = values or {}
    now = session.now()
    policy = session.policy
    with database.atomic():
        lead = lead_as_seen(session, lead_id, version)
        target = target_of(session, lead.stage, direction)
        if target is None:
            raise Rejected("first_stage")
        out, errors = parse_stage(session, target, values, lead) if direction > 0 else ({}, {})
        if errors:
            raise ValidationFailed(errors)
        mark = undo.begin(lead)
        actor = session.actor.id
        changes: dict = {Lead.version: Lead.version + 1, Lead.updated_at: now, Lead.updated_by: actor}
        record: dict[str, tuple] = {}
        if target == "won":
            _deliver(session, lead, out, changes, record, now)
        else:
            changes.update({Lead.stage: target, Lead.stage_changed_at: now})
            record["stage"] = (lead.stage, target)
        if direction > 0 and target == "needs":
            for name in ("urgency", "use", "focus_points", "expected_purchase_date", "decision_maker",
                         "objections", "competitor_models", "spin_summary", "budget_min", "budget_max"):
                if name in out:
                    changes[getattr(Lead, name)] = out[name]
                    record[name] = (getattr(lead, name), out[name])
        elif direction > 0 and target == "test_drive":
            TestDrive.insert(lead=lead.id, vehicle=out["vehicle"], at=out["drive_at"], route=out.get("route", ""),
                             feedback=out.get("drive_feedback", ""), consultant=actor, created_at=now).execute()
            record["test_drive"] = ("", out["drive_at"])
        elif direction > 0 and target == "quote":
            totals = quote_totals(out["guide_price"], out.get("discount", 0), out.get("trade_in", 0),
                                  out.get("insurance", 0), out.get("plates", 0), policy)
            Quote.insert(lead=lead.id, vehicle=out["vehicle"], configuration=out.get("configuration", ""),
                         guide_price=out["guide_price"], discount=out.get("discount", 0),
                         trade_in=out.get("trade_in", 0), finance_plan=out.get("finance_plan", ""),
                         car_price=totals.car_price, purchase_tax=totals.purchase_tax,
                         insurance=out.get("insurance", 0), plates=out.get("plates", 0), total=totals.total,
                         created_at=now, created_by=actor).execute()
            changes.update({Lead.expected_value: totals.car_price, Lead.vehicle: out["vehicle"]})
            record["quote_total"] = ("", totals.total)
        elif direction > 0 and target == "order":
            changes.update({Lead.deposit: out["deposit"], Lead.deal_price: out["deal_price"],
                            Lead.expected_delivery_date: out["expected_delivery_date"], Lead.ordered_at: now,
                            Lead.expected_value: out["deal_price"]})
            if "O" in policy.grades:
                changes[Lead.grade] = "O"  # an order placed is grade O until delivery
                record["grade"] = (lead.grade, "O")
            record["deposit"] = ("", out["deposit"])  # the deal price itself stays out of the trail
        Lead.update(changes).where(Lead.id == lead.id).execute()
        if target == "needs" and direction > 0 and not lead.grade_reason:
            _regrade(session, lead.id, now)
        audit.record(actor, now, "won" if target == "won" else "move", "lead", lead.id, lead.customer_id, record)
        grade = Lead.select(Lead.grade).where(Lead.id == lead.id).scalar()
        undo.remember(session, lead.id, "won" if target == "won" else "move", mark)
    return Moved(target, lead.grade, grade)


def _deliver(session, lead, out, changes, record, now) -> None:
    policy = session.policy
    delivered = out["delivered_on"]
    insurance_until = add_years(delivered, 1)
    changes.update({Lead.status: "won", Lead.closed_at: now, Lead.delivered_on: delivered, Lead.vin: out["vin"],
                    Lead.service_advisor: out["service_advisor"], Lead.insurance_until: insurance_until})
    record.update({"status": ("open", "won"), "vin": ("", out["vin"]), "delivered_on": ("", delivered)})
    close_open_followups(lead.id, now, "won")
    Customer.update(customer_type="owner").where(Customer.id == lead.customer_id).execute()
    customer = Customer.get_by_id(lead.customer_id)
    plan = after_sales_plan(delivered, customer.birthday, insurance_until, customer.do_not_contact, policy)
    if plan:
        FollowUp.insert_many([
            dict(lead=lead.id, owner=lead.owner_id, channel=p.channel, due_at=p.due_at, purpose=p.purpose,
                 created_at=now) for p in plan
        ]).execute()


def lead_as_seen(session: Session, lead_id: int, version: int) -> Lead:
    """The lead, if it is still open and unchanged since the user read it (inside the write lock)."""
    lead = get_lead(session, lead_id)
    if lead.version != version:
        who = Account.get_or_none(Account.id == lead.updated_by_id)
        raise Conflict(who.name if who else "?", lead.updated_at)
    if lead.status != "open":
        raise Rejected("lead_closed")
    return lead


def close_open_followups(lead_id: int, now, outcome: str) -> None:
    """A lead that leaves the board (won, lost, dormant) takes its open sales calls with it."""
    FollowUp.update(done_at=now, outcome=outcome).where(
        (FollowUp.lead == lead_id) & FollowUp.done_at.is_null()).execute()


# ---- grade, score, dormancy ------------------------------------------------------------
def _facts_sql(extra: str = "") -> str:
    """What the score counts, in one statement: every count walks an index of this lead's
    (or its customer's) rows. Logging a contact re-scores inside its write transaction, so
    this is time every other terminal waits (eight terminals logging at once, README).
    `extra`: more columns after the facts, of the lead `l` (log_contact reads what it needs
    under the lock in this same statement); its parameters come between `since` and the id."""
    p = database.param
    lead, vehicle, visit, drive, followup = (m._meta.table_name for m in (Lead, Vehicle, ShowroomVisit, TestDrive, FollowUp))
    return (
        f"SELECT l.score, l.budget_min, l.budget_max, l.expected_purchase_date, v.guide_price, "
        f"(SELECT COUNT(*) FROM {visit} s WHERE s.customer_id = l.customer_id AND s.lead_id = l.id), "
        f"(SELECT COUNT(*) FROM {drive} d WHERE d.lead_id = l.id), "
        f"(SELECT COUNT(*) FROM {followup} f WHERE f.lead_id = l.id AND f.done_at >= {p}), "
        f"(SELECT COUNT(*) FROM {followup} f WHERE f.lead_id = l.id AND f.done_at >= {p} AND f.attitude = 'positive')"
        f"{', ' + extra if extra else ''} "
        f"FROM {lead} l LEFT JOIN {vehicle} v ON v.id = l.vehicle_id WHERE l.id = {p}"
    )


FACTS = 9  # the columns of _facts_sql before `extra`


def facts_since(now) -> object:
    """The `since` parameter of _facts_sql (twice): contacts of the last 30 days count."""
    return FollowUp.done_at.db_value(now.subtract(days=30))


def facts_of(row) -> tuple[int, LeadFacts]:
    """The stored score and the facts, from the first FACTS columns of a _facts_sql row."""
    score, low, high, expected, price, visits, drives, contacts_30d, positive_30d = row[:FACTS]
    return score, LeadFacts(
        visits=visits, test_drives=drives, budget_min=low, budget_max=high, vehicle_price=price,
        expected_purchase=Lead.expected_purchase_date.python_value(expected),
        contacts_30d=contacts_30d, positive_30d=positive_30d,
    )


def _facts(lead_id: int, now) -> tuple[int, LeadFacts]:
    """The lead's stored score and the facts that score it."""
    since = facts_since(now)
    row = database.execute_sql(_facts_sql(), (since, since, lead_id)).fetchone()
    if row is None:
        raise Lead.DoesNotExist(lead_id)
    return facts_of(row)


def facts(lead_id: int, now) -> LeadFacts:
    return _facts(lead_id, now)[1]


def refresh_score(session: Session, lead_id: int) -> int:
    """Recompute the 0–100 score from what the lead has recorded (inside the caller's
    transaction); written only when it changed."""
    now = session.now()
    stored, lead_facts = _facts(lead_id, now)
    score = lead_score(lead_facts, now.in_timezone(session.policy.tz).date(), session.policy)
    if score != stored:
        Lead.update(score=score).where(Lead.id == lead_id).execute()
    return score


def _regrade(session: Session, lead_id: int, now) -> None:
    lead = Lead.get_by_id(lead_id)
    score = refresh_score(session, lead_id)
    grade = suggest_grade(score, lead.urgency, session.policy)
    if grade != lead.grade and lead.grade != "O":
        Lead.update(grade=grade).where(Lead.id == lead_id).execute()
        audit.record(session.actor.id, now, "update", "lead", lead_id, lead.customer_id, {"grade": (lead.grade, grade)})


def suggested_grade(session: Session, lead_id: int) -> str:
    lead = get_lead(session, lead_id)
    now = session.now()
    score = lead_score(facts(lead_id, now), now.in_timezone(session.policy.tz).date(), session.policy)
    return suggest_grade(score, lead.urgency, session.policy)


def set_grade(session: Session, lead_id: int, version: int, grade: str, reason: str = "") -> None:
    """The consultant's call; overriding the suggested grade needs a reason, which is kept."""
    if grade not in session.policy.grades:
        raise ValidationFailed({"grade": Invalid("choose_one", field="grade")})
    now = session.now()
    with database.atomic():
        lead = lead_as_seen(session, lead_id, version)
        suggested = suggested_grade(session, lead_id)
        reason = reason.strip()
        if grade != suggested and not reason:
            raise ValidationFailed({"grade_reason": Invalid("reason_for_override", suggested=suggested)})
        mark = undo.begin(lead)
        Lead.update({Lead.grade: grade, Lead.grade_reason: reason if grade != suggested else "",
                     Lead.version: Lead.version + 1, Lead.updated_at: now, Lead.updated_by: session.actor.id}
                    ).where(Lead.id == lead.id).execute()
        audit.record(session.actor.id, now, "update", "lead", lead.id, lead.customer_id,
                     {"grade": (lead.grade, grade), "grade_reason": (lead.grade_reason, reason)})
        undo.remember(session, lead.id, "grade", mark)


def set_dormant(session: Session, lead_id: int, version: int) -> None:
    now = session.now()
    with database.atomic():
        lead = lead_as_seen(session, lead_id, version)
        mark = undo.begin(lead)
        Lead.update({Lead.status: "dormant", Lead.closed_at: now, Lead.version: Lead.version + 1,
                     Lead.updated_at: now, Lead.updated_by: session.actor.id}).where(Lead.id == lead.id).execute()
        close_open_followups(lead.id, now, "dormant")
        audit.record(session.actor.id, now, "update", "lead", lead.id, lead.customer_id, {"status": ("open", "dormant")})
        undo.remember(session, lead.id, "dormant", mark)


def reactivate(session: Session, lead_id: int, version: int) -> int:
    """A dormant (or lost) lead comes back with its history; the next call is due by cadence."""
    from carcrm_tui.domain.schedule import next_due

    now = session.now()
    with database.atomic():
        lead = get_lead(session, lead_id)
        if lead.version != version:
            who = Account.get_or_none(Account.id == lead.updated_by_id)
            raise Conflict(who.name if who else "?", lead.updated_at)
        if lead.status not in ("dormant", "lost"):
            raise Rejected("not_dormant")
        Lead.update({Lead.status: "open", Lead.closed_at: None, Lead.lost_reason: "", Lead.lost_competitor: "",
                     Lead.version: Lead.version + 1, Lead.updated_at: now, Lead.updated_by: session.actor.id}
                    ).where(Lead.id == lead.id).execute()
        Customer.update(customer_type="intent").where(Customer.id == lead.customer_id).execute()
        followup = FollowUp.insert(lead=lead.id, owner=lead.owner_id, channel="phone",
                                   due_at=next_due(lead.grade, now, session.policy), created_at=now).execute()
        audit.record(session.actor.id, now, "update", "lead", lead.id, lead.customer_id,
                     {"status": (lead.status, "open")})
    return followup


# ---- showroom traffic ---------------------------------------------------------------------
def record_visit(session: Session, lead: Lead, kind: str, now) -> int:
    """A showroom visit (first or be-back) and its thank-you message task, due within 2 hours."""
    from carcrm_tui.domain.process import thank_you_due

    ShowroomVisit.insert(customer=lead.customer_id, lead=lead.id, at=now, kind=kind,
                         consultant=session.actor.id).execute()
    return FollowUp.insert(lead=lead.id, owner=lead.owner_id, channel="wechat", purpose="thank_you",
                           due_at=thank_you_due(now, session.policy), created_at=now).execute()

