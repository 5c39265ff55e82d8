"""Logging a contact: close the due follow-up and schedule the next, in one transaction.

Logged contacts are append-only: they never conflict with someone editing the
lead, so logging does not check the lead's version unless the grade changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pendulum import DateTime

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.schedule import next_due, on_local_date, today_window
from carcrm_tui.domain.validation import Invalid, clean_text, mask_phone
from carcrm_tui.services import audit, process
from carcrm_tui.services.errors import NotFound, ValidationFailed
from carcrm_tui.services.scope import get_lead
from carcrm_tui.services.session import Session
from carcrm_tui.store import search_index
from carcrm_tui.store.models import Customer, FollowUp, Lead, database

SUMMARY_LIMIT = 2000
NEXT_HOUR = 10  # a picked date means 10:00 local


@dataclass(frozen=True)
class Logged:
    closed_id: int
    next_id: int | None
    next_due: DateTime | None


class PastContact(NamedTuple):
    at: DateTime
    channel: str
    outcome: str
    summary: str
    feedback: str


class CallSheet(NamedTuple):
    """What the log-contact form shows while the call is made."""

    customer_id: int
    phone_masked: str
    phone: str  # the full number for the lead's owner (the reveal is audited); "" for anyone else
    last: tuple[PastContact, ...]  # newest first
    lead_status: str


def _last_contacts(lead_id: int, n: int) -> tuple[PastContact, ...]:
    """The lead's latest logged contacts, newest first (the lead's follow-ups, by its index)."""
    rows = (FollowUp.select(FollowUp.done_at, FollowUp.channel, FollowUp.outcome, FollowUp.summary,
                            FollowUp.feedback)
            .where((FollowUp.lead == lead_id) & FollowUp.done_at.is_null(False))
            .order_by(FollowUp.done_at.desc(), FollowUp.id.desc()).limit(n).tuples())
    return tuple(PastContact(*r) for r in rows)


def call_sheet(session: Session, lead_id: int) -> CallSheet:
    """The number to call and what was said the last two times. The lead's owner gets the
    number in full, recorded in the audit trail like any reveal; anyone else (a manager
    logging for a colleague) sees it masked and reveals it on the record if need be."""
    lead = get_lead(session, lead_id)
    phone = Customer.select(Customer.phone).where(Customer.id == lead.customer_id).scalar() or ""
    full = ""
    if phone and lead.owner_id == session.actor.id:
        with database.atomic():
            audit.record(session.actor.id, session.now(), "reveal", "customer", lead.customer_id, lead.customer_id,
                         {"phone": ("", "call")})
        full = phone
    return CallSheet(lead.customer_id, mask_phone(phone) if phone else "", full, _last_contacts(lead.id, 2), lead.status)


def recent(session: Session, lead_id: int, n: int = 1) -> tuple[PastContact, ...]:
    """What was said last on a lead the actor may see (Today's detail line)."""
    return _last_contacts(get_lead(session, lead_id).id, n)


def validate(session: Session, data) -> dict[str, Invalid]:
    errors: dict[str, Invalid] = {}
    if data.channel not in P.CHANNELS:
        errors["channel"] = Invalid("choose_one", field="channel")
    if data.outcome and data.outcome not in P.OUTCOMES:
        errors["outcome"] = Invalid("choose_one", field="outcome")
    if data.attitude and data.attitude not in P.ATTITUDES:
        errors["attitude"] = Invalid("choose_one", field="attitude")
    if data.grade is not None and data.grade not in session.policy.grades:
        errors["grade"] = Invalid("choose_one", field="grade")
    for name in ("summary", "feedback"):
        try:
            # "no answer" says it all: nothing was said
            clean_text(getattr(data, name), field=name, limit=SUMMARY_LIMIT,
                       required=name == "summary" and data.outcome != "no_answer")
        except Invalid as e:
            errors[name] = e
    if data.next_on is not None:
        today = session.now().in_timezone(session.policy.tz).date()
        if data.next_on < today:
            errors["next"] = Invalid("date_past")
    if data.next_in_days is not None and data.next_in_days < 0:
        errors["next"] = Invalid("date_past")
    return errors


def _as_committed(lead_id: int) -> Lead:
    """What logging needs of the lead, read under the write lock (another terminal may have
    changed its grade, status or owner since the permission check): a narrow read, as eight
    terminals logging at once take turns on that lock."""
    lead = (Lead.select(Lead.id, Lead.customer, Lead.owner, Lead.grade, Lead.status, Lead.first_response_at)
            .where(Lead.id == lead_id).first())
    if lead is None:
        raise NotFound(lead_id)
    return lead


def log_contact(session: Session, lead_id: int, data) -> Logged:
    errors = validate(session, data)
    if errors:
        raise ValidationFailed(errors)
    now = session.now()
    policy = session.policy
    get_lead(session, lead_id)  # who may: checked before the write lock, which other terminals wait for
    with database.atomic():
        lead = _as_committed(lead_id)
        grade = data.grade or lead.grade
        which = (FollowUp.lead == lead.id) & FollowUp.done_at.is_null()
        if data.followup_id:
            which &= FollowUp.id == data.followup_id
        elif lead.status != "open":
            # after a sale (or a loss) what is planned is the after-sales schedule: a contact made
            # today ticks off only what falls due by today's end, never next spring's greeting
            which &= FollowUp.due_at < today_window(now, policy).day_end
        due = FollowUp.select(FollowUp.id).where(which).order_by(FollowUp.due_at).first()
        fields = dict(
            channel=data.channel,
            done_at=now,
            summary=data.summary.strip(),
            feedback=data.feedback.strip(),
            attitude=data.attitude,
            outcome=data.outcome,
        )
        if due is None:
            closed_id = FollowUp.insert(
                lead=lead.id, owner=session.actor.id, due_at=now, created_at=now, **fields
            ).execute()
        else:
            FollowUp.update(**fields).where(FollowUp.id == due.id).execute()
            closed_id = due.id

        changes = {Lead.last_contact_at: now, Lead.updated_at: now}
        if lead.first_response_at is None:
            changes[Lead.first_response_at] = now
        if grade != lead.grade:
            changes.update({Lead.grade: grade, Lead.version: Lead.version + 1, Lead.updated_by: session.actor.id})
        Lead.update(changes).where(Lead.id == lead.id).execute()

        next_id = next_at = None
        if not data.no_next and lead.status == "open":
            if data.next_on is not None:
                next_at = on_local_date(data.next_on, NEXT_HOUR, policy)
            else:
                next_at = next_due(grade, now, policy, days=data.next_in_days)
            next_id = FollowUp.insert(
                lead=lead.id, owner=lead.owner_id, channel="phone",
                due_at=next_at, created_at=now,
            ).execute()
        if data.channel == "visit":  # a be-back: showroom traffic, and a thank-you within 2 hours
            process.record_visit(session, lead, "be_back", now)
        if lead.status == "open":
            process.refresh_score(session, lead.id)
        actor = session.actor.id
        audit.record(actor, now, "log_contact", "followup", closed_id, lead.customer_id,
                     {"channel": ("", data.channel), "summary": ("", fields["summary"]), "outcome": ("", data.outcome)})
        if grade != lead.grade:
            audit.record(actor, now, "update", "lead", lead.id, lead.customer_id, {"grade": (lead.grade, grade)})
        if next_id:
            audit.record(actor, now, "create", "followup", next_id, lead.customer_id, {"due_at": ("", next_at)})
    search_index.catch_up_after_write(database.obj)  # the notes' index, a batch at a time, outside the write
    return Logged(closed_id, next_id, next_at)
